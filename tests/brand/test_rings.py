"""Rings and combined conversation handling (CONN-07/08, RING-*, CCH-*, SUB-20, OPT-21/23, SCN-03)."""

from __future__ import annotations

import asyncio
import re

import pytest

import lpweb
from lpweb import AgentState, ParticipantRole, RingState, SubscriptionState
from lpweb.model.combined import CombinedHandler, LRUCache, parse_combined_option

from .conftest import ACCOUNT, T, Factory, VirtualTime, consumer_conversation, known, settle

AGENT1 = {"username": "agent1", "password": "a1-pw"}
AGENT2 = {"username": "agent2", "password": "a2-pw"}


async def online_agent(make: Factory, auth=AGENT1, **kw):
    conn = make.brand(auth, **kw)
    rings: list[lpweb.Ring] = []
    conn.on("ring", rings.append)
    await conn.open()
    await conn.set_agent_state(AgentState.ONLINE)
    sub = await conn.create_routing_task_subscription()
    return conn, rings, sub


async def waiting(rings, count=1):
    for _ in range(200):
        found = [r for r in rings if r.ring_state == RingState.WAITING]
        if len(found) >= count:
            return found[count - 1]
        await asyncio.sleep(0)
    raise AssertionError(f"no WAITING ring; got {rings}")


async def test_ring_accept_and_conversation(make: Factory) -> None:
    """SCN-03, CONN-07, CONN-08, RING-01/02/04/05, CEVT-03: ONLINE + routing subscription gives
    a WAITING ring; accept() assigns the agent; ring.conversation() resolves the conversation."""
    agent, rings, sub = await online_agent(make)
    assert sub.state == SubscriptionState.SUBSCRIBED and sub.subscription_id
    _, cconv = await consumer_conversation(make, "10")
    ring = await waiting(rings)
    assert ring.conversation_id == cconv.conversation_id and ring.skill_id == "10"
    assert ring.consumer_id == cconv.consumer.id
    assert re.fullmatch(rf"{cconv.conversation_id}_{ACCOUNT}_\d+", ring.ring_id)
    assert ring.ring_expiration == 20_000 and ring.ring_expiration_ts > 0 and ring.ringState == "WAITING"
    await ring.accept()
    conv = await ring.conversation()
    for _ in range(100):
        if conv.assigned_agent is not None:
            break
        await asyncio.sleep(0)
    assert conv.assigned_agent.old_id == agent.agent_old_id
    assert any(r.ring_state == RingState.ACCEPTED and r.task_completed for r in rings[1:])   # RING-10


async def test_rings_need_online_and_subscription(make: Factory) -> None:
    """RING-06: without ONLINE, or without the routing subscription, nothing rings."""
    only_sub = make.brand(AGENT1)
    rings: list = []
    only_sub.on("ring", rings.append)
    await only_sub.open()
    await only_sub.create_routing_task_subscription()
    only_online = make.brand(AGENT2)
    only_online.on("ring", rings.append)
    await only_online.open()
    await only_online.set_agent_state(AgentState.ONLINE)
    await consumer_conversation(make, "10")
    await settle()
    assert rings == []
    await only_sub.set_agent_state("ONLINE")                  # now agent1 has both
    assert (await waiting(rings)).ring_state == RingState.WAITING
    with pytest.raises(lpweb.UsageError):
        await only_sub.set_agent_state("SLEEPING")


async def test_reject_rings_next_agent(make: Factory) -> None:
    """RING-03: a rejected ring sends the conversation back to the queue; the next agent is rung."""
    a1, rings1, _ = await online_agent(make, AGENT1)
    a2, rings2, _ = await online_agent(make, AGENT2)
    await consumer_conversation(make, "10")
    first = await waiting(rings1 + rings2)
    other = rings2 if first in rings1 else rings1
    await first.reject()
    second = await waiting(other)
    assert second.ring_id != first.ring_id and second.conversation_id == first.conversation_id


async def test_ring_single_use(make: Factory) -> None:
    """RING-07: a ring cannot be accepted twice (locally, and by the server for a copy)."""
    agent, rings, _ = await online_agent(make)
    await consumer_conversation(make, "10")
    ring = await waiting(rings)
    await ring.accept()
    with pytest.raises(lpweb.InvalidState):
        await ring.accept()
    copy = lpweb.Ring(agent, ring.result, ring.detail)
    with pytest.raises(lpweb.RequestFailed):
        await copy.accept()


