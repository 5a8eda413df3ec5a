"""Brand conversation actions and events (CONV-*, CVEV-*, DLG-03, OPT-15, SCN-02/04/05, NYS-05)."""

from __future__ import annotations

import asyncio

import pytest

import lpweb
from lpweb import ParticipantRole

from .conftest import ACCOUNT, Factory, consumer_conversation, known, settle


async def joined(make: Factory, skill="10", role=ParticipantRole.ASSIGNED_AGENT, **kw):
    bot = make.brand(**kw)
    await bot.open()
    cons, cconv = await consumer_conversation(make, skill)
    conv = await known(bot, cconv.conversation_id)
    await conv.join(role)
    await until(lambda: any(p.matches(bot.agent_old_id) for p in conv.participants))
    return bot, conv, cons, cconv


async def until(predicate, rounds=300):
    for _ in range(rounds):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def collect(conv, *names):
    seen: list[tuple[str, object]] = []
    for name in names:
        conv.on(name, lambda *a, _n=name: seen.append((_n, a[0] if a else None)))
    return seen


async def test_join_leave_and_participant_events(make: Factory) -> None:
    """CONV-01/02/17/18, CVEV-07/08: join and leave; participant-added/removed with .participant.role;
    consumer and assigned_agent properties."""
    bot, conv, _, _ = await joined(make)
    assert conv.assigned_agent.old_id == bot.agent_old_id
    assert conv.consumer is not None and conv.consumer.role == ParticipantRole.CONSUMER
    seen = collect(conv, "participant-added", "participant-removed")
    boss = make.brand({"username": "boss", "password": "boss-pw"})
    await boss.open()
    bconv = await known(boss, conv.conversation_id)
    await bconv.join(ParticipantRole.MANAGER)
    await until(lambda: seen)
    assert seen[0][0] == "participant-added" and seen[0][1]["participant"].role == ParticipantRole.MANAGER
    await bconv.leave()
    await until(lambda: len(seen) == 2)
    assert seen[1][0] == "participant-removed" and seen[1][1]["participant"].role == ParticipantRole.MANAGER
    with pytest.raises(lpweb.InvalidState):
        await bconv.leave()


async def test_manager_whisper_private_message(make: Factory) -> None:
    """SCN-05, CONV-12, MSG-10: a private message with metadata reaches agents, never the consumer."""
    bot, conv, cons, cconv = await joined(make)
    got: list = []
    cconv.on("message", got.append)
    mine: list = []
    conv.on("message", mine.append)
    await conv.send_private_message("a manager has joined", {"type": "ExternalId", "id": "w1"})
    await conv.send_message("public")
    await until(lambda: len(mine) == 2 and got)
    assert [m.body for m in got] == ["public"]
    assert mine[0].metadata == [{"type": "ExternalId", "id": "w1"}] and mine[0].sent_by_current_user()


async def test_send_message_rich_text_metadata_quick_replies(make: Factory) -> None:
    """CONV-10/11, MSG-10/11: metadata (dict or list) and quick replies travel to the consumer."""
    bot, conv, cons, cconv = await joined(make)
    got: list = []
    cconv.on("message", got.append)
    qr = {"type": "quickReplies", "itemsPerRow": 8, "replies": [
        {"type": "button", "tooltip": "Yes", "title": "Yes", "click": {"actions": [{"type": "publishText", "text": "yep"}]}}]}
    resp = await conv.send_message("pick one", None, qr)
    assert isinstance(resp["sequence"], int)
    card = {"type": "vertical", "elements": [{"type": "text", "text": "Product"}]}
    await conv.send_rich_text(card, [{"type": "ExternalId", "id": "card-1"}], qr)
    await until(lambda: len(got) == 2)
    assert got[0].quick_replies == qr and got[1].body == card
    assert got[1].metadata == [{"type": "ExternalId", "id": "card-1"}]


async def test_transfer_skill_and_off_hours(make: Factory) -> None:
    """CONV-03/14/15/16, CVEV-03, SCN-04: transfer(skill_id=) removes the assigned agent; the
    conversation's skill is the new one when 'transfer-skill' fires, and is_in_off_hours() is
    read from the skills list."""
    bot, conv, _, _ = await joined(make)
    seen = collect(conv, "transfer-skill", "back-to-queue", "transfer-agent")
    assert conv.skill.skill_id == "10" and not conv.skill.is_in_off_hours()
    off: list[bool] = []
    conv.on("transfer-skill", lambda *_: off.append(conv.skill.is_in_off_hours()))
    await conv.transfer(skill_id="30")
    await until(lambda: seen)
    assert [n for n, _ in seen] == ["transfer-skill"] and off == [True]
    assert conv.skill.skill_id == "30" and conv.skill.skillId == "30" and conv.assigned_agent is None
    with pytest.raises(lpweb.UsageError):
        await conv.transfer()
    with pytest.raises(lpweb.UsageError):
        await conv.transfer(skill_id="10", agent_id="x.y")


