"""One chaos run (issue #6): seeded, reproducible random faults during a full conversation.

Shared by the native suite (tests/chaos, the in-process emulator) and the browser suite
(e2e/test_browser_chaos.py, in Pyodide against a loopback emulator): no pytest, no
emulator import, only lpweb. Faults are asked for through a *fault control*, an
``async (op, **kwargs)`` callable naming a method of the emulator's ``Faults``:
:class:`LocalFaults` calls them directly, :class:`HttpFaults` posts them to the emulator's
``/_emulator/faults`` endpoint.

A run (``random.Random(seed)`` drives the script, the emulator's faults are seeded too): an
un-auth consumer (a token expiry keeps the identity) and an agent exchange ``MESSAGES``
messages while the emulator drops connections at random frames, closes them with random
codes (1000, 1001, 1006, 1011, 4401, 4407), delays, duplicates and reorders notifications,
expires / revokes tokens and answers logins with 5xx / 429. The SDK reconnects with its real
policy on a fast ``sleep``. :meth:`ChaosRun.run` returns the counts; ``problems`` lists what
broke the rules: a message lost, duplicated or out of order on either side, an awaited call
that neither completed nor raised an lpweb error within its timeout.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any, Awaitable, Callable, Mapping

import lpweb
from lpweb.enums import ConnectionState, ParticipantRole, UserType
from lpweb.errors import ConnectionLost, LPError, RequestTimeout
from lpweb.model.brand import BrandConnection
from lpweb.model.consumer import ConsumerConnection
from lpweb.options import parse_options
from lpweb.transports.base import MemoryTokenStore, Transport

__all__ = ["ACCOUNT", "CHAOS_CONFIG", "ChaosRun", "FaultControl", "HttpFaults", "LocalFaults", "format_totals",
           "fast_sleep"]

ACCOUNT = "5550001"
#: The emulator account a chaos run needs (an agent, a skill, the un-auth connector).
CHAOS_CONFIG: dict[str, Any] = {"accounts": [{
    "id": ACCOUNT,
    "skills": [{"id": "10", "name": "Sales"}],
    "users": [{"name": "agent", "password": "agent-pw", "permissions": ["MANAGER"]}],
    "connectors": [{"id": "1", "type": 1}],
}]}
MESSAGES = 10
CALL_TIMEOUT_MS = 1500          # the SDK's response_timeout in these runs
SLACK = 1.0                     # seconds beyond it before a call counts as stuck
SETTLE = 8.0                    # seconds for everything to arrive once faults stop
TOTAL_KEYS = ("runs", "messages", "lost", "duplicated", "out_of_order", "stuck", "untyped", "typed_errors",
              "faults", "reconnects", "resent")

FaultControl = Callable[..., Awaitable[Any]]


async def fast_sleep(seconds: float) -> None:
    """Compressed time: backoffs take 2 ms; the short ordering waits (<= 1 s: gap catch-up,
    unknown conversation or participant) 100 ms, longer than the longest notification
    latency the faults add (a 50 ms partial reorder window after a 10 ms delay)."""
    await asyncio.sleep(0.1 if seconds <= 1 else 0.002)


class LocalFaults:
    """Fault control over an emulator's ``Faults`` object in this process."""

    def __init__(self, faults: Any) -> None:
        self.faults = faults

    async def __call__(self, op: str, **kwargs: Any) -> Any:
        return getattr(self.faults, op)(**kwargs)


class HttpFaults:
    """Fault control over HTTP: ``POST http://{csds_domain}/_emulator/faults``."""

    def __init__(self, transport: Transport, csds_domain: str) -> None:
        self.transport = transport
        self.url = f"http://{csds_domain}/_emulator/faults"

    async def __call__(self, op: str, **kwargs: Any) -> Any:
        resp = await self.transport.http("POST", self.url, headers={"Content-Type": "application/json"},
                                         body=json.dumps({"op": op, **kwargs}).encode(), timeout=10)
        if resp.status != 200:
            raise LPError(f"fault {op} refused: HTTP {resp.status}")
        return resp.json().get("result")


def format_totals(totals: Mapping[str, int]) -> str:
    t = Counter(totals)
    return (f"chaos totals: runs={t['runs']} messages={t['messages']} lost={t['lost']} duplicated={t['duplicated']} "
            f"out_of_order={t['out_of_order']} stuck_calls={t['stuck']} untyped_errors={t['untyped']} "
            f"typed_errors={t['typed_errors']} faults={t['faults']} reconnects={t['reconnects']} "
            f"resent={t['resent']}")


