"""What a brand connection keeps of each conversation notification (issue #8, brand scale).

``Conversation.details`` is a compact, read-only :class:`ConversationDetails`: every field of
``conversationDetails`` but the participants and dialogs (kept once, in the model), each
reading back as the platform sent it (CTX-04, STAT-01, CONV-08, SUB-06); participants of a
conversation and of its dialogs share their id strings (PROF-04, DLG-04); dialogs make their
sequence bookkeeping on first use and still deliver in order, once (DLG-02/03); the
'conversation' event of a burst of conversations comes once each, in arrival order, after the
frames already read (CEVT-02).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

import lpweb
from lpweb import DialogState, DialogType, ParticipantRole, UserType
from lpweb.model.conversation import Conversation
from lpweb.model.details import MODEL_KEYS, ConversationDetails
from lpweb.model.dialog import Dialog
from lpweb.model.message import Message
from lpweb.model.participant import Participant
from lpweb.protocol.notifications import normalize_participants

from .conftest import ACCOUNT, Factory, known

CONTEXT = {"type": "MobileAppContext", "lang": "en-US", "clientProperties": {"os": "ANDROID", "features": ["X"]}}


def wire_details(notifications: list[Any], conversation_id: str) -> dict[str, Any]:
    """The newest ``conversationDetails`` of ``conversation_id`` among raw notifications."""
    found = [c["result"]["conversationDetails"] for n in notifications if n.type.endswith("ExConversationChangeNotification")
             for c in n.body.get("changes", ()) if c["result"]["convId"] == conversation_id]
    assert found, "no notification of the conversation"
    return found[-1]


async def watched_conversation(make: Factory, **create: Any) -> tuple[Any, list[Any]]:
    """A consumer's new conversation as a brand connection sees it, and the raw notifications
    that connection received."""
    bot = make.brand()
    raw: list[Any] = []
    bot.on("notification", raw.append)
    await bot.open()
    cons = make.consumer()
    await cons.open()
    cconv = await cons.create_conversation(skill_id="10", **create)
    return await known(bot, cconv.conversation_id), raw


async def test_details_keep_every_platform_field_but_the_model_ones(make: Factory) -> None:
    """CTX-04, STAT-01, SUB-06: ``details`` equals the wire ``conversationDetails`` without
    participants / participantsPId / dialogs, value for value; ``details["context"]`` is
    ``conversation.context``; an object of scalars (``ttr``) reads as a new dict each time."""
    conv, raw = await watched_conversation(make, context=CONTEXT)
    wire = wire_details(raw, conv.conversation_id)

    assert isinstance(conv.details, ConversationDetails)
    expected = {k: v for k, v in wire.items() if k not in MODEL_KEYS}
    assert dict(conv.details) == expected and len(conv.details) == len(expected)
    assert list(conv.details) == list(expected)          # the wire's order
    for key, value in expected.items():
        assert conv.details[key] == value and type(conv.details[key]) is type(value), key
    assert not MODEL_KEYS & set(conv.details)
    assert conv.details.get("participants") is None and conv.details.get("nope", 7) == 7
    with pytest.raises(KeyError):
        conv.details["dialogs"]
    assert conv.context == CONTEXT and conv.details["context"] is conv.context
    assert conv.details["startTs"] == wire["startTs"] and conv.details["ttr"] == wire["ttr"]
    ttr = conv.details["ttr"]
    ttr["value"] = -1                                   # a copy: the cache is unchanged
    assert conv.details["ttr"] == wire["ttr"] and conv.details["ttr"] is not conv.details["ttr"]
    assert conv.details["convId"] is conv.conversation_id
    assert conv.details["brandId"] is sys.intern(ACCOUNT)
    with pytest.raises(TypeError):
        conv.details["state"] = "CLOSE"                 # type: ignore[index]


async def test_participants_and_dialogs_match_the_wire(make: Factory) -> None:
    """PROF-04, DLG-04, DLG-07/09: the participants and dialogs dropped from ``details`` are
    the model's, equal to the wire; ids are shared (one string per id in a conversation,
    brand users' ids interned)."""
    conv, raw = await watched_conversation(make)
    await conv.join(ParticipantRole.ASSIGNED_AGENT)
    wire = wire_details(raw, conv.conversation_id)

    normalized = normalize_participants(wire)
    assert [(p.id, str(p.role), p.old_id) for p in conv.participants] == [
        (e["id"], e["role"], e.get("oldId")) for e in normalized]
    [dialog_wire] = wire["dialogs"]
    dialog = conv.dialogs[dialog_wire["dialogId"]]
    assert dialog is conv.main_dialog and dialog.dialog_type == DialogType.MAIN and dialog.state == DialogState.OPEN
    assert [(p.id, str(p.role), str(p.state)) for p in dialog.participants] == [
        (e["id"], e["role"], e["state"]) for e in dialog_wire["participantsDetails"]]
    consumer, agent = conv.consumer, conv.assigned_agent
    assert consumer is not None and agent is not None and agent.matches(conv.connection.agent_old_id)
    in_dialog = {p.id: p.id for p in dialog.participants}
    assert in_dialog[consumer.id] is consumer.id                       # one string per id
    assert agent.old_id is not None and in_dialog[agent.old_id] is agent.old_id
    assert agent.old_id is sys.intern(conv.connection.agent_old_id) and agent.id is sys.intern(agent.id)
    assert dialog.dialog_id is conv.conversation_id