async def test_transfer_agent(make: Factory) -> None:
    """CONV-04, CVEV-04, A-09: transfer(agent_id=) replaces the assigned agent by a SUGGESTED one;
    the target is rung and becomes the assigned agent when it accepts."""
    bot, conv, _, _ = await joined(make)
    target = make.brand({"username": "agent2", "password": "a2-pw"})
    rings: list = []
    target.on("ring", rings.append)
    await target.open()
    await target.set_agent_state("ONLINE")
    await target.create_routing_task_subscription()
    seen = collect(conv, "transfer-agent", "back-to-queue", "transfer-skill")
    await conv.transfer(agent_id=target.agent_old_id.split(".", 1)[1])      # bare id gets the prefix
    await until(lambda: seen)
    assert seen[0][0] == "transfer-agent" and seen[0][1]["to_agent"] == target.agent_old_id
    assert conv.suggested_agent is not None
    await until(lambda: any(r.ring_state == "WAITING" for r in rings))
    await next(r for r in rings if r.ring_state == "WAITING").accept()
    await until(lambda: conv.assigned_agent is not None)
    assert conv.assigned_agent.old_id == target.agent_old_id and len(seen) == 1


async def test_back_to_queue(make: Factory) -> None:
    """CVEV-05: the assigned agent leaves, nobody replaces them, same skill."""
    bot, conv, _, _ = await joined(make)
    seen = collect(conv, "back-to-queue", "transfer-skill", "transfer-agent")
    await conv.leave()
    await until(lambda: seen)
    assert [n for n, _ in seen] == ["back-to-queue"]


async def test_close_event_and_closed_guard(make: Factory) -> None:
    """CONV-05, CVEV-02, CONV-20: close() closes the conversation; 'close' fires; actions on a
    closed conversation raise ConversationClosed without sending."""
    bot, conv, _, cconv = await joined(make)
    closed = asyncio.Event()
    conv.on("close", lambda *_: closed.set())
    await conv.close()
    await asyncio.wait_for(closed.wait(), 2)
    for action in (conv.send_message("x"), conv.transfer(skill_id="20"), conv.close()):
        with pytest.raises(lpweb.ConversationClosed):
            await action


async def test_consumer_step_up_event(make: Factory, emu) -> None:
    """CVEV-06: a new CONSUMER id replacing the old one (a takeover) fires 'consumer-step-up'.
    The emulator has no takeover request, so the test changes the platform state directly."""
    bot, conv, _, _ = await joined(make)
    seen = collect(conv, "consumer-step-up")
    pconv = emu.platform.conversation(ACCOUNT, conv.conversation_id)
    pconv.participants[0].id = pconv.participants[0].old_id = "authenticated-consumer"
    emu.platform._touch(pconv)
    emu.platform.flush()
    await until(lambda: seen)
    assert seen[0][1]["consumer_id"] == "authenticated-consumer" and seen[0][1]["previous_consumer_id"]


async def test_history_get_all_publish_events_and_get_all_messages(make: Factory) -> None:
    """DLG-02/03, OPT-15, MSG-12: a brand user sees only new messages by default; history loads
    with get_all_publish_events() (no duplicates) or before 'conversation' with get_all_messages."""
    cons, cconv = await consumer_conversation(make, "10")
    await cconv.send_message("one")
    await cconv.send_message("two")
    plain = make.brand()
    await plain.open()
    conv = await known(plain, cconv.conversation_id)
    assert conv.messages == []
    await conv.get_all_publish_events()
    await conv.get_all_publish_events()
    assert [m.body for m in conv.messages] == ["one", "two"]
    assert conv.messages[0].participant.role == ParticipantRole.CONSUMER
    eager = make.brand({"username": "boss", "password": "boss-pw"}, get_all_messages=True)
    counts: list[int] = []
    eager.on("conversation", lambda c: counts.append(len(c.messages)))
    await eager.open()
    await until(lambda: counts)
    assert counts == [2]


async def test_typing_state(make: Factory) -> None:
    """NYS-05, LEG-29/30: conversation.typing() publishes COMPOSING, then ACTIVE; the consumer
    sees the assigned agent's chat state change."""
    bot, conv, cons, cconv = await joined(make)
    states: list = []
    cconv.on("chat-state", lambda e: states.append(str(e["chat_state"])))
    async with conv.typing():
        await until(lambda: states)
        await conv.send_message("typed")
    await until(lambda: len(states) == 2)
    assert states == ["COMPOSING", "ACTIVE"]
