"""Brand-suite fixtures: an in-process emulator on injected time, brand and consumer factories.

``VirtualTime`` is both the emulator's clock/scheduler (``ManualTime``) and the ``sleep``
the SDK's brand timers use, so a 4-minute refresh or a 30-minute OAuth2 renewal is a call to
``await vt.advance(240)`` rather than a wait. Nothing of lpweb is mocked: requests travel as
frames and HTTP calls through the memory transport into the emulator's engine.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Any

import pytest

import lpweb
from lpweb import UserType
from lpweb.emulator import ManualTime
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.options import parse_options

ACCOUNT = "8880001"
APP_KEYS = {"appKey": "k1", "secret": "s1", "accessToken": "t1", "accessTokenSecret": "ts1"}
OAUTH2 = {"username": "appbot", "client_id": "cid", "client_secret": "csecret"}
CONFIG: dict[str, Any] = {
    "ring_expiration_ms": 20_000,
    "accounts": [{
        "id": ACCOUNT,
        "skills": [{"id": "10", "name": "Sales"}, {"id": "20", "name": "Support"},
                   {"id": "30", "name": "Night", "off_hours": True}],
        "users": [
            {"name": "bot", "password": "bot-pw", "permissions": ["MANAGER"]},
            {"name": "boss", "password": "boss-pw", "permissions": ["MANAGER"]},
            {"name": "agent1", "password": "a1-pw", "permissions": ["AGENT"], "skills": ["10", "20"]},
            {"name": "agent2", "password": "a2-pw", "permissions": ["AGENT"], "skills": ["10", "20"]},
            {"name": "appbot", "permissions": ["BOT"], "app_keys": [APP_KEYS]},
        ],
        "oauth2_clients": [{"client_id": "cid", "client_secret": "csecret", "user": "appbot"}],
    }],
}
T = 5


async def settle(rounds: int = 40) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


class VirtualTime:
    """Injected time: ``sleep`` for the SDK, ``ManualTime`` for the emulator, one clock."""

    def __init__(self) -> None:
        self.manual = ManualTime()
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.manual.now() + int(seconds * 1000), next(self._seq), fut))
        await fut

    async def advance(self, seconds: float) -> None:
        target = self.manual.now() + int(seconds * 1000)
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            due, _, fut = heapq.heappop(self._sleepers)
            self.manual.advance(max(0, due - self.manual.now()))
            if not fut.done():
                fut.set_result(None)
            await settle()
        self.manual.advance(target - self.manual.now())
        await settle()


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def emu(vt: VirtualTime) -> InProcessEmulator:
    return InProcessEmulator(config=CONFIG, clock=vt.manual.now, scheduler=vt.manual)


class Factory:
    def __init__(self, emu: InProcessEmulator, vt: VirtualTime) -> None:
        self.emu, self.vt = emu, vt
        self.made: list[Any] = []

    def brand(self, auth_data: dict[str, Any] | None = None, **kw: Any) -> lpweb.BrandConnection:
        if auth_data is None and "auth_agent_session_data" not in kw and "token_maintainer" not in kw:
            auth_data = {"username": "bot", "password": "bot-pw"}
        if auth_data is not None:
            kw["auth_data"] = auth_data
        opts = parse_options(app_id="brand_suite", account_id=ACCOUNT, user_type=UserType.BRAND,
                             csds_domain=self.emu.csds_domain, transport=self.emu.transport(), **kw)
        conn = lpweb.BrandConnection(opts, sleep=self.vt.sleep)
        self.made.append(conn)
        return conn

    def consumer(self, **kw: Any) -> lpweb.Connection:
        conn = lpweb.create_connection(app_id="brand_suite", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                       csds_domain=self.emu.csds_domain, transport=self.emu.transport(), **kw)
        self.made.append(conn)
        return conn

    def maintainer(self, auth_data: dict[str, Any], **kw: Any) -> lpweb.TokenMaintainer:
        return lpweb.TokenMaintainer(account_id=ACCOUNT, auth_data=auth_data, csds_domain=self.emu.csds_domain,
                                     transport=self.emu.transport(), sleep=self.vt.sleep, **kw)

    def user(self, name: str) -> Any:
        return self.emu.platform.accounts[ACCOUNT].users[name]


@pytest.fixture
async def make(emu: InProcessEmulator, vt: VirtualTime):
    factory = Factory(emu, vt)
    yield factory
    for conn in factory.made:
        await conn.close()


async def consumer_conversation(make: Factory, skill_id: str | None = None) -> tuple[Any, Any]:
    cons = make.consumer()
    await cons.open()
    conv = await cons.create_conversation(skill_id=skill_id)
    return cons, conv


async def known(conn: Any, conversation_id: str) -> Any:
    """The brand connection's Conversation once its subscription delivered it."""
    for _ in range(200):
        conv = conn.conversations.get(conversation_id)
        if conv is not None and conv.synced:
            return conv
        await asyncio.sleep(0)
    raise AssertionError(f"conversation {conversation_id} never arrived")