def test_details_read_back_exact_json_values() -> None:
    """CONV-08 / STAT-01 inputs read back with their JSON types: shared objects of scalars are
    only those of strings, integers and nulls (``true`` must not read back as ``1``); nested
    and unknown values are kept as decoded."""
    nested = {"campaignId": "111", "engagementId": "222", "extra": {"a": [1]}}
    wire = {"convId": "c-1", "participants": [{"id": "x", "role": "CONSUMER"}], "dialogs": [],
            "flags": {"on": True, "n": 1}, "ints": {"on": 1, "n": 1}, "ratio": {"r": 1.0},
            "campaignInfo": nested, "tags": ["a", "b"], "csatRate": 0, "firstConversation": False,
            "note": None, "skillId": "10"}
    details = ConversationDetails(wire, "c-1")
    assert list(details) == ["convId", "flags", "ints", "ratio", "campaignInfo", "tags", "csatRate",
                             "firstConversation", "note", "skillId"]
    assert details["flags"] == {"on": True, "n": 1} and type(details["flags"]["on"]) is bool
    assert details["ints"] == {"on": 1, "n": 1} and type(details["ints"]["on"]) is int
    assert type(details["ratio"]["r"]) is float
    assert details["campaignInfo"] is nested and details["tags"] is wire["tags"]
    assert details["firstConversation"] is False and details["note"] is None and "note" in details
    other = ConversationDetails(dict(wire, convId="c-2"), "c-2")
    assert other._values[other._plan.index["ints"]] is details._values[details._plan.index["ints"]]
    assert other._plan is details._plan            # one key list for both
    assert dict(ConversationDetails()) == {} and ConversationDetails().get("x") is None
    assert "campaignId" in repr(details)


def connection() -> lpweb.BrandConnection:
    conn = lpweb.create_connection(app_id="t", account_id=ACCOUNT, user_type=UserType.BRAND,
                                   auth_data={"username": "u", "password": "p"})
    assert isinstance(conn, lpweb.BrandConnection)
    return conn


async def test_a_burst_is_announced_once_each_in_order_on_the_next_pass() -> None:
    """CEVT-02: conversations followed while frames are handled are announced after them (the
    next pass of the event loop), once each, in arrival order; a handler that fails does not
    stop the others."""
    conn = connection()
    seen: list[str] = []

    def handler(conv: Conversation) -> None:
        seen.append(conv.conversation_id)
        if conv.conversation_id == "c1":
            raise RuntimeError("a failing handler")
    conn.on("conversation", handler)
    errors: list[Any] = []
    conn.on("error", errors.append)
    convs = [Conversation(conn, f"c{i}") for i in range(5)]
    for conv in convs:
        conn._follow(conv)
    conn._follow(convs[0])                  # followed again before its announcement: still once
    assert seen == []
    await asyncio.sleep(0)
    assert seen == [c.conversation_id for c in convs] and all(c.announced for c in convs)
    assert len(errors) == 1
    conn._follow(convs[2])                  # announced already: nothing more
    await asyncio.sleep(0)
    assert len(seen) == 5


async def test_closing_drops_queued_announcements() -> None:
    """CEVT-02 with CONN-03: as announce tasks were cancelled by close(), a conversation
    queued for announcement when the connection closes is not announced."""
    conn = connection()
    seen: list[Any] = []
    conn.on("conversation", seen.append)
    conn._follow(Conversation(conn, "c1"))
    await conn._teardown(1000, "closed by the client")
    await asyncio.sleep(0)
    assert seen == []


def test_dialog_orders_and_dedupes_from_a_fresh_state() -> None:
    """DLG-02/03: sequenced events are handled in order and once, and a stored message is not
    stored twice, from a dialog that has not seen any yet."""
    conv = Conversation(connection(), "c1")
    dialog = Dialog(conv, "c1")
    assert dialog.last_sequence == -1 and dialog.next_sequence == 0 and dialog._drain() == []
    assert dialog._release_gap() == []
    changes = [{"sequence": i, "event": {"type": "ContentEvent", "message": str(i)}} for i in range(4)]
    assert dialog._order(changes[0]) == [changes[0]]
    assert dialog._order(changes[2]) == [] and dialog._order(changes[3]) == []      # held: 1 is missing
    assert dialog._order(changes[2]) == []                                          # a duplicate
    assert dialog._order(changes[1]) == changes[1:]
    assert dialog._order(changes[1]) == [] and dialog.next_sequence == 4
    author = Participant("x", ParticipantRole.CONSUMER)
    assert dialog._add(Message(dialog, changes[1], author)) and not dialog._add(Message(dialog, changes[1], author))
    assert dialog._add(Message(dialog, changes[0], author))
    assert [m.sequence for m in dialog.messages] == [0, 1] and dialog.last_sequence == 1
    late = Dialog(conv, "d2")
    assert late._order(changes[3]) == [changes[3]]          # the first one seen sets the start
    assert late._order(changes[0]) == [changes[0]] and late._order(changes[0]) == []   # older, not seen: once
    history = Dialog(conv, "d3")
    assert history._mark_history([0, 1, 2]) == [] and history.next_sequence == 3
