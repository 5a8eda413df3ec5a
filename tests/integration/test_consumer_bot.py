"""Native end to end: consumer <-> emulator <-> agent bot over loopback websockets and HTTP.

Covers CONN-01/02/03/05/11, CONV-05/10, CVEV-01/02, MSG-01/02/05, OPT-10 (resume with a
token), SUB-01/02 (default subscriptions), CEVT-02 ('conversation'), CONV-01 (join).
"""

from __future__ import annotations

import asyncio

import pytest

import lpweb
from lpweb import ConnectionState, ParticipantRole, UserType
from lpweb.transports import MemoryTokenStore

from demo.agent_bot import GREETING, echo_reply, run_bot

TIMEOUT = 10


def consumer(emu, **kw):
    return lpweb.create_connection(app_id="quick_start", account_id=emu.account_id,
                                   user_type=UserType.CONSUMER, csds_domain=emu.csds_domain, **kw)


@pytest.fixture
async def bot(emulator):
    ready = asyncio.Event()
    task = asyncio.create_task(run_bot(emulator.csds_domain, emulator.account_id, ready=ready))
    await asyncio.wait_for(ready.wait(), TIMEOUT)
    yield task
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_consumer_talks_to_the_bot(emulator, bot):
    conn = consumer(emulator)
    errors = []
    conn.on("error", errors.append)
    await conn.open()
    assert conn.state == ConnectionState.CONNECTED
    assert conn.default_subscription is not None
    conv = await conn.create_conversation()
    assert conv.skill.skill_id == "-1"
    greeting = await conv.wait_for("message", check=lambda m: m.body == GREETING, timeout=TIMEOUT)
    assert greeting.participant.role == ParticipantRole.ASSIGNED_AGENT
    assert not greeting.sent_by_current_user()

    echoed = asyncio.ensure_future(conv.wait_for("message", check=lambda m: m.body == echo_reply("hello"),
                                                 timeout=TIMEOUT))
    result = await conv.send_message("hello")
    assert isinstance(result.get("sequence"), int)
    reply = await echoed
    assert reply.participant.role == ParticipantRole.ASSIGNED_AGENT
    own = [m for m in conv.messages if m.sent_by_current_user()]
    assert [m.body for m in own] == ["hello"]
    sequences = [m.sequence for m in conv.messages]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)

    closed = asyncio.ensure_future(conv.wait_for("close", timeout=TIMEOUT))
    await conv.close()
    await closed
    assert not conv.is_open
    with pytest.raises(lpweb.ConversationClosed):
        await conv.send_message("too late")
    await conn.close()
    assert conn.state == ConnectionState.CLOSED
    assert errors == []


async def test_resume_with_saved_token(emulator, bot):
    """OPT-10, CONN-11: a second connection with the first one's token sees the conversation
    and its history before open() returns (wait_for_ready)."""
    first = consumer(emulator)
    await first.open()
    conv = await first.create_conversation()
    await conv.wait_for("message", check=lambda m: m.body == GREETING, timeout=TIMEOUT)
    await conv.send_message("remember me")
    await conv.wait_for("message", check=lambda m: m.body == echo_reply("remember me"), timeout=TIMEOUT)
    token = await first.get_token()
    await first.close()

    second = consumer(emulator, token=token, wait_for_ready=True)
    announced = []
    second.on("conversation", announced.append)
    await second.open()
    assert list(second.conversations) == [conv.conversation_id]
    resumed = second.conversations[conv.conversation_id]
    assert [m.body for m in resumed.messages][:3] == [GREETING, "remember me", echo_reply("remember me")]
    assert resumed.messages[1].sent_by_current_user()
    await asyncio.sleep(0)
    assert announced == [resumed]
    await second.close()


async def test_token_store_resumes_and_replaces_a_rejected_token(emulator):
    """B-07: the token store keeps the JWT; a token the server refuses is replaced."""
    store = MemoryTokenStore()
    first = consumer(emulator, token_store=store)
    await first.open()
    token = await first.get_token()
    assert store.get(first.options.token_store_key) == token
    await first.close()

    second = consumer(emulator, token_store=store)
    await second.open()
    assert await second.get_token() == token
    await second.close()

    store.set(second.options.token_store_key, "not.a-valid.token")
    third = consumer(emulator, token_store=store)
    await third.open()
    assert await third.get_token() not in (token, "not.a-valid.token")
    await third.close()


async def test_wrong_account_fails_to_connect(emulator):
    conn = lpweb.create_connection(app_id="quick_start", account_id="999", user_type=UserType.CONSUMER,
                                   csds_domain=emulator.csds_domain)
    with pytest.raises(lpweb.LPError):
        await conn.open()
    assert conn.state == ConnectionState.FAILED_TO_CONNECT


async def test_brand_bad_password(emulator):
    conn = lpweb.create_connection(app_id="quick_start", account_id=emulator.account_id,
                                   user_type=UserType.BRAND, csds_domain=emulator.csds_domain,
                                   auth_data={"username": "bot", "password": "wrong-password"})
    with pytest.raises(lpweb.AuthError) as info:
        await conn.open()
    assert "wrong-password" not in str(info.value)
    assert conn.state == ConnectionState.FAILED_TO_CONNECT
