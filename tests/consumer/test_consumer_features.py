"""The consumer SDK against the emulator: messages and their details, dialogs, survey, CSAT,
files, profiles, typing, resume. Feature IDs are named in each test's docstring."""

from __future__ import annotations

import asyncio
import json

import pytest

import lpweb
from lpweb import DialogType, ParticipantRole

from .conftest import T, wait_joined

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


async def test_metadata_quick_replies_and_markdown_arrive_untouched(make_consumer, agent):
    """MSG-09, MSG-10, MSG-11, MSG-14, CONV-10: metadata (one or a list), quick replies and
    #md# text travel unchanged to the other side."""
    consumer = make_consumer()
    await consumer.open()
    conv = await consumer.create_conversation(skill_id="10")
    await wait_joined(agent, conv.conversation_id)
    agent_conv = agent.conversations[conv.conversation_id]
    got = asyncio.ensure_future(agent_conv.wait_for(
        "message", check=lambda m: m.participant.role == ParticipantRole.CONSUMER, timeout=T))
    quick = {"type": "quickReplies", "itemsPerRow": 2, "replies": [
        {"type": "button", "title": "Yes", "click": {"actions": [{"type": "publishText", "text": "yes"}]}}]}
    text = "see #md#[docs](https://developers.liveperson.com)#/md#"
    await conv.send_message(text, [{"type": "ExternalId", "id": "1"}, {"type": "ExternalId", "id": "2"}], quick)
    message = await got
    assert message.body == text
    assert message.metadata == [{"type": "ExternalId", "id": "1"}, {"type": "ExternalId", "id": "2"}]
    assert message.quick_replies == quick
    assert message.content_type == lpweb.ContentType.PLAIN_TEXT
    await consumer.close()


async def test_rich_content_both_ways(make_consumer, agent):
    """CONV-11, MSG-01, MSG-13: structured content is delivered as a dict body."""
    consumer = make_consumer()
    await consumer.open()
    conv = await consumer.create_conversation(skill_id="10")
    await wait_joined(agent, conv.conversation_id)
    content = {"type": "vertical", "elements": [{"type": "text", "text": "Card"},
                                                 {"type": "button", "title": "Go", "click": {"actions": [
                                                     {"type": "link", "name": "Go", "uri": "https://example.com"}]}}]}
    got = asyncio.ensure_future(conv.wait_for("message", check=lambda m: m.content_type == lpweb.ContentType.RICH_TEXT,
                                              timeout=T))
    await agent.conversations[conv.conversation_id].send_rich_text(content)
    message = await got
    assert message.body == content and message.participant.role == ParticipantRole.ASSIGNED_AGENT
    await consumer.close()


async def test_typing_and_receipts_reach_the_agent(make_consumer, agent):
    """MSG-03, MSG-04, MSG-16: chat state and ACCEPT/READ receipts."""
    consumer = make_consumer()
    await consumer.open()
    conv = await consumer.create_conversation(skill_id="10")
    await wait_joined(agent, conv.conversation_id)
    agent_conv = agent.conversations[conv.conversation_id]
    typing = asyncio.ensure_future(agent_conv.wait_for("chat-state", timeout=T))
    await conv.set_chat_state(lpweb.ParticipantChatState.COMPOSING)
    state = await typing
    assert state["chat_state"] == "COMPOSING" and state["participant"].role == ParticipantRole.CONSUMER
    reply = asyncio.ensure_future(conv.wait_for("message", check=lambda m: m.body == "echo: ping", timeout=T))
    await conv.send_message("ping")
    message = await reply
    statuses = []
    agent_conv.on("accept-status", lambda s: statuses.append(s["status"]))
    receipt = asyncio.ensure_future(agent_conv.wait_for("accept-status", check=lambda s: s["status"] == "READ",
                                                        timeout=T))
    await message.accept()
    await message.read()
    await receipt
    assert statuses == ["ACCEPT", "READ"]
    await consumer.close()


async def test_close_main_dialog_runs_the_survey_then_csat(make_consumer, agent):
    """DLG-05, DLG-01, CONV-06, CONV-07: closing MAIN opens the POST_SURVEY dialog; its
    questions arrive as messages with quick replies; answering completes it and the
    conversation closes; then CSAT is accepted."""
    consumer = make_consumer()
    await consumer.open()
    conv = await consumer.create_conversation(skill_id="20")
    await wait_joined(agent, conv.conversation_id)
    first_question = asyncio.ensure_future(conv.wait_for(
        "message", check=lambda m: m.dialog.dialog_type == DialogType.POST_SURVEY, timeout=T))
    await conv.get_dialog(DialogType.MAIN).close()
    question = await first_question
    assert conv.is_open and conv.open_dialog is question.dialog
    assert conv.get_dialog(DialogType.MAIN).state == lpweb.DialogState.CLOSE
    closed = asyncio.ensure_future(conv.wait_for("close", timeout=T))
    while question.quick_replies and not closed.done():  # each question offers its answers as quick replies
        reply = question.quick_replies["replies"][0]
        next_question = asyncio.ensure_future(conv.wait_for(
            "message", check=lambda m: m.dialog.dialog_type == DialogType.POST_SURVEY
            and m.participant.role != ParticipantRole.CONSUMER and m.sequence > question.sequence, timeout=T))
        await conv.send_message(reply["title"], reply["click"].get("metadata"))
        await asyncio.wait({next_question, closed}, return_when=asyncio.FIRST_COMPLETED)
        if not next_question.done():
            next_question.cancel()
            break
        question = next_question.result()
    await closed
    assert not conv.is_open and conv.open_dialog is None
    await conv.submit_csat(5, resolved=True)
    with pytest.raises(lpweb.UsageError):
        await conv.submit_csat(9)
    await consumer.close()


