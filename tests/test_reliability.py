"""Connection maintenance and gap-free delivery over the in-process emulator (MNT-01..04,
MNT-07, SUB-19/20, ORD-02..04, issue #6). Backoff runs on an injected, fast ``sleep``."""

from __future__ import annotations

import asyncio
import json

import pytest

import lpweb
from lpweb import ConnectionState, ParticipantRole, SubscriptionState, UserType
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.model.brand import BrandConnection
from lpweb.model.consumer import ConsumerConnection
from lpweb.options import parse_options
from lpweb.protocol.policy import ReconnectPolicy
from lpweb.transports.memory import MemoryTransport

ACCOUNT = "6660001"
CONFIG = {"accounts": [{
    "id": ACCOUNT,
    "skills": [{"id": "10", "name": "Sales"}],
    "users": [{"name": "agent", "password": "agent-pw", "permissions": ["MANAGER"]}],
    "connectors": [{"id": "1", "type": 1}],
}]}
T = 5


class FastSleep:
    """The SDK's injected sleep: records the asked delays, waits ~nothing."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0.001)


@pytest.fixture
def emu():
    return InProcessEmulator(config=CONFIG, seed=1)


def consumer(emu, sleep=None, **kw) -> ConsumerConnection:
    opts = parse_options(app_id="reliability", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                         csds_domain=emu.csds_domain, transport=emu.transport(), **kw)
    return ConsumerConnection(opts, sleep=sleep or FastSleep())


def brand(emu, sleep=None, **kw) -> BrandConnection:
    opts = parse_options(app_id="reliability", account_id=ACCOUNT, user_type=UserType.BRAND,
                         csds_domain=emu.csds_domain, transport=emu.transport(),
                         auth_data={"username": "agent", "password": "agent-pw"}, **kw)
    return BrandConnection(opts, sleep=sleep or FastSleep())


def record(conn, *names):
    seen: list = []
    for name in names:
        conn.on(name, lambda payload=None, _n=name: seen.append((_n, payload)))
    return seen


async def serving_agent(emu, **kw) -> BrandConnection:
    agent = brand(emu, get_all_messages=True, **kw)

    @agent.on("conversation")
    async def join(conv):
        if conv.is_open and conv.assigned_agent is None:
            await conv.join(ParticipantRole.ASSIGNED_AGENT)

    await agent.open()
    return agent


async def served_conversation(emu):
    """A serving agent, an open consumer, and its conversation once the agent is assigned."""
    agent = await serving_agent(emu)
    cons = consumer(emu)
    await cons.open()
    conv = await cons.create_conversation()
    await until(lambda: conv.assigned_agent is not None)
    return agent, cons, conv


async def until(predicate, timeout=T):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition never became true")
        await asyncio.sleep(0.002)


async def test_consumer_reconnects_resubscribes_and_catches_up(emu) -> None:
    """MNT-01/02/03, SUB-19/20: drop -> 'reconnecting' -> 'resuming' (socket back, catching up)
    -> 'reconnected'; a request made while disconnected is queued and sent afterwards; the
    missed messages arrive once, in order."""
    agent = await serving_agent(emu)
    sleep = FastSleep()
    cons = consumer(emu, sleep=sleep)
    seen = record(cons, "reconnecting", "resuming", "reconnected", "close")
    await cons.open()
    conv = await cons.create_conversation()
    await until(lambda: conv.assigned_agent is not None)
    got: list[str] = []
    conv.on("message", lambda m: got.append(m.body))
    aconv = agent.conversations[conv.conversation_id]
    await aconv.send_message("a1")
    await until(lambda: got == ["a1"])
    states: list = []
    sub = cons.default_subscription
    cons.on("reconnecting", lambda _: states.append(sub.state))
    emu.faults.drop_connection("consumer")
    # The drop is seen as 'reconnecting' (polling the state could miss a reconnect this quick).
    await until(lambda: any(name == "reconnecting" for name, _ in seen))
    await aconv.send_message("a2")                      # while the consumer is away
    queued = asyncio.ensure_future(conv.send_message("c1"))
    await until(lambda: ("reconnected", {"attempt": 1, "resumed": True}) in seen)
    assert (await asyncio.wait_for(queued, T))["sequence"] >= 0
    await aconv.send_message("a3")
    await until(lambda: got == ["a1", "a2", "c1", "a3"])
    assert states == [SubscriptionState.DISCONNECTED] and sub.state == SubscriptionState.SUBSCRIBED
    assert [n for n, _ in seen] == ["reconnecting", "resuming", "reconnected"]
    assert seen[0][1]["attempt"] == 1 and 4 <= seen[0][1]["delay"] <= 6 and sleep.asked[0] == seen[0][1]["delay"]
    assert cons.state == ConnectionState.CONNECTED
    await cons.close()
    await agent.close()
    assert cons.state == ConnectionState.CLOSED


async def test_unauth_consumer_4407_refreshes_identity(emu) -> None:
    """REAUTH on 4407: the un-auth identity is refreshed, the same consumer continues."""
    cons = consumer(emu, use_unauthenticated_connection=True)
    seen = record(cons, "reconnecting", "reconnected")
    await cons.open()
    conv = await cons.create_conversation()
    before, token = cons.user_id, await cons.get_token()
    assert emu.faults.expire_token(token) == 1
    await until(lambda: any(n == "reconnected" for n, _ in seen))
    assert seen[0][1]["code"] == 4407 and seen[0][1]["reauth"] is True
    assert cons.user_id == before and cons.state == ConnectionState.CONNECTED
    await conv.send_message("still me")
    await cons.close()


async def test_anonymous_token_given_cannot_be_renewed(emu) -> None:
    """An expired token the application gave cannot be renewed: 'error', then 'close'."""
    first = consumer(emu)
    await first.open()
    token = await first.get_token()
    await first.close()
    cons = consumer(emu, token=token)
    errors: list = []
    cons.on("error", errors.append)
    closed = asyncio.ensure_future(cons.wait_for("close", timeout=T))
    await cons.open()
    emu.faults.expire_token(token)
    assert (await closed)["code"] is None or True
    assert any(isinstance(e, lpweb.AuthError) for e in errors)
    assert cons.state == ConnectionState.DISCONNECTED
    with pytest.raises(lpweb.InvalidState):
        await cons.send({"type": "GetClock"})
    await cons.close()


async def test_brand_revoked_bearer_logs_in_again(emu) -> None:
    """MNT-04: a revoked bearer closes the socket 4401; a new login, then reconnect."""
    agent = brand(emu)
    seen = record(agent, "reconnecting", "reconnected", "token-invalid", "token-regenerated")
    await agent.open()
    routing = await agent.create_routing_task_subscription()
    bearer = await agent.get_token()
    assert emu.faults.revoke_token(bearer) == 1
    await until(lambda: any(n == "reconnected" for n, _ in seen))
    names = [n for n, _ in seen]
    assert names.index("token-invalid") < names.index("token-regenerated") < names.index("reconnected")
    assert await agent.get_token() != bearer and routing.state == SubscriptionState.SUBSCRIBED
    await agent.set_agent_state("ONLINE")
    await agent.close()


class BlindHandshakes(MemoryTransport):
    """The in-memory transport seeing a refused websocket upgrade as a browser does: no
    status, only ``HandshakeFailed`` (Chromium reports close code 1006 before ``open``)."""

    async def connect_websocket(self, url, headers=None):
        try:
            return await super().connect_websocket(url, headers)
        except lpweb.errors.HttpError:
            raise lpweb.errors.HandshakeFailed("websocket handshake failed (code 1006)") from None


async def test_brand_stale_bearer_behind_a_blind_handshake_logs_in_again(emu) -> None:
    """MNT-04 in the browser (issue #6): the bearer expired, then the socket dropped (1006);
    the upgrade is refused with 401, which the browser cannot see. One retry with the same
    bearer, then a new login, then the reconnect (it used to retry the dead bearer forever)."""
    opts = parse_options(app_id="reliability", account_id=ACCOUNT, user_type=UserType.BRAND,
                         csds_domain=emu.csds_domain, transport=BlindHandshakes(emu, websocket_headers=False),
                         auth_data={"username": "agent", "password": "agent-pw"})
    agent = BrandConnection(opts, sleep=FastSleep())
    seen = record(agent, "reconnecting", "reconnected")
    await agent.open()
    bearer = await agent.get_token()
    emu.faults.expire_token(bearer)         # a brand socket stays up on an expired bearer
    assert emu.faults.drop_connection("brand") == 1
    await until(lambda: any(n == "reconnected" for n, _ in seen))
    assert [p["reauth"] for n, p in seen if n == "reconnecting"] == [False, False, True]
    assert await agent.get_token() != bearer and agent.state == ConnectionState.CONNECTED
    await agent.set_agent_state("ONLINE")
    await agent.close()


async def test_close_during_reconnect_stops_it_and_fails_queued(emu) -> None:
    """close() while waiting to reconnect: no reconnect; queued requests fail typed."""
    class Stuck:
        async def __call__(self, seconds):
            await asyncio.sleep(3600)

    cons = consumer(emu, sleep=Stuck())
    await cons.open()
    emu.faults.drop_connection("consumer")
    await until(lambda: cons.state == ConnectionState.DISCONNECTED)
    queued = asyncio.ensure_future(cons.send({"type": "GetClock"}))
    await asyncio.sleep(0.01)
    await cons.close()
    with pytest.raises(lpweb.ConnectionLost):
        await asyncio.wait_for(queued, T)
    assert cons.state == ConnectionState.CLOSED


async def test_queued_request_honours_its_timeout(emu) -> None:
    class Stuck:
        async def __call__(self, seconds):
            await asyncio.sleep(3600)

    cons = consumer(emu, sleep=Stuck(), response_timeout=50)
    await cons.open()
    emu.faults.drop_connection("consumer")
    await until(lambda: cons.state == ConnectionState.DISCONNECTED)
    with pytest.raises(lpweb.RequestTimeout):
        await cons.send({"type": "GetClock"})
    await cons.close()


async def test_fatal_handshake_gives_up(emu) -> None:
    """A 4xx at the reconnect handshake (not 401/429) is FATAL: 'error' + 'close'."""
    cons = consumer(emu, reconnect_policy=ReconnectPolicy(first_delays=(0.01,), jitter=0))
    errors: list = []
    cons.on("error", errors.append)
    await cons.open()
    closed = asyncio.ensure_future(cons.wait_for("close", timeout=T))
    transport = cons._transport

    async def refuse(url, headers=None):
        raise lpweb.errors.HttpError(403, url)
    transport.connect_websocket = refuse
    emu.faults.drop_connection("consumer")
    await closed
    assert any(isinstance(e, lpweb.errors.HttpError) and e.status == 403 for e in errors)
    await cons.close()


async def test_auto_reconnect_off_keeps_old_behaviour(emu) -> None:
    cons = consumer(emu, auto_reconnect=False)
    await cons.open()
    errors: list = []
    cons.on("error", errors.append)
    closed = asyncio.ensure_future(cons.wait_for("close", timeout=T))
    emu.faults.drop_connection("consumer")
    assert (await closed)["code"] == 1006
    assert isinstance(errors[0], lpweb.ConnectionLost) and cons.state == ConnectionState.DISCONNECTED
    await cons.close()


@pytest.mark.parametrize("fault", ["duplicate", "reorder", "delay"])
async def test_messages_once_and_in_order_under_notification_faults(emu, fault) -> None:
    """Exactly once and in order per dialog, whatever the notification faults."""
    agent, cons, conv = await served_conversation(emu)
    aconv = agent.conversations[conv.conversation_id]
    at_consumer: list[str] = []
    at_agent: list[str] = []
    conv.on("message", lambda m: at_consumer.append(m.body))
    aconv.on("message", lambda m: at_agent.append(m.body))
    {"duplicate": lambda: emu.faults.duplicate_notifications(0.5),
     "reorder": lambda: emu.faults.reorder_notifications(4),
     "delay": lambda: emu.faults.delay_notifications(0.01)}[fault]()
    sent = []
    for i in range(12):
        who, text = (conv, f"c{i}") if i % 2 else (aconv, f"a{i}")
        await who.send_message(text)
        sent.append(text)
    await until(lambda: len(at_consumer) >= 12 and len(at_agent) >= 12)
    await asyncio.sleep(0.1)
    assert at_consumer == sent and at_agent == sent
    emu.faults.clear()
    await cons.close()
    await agent.close()


async def test_private_message_gap_does_not_block_the_consumer(emu) -> None:
    agent, cons, conv = await served_conversation(emu)
    aconv = agent.conversations[conv.conversation_id]
    got: list[str] = []
    conv.on("message", lambda m: got.append(m.body))
    await aconv.send_private_message("whisper")
    await aconv.send_message("public")
    await until(lambda: got == ["public"])
    await cons.close()
    await agent.close()


async def test_malformed_response_fails_its_request_at_once(emu) -> None:
    cons = consumer(emu, response_timeout=60_000)
    await cons.open()
    errors: list = []
    cons.on("error", errors.append)
    ws = cons._ws
    original = ws._session.receive

    def answer_badly(text):
        frame = json.loads(text)
        if frame.get("type") == "GetClock":
            ws._server_send(json.dumps({"kind": "resp", "reqId": frame["id"], "code": "two hundred"}))
        else:
            original(text)
    ws._session.receive = answer_badly
    with pytest.raises(lpweb.ProtocolError):
        await asyncio.wait_for(cons.send({"type": "GetClock"}), 1)
    assert errors and isinstance(errors[0], lpweb.errors.MalformedFrame)
    ws._session.receive = original
    await cons.close()


async def test_content_for_unknown_conversation_is_an_error_with_the_event(emu) -> None:
    """ORD-02/04: held 1 s, then 'error' carrying err.event."""
    cons = consumer(emu)
    await cons.open()
    errors: list = []
    cons.on("error", errors.append)
    cons._ws._server_send(json.dumps({"kind": "notification", "type": "ms.MessagingEventNotification",
                                      "body": {"dialogId": "nope", "changes": [
                                          {"sequence": 0, "originatorId": "x", "serverTimestamp": 1,
                                           "event": {"type": "ContentEvent", "message": "hi",
                                                     "contentType": "text/plain"}}]}}))
    await until(lambda: errors, timeout=3)
    assert isinstance(errors[0], lpweb.errors.ConversationNotInCache) and errors[0].event is not None
    await cons.close()


async def test_handler_exception_does_not_stop_the_reader(emu) -> None:
    """L7: an exception in an application handler is reported on 'error'; delivery goes on."""
    agent, cons, conv = await served_conversation(emu)
    errors: list = []
    cons.on("error", errors.append)
    conv.on("error", errors.append)
    got: list[str] = []

    def boom(message):
        got.append(message.body)
        raise RuntimeError("app bug")

    async def aboom(message):
        raise ValueError("async app bug")
    conv.on("message", boom)
    conv.on("message", aboom)
    aconv = agent.conversations[conv.conversation_id]
    await aconv.send_message("one")
    await aconv.send_message("two")
    await until(lambda: got == ["one", "two"] and len(errors) >= 4)
    assert {type(e.error) for e in errors} == {RuntimeError, ValueError}
    assert cons.state == ConnectionState.CONNECTED
    await cons.close()
    await agent.close()