class ChaosRun:
    def __init__(self, seed: int, *, csds_domain: str, faults: FaultControl,
                 transport: Callable[[], Transport | None] = lambda: None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.csds_domain = csds_domain
        self.faults = faults
        self.transport = transport
        self.stats = {"stuck": 0, "untyped": 0, "typed_errors": 0, "faults": 0, "reconnects": 0, "resent": 0}
        self.problems: list[str] = []
        self.reported: list[str] = []      # 'error' events (background recovery), for diagnosis

    def options(self, user_type: UserType, **kw: Any) -> Any:
        return parse_options(app_id="chaos", account_id=ACCOUNT, user_type=user_type, csds_domain=self.csds_domain,
                             transport=self.transport(), response_timeout=CALL_TIMEOUT_MS, **kw)

    async def call(self, what: str, awaitable: Awaitable[Any]) -> Any:
        """Await with a hard limit; count stuck calls and non-lpweb errors."""
        try:
            return await asyncio.wait_for(awaitable, CALL_TIMEOUT_MS / 1000 + SLACK)
        except LPError:          # RequestTimeout is a TimeoutError too: check it first
            self.stats["typed_errors"] += 1
            raise
        except asyncio.TimeoutError:
            self.stats["stuck"] += 1
            self.problems.append(f"{what}: stuck")
            raise
        except Exception as exc:
            self.stats["untyped"] += 1
            self.problems.append(f"{what}: untyped {exc!r}")
            raise

    # -- faults -------------------------------------------------------------------------
    async def background_faults(self) -> None:
        r = self.rng
        if r.random() < 0.5:
            await self.faults("duplicate_notifications", p=r.choice([0.1, 0.3, 0.5]))
        if r.random() < 0.4:
            await self.faults("reorder_notifications", window=r.choice([2, 3, 4]))
        if r.random() < 0.3:
            await self.faults("delay_notifications", seconds=r.choice([0.002, 0.01]))

    async def strike(self, cons: ConsumerConnection, agent: BrandConnection) -> None:
        f, r = self.faults, self.rng
        side = r.choice(["consumer", "brand"])
        kind = r.choice(["drop", "drop_later", "close", "token", "http"])
        self.stats["faults"] += 1
        if kind == "drop":
            await f("drop_connection", target=side)
        elif kind == "drop_later":
            await f("drop_connection", target=side, after_frames=r.randint(1, 6))
        elif kind == "close":
            await f("close_with", target=side, code=r.choice([1000, 1001, 1006, 1011, 4401, 4407]))
        elif kind == "token":
            token = cons._token if side == "consumer" else (agent._session.bearer if agent._session else None)
            if token:
                await f("expire_token" if r.random() < 0.5 else "revoke_token", token=token)
        else:
            path = r.choice([r"/login", r"/anonymous/authorize", r"/authenticate", r"/signup"])
            await f("http_error", path_pattern=path, status=r.choice([500, 503, 429]), times=r.randint(1, 2))
            await f("drop_connection", target=side)

    # -- the conversation ---------------------------------------------------------------
    async def send(self, conv: Any, conn: Any, text: str, sent: list[str]) -> None:
        """Send once; after an uncertain failure, resend only if the message is not there."""
        for _ in range(20):
            try:
                await self.call(f"send {text}", conv.send_message(text))
                sent.append(text)
                return
            except (asyncio.TimeoutError, RequestTimeout, ConnectionLost, lpweb.InvalidState) as exc:
                if isinstance(exc, lpweb.InvalidState) and conn.state == ConnectionState.CLOSED:
                    raise
                await self.faults("clear_drops")      # a drop fault fires once, then the outage ends
                await self.wait_connected(conn)
                await asyncio.sleep(0.05)       # let the catch-up arrive
                if any(m.body == text for m in conv.messages):
                    sent.append(text)
                    return
                self.stats["resent"] += 1
        self.problems.append(f"{text}: could not be sent")

    async def wait_connected(self, conn: Any, limit: float = 4.0) -> None:
        """Up to ``limit`` seconds (a deadline, not a count of polls: a browser clamps short
        timers to >= 4 ms, which made a stuck reconnect cost minutes)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + limit
        while conn.state != ConnectionState.CONNECTED and loop.time() < end:
            await asyncio.sleep(0.002)

    def _reporter(self, side: str) -> Callable[[BaseException], None]:
        """An 'error' handler recording what ``side`` reported."""
        return lambda error: self.reported.append(f"{side}: {error!r}")

    async def run(self) -> dict[str, int]:
        await self.faults("seed", seed=self.seed)
        cons = ConsumerConnection(self.options(UserType.CONSUMER, use_unauthenticated_connection=True,
                                               token_store=MemoryTokenStore()),
                                  sleep=fast_sleep, rand=self.rng.random)
        agent = BrandConnection(self.options(UserType.BRAND, auth_data={"username": "agent", "password": "agent-pw"},
                                             get_all_messages=True), sleep=fast_sleep, rand=self.rng.random)
        for conn in (cons, agent):
            conn.on("error", self._reporter(type(conn).__name__))
            conn.on("reconnected", lambda _: self.stats.__setitem__("reconnects", self.stats["reconnects"] + 1))
        joined: dict[str, asyncio.Event] = {}

        async def join(conv: Any) -> None:
            if conv.is_open and conv.assigned_agent is None:
                await conv.join(ParticipantRole.ASSIGNED_AGENT)
            joined.setdefault(conv.conversation_id, asyncio.Event()).set()

        agent.on("conversation", join)

        await agent.open()
        await cons.open()
        try:
            return await self._converse(cons, agent, joined)
        finally:
            await self.faults("clear")
            for conn in (cons, agent):
                await asyncio.wait_for(conn.close(), 10)

    async def _converse(self, cons: ConsumerConnection, agent: BrandConnection,
                        joined: dict[str, asyncio.Event]) -> dict[str, int]:
        conv = await cons.create_conversation()
        await asyncio.wait_for(joined.setdefault(conv.conversation_id, asyncio.Event()).wait(), 5)
        aconv = agent.conversations[conv.conversation_id]
        seen: dict[str, list[tuple[Any, Any]]] = {"consumer": [], "agent": []}
        conv.on("message", lambda m: seen["consumer"].append((m.sequence, m.body)))
        aconv.on("message", lambda m: seen["agent"].append((m.sequence, m.body)))
        before = {"consumer": [(m.sequence, m.body) for m in conv.messages],
                  "agent": [(m.sequence, m.body) for m in aconv.messages]}

        await self.background_faults()
        sent: list[str] = []
        for i in range(MESSAGES):
            if self.rng.random() < 0.35:
                await self.strike(cons, agent)
            if i % 2:
                await self.send(aconv, agent, f"agent-{i}", sent)
            else:
                await self.send(conv, cons, f"consumer-{i}", sent)
            if self.rng.random() < 0.3:
                await asyncio.sleep(self.rng.choice([0, 0.001, 0.005]))
        await self.faults("clear")

        loop = asyncio.get_running_loop()
        end = loop.time() + SETTLE
        expected = set(sent)
        while loop.time() < end:
            have = [{b for _, b in before[s] + seen[s]} for s in ("consumer", "agent")]
            if all(expected <= h for h in have):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.02)
        result = {"runs": 1, "messages": len(sent), "lost": 0, "duplicated": 0, "out_of_order": 0}
        for side in ("consumer", "agent"):
            bodies = [b for _, b in before[side] + seen[side]]
            lost = expected - set(bodies)
            dup = len(bodies) - len(set(bodies))
            seqs = [s for s, _ in seen[side]]
            disorder = sum(1 for a, b in zip(seqs, seqs[1:]) if a >= b)
            result["lost"] += len(lost)
            result["duplicated"] += dup
            result["out_of_order"] += disorder
            if lost or dup or disorder:
                conn, obj = (cons, conv) if side == "consumer" else (agent, aconv)
                cached = conn.conversations.get(conv.conversation_id)
                self.problems.append(
                    f"{side}: lost={sorted(lost)} dup={dup} disorder={disorder} seen={seen[side]} "
                    f"state={conn.state} cached={'same' if cached is obj else 'other' if cached else 'none'} "
                    f"stored={[m.body for m in (cached or obj).messages]}{_where_stuck(conn)}")
        result.update(self.stats)
        try:        # an emulator shared by several runs (the browser suite) starts clean each time
            await asyncio.wait_for(conv.close(), CALL_TIMEOUT_MS / 1000 + SLACK)
        except (LPError, asyncio.TimeoutError):
            pass
        return result


def _where_stuck(conn: Any) -> str:
    """Where a reconnect that did not finish waits (the task's frames), for the report."""
    task = getattr(conn, "_reconnect_task", None)
    if conn.state == ConnectionState.CONNECTED or task is None or task.done():
        return ""
    frames: list[str] = []
    coro: Any = task.get_coro()
    while coro is not None and len(frames) < 16:     # the await chain, outermost first
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            frames.append(repr(coro)[:80])
            break
        frames.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return f" reconnect waits in {' > '.join(frames)}"
