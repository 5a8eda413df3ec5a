"""Fixtures for the emulator tests: a started ``Emulator`` on port 0 that records its trace,
and ``WsClient``, a raw ``websockets`` client with request/response correlation (no SDK).

``cemu`` / ``chttp`` / ``cclients`` are the same over an emulator configured with
``helpers.CONFIG`` and driven by a :class:`ManualTime` (``mtime``), for routing, survey and
expiry tests. :func:`validate_trace` schema-checks every traced frame."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/ (schema_check)

from lpweb.emulator import Emulator  # noqa: E402
from lpweb.emulator.timeutil import ManualTime  # noqa: E402

from helpers import CONFIG  # noqa: E402
from schema_check import check_frame, trace_frames  # noqa: E402

TIMEOUT = 3.0


class WsClient:
    """One websocket with a background reader; frames are JSON-decoded into ``inbox``."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.inbox: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())
        self.closed_with: tuple[int | None, str] | None = None

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                self.inbox.append(json.loads(text))
                self._arrived.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed_with = (self.ws.close_code, self.ws.close_reason or "")
            self._arrived.set()

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
        """Remove and return the first received frame matching ``predicate``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, frame in enumerate(self.inbox):
                if predicate(frame):
                    return self.inbox.pop(i)
            if self.closed_with is not None:
                raise AssertionError(f"socket closed {self.closed_with} while waiting; inbox={self.inbox}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out; inbox={self.inbox}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def request(self, type: str, body: Any = None, **extra: Any) -> dict[str, Any]:
        req_id = str(next(self._ids))
        frame: dict[str, Any] = {"kind": "req", "id": req_id, "type": type}
        if body is not None:
            frame["body"] = body
        frame.update(extra)
        await self.send(frame)
        return await self.wait_for(lambda f: f.get("kind") == "resp" and f.get("reqId") == req_id)

    async def notification(self, type: str, predicate: Callable[[dict[str, Any]], bool] | None = None,
                           timeout: float = TIMEOUT) -> dict[str, Any]:
        return await self.wait_for(lambda f: f.get("kind") == "notification" and f.get("type") == type
                                   and (predicate is None or predicate(f)), timeout)

    async def no_notification(self, type: str, wait: float = 0.2) -> None:
        await asyncio.sleep(wait)
        assert not [f for f in self.inbox if f.get("type") == type], self.inbox

    async def wait_closed(self, timeout: float = TIMEOUT) -> tuple[int | None, str]:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        assert self.closed_with is not None
        return self.closed_with

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


class Trace:
    def __init__(self) -> None:
        self.records: list[tuple[str, str, Any]] = []

    def __call__(self, direction: str, connection: str, payload: Any) -> None:
        self.records.append((direction, connection, payload))


@pytest.fixture
async def trace() -> Trace:
    return Trace()


@pytest.fixture
async def emu(trace: Trace):
    async with Emulator(users={"bot": "bot-password", "agent2": "pw2"}, trace=trace) as e:
        yield e


@pytest.fixture
async def http(emu: Emulator):
    async with httpx.AsyncClient(base_url=emu.url, timeout=TIMEOUT) as client:
        yield client


class Clients:
    """Opens consumer and brand sockets against one emulator and closes them at the end."""

    def __init__(self, emu: Emulator, http: httpx.AsyncClient) -> None:
        self.emu, self.http = emu, http
        self.opened: list[WsClient] = []

    @property
    def ws_base(self) -> str:
        return f"ws://{self.emu.csds_domain}/ws_api/account/{self.emu.account_id}/messaging"

    async def signup(self) -> str:
        r = await self.http.post(f"/api/account/{self.emu.account_id}/signup")
        assert r.status_code == 200, r.text
        return r.json()["jwt"]

    async def login(self, username: str = "bot", password: str = "bot-password") -> dict[str, Any]:
        r = await self.http.post(f"/api/account/{self.emu.account_id}/login", params={"v": "1.3"},
                                 json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return r.json()

    async def consumer(self, jwt: str | None = None, header: bool = True, scheme: str = "jwt") -> WsClient:
        headers = {"Authorization": f"{scheme} {jwt}"} if (jwt and header) else None
        ws = await websockets.connect(f"{self.ws_base}/consumer?v=3", additional_headers=headers)
        client = WsClient(ws)
        self.opened.append(client)
        return client

    async def brand(self, bearer: str, version: str = "2.1") -> WsClient:
        ws = await websockets.connect(f"{self.ws_base}/brand/{bearer}?v={version}")
        client = WsClient(ws)
        self.opened.append(client)
        return client


@pytest.fixture
async def clients(emu: Emulator, http: httpx.AsyncClient):
    c = Clients(emu, http)
    yield c
    for client in c.opened:
        await client.close()


def validate_trace(trace: Trace) -> tuple[set[str], dict[str, str]]:
    """Schema-check every websocket frame of ``trace`` (raises ``FrameInvalid``); returns the
    validated frame types and the unchecked ones with their reason."""
    validated: set[str] = set()
    unchecked: dict[str, str] = {}
    for side, frame in trace_frames((conn, payload) for _direction, conn, payload in trace.records):
        result = check_frame(frame, side)
        if result.validated:
            validated.add(result.frame_type)
        else:
            unchecked[result.frame_type] = result.reason or ""
    return validated, unchecked


@pytest.fixture
async def mtime() -> ManualTime:
    return ManualTime()


@pytest.fixture
async def cemu(trace: Trace, mtime: ManualTime):
    async with Emulator(config=CONFIG, clock=mtime.now, scheduler=mtime, trace=trace) as e:
        yield e


@pytest.fixture
async def chttp(cemu: Emulator):
    async with httpx.AsyncClient(base_url=cemu.url, timeout=TIMEOUT) as client:
        yield client


@pytest.fixture
async def cclients(cemu: Emulator, chttp: httpx.AsyncClient):
    c = Clients(cemu, chttp)
    yield c
    for client in c.opened:
        await client.close()
