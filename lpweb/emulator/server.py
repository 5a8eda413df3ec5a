"""The aiohttp server of the emulator: :class:`Emulator`.

One host:port serves the HTTP services (delegated to :class:`.http_api.HttpApi`) and the
two websocket endpoints (delegated to :class:`.engine.Session`)::

    async with Emulator() as emu:          # port 0: a free port
        emu.url            # "http://127.0.0.1:N" ("https://..." with tls=)
        emu.csds_domain    # "127.0.0.1:N" (give it to the SDK as its CSDS domain)
        emu.faults         # fault injection (.faults.Faults)

Keyword options: ``config`` (a :class:`.config.EmulatorConfig`, dict, or TOML/JSON path),
``clock``/``scheduler`` (injectable time, :mod:`.timeutil`), ``seed`` (fault randomness),
``tls=(cert_file, key_file)`` or ``ssl_context``.

``trace(direction, connection_id, payload)`` is called for every websocket frame (the text
as sent or received) and for every HTTP exchange (a dict per direction: the request
``{"method", "path", "query", "headers", "body"}`` then the reply ``{"status", "headers",
"body"}``). A websocket connection starts with an ``"in"`` dict for its handshake request
(``"websocket": True``) under the same connection id as its frames.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
from pathlib import Path
from typing import Any, Callable, Mapping

from aiohttp import WSMsgType, web

from . import engine
from .config import EmulatorConfig, as_config
from .faults import ABORT_CODE
from .http_api import HttpApi
from .state import Platform, PlatformHost
from .timeutil import Scheduler

__all__ = ["Emulator", "TraceFn", "tls_context"]

TraceFn = Callable[[str, str, Any], None]
_CLOSE = object()
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection"}


class Emulator(PlatformHost):
    """The local LivePerson emulator (async context manager)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, account_id: str | None = None,
                 users: dict[str, str] | None = None, advertise: str | None = None,
                 trace: TraceFn | None = None, heartbeat: float | None = 30.0, *,
                 config: "EmulatorConfig | Mapping[str, Any] | str | Path | None" = None,
                 clock: Callable[[], int] | None = None, scheduler: Scheduler | None = None,
                 seed: int | None = None, tls: tuple[str, str] | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self._requested_port = port
        self._advertise = advertise
        self._trace = trace
        self._heartbeat = heartbeat
        self.platform = Platform(account_id, users, clock=clock, scheduler=scheduler, config=as_config(config),
                                 seed=seed)
        self.ssl_context = ssl_context or (tls_context(*tls) if tls else None)
        self.platform.scheme = "https" if self.ssl_context else "http"
        self.http = HttpApi(self.platform)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port: int | None = None
        self._ids = itertools.count(1)
        self._sockets: set[web.WebSocketResponse] = set()

    # ---- properties ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"{self.platform.scheme}://{self._client_host()}:{self.port}"

    @property
    def csds_domain(self) -> str:
        return f"{self._client_host()}:{self.port}"

    def _client_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self) -> "Emulator":
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self._requested_port, ssl_context=self.ssl_context)
        await self._site.start()
        self._port = int(self._runner.addresses[0][1])
        self.platform.advertised = self._advertise or self.csds_domain
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"emulator shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._site = None

    async def __aenter__(self) -> "Emulator":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- tracing ------------------------------------------------------------------------
    def trace(self, direction: str, connection_id: str, payload: Any) -> None:
        if self._trace is not None:
            try:
                self._trace(direction, connection_id, payload)
            except Exception:           # a broken tracer must not break the emulator
                pass

    # ---- HTTP ---------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        conn = f"http-{next(self._ids)}"
        body = await request.read()
        self.trace("in", conn, {"method": request.method, "path": request.path, "query": dict(request.query),
                                "headers": dict(request.headers), "body": body.decode("utf-8", "replace")})
        reply = self.http.handle(request.method, request.path, dict(request.query), dict(request.headers), body,
                                 remote=request.remote)
        self.trace("out", conn, {"status": reply.status, "headers": dict(reply.headers),
                                 "body": reply.body.decode("utf-8", "replace")})
        headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_HEADERS}
        return web.Response(status=reply.status, headers=headers, body=reply.body)

    # ---- websockets ---------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        conn = f"ws-{next(self._ids)}"
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def send(text: str) -> None:
            self.trace("out", conn, text)
            queue.put_nowait(text)

        def close(code: int, reason: str) -> None:
            queue.put_nowait((_CLOSE, code, reason))

        self.trace("in", conn, {"method": request.method, "path": request.path, "query": dict(request.query),
                                "headers": dict(request.headers), "websocket": True})
        result = engine.connect(self.platform, request.path, dict(request.query), dict(request.headers),
                                send, close, conn)
        if isinstance(result, engine.HandshakeRejected):
            self.trace("out", conn, {"status": result.status, "body": result.reason})
            return web.Response(status=result.status, text=result.reason)
        session = result
        ws = web.WebSocketResponse(heartbeat=self._heartbeat, compress=True, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        self._sockets.add(ws)
        writer = asyncio.create_task(self._writer(ws, queue, request))
        try:
            session.start()
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.trace("in", conn, msg.data)
                    session.receive(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self.trace("in", conn, msg.data.decode("utf-8", "replace"))
                    session.receive(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            session.closed()
            self._sockets.discard(ws)
            queue.put_nowait(None)
            try:
                await asyncio.wait_for(writer, 2)
            except (asyncio.TimeoutError, Exception):
                writer.cancel()
        return ws

    async def _writer(self, ws: web.WebSocketResponse, queue: "asyncio.Queue[Any]", request: web.Request) -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            try:
                if isinstance(item, tuple) and item and item[0] is _CLOSE:
                    if item[1] == ABORT_CODE and request.transport is not None:
                        request.transport.abort()           # no close frame: the client sees 1006
                        return
                    await ws.close(code=item[1], message=item[2].encode("utf-8")[:120])
                    return
                await ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server TLS context from PEM files (``--tls CERT KEY``)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
