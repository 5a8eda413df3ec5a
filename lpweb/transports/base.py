"""The transport protocol: the whole I/O surface lpweb needs, as ``typing.Protocol`` classes.

* :class:`WebSocket` — an open websocket: ``send(text)``, ``receive() -> text`` (raises
  :class:`TransportClosed` when the socket closes) and ``close(code, reason)``.
* :class:`Transport` — opens websockets (``connect_websocket``) and makes HTTP requests
  (``http``). ``websocket_headers`` says whether the websocket handshake can carry headers
  (false in browsers: the consumer JWT then goes in ``InitConnection``).
* :class:`TokenStore` — small synchronous key/value storage for session resume.

Three implementations: ``native`` (websockets + httpx), ``browser`` (JS ``WebSocket`` and
``fetch`` through the Pyodide FFI, ``localStorage``) and ``memory`` (in-process, wired to
the emulator). Reconnect, backoff and token refresh live above this layer, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Protocol, runtime_checkable

from ..errors import HttpError, TransportError

__all__ = ["WebSocket", "Transport", "TokenStore", "HttpResponse", "TransportClosed", "MemoryTokenStore",
           "ProgressFn"]

#: ``progress(done_bytes, total_bytes)``; total is ``None`` when unknown.
ProgressFn = Callable[[int, Optional[int]], None]


class TransportClosed(TransportError):
    """The websocket is closed. ``code`` is the close code (1006 when none was received)."""

    def __init__(self, code: int = 1006, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"websocket closed (code={code}, reason={reason!r})")


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """An HTTP response: ``status``, lower-cased ``headers`` and the raw ``content``."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""
    url: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None

    def raise_for_status(self) -> HttpResponse:
        if not self.ok:
            try:
                body = self.json()
            except ValueError:
                body = self.text[:200]
            raise HttpError(self.status, self.url, body)
        return self


@runtime_checkable
class WebSocket(Protocol):
    async def send(self, text: str) -> None: ...

    async def receive(self) -> str: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@runtime_checkable
class Transport(Protocol):
    #: Whether ``connect_websocket`` can send handshake headers (browsers cannot).
    websocket_headers: bool

    async def connect_websocket(self, url: str, headers: Mapping[str, str] | None = None) -> WebSocket:
        """Open a websocket; raises :class:`~lpweb.errors.TransportError` (or ``HttpError``
        with the handshake status where the platform reveals it) on failure."""
        ...

    async def http(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                   body: bytes | None = None, timeout: float | None = None,
                   on_upload: ProgressFn | None = None, on_download: ProgressFn | None = None) -> HttpResponse:
        """Make one HTTP request. Any status is returned; only I/O failures raise.

        ``on_upload(sent, total)`` and ``on_download(received, total_or_None)`` report
        progress of the request and response bodies when given."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class TokenStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """A :class:`TokenStore` in a dict (the native default)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._data.get(key)

    def set(self, key: str, value: str) -> None:
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={sorted(self._data)})"
