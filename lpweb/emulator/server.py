"""The aiohttp server of the emulator: :class:`Emulator`.

One host:port serves the HTTP services (delegated to :class:`.http_api.HttpApi`) and the
two websocket endpoints (delegated to :class:`.engine.Session`)::

    async with Emulator() as emu:          # port 0: a free port
        emu.url            # "http://127.0.0.1:N"
        emu.csds_domain    # "127.0.0.1:N" (give it to the SDK as its CSDS domain)

``trace(direction, connection_id, payload)`` is called for every websocket frame (the text
as sent or received) and for every HTTP exchange (a dict per direction: the request
``{"method", "path", "query", "headers", "body"}`` then the reply ``{"status", "headers",
"body"}``). A websocket connection starts with an ``"in"`` dict for its handshake request
(``"websocket": True``) under the same connection id as its frames.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Callable

from aiohttp import WSMsgType, web

from . import engine
from .http_api import HttpApi
from .state import Platform

__all__ = ["Emulator", "TraceFn"]

TraceFn = Callable[[str, str, Any], None]
_CLOSE = object()
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection"}


class Emulator:
    """The local LivePerson emulator (async context manager)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, account_id: str = "1234567",
                 users: dict[str, str] | None = None, advertise: str | None = None,
                 trace: TraceFn | None = None, heartbeat: float | None = 30.0) -> None:
        self.host = host
        self._requested_port = port
        self._advertise = advertise
        self._trace = trace
        self._heartbeat = heartbeat
        self.platform = Platform(account_id, users)
        self.http = HttpApi(self.platform)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port: int | None = None
        self._ids = itertools.count(1)
        self._sockets: set[web.WebSocketResponse] = set()

    # ---- properties ---------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        return self.platform.default_account_id

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._client_host()}:{self.port}"

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
        self._site = web.TCPSite(self._runner, self.host, self._requested_port)
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
        reply = self.http.handle(request.method, request.path, dict(request.query), dict(request.headers), body)
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
        writer = asyncio.create_task(self._writer(ws, queue))
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

    async def _writer(self, ws: web.WebSocketResponse, queue: "asyncio.Queue[Any]") -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            try:
                if isinstance(item, tuple) and item and item[0] is _CLOSE:
                    await ws.close(code=item[1], message=item[2].encode("utf-8")[:120])
                    return
                await ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return