async def test_upload_and_download_with_progress(make_consumer, agent):
    """CONV-13, FILE-02..06, MSG-06..08: bytes up with progress, a hosted/file message to the
    agent, the same bytes down with progress; bad files are refused before any request."""
    consumer = make_consumer()
    await consumer.open()
    conv = await consumer.create_conversation(skill_id="10")
    await wait_joined(agent, conv.conversation_id)
    agent_conv = agent.conversations[conv.conversation_id]
    seen = asyncio.ensure_future(agent_conv.wait_for("message", check=lambda m: m.is_downloadable, timeout=T))
    up = []
    result = await conv.upload_file(PNG, "a picture", progress=lambda done, total: up.append((done, total)))
    assert isinstance(result["sequence"], int)
    assert up and up[-1] == (len(PNG), len(PNG))
    message = await seen
    assert message.body["caption"] == "a picture" and message.body["fileType"] == "PNG"
    assert message.relative_path.endswith(".PNG")
    down = []
    file = await message.download_file(progress=lambda done, total: down.append(done))
    assert file.data == PNG and file.filename == message.relative_path.rsplit("/", 1)[-1]
    assert down[-1] == len(PNG)
    with pytest.raises(lpweb.UsageError, match="limit"):
        await conv.upload_file(b"\x89PNG\r\n\x1a\n" + b"0" * (3 * 1024 * 1024))
    with pytest.raises(lpweb.UsageError, match="PNG"):
        await conv.upload_file(b"just text")
    # an optional thumbnail travels with the file message (a data:image URL under 30 KB)
    thumb = "data:image/png;base64,iVBORw0KGgo="
    seen = asyncio.ensure_future(agent_conv.wait_for("message", check=lambda m: m.is_downloadable
                                                     and m.body.get("preview") == thumb, timeout=T))
    await conv.upload_file(PNG, "with a preview", preview=thumb)
    assert (await seen).body["caption"] == "with a preview"
    for bad in ("javascript:alert(1)", "data:image/png;base64," + "A" * 40_000):
        with pytest.raises(lpweb.UsageError, match="preview"):
            await conv.upload_file(PNG, preview=bad)
    echo = asyncio.ensure_future(conv.wait_for("message", check=lambda m: m.body == "echo: hi", timeout=T))
    await conv.send_message("hi")
    with pytest.raises(lpweb.UsageError, match="no file"):
        await (await echo).download_file()
    await consumer.close()


async def test_profiles(make_consumer, agent):
    """CONN-12, PROF-01, PROF-02, PROF-05: set and read the consumer's own profile; reading an
    agent's profile as a consumer is refused locally."""
    consumer = make_consumer()
    await consumer.open()
    await consumer.set_user_profile({"firstName": "Ada", "lastName": "Lovelace", "nickName": "ada"})
    conv = await consumer.create_conversation(skill_id="10")
    await wait_joined(agent, conv.conversation_id)
    if conv.assigned_agent is None:
        await conv.wait_for("participant-added", timeout=T)
    profile = await conv.consumer.get_user_profile()
    assert "Ada" in json.dumps(profile)
    with pytest.raises(lpweb.UsageError, match="own profile"):
        await conv.assigned_agent.get_user_profile()
    brand_view = await agent.conversations[conv.conversation_id].consumer.get_user_profile()
    assert "Lovelace" in json.dumps(brand_view)
    await consumer.close()


async def test_resume_a_closed_conversation(make_consumer, agent):
    """CONV-08, CONV-20, CONV-09: a closed conversation refuses sends; resume starts a new one
    in the same skill; the latest consumer message is kept locally."""
    consumer = make_consumer()
    await consumer.open()
    conv = await consumer.create_conversation(skill_id="10")
    await conv.send_message("first words")
    assert conv.get_latest_consumer_message().body == "first words"
    with pytest.raises(lpweb.InvalidState):
        await conv.resume_conversation()
    closed = asyncio.ensure_future(conv.wait_for("close", timeout=T))
    await conv.close()
    await closed
    with pytest.raises(lpweb.ConversationClosed):
        await conv.send_message("no")
    again = await conv.resume_conversation()
    assert again.conversation_id != conv.conversation_id and again.skill.skill_id == "10" and again.is_open
    await consumer.close()


async def test_arbitrary_request_and_close_by_id(make_consumer):
    """CONN-10, CONN-06: send() any request; close_conversation(id)."""
    consumer = make_consumer()
    await consumer.open()
    clock = await consumer.send({"type": "GetClock"})
    assert isinstance(clock.body["currentTime"], int)
    conv = await consumer.create_conversation()
    closed = asyncio.ensure_future(conv.wait_for("close", timeout=T))
    await consumer.close_conversation(conv.conversation_id)
    await closed
    with pytest.raises(lpweb.RequestFailed):
        await consumer.send({"type": "cm.UpdateConversationField", "body": {"conversationId": "nope",
                                                                            "conversationField": []}})
    await consumer.close()
