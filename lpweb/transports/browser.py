"""The browser transport: JS ``WebSocket`` and ``fetch`` through the Pyodide FFI,
``localStorage`` for tokens.

Only this module (and the widget's DOM layer) imports ``js`` and ``pyodide``, and only
inside functions, so it imports under CPython too (for the platform-selection tests).

The push callbacks of a JS ``WebSocket`` become a pull ``receive()`` through an
``asyncio.Queue``. Every callback is a ``create_proxy`` that is destroyed when the socket
closes (design.md L10), so a closed connection leaks nothing. Browsers cannot set
websocket handshake headers (``websocket_headers = False``): the consumer JWT then goes in
``InitConnection``. A failed handshake shows only as close code 1006: it raises
``HandshakeFailed`` (the status, a 401 say, is not visible).
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

from ..errors import HandshakeFailed, TransportError, redact
from .base import HttpResponse, ProgressFn, TransportClosed

__all__ = ["BrowserTransport", "BrowserWebSocket", "LocalStorageTokenStore"]

OPEN_TIMEOUT = 15.0
"""Seconds a websocket handshake may take (the native transport's ``open_timeout``)."""


class BrowserWebSocket:
    def __init__(self, url: str) -> None:
        import js
        from pyodide.ffi import create_proxy

        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._closed: TransportClosed | None = None
        self._ws = js.WebSocket.new(url)
        self._ws.binaryType = "arraybuffer"
        self._proxies = {
            "open": create_proxy(self._on_open),
            "message": create_proxy(self._on_message),
            "close": create_proxy(self._on_close),
            "error": create_proxy(self._on_error),
        }
        for name, proxy in self._proxies.items():
            self._ws.addEventListener(name, proxy)

    # JS callbacks ------------------------------------------------------------------------
    def _on_open(self, _event: Any) -> None:
        if not self._opened.done():
            self._opened.set_result(None)

    def _on_message(self, event: Any) -> None:
        data = event.data
        if not isinstance(data, str):  # ArrayBuffer
            from js import Uint8Array

            data = bytes(Uint8Array.new(data).to_py()).decode("utf-8", errors="replace")
        self._queue.put_nowait(("message", data))

    def _on_close(self, event: Any) -> None:
        self._closed = TransportClosed(int(event.code or 1006), str(event.reason or ""))
        if not self._opened.done():
            self._opened.set_exception(HandshakeFailed(f"websocket handshake failed (code {event.code})"))
        self._queue.put_nowait(("close", self._closed))
        self._release()

    def _on_error(self, _event: Any) -> None:
        pass  # always followed by a close event, which carries the code

    def _release(self) -> None:
        for name, proxy in self._proxies.items():
            try:
                self._ws.removeEventListener(name, proxy)
            finally:
                proxy.destroy()
        self._proxies = {}

    # the WebSocket protocol ---------------------------------------------------------------
    async def wait_open(self) -> None:
        await self._opened

    async def send(self, text: str) -> None:
        if self._closed is not None:
            raise self._closed
        self._ws.send(text)

    async def receive(self) -> str:
        if self._closed is not None and self._queue.empty():
            raise self._closed
        kind, value = await self._queue.get()
        if kind == "close":
            raise value
        text: str = value
        return text

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self._closed is None:
            self._ws.close(code, reason)
            self._closed = TransportClosed(code, reason)
            self._queue.put_nowait(("close", self._closed))
            self._release()


class BrowserTransport:
    """JS ``WebSocket`` + ``fetch``."""

    websocket_headers = False

    async def connect_websocket(self, url: str, headers: Mapping[str, str] | None = None) -> BrowserWebSocket:
        ws = BrowserWebSocket(url)
        try:
            await asyncio.wait_for(ws.wait_open(), OPEN_TIMEOUT)
        except HandshakeFailed as exc:
            raise HandshakeFailed(f"{exc} for {redact(url)}") from None
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            await ws.close(1000, "")   # a handshake nobody answers must not open later, unowned
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise TransportError(f"websocket connect to {redact(url)} timed out after {OPEN_TIMEOUT:g} s") from None
        return ws

    async def http(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                   body: bytes | None = None, timeout: float | None = None,
                   on_upload: ProgressFn | None = None, on_download: ProgressFn | None = None) -> HttpResponse:
        if on_upload is not None and body is not None:
            return await _xhr(method, url, headers or {}, body, timeout, on_upload, on_download)
        import js
        from pyodide.ffi import to_js

        early = _take_early(js, method, url) if body is None and on_download is None else None
        if early is not None:
            try:
                got = await asyncio.wait_for(early, timeout) if timeout else await early
                return HttpResponse(int(got.status), {str(k).lower(): str(v) for k, v in got.headers},
                                    bytes(got.body.to_py()), url)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the early request failed: ask again, as if it never was
                pass
        options: dict[str, Any] = {"method": method, "headers": dict(headers or {})}
        if body is not None:
            options["body"] = js.Uint8Array.new(to_js(body))
        controller = js.AbortController.new()
        options["signal"] = controller.signal
        try:
            fetch = js.fetch(url, to_js(options, dict_converter=js.Object.fromEntries))
            resp = await asyncio.wait_for(fetch, timeout) if timeout else await fetch
            content = await _read_body(resp, on_download)
        except asyncio.TimeoutError:
            controller.abort()
            raise TransportError(f"{method} {redact(url)} timed out") from None
        except asyncio.CancelledError:
            controller.abort()
            raise
        except Exception as exc:  # JsException: network error, CORS refusal, ...
            raise TransportError(f"{method} {redact(url)} failed: {exc}") from None
        resp_headers = {str(k).lower(): str(v) for k, v in resp.headers.entries()}
        return HttpResponse(int(resp.status), resp_headers, content, url)

    async def aclose(self) -> None:
        pass


def _take_early(js: Any, method: str, url: str) -> Any:
    """The answer to ``method url`` that the page asked for while Python booted (widget-boot.js
    asks CSDS early when the widget's element names its account and CSDS domain), or None.
    Each is taken once."""
    boot = getattr(getattr(js, "window", None), "lpwebBoot", None)
    take = getattr(boot, "takeEarly", None) if boot is not None else None
    return take(method, url) if take is not None else None


async def _read_body(resp: Any, on_download: ProgressFn | None) -> bytes:
    """The response body; streamed through its reader when progress is wanted."""
    import js

    if on_download is None or resp.body is None:
        return bytes(js.Uint8Array.new(await resp.arrayBuffer()).to_py())
    length = resp.headers.get("content-length")
    total = int(length) if length and str(length).isdigit() else None
    reader = resp.body.getReader()
    received = bytearray()
    while True:
        chunk = await reader.read()
        if chunk.done:
            break
        received += bytes(chunk.value.to_py())
        on_download(len(received), total)
    return bytes(received)


async def _xhr(method: str, url: str, headers: Mapping[str, str], body: bytes, timeout: float | None,
               on_upload: ProgressFn, on_download: ProgressFn | None) -> HttpResponse:
    """An upload through XMLHttpRequest, the one browser API that reports upload progress."""
    import js
    from pyodide.ffi import create_proxy, to_js

    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    xhr = js.XMLHttpRequest.new()
    xhr.open(method, url)
    xhr.responseType = "arraybuffer"
    if timeout:
        xhr.timeout = int(timeout * 1000)
    for name, value in headers.items():
        xhr.setRequestHeader(name, value)

    def settle(error: str | None) -> None:
        if not done.done():
            done.set_exception(TransportError(error)) if error else done.set_result(None)

    proxies = {
        "upload": create_proxy(lambda e: on_upload(int(e.loaded), int(e.total) if e.lengthComputable else None)),
        "download": create_proxy(lambda e: on_download and on_download(
            int(e.loaded), int(e.total) if e.lengthComputable else None)),
        "load": create_proxy(lambda e: settle(None)),
        "error": create_proxy(lambda e: settle(f"{method} {redact(url)} failed")),
        "timeout": create_proxy(lambda e: settle(f"{method} {redact(url)} timed out")),
    }
    xhr.upload.addEventListener("progress", proxies["upload"])
    xhr.addEventListener("progress", proxies["download"])
    for name in ("load", "error", "timeout"):
        xhr.addEventListener(name, proxies[name])
    try:
        xhr.send(js.Uint8Array.new(to_js(body)))
        await done
    except asyncio.CancelledError:
        xhr.abort()
        raise
    finally:
        xhr.upload.removeEventListener("progress", proxies["upload"])
        xhr.removeEventListener("progress", proxies["download"])
        for name in ("load", "error", "timeout"):
            xhr.removeEventListener(name, proxies[name])
        for proxy in proxies.values():
            proxy.destroy()
    content = bytes(js.Uint8Array.new(xhr.response).to_py()) if xhr.response else b""
    resp_headers = {}
    for line in str(xhr.getAllResponseHeaders()).splitlines():
        name, _, value = line.partition(":")
        if name:
            resp_headers[name.strip().lower()] = value.strip()
    return HttpResponse(int(xhr.status), resp_headers, content, url)


async def js_to_bytes(data: Any) -> tuple[bytes, str | None]:
    """Bytes and file name from a JS ``File``, ``Blob``, ``ArrayBuffer`` or typed array (B-08)."""
    import js

    name = getattr(data, "name", None)
    if hasattr(data, "arrayBuffer"):            # Blob or File
        data = await data.arrayBuffer()
    if hasattr(data, "byteLength"):             # ArrayBuffer or a typed array view
        return bytes(js.Uint8Array.new(data).to_py()), str(name) if name else None
    raise TransportError("upload_file takes bytes, or a JS File, Blob, ArrayBuffer or Uint8Array")


class LocalStorageTokenStore:
    """Tokens in ``window.localStorage``; storage errors (quota, private mode) are ignored
    so that a page without storage still works, just without resume."""

    def get(self, key: str) -> str | None:
        import js

        try:
            value = js.localStorage.getItem(key)
        except Exception:
            return None
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        import js

        try:
            js.localStorage.setItem(key, value)
        except Exception:
            pass

    def delete(self, key: str) -> None:
        import js

        try:
            js.localStorage.removeItem(key)
        except Exception:
            pass

    def __repr__(self) -> str:
        return "LocalStorageTokenStore()"
