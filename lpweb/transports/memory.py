"""The in-memory transport: websockets and HTTP as direct calls into an in-process server.

Used by tests with the emulator's engine (:class:`lpweb.emulator.inprocess.InProcessEmulator`),
so a whole conversation runs with no socket at all. The server side is anything that
implements :class:`MemoryServer`; frames still travel as text, so the protocol code on both
sides is the real one. The URL scheme and host are ignored: only path and query matter.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Mapping, Protocol
from urllib.parse import parse_qsl, urlsplit

from .base import HttpResponse, ProgressFn, TransportClosed

__all__ = ["MemoryServer", "MemorySession", "MemoryTransport", "MemoryWebSocket"]


class MemorySession(Protocol):
    def start(self) -> None: ...

    def receive(self, text: str) -> None: ...

    def closed(self) -> None: ...


class MemoryServer(Protocol):
    def handle_http(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                    body: bytes) -> tuple[int, dict[str, str], bytes]: ...

    def open_session(self, path: str, query: dict[str, str], headers: dict[str, str],
                     send: Callable[[str], None], close: Callable[[int, str], None]) -> MemorySession:
        """Accept a websocket or raise :class:`~lpweb.errors.HttpError` to refuse it."""
        ...


class MemoryWebSocket:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._session: MemorySession | None = None
        self._closed: TransportClosed | None = None

    def _server_send(self, text: str) -> None:
        if self._closed is None:
            self._queue.put_nowait(text)

    def _server_close(self, code: int, reason: str) -> None:
        if self._closed is None:
            self._closed = TransportClosed(code, reason)
            self._queue.put_nowait(self._closed)
            if self._session is not None:
                self._session.closed()

    async def send(self, text: str) -> None:
        if self._closed is not None:
            raise self._closed
        assert self._session is not None
        self._session.receive(text)

    async def receive(self) -> str:
        item = await self._queue.get()
        if isinstance(item, TransportClosed):
            self._queue.put_nowait(item)  # every later receive() sees the close too
            raise item
        text: str = item
        return text

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self._server_close(code, reason)


class MemoryTransport:
    websocket_headers = True

    def __init__(self, server: MemoryServer, *, websocket_headers: bool = True) -> None:
        self.server = server
        self.websocket_headers = websocket_headers

    async def connect_websocket(self, url: str, headers: Mapping[str, str] | None = None) -> MemoryWebSocket:
        parts = urlsplit(url)
        ws = MemoryWebSocket()
        ws._session = self.server.open_session(parts.path, dict(parse_qsl(parts.query)), dict(headers or {}),
                                               ws._server_send, ws._server_close)
        ws._session.start()
        return ws

    async def http(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                   body: bytes | None = None, timeout: float | None = None,
                   on_upload: ProgressFn | None = None, on_download: ProgressFn | None = None) -> HttpResponse:
        parts = urlsplit(url)
        if on_upload is not None and body:
            on_upload(len(body), len(body))
        status, resp_headers, content = self.server.handle_http(
            method, parts.path, dict(parse_qsl(parts.query)), dict(headers or {}), body or b"")
        if on_download is not None:
            on_download(len(content), len(content))
        return HttpResponse(status, {k.lower(): v for k, v in resp_headers.items()}, content, url)

    async def aclose(self) -> None:
        pass
