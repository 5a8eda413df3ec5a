"""Read-your-writes for participant changes (CONV-01..04 with issue #6's join-then-listen
race): ``join()``, ``leave()`` and ``transfer()`` return once the conversation notification
showing the change was applied, and the call resumes before the reader handles the next
frame (as a promise continuation does between websocket messages in JS), so a listener added
right after ``await conv.join()`` misses nothing read in the same batch. Notifications are delayed by the emulator so that answers come well
before them."""

from __future__ import annotations

import asyncio

import pytest

from lpweb import ParticipantRole
from test_reliability import CONFIG, brand, consumer, until  # noqa: F401

from lpweb.emulator.inprocess import InProcessEmulator

DELAY = 0.05


@pytest.fixture
def emu():
    return InProcessEmulator(config=CONFIG, seed=7)


async def waiting_conversation(emu):
    """An agent that does not join by itself, and a consumer's new conversation it sees."""
    agent = brand(emu)
    await agent.open()
    cons = consumer(emu)
    await cons.open()
    conv = await cons.create_conversation()
    await until(lambda: conv.conversation_id in agent.conversations)
    return agent, cons, conv, agent.conversations[conv.conversation_id]


def me_as(agent, aconv, role) -> bool:
    return any(p.matches(agent.agent_old_id) and p.role == role for p in aconv.participants)


async def test_join_then_listen_gets_the_first_message(emu) -> None:
    """The consumer's first message is published right after the join, so its notification
    reaches the agent together with the participant change: the listener added after
    ``await join()`` still gets it, and the participants already show the agent."""
    agent, cons, conv, aconv = await waiting_conversation(emu)
    emu.faults.delay_notifications(DELAY)
    got: list[str] = []
    joined_state: list[bool] = []

    async def join_then_listen():
        await aconv.join(ParticipantRole.ASSIGNED_AGENT)
        joined_state.append(me_as(agent, aconv, ParticipantRole.ASSIGNED_AGENT))
        aconv.on("message", lambda m: got.append(m.body))

    joining = asyncio.ensure_future(join_then_listen())
    await asyncio.sleep(0)          # the join request is sent; the in-process emulator applies it
    assert any(p.role == ParticipantRole.ASSIGNED_AGENT
               for p in emu.platform.accounts[agent.options.account_id].conversations[conv.conversation_id].participants)
    await conv.send_message("first")    # its notification is due with the participant change
    await asyncio.wait_for(joining, 5)
    await until(lambda: got == ["first"])
    assert joined_state == [True]
    emu.faults.clear()
    await cons.close()
    await agent.close()


async def test_create_conversation_returns_it_described(emu) -> None:
    """CONN-05 with read-your-writes: with the conversation notification well after the answer,
    create_conversation() still returns the conversation with the consumer listed and the skill
    asked for, and the brand side's request_conversation() (NYS-04) its own."""
    emu.faults.delay_notifications(DELAY)
    cons = consumer(emu)
    await cons.open()
    conv = await cons.create_conversation(skill_id="10")
    assert conv.consumer is not None and conv.consumer.id == cons.user_id
    assert conv.skill.skill_id == "10"
    await conv.close()
    agent = brand(emu, sleep=asyncio.sleep)     # ring_conversation_timeout runs on real time here
    await agent.open()
    new = await agent.request_conversation(cons.user_id, skill_id="10")
    assert new.synced and new.consumer is not None and new.consumer.id == cons.user_id
    emu.faults.clear()
    await cons.close()
    await agent.close()


async def test_leave_and_transfer_are_visible_when_they_return(emu) -> None:
    """leave() and transfer() return with the local participants already updated."""
    agent, cons, conv, aconv = await waiting_conversation(emu)
    emu.faults.delay_notifications(DELAY)
    await aconv.join(ParticipantRole.ASSIGNED_AGENT)
    assert aconv.assigned_agent is not None and aconv.assigned_agent.matches(agent.agent_old_id)
    await aconv.leave()
    assert not any(p.matches(agent.agent_old_id) for p in aconv.participants)
    await aconv.join(ParticipantRole.ASSIGNED_AGENT)
    await aconv.transfer(skill_id="10")
    assert aconv.assigned_agent is None and aconv.skill.skill_id == "10"
    emu.faults.clear()
    await cons.close()
    await agent.close()
