"""Chaos suite (issue #6): seeded, reproducible random faults during a full conversation.

Each run (one seed, ``random.Random(seed)`` for the script and the emulator's faults): a
consumer (un-auth identity, so a token expiry keeps the identity) and an agent exchange
``MESSAGES`` messages while the emulator drops connections at random frames, closes them
with random codes (1000, 1001, 1006, 1011, 4401, 4407), delays, duplicates and reorders
notifications, expires / revokes tokens and answers logins with 5xx / 429. The SDK reconnects
with its real policy on an injected fast ``sleep``. Checks per run: 0 lost, 0 duplicated,
order kept per dialog on both sides, every awaited call completes or raises an lpweb error
within its timeout. Replay one run: ``pytest tests/chaos --chaos-runs 1 --chaos-seed N``.
Totals are printed at the end of the session (``chaos totals: ...``).
"""

from __future__ import annotations

import asyncio
import random

import lpweb
from lpweb import ConnectionState, ParticipantRole, UserType
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.errors import ConnectionLost, LPError, RequestTimeout
from lpweb.model.brand import BrandConnection
from lpweb.model.consumer import ConsumerConnection
from lpweb.options import parse_options

from .conftest import TOTALS

ACCOUNT = "5550001"
CONFIG = {"accounts": [{
    "id": ACCOUNT,
    "skills": [{"id": "10", "name": "Sales"}],
    "users": [{"name": "agent", "password": "agent-pw", "permissions": ["MANAGER"]}],
    "connectors": [{"id": "1", "type": 1}],
}]}
MESSAGES = 10
CALL_TIMEOUT_MS = 1500          # the SDK's response_timeout in these runs
SLACK = 1.0                     # seconds beyond it before a call counts as stuck
SETTLE = 8.0                    # seconds for everything to arrive once faults stop


async def fast_sleep(seconds: float) -> None:
    """Compressed time: backoffs take 2 ms; the short ordering waits (<= 1 s) 60 ms, longer
    than the emulator's 50 ms partial reorder window."""
    await asyncio.sleep(0.06 if seconds <= 1 else 0.002)


class Run:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.emu = InProcessEmulator(config=CONFIG, seed=seed)
        self.stats = {"stuck": 0, "untyped": 0, "typed_errors": 0, "faults": 0, "reconnects": 0, "resent": 0}
        self.problems: list[str] = []

    def options(self, user_type: UserType, **kw):
        return parse_options(app_id="chaos", account_id=ACCOUNT, user_type=user_type, csds_domain=self.emu.csds_domain,
                             transport=self.emu.transport(), response_timeout=CALL_TIMEOUT_MS, **kw)

    async def call(self, what: str, awaitable):
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
    def background_faults(self) -> None:
        f, r = self.emu.faults, self.rng
        if r.random() < 0.5:
            f.duplicate_notifications(r.choice([0.1, 0.3, 0.5]))
        if r.random() < 0.4:
            f.reorder_notifications(r.choice([2, 3, 4]))
        if r.random() < 0.3:
            f.delay_notifications(r.choice([0.002, 0.01]))

    async def strike(self, cons, agent) -> None:
        f, r = self.emu.faults, self.rng
        side = r.choice(["consumer", "brand"])
        kind = r.choice(["drop", "drop_later", "close", "token", "http"])
        self.stats["faults"] += 1
        if kind == "drop":
            f.drop_connection(side)
        elif kind == "drop_later":
            f.drop_connection(side, after_frames=r.randint(1, 6))
        elif kind == "close":
            f.close_with(side, r.choice([1000, 1001, 1006, 1011, 4401, 4407]))
        elif kind == "token":
            conn = cons if side == "consumer" else agent
            token = conn._token if side == "consumer" else (conn._session.bearer if conn._session else None)
            if token:
                (f.expire_token if r.random() < 0.5 else f.revoke_token)(token)
        else:
            path = r.choice([r"/login", r"/anonymous/authorize", r"/authenticate", r"/signup"])
            f.http_error(path, r.choice([500, 503, 429]), times=r.randint(1, 2))
            f.drop_connection(side)

    # -- the conversation ---------------------------------------------------------------
    async def send(self, conv, conn, text: str, sent: list[str]) -> None:
        """Send once; after an uncertain failure, resend only if the message is not there."""
        for _ in range(20):
            try:
                await self.call(f"send {text}", conv.send_message(text))
                sent.append(text)
                return
            except (asyncio.TimeoutError, RequestTimeout, ConnectionLost, lpweb.InvalidState) as exc:
                if isinstance(exc, lpweb.InvalidState) and conn.state == ConnectionState.CLOSED:
                    raise
                self.emu.faults._drops.clear()      # a drop fault fires once, then the outage ends
                await self.wait_connected(conn)
                await asyncio.sleep(0.05)       # let the catch-up arrive
                if any(m.body == text for m in conv.messages):
                    sent.append(text)
                    return
                self.stats["resent"] += 1
        self.problems.append(f"{text}: could not be sent")

    async def wait_connected(self, conn) -> None:
        for _ in range(2000):
            if conn.state == ConnectionState.CONNECTED:
                return
            await asyncio.sleep(0.002)

    async def run(self) -> dict[str, int]:
        cons = ConsumerConnection(self.options(UserType.CONSUMER, use_unauthenticated_connection=True),
                                  sleep=fast_sleep, rand=self.rng.random)
        agent = BrandConnection(self.options(UserType.BRAND, auth_data={"username": "agent", "password": "agent-pw"},
                                             get_all_messages=True), sleep=fast_sleep, rand=self.rng.random)
        for conn in (cons, agent):
            conn.on("error", lambda e: None)
            conn.on("reconnected", lambda _: self.stats.__setitem__("reconnects", self.stats["reconnects"] + 1))
        joined = asyncio.Event()

        @agent.on("conversation")
        async def join(conv):
            if conv.is_open and conv.assigned_agent is None:
                await conv.join(ParticipantRole.ASSIGNED_AGENT)
            joined.set()

        await agent.open()
        await cons.open()
        conv = await cons.create_conversation()
        await asyncio.wait_for(joined.wait(), 5)
        aconv = agent.conversations[conv.conversation_id]
        seen = {"consumer": [], "agent": []}
        conv.on("message", lambda m: seen["consumer"].append((m.sequence, m.body)))
        aconv.on("message", lambda m: seen["agent"].append((m.sequence, m.body)))
        before = {"consumer": [(m.sequence, m.body) for m in conv.messages],
                  "agent": [(m.sequence, m.body) for m in aconv.messages]}

        self.background_faults()
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
        self.emu.faults.clear()
        self.emu.faults._http.clear()

        loop = asyncio.get_running_loop()
        end = loop.time() + SETTLE
        expected = set(sent)
        while loop.time() < end:
            have = [{b for _, b in before[s] + seen[s]} for s in ("consumer", "agent")]
            if all(expected <= h for h in have):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.02)
        result = {"messages": len(sent), "lost": 0, "duplicated": 0, "out_of_order": 0}
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
                self.problems.append(f"{side}: lost={sorted(lost)} dup={dup} disorder={disorder} seen={seen[side]}")
        for conn in (cons, agent):
            await asyncio.wait_for(conn.close(), 10)
        result.update(self.stats)
        return result


async def test_chaos_run(chaos_seed: int) -> None:
    run = Run(chaos_seed)
    result = await run.run()
    TOTALS["runs"] += 1
    TOTALS.update(result)
    assert not run.problems, f"seed {chaos_seed}: {run.problems} (faults {run.emu.faults.describe()})"
    assert result["lost"] == result["duplicated"] == result["out_of_order"] == 0
