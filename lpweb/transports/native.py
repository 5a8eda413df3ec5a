"""The native transport: ``websockets`` for the websocket and ``httpx`` for HTTP.

Both libraries are imported when a :class:`NativeTransport` is created, never at
``import lpweb`` time, so the package imports in Pyodide without them (install them with
``pip install lpweb[native]``). Library exceptions are mapped onto the lpweb error tree
at this boundary.
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any, Mapping

from ..errors import HttpError, TransportError, UsageError, redact
from .base import HttpResponse, ProgressFn, TransportClosed

__all__ = ["NativeTransport", "NativeWebSocket", "FileTokenStore"]


def _import_native() -> tuple[Any, Any]:
    try:
        import httpx
        import websockets.asyncio.client as ws_client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UsageError(
            "the native transport needs websockets and httpx: pip install 'lpweb[native]'"
        ) from exc
    return ws_client, httpx


class NativeWebSocket:
    """A connected websocket (``websockets.asyncio.client.ClientConnection``)."""

    def __init__(self, conn: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        self._conn = conn
        self._connection_closed = ConnectionClosed     # imported once, not per frame

    async def send(self, text: str) -> None:
        try:
            await self._conn.send(text)
        except self._connection_closed as exc:
            raise self._closed(exc) from None

    async def receive(self) -> str:
        try:
            data = await self._conn.recv()
        except self._connection_closed as exc:
            raise self._closed(exc) from None
        return data if isinstance(data, str) else data.decode("utf-8", errors="replace")

    @staticmethod
    def _closed(exc: Any) -> TransportClosed:
        rcvd = exc.rcvd
        return TransportClosed(rcvd.code if rcvd is not None else 1006,
                               rcvd.reason if rcvd is not None else "")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._conn.close(code, reason)


class NativeTransport:
    """websockets + httpx. ``verify`` is passed to both: ``True``, ``False``, a CA file
    path or an :class:`ssl.SSLContext`."""

    websocket_headers = True

    def __init__(self, *, verify: bool | str | ssl.SSLContext = True, proxy: str | None = None) -> None:
        self._ws_client, self._httpx = _import_native()
        self._verify = verify
        self._proxy = proxy
        self._client: Any = None

    def _ssl_context(self) -> ssl.SSLContext | None:
        if isinstance(self._verify, ssl.SSLContext):
            return self._verify
        if self._verify is True:
            return None  # the default context
        if self._verify is False:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        return ssl.create_default_context(cafile=str(self._verify))

    async def connect_websocket(self, url: str, headers: Mapping[str, str] | None = None) -> NativeWebSocket:
        from websockets.exceptions import InvalidStatus, WebSocketException

        kwargs: dict[str, Any] = {"additional_headers": dict(headers or {}), "open_timeout": 15,
                                  "max_size": 16 * 1024 * 1024, "ping_interval": 30, "ping_timeout": 30}
        if url.startswith("wss:"):
            ctx = self._ssl_context()
            if ctx is not None:
                kwargs["ssl"] = ctx
        try:
            conn = await self._ws_client.connect(url, **kwargs)
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise HttpError(status, url, exc.response.body.decode("utf-8", "replace")[:200]) from None
        except (OSError, WebSocketException, TimeoutError) as exc:
            raise TransportError(f"websocket connect to {redact(url)} failed: {type(exc).__name__}: {exc}") from None
        return NativeWebSocket(conn)

    def _http_client(self) -> Any:
        if self._client is None:
            verify = self._ssl_context() or True
            self._client = self._httpx.AsyncClient(verify=verify, proxy=self._proxy, timeout=30.0)
        return self._client

    async def http(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                   body: bytes | None = None, timeout: float | None = None,
                   on_upload: ProgressFn | None = None, on_download: ProgressFn | None = None) -> HttpResponse:
        httpx = self._httpx
        send_headers = dict(headers or {})
        content: Any = body
        if body is not None and on_upload is not None:
            send_headers["Content-Length"] = str(len(body))  # keeps the upload un-chunked
            content = _chunks(body, on_upload)
        try:
            async with self._http_client().stream(method, url, headers=send_headers, content=content,
                                                  timeout=timeout if timeout is not None else 30.0) as resp:
                total = resp.headers.get("content-length")
                total_bytes = int(total) if total and total.isdigit() else None
                received = bytearray()
                async for chunk in resp.aiter_bytes():
                    received += chunk
                    if on_download is not None:
                        on_download(len(received), total_bytes)
        except httpx.HTTPError as exc:
            raise TransportError(f"{method} {redact(url)} failed: {type(exc).__name__}: {exc}") from None
        return HttpResponse(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, bytes(received), url)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _chunks(body: bytes, progress: ProgressFn, size: int = 64 * 1024) -> Any:
    total = len(body)
    for start in range(0, total, size):
        yield body[start:start + size]
        progress(min(start + size, total), total)


class FileTokenStore:
    """A :class:`~lpweb.transports.base.TokenStore` in a JSON file (native resume)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def set(self, key: str, value: str) -> None:
        data = self._load()
        data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), "utf-8")
        tmp.replace(self.path)

    def delete(self, key: str) -> None:
        data = self._load()
        if data.pop(key, None) is not None:
            self.path.write_text(json.dumps(data), "utf-8")

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"
