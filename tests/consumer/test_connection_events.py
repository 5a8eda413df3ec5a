"""Connection events and token stores: 'notification' (CEVT-04), 'conversation' (CEVT-02),
'ready' (CEVT-10), 'open'/'close', 'error' for a malformed frame (CEVT-01), FileTokenStore
(B-07), auth_type (CAUTH-08)."""

from __future__ import annotations

import asyncio

import lpweb
from lpweb import AuthType, UserType
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.transports.native import FileTokenStore

T = 5


def consumer(emu, **kw):
    return lpweb.create_connection(app_id="events", account_id=emu.account_id, user_type=UserType.CONSUMER,
                                   csds_domain=emu.csds_domain, transport=emu.transport(), **kw)


async def test_lifecycle_and_notification_events():
    emu = InProcessEmulator()
    conn = consumer(emu)
    seen = []
    for name in ("open", "ready", "close"):
        conn.on(name, lambda *payload, name=name: seen.append(name))
    notifications, conversations = [], []
    conn.on("notification", notifications.append)
    conn.on("conversation", conversations.append)
    assert conn.auth_type == AuthType.NONE
    await conn.open()
    assert conn.auth_type == AuthType.CONSUMER_ANONYMOUS
    conv = await conn.create_conversation()
    await conv.send_message("hi")
    await asyncio.sleep(0)
    await conn.close()
    assert seen == ["open", "ready", "close"]
    types = {n.type for n in notifications}
    assert {"cqm.ExConversationChangeNotification", "ms.MessagingEventNotification"} <= types
    assert all(hasattr(n, "body") for n in notifications)
    assert conversations == [conv]


async def test_malformed_frame_is_an_error_event_and_the_connection_goes_on():
    emu = InProcessEmulator()
    conn = consumer(emu)
    errors = []
    conn.on("error", errors.append)
    await conn.open()
    conn._protocol.receive_text('{"kind":"notification","type":"ms.MessagingEventNotification","body":42}')
    conn._process()
    assert len(errors) == 1 and isinstance(errors[0], lpweb.ProtocolError)
    conv = await conn.create_conversation()
    assert conv.is_open
    await conn.close()


async def test_file_token_store_resumes_across_processes(tmp_path):
    emu = InProcessEmulator()
    store = FileTokenStore(tmp_path / "tokens.json")
    first = consumer(emu, token_store=store)
    await first.open()
    conv = await first.create_conversation()
    await first.close()
    assert "eyJ" not in repr(store)
    second = consumer(emu, token_store=FileTokenStore(tmp_path / "tokens.json"), wait_for_ready=True)
    await second.open()
    assert second.auth_type == AuthType.CONSUMER_UNDETERMINED
    assert list(second.conversations) == [conv.conversation_id]
    await second.close()
