"""Consumer and brand flows over the in-memory transport against the emulator's engine.

No sockets: these pin the SDK's behaviour quickly and deterministically. Covers CONN-02,
CONN-05, CONV-01, CONV-10, CVEV-01, CVEV-07, MSG-03/04/05, SUB-01/02, and the browser
path (InitConnection instead of a header: ``websocket_headers=False``).
"""

from __future__ import annotations

import asyncio

import pytest

import lpweb
from lpweb import ParticipantRole, UserType
from lpweb.emulator.inprocess import InProcessEmulator

T = 5


@pytest.fixture
def emu():
    return InProcessEmulator()


def consumer(emu, **kw):
    return lpweb.create_connection(app_id="tests", account_id=emu.account_id, user_type=UserType.CONSUMER,
                                   csds_domain=emu.csds_domain, transport=kw.pop("transport", emu.transport()), **kw)


def brand(emu):
    return lpweb.create_connection(app_id="tests", account_id=emu.account_id, user_type=UserType.BRAND,
                                   csds_domain=emu.csds_domain, transport=emu.transport(),
                                   auth_data={"username": "bot", "password": "bot-password"})


@pytest.mark.parametrize("headers", [True, False], ids=["jwt-header", "init-connection"])
async def test_message_both_ways(emu, headers):
    agent = brand(emu)
    joined = asyncio.Event()

    @agent.on("conversation")
    async def serve(conv):
        @conv.on("message")  # listen before joining, so no message is missed
        async def echo(message):
            if message.participant.role == ParticipantRole.CONSUMER:
                await message.accept()
                await message.read()
                await conv.send_message("echo: " + message.body)

        await conv.join(ParticipantRole.ASSIGNED_AGENT)
        joined.set()

    await agent.open()
    cons = consumer(emu, transport=emu.transport(websocket_headers=headers))
    await cons.open()
    conv = await cons.create_conversation()
    await asyncio.wait_for(joined.wait(), T)
    added = await conv.wait_for("participant-added", timeout=T) if conv.assigned_agent is None else None
    assert conv.assigned_agent is not None
    if added is not None:
        assert added["participant"].role == ParticipantRole.ASSIGNED_AGENT
    receipts = []
    conv.on("accept-status", receipts.append)
    reply = asyncio.ensure_future(conv.wait_for("message", check=lambda m: m.body == "echo: hi", timeout=T))
    await conv.send_message("hi")
    message = await reply
    assert not message.sent_by_current_user()
    assert {r["status"] for r in receipts} >= {"ACCEPT", "READ"}
    assert [m.body for m in conv.messages] == ["hi", "echo: hi"]
    await cons.close()
    await agent.close()


async def test_request_after_close_is_refused(emu):
    cons = consumer(emu)
    await cons.open()
    await cons.close()
    with pytest.raises(lpweb.InvalidState):
        await cons.create_conversation()


async def test_consumer_cannot_join(emu):
    """CONN-19: brand-only calls on a consumer connection fail before sending."""
    cons = consumer(emu)
    await cons.open()
    conv = await cons.create_conversation()
    with pytest.raises(lpweb.UsageError):
        await conv.join()
    with pytest.raises(lpweb.UsageError):
        await cons.set_agent_state("ONLINE")
    await cons.close()


async def test_server_error_is_a_typed_error(emu):
    """A second open conversation is refused by the server: RequestFailed with its code."""
    cons = consumer(emu)
    await cons.open()
    await cons.create_conversation()
    with pytest.raises(lpweb.RequestFailed) as info:
        await cons.create_conversation()
    assert info.value.code == 400
    await cons.close()
