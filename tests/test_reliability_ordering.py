"""Notification order (seeds/000 §Notification order) over the in-process emulator:
content for a conversation not known yet is held 1 s (ORD-02), then the conversation is
fetched (ORD-03), else 'error' carries the event (ORD-04); chat states from removed
participants are ignored with a warning (ORD-05), from unknown ones held 1 s, then
'error' (ORD-06)."""

from __future__ import annotations

import asyncio
import json

import pytest

from lpweb import ParticipantRole
from lpweb.errors import ConversationNotInCache, StaleParticipantWarning, UnknownParticipant
from lpweb.protocol import requests as rq
from test_reliability import CONFIG, FastSleep, brand, consumer, served_conversation, until  # noqa: F401

from lpweb.emulator.inprocess import InProcessEmulator


class GatedSleep:
    """The SDK's sleep: the 1-second ordering waits last until ``gate`` is set."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.gate = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if seconds == 1.0:
            await self.gate.wait()
        else:
            await asyncio.sleep(seconds)


@pytest.fixture
def emu():
    return InProcessEmulator(config=CONFIG, seed=3)


async def unsubscribed_agent_in(emu, cons, sleep):
    """An agent with no conversation subscription who joins the consumer's new conversation
    by a raw request, so its message events name a conversation it does not know."""
    agent = brand(emu, sleep=sleep, create_default_subscription=False)
    errors: list = []
    agent.on("error", errors.append)
    await agent.open()
    conv = await cons.create_conversation()
    await agent.request(rq.UPDATE_CONVERSATION_FIELD, {
        "conversationId": conv.conversation_id,
        "conversationField": [rq.join_field("ASSIGNED_AGENT", agent.agent_old_id)]})
    await until(lambda: conv.assigned_agent is not None)
    return agent, conv, errors


def inject(conn, dialog_id: str, *changes: dict) -> None:
    conn._ws._server_send(json.dumps({"kind": "notification", "type": "ms.MessagingEventNotification",
                                      "body": {"dialogId": dialog_id, "changes": list(changes)}}))


def chat_state(originator: str, state: str = "COMPOSING") -> dict:
    return {"originatorId": originator, "serverTimestamp": 1, "event": {"type": "ChatStateEvent", "chatState": state}}


async def test_held_content_is_released_when_its_conversation_arrives(emu) -> None:
    """ORD-02: content ahead of its conversation waits; the conversation arriving within the
    second releases it at once, in order, with no fetch and no error."""
    sleep = GatedSleep()
    cons = consumer(emu)
    await cons.open()
    agent, conv, errors = await unsubscribed_agent_in(emu, cons, sleep)
    await conv.send_message("c1")
    await conv.send_message("c2")
    await until(lambda: 1.0 in sleep.asked)
    assert conv.conversation_id not in agent.conversations
    sub = await agent.create_conversation_subscription({"conversationId": conv.conversation_id})
    await until(lambda: conv.conversation_id in agent.conversations
                and len(agent.conversations[conv.conversation_id].messages) == 2)
    assert [m.body for m in agent.conversations[conv.conversation_id].messages] == ["c1", "c2"]
    assert not sleep.gate.is_set() and agent.subscriptions == [sub] and errors == []
    sleep.gate.set()
    await cons.close()
    await agent.close()


async def test_conversation_is_fetched_after_the_wait(emu) -> None:
    """ORD-03: after the wait the conversation is fetched by id (a one-off subscription,
    then unsubscribed); the held message is delivered, the conversation announced."""
    cons = consumer(emu)
    await cons.open()
    sleep = FastSleep()
    agent, conv, errors = await unsubscribed_agent_in(emu, cons, sleep)
    announced: list = []
    agent.on("conversation", announced.append)
    await conv.send_message("c1")
    await until(lambda: conv.conversation_id in agent.conversations
                and [m.body for m in agent.conversations[conv.conversation_id].messages] == ["c1"])
    await until(lambda: announced)
    assert 1.0 in sleep.asked and announced[0].conversation_id == conv.conversation_id
    await until(lambda: agent.subscriptions == [])       # the one-off subscription is gone
    assert errors == []
    await agent.conversations[conv.conversation_id].send_message("a1")   # the agent can answer
    await until(lambda: [m.body for m in conv.messages][-1:] == ["a1"])
    await cons.close()
    await agent.close()


async def test_unknown_conversation_after_fetch_is_an_error_with_the_event(emu) -> None:
    """ORD-04: nothing found by the fetch either: 'error' with the raw event attached."""
    agent = brand(emu)
    await agent.open()
    errors: list = []
    agent.on("error", errors.append)
    before = list(agent.subscriptions)
    inject(agent, "no-such-dialog", {"sequence": 0, "originatorId": "x", "serverTimestamp": 1,
                                     "event": {"type": "ContentEvent", "message": "hi", "contentType": "text/plain"}})
    await until(lambda: errors)
    err = errors[0]
    assert isinstance(err, ConversationNotInCache) and "conversation not in cache" in str(err)
    assert err.event.body["changes"][0]["event"]["message"] == "hi"
    await until(lambda: agent.subscriptions == before)
    await agent.close()


async def test_chat_state_from_unknown_participant_waits_for_the_update(emu) -> None:
    """ORD-06: a chat state from someone not listed yet waits; the conversation update that
    lists them releases it as a 'chat-state' of that participant."""
    sleep = GatedSleep()
    cons = consumer(emu, sleep=sleep)
    await cons.open()
    conv = await cons.create_conversation()
    agent = brand(emu)
    await agent.open()
    states: list = []
    conv.on("chat-state", states.append)
    inject(cons, conv.conversation_id, chat_state(agent.user_id))
    await until(lambda: 1.0 in sleep.asked)
    assert states == []
    await agent.conversations[conv.conversation_id].join(ParticipantRole.ASSIGNED_AGENT)
    await until(lambda: states)
    assert states[0]["participant"].role == ParticipantRole.ASSIGNED_AGENT
    assert states[0]["chat_state"] == "COMPOSING" and not sleep.gate.is_set()
    sleep.gate.set()
    await cons.close()
    await agent.close()


async def test_chat_state_from_a_stranger_is_an_error_after_a_second(emu) -> None:
    """ORD-06: still unknown after the wait: 'error' (UnknownParticipant) with the event."""
    cons = consumer(emu)
    await cons.open()
    conv = await cons.create_conversation()
    errors: list = []
    states: list = []
    cons.on("error", errors.append)
    conv.on("chat-state", states.append)
    inject(cons, conv.conversation_id, chat_state("stranger"))
    await until(lambda: errors)
    assert isinstance(errors[0], UnknownParticipant) and errors[0].participant_id == "stranger"
    assert errors[0].event["event"]["chatState"] == "COMPOSING" and states == []
    await cons.close()


async def test_chat_state_from_a_removed_participant_is_ignored_with_a_warning(emu) -> None:
    """ORD-05: the agent left; a late chat state of theirs is not processed: a warning."""
    agent, cons, conv = await served_conversation(emu)
    aconv = agent.conversations[conv.conversation_id]
    await aconv.leave()
    await until(lambda: conv.assigned_agent is None)
    errors: list = []
    states: list = []
    cons.on("error", errors.append)
    conv.on("chat-state", states.append)
    with pytest.warns(StaleParticipantWarning, match="ORD-05"):
        inject(cons, conv.conversation_id, chat_state(agent.user_id))
        await asyncio.sleep(0.05)
    assert states == [] and errors == []
    await cons.close()
    await agent.close()