async def test_ring_expiry(make: Factory, vt: VirtualTime) -> None:
    """RING-08/09/10: an unanswered ring expires (delivered as EXPIRED) and the conversation is
    rung again with a new ring id."""
    agent, rings, _ = await online_agent(make)
    await consumer_conversation(make, "10")
    first = await waiting(rings)
    await vt.advance(20)
    states = [r.ring_state for r in rings if r.ring_id == first.ring_id]
    assert RingState.EXPIRED in states
    again = await waiting(rings, 2)
    assert again.ring_id != first.ring_id


async def test_ring_conversation_timeout(make: Factory, vt: VirtualTime) -> None:
    """OPT-21, RING-04, A-20: ring.conversation() polls every 100 ms up to ring_conversation_timeout
    and then raises a TimeoutError."""
    agent, rings, _ = await online_agent(make, create_default_subscription=False, ring_conversation_timeout=500)
    await consumer_conversation(make, "10")
    ring = await waiting(rings)
    await ring.accept()
    task = asyncio.ensure_future(ring.conversation())
    await vt.advance(0.49)
    assert not task.done()
    await vt.advance(0.02)
    with pytest.raises(TimeoutError):
        await task
    assert [s for s in vt.sleeps if s == 0.1] == [0.1] * 5


async def test_combined_callback_once(make: Factory) -> None:
    """CCH-01/02, OPT-23, ORD-07: a conversation seen through 'conversation' and through an
    accepted ring runs the callback once."""
    handled: list[str] = []

    async def callback(conv):
        handled.append(conv.conversation_id)

    agent, rings, _ = await online_agent(make, combined_conversation_handling={"callback": callback})
    me = agent.agent_old_id
    await agent.default_subscription.unsubscribe()
    await agent.create_conversation_subscription({"agentId": [me], "stage": ["OPEN"]})
    _, cconv = await consumer_conversation(make, "10")
    ring = await waiting(rings)
    await ring.accept()
    conv = await known(agent, cconv.conversation_id)
    await settle()
    assert handled == [conv.conversation_id]
    assert conv.conversation_id in agent._combined.cache
    await conv.close()                                       # CCH-06: removed once it ends
    for _ in range(100):
        if conv.conversation_id not in agent._combined.cache:
            break
        await asyncio.sleep(0)
    assert conv.conversation_id not in agent._combined.cache


def test_combined_options_and_lru() -> None:
    """CCH-03/04/05/07, A-19: defaults 10,000 for one day; an empty options dict is refused;
    the pure-Python LRU evicts by max, ttl and maxSize, after which the callback may run again."""
    cb = lambda conv: None                                   # noqa: E731
    assert parse_combined_option({"callback": cb})[1] == {"max": 10_000, "ttl": 86_400_000}
    with pytest.raises(lpweb.UsageError):
        parse_combined_option({"callback": cb, "combinedConversationHandlingOptions": {}})
    with pytest.raises(lpweb.UsageError):
        parse_combined_option({"callback": "not callable"})
    with pytest.raises(lpweb.UsageError):
        lpweb.create_connection(app_id="a", account_id="1", user_type="BRAND", auth_data={"username": "u", "password": "p"},
                                combined_conversation_handling={"callback": cb,
                                                                "combinedConversationHandlingOptions": {"max": 0}})
    now = [0.0]
    lru = LRUCache(max=2, ttl=1000, clock=lambda: now[0])
    lru.set("a", 1)
    lru.set("b", 2)
    lru.set("c", 3)
    assert "a" not in lru and "b" in lru and "c" in lru
    now[0] = 1.0
    assert len(lru) == 0
    sized = LRUCache(max_size=3, size_calculation=lambda v, k: v)
    sized.set("x", 2)
    sized.set("y", 2)
    assert "x" not in sized and "y" in sized

    class Conv:
        def __init__(self, cid):
            self.conversation_id = cid
    handler = CombinedHandler(cb, {"max": 1})
    a, b = Conv("a"), Conv("b")
    assert handler.claim(a) and not handler.claim(a)
    assert handler.claim(b)                                  # evicts a
    assert handler.claim(a)                                  # CCH-05: may run again


async def test_set_agent_offline_on_disconnect(make: Factory, emu) -> None:
    """OPT-20, MNT-06: with set_agent_offline_on_disconnect the agent is OFFLINE after close();
    by default it stays as it was."""
    states = emu.platform.accounts[ACCOUNT].agent_states
    keep, _, _ = await online_agent(make, AGENT1)
    await keep.close()
    assert states[keep.agent_old_id]["availability"] == "ONLINE"
    bot, _, _ = await online_agent(make, AGENT2, set_agent_offline_on_disconnect=True)
    await bot.close()
    assert states[bot.agent_old_id]["availability"] == "OFFLINE"
