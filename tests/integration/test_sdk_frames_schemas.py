"""Every websocket frame of a full SDK exchange validates against LivePerson's schemas.

The consumer SDK (both the header and the browser-style InitConnection paths) and the
demo bot (brand SDK) run a whole conversation against the emulator; the emulator's trace
records every frame each way, and each frame with a published schema is validated
(tests/schema_check.py lists the frame types that have none). Covers PROTO-01 and the
"frames validate" requirement of issue #2.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

import lpweb
from lpweb import UserType
from lpweb.emulator import Emulator

from demo.agent_bot import GREETING, echo_reply, run_bot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from schema_check import check_frame, schemas_available  # noqa: E402

T = 10


class BrowserLikeTransport:
    """The native transport without websocket headers, as in a browser (InitConnection)."""

    websocket_headers = False

    def __init__(self):
        from lpweb.transports.native import NativeTransport

        self._inner = NativeTransport()

    async def connect_websocket(self, url, headers=None):
        return await self._inner.connect_websocket(url, {})

    async def http(self, *args, **kwargs):
        return await self._inner.http(*args, **kwargs)

    async def aclose(self):
        await self._inner.aclose()


@pytest.mark.parametrize("browser_like", [False, True], ids=["jwt-header", "init-connection"])
async def test_full_exchange_frames_validate(browser_like):
    assert schemas_available(), "the schemas are expected at ../shared/schemas (or set LPWEB_SCHEMAS)"
    trace: list[tuple[str, str, object]] = []
    async with Emulator(port=0, trace=lambda d, c, p: trace.append((d, c, p))) as emu:
        ready = asyncio.Event()
        bot = asyncio.create_task(run_bot(emu.csds_domain, emu.account_id, ready=ready))
        await asyncio.wait_for(ready.wait(), T)
        transport = BrowserLikeTransport() if browser_like else None
        conn = lpweb.create_connection(app_id="schema_check", account_id=emu.account_id,
                                       user_type=UserType.CONSUMER, csds_domain=emu.csds_domain,
                                       transport=transport, client_properties=lpweb.create_client_properties(
                                           device_family=lpweb.DeviceFamily.DESKTOP, os=lpweb.OS.LINUX,
                                           features=[lpweb.Features.PHOTO_SHARING]))
        await conn.open()
        conv = await conn.create_conversation(context={"type": "SharkContext", "lang": "en-US"},
                                              campaign_info={"campaignId": "1", "engagementId": "2"})
        await conv.wait_for("message", check=lambda m: m.body == GREETING, timeout=T)
        await conv.set_chat_state(lpweb.ParticipantChatState.COMPOSING)
        await conv.send_message("hi", metadata={"type": "ExternalId", "id": "x-1"})
        reply = await conv.wait_for("message", check=lambda m: m.body == echo_reply("hi"), timeout=T)
        await reply.accept()
        await reply.read()
        await conv.close()
        await conn.close()
        bot.cancel()
        await asyncio.gather(bot, return_exceptions=True)
        if transport is not None:
            await transport.aclose()

    sides = {}
    for direction, conn_id, payload in trace:
        if isinstance(payload, dict) and payload.get("websocket"):
            sides[conn_id] = "brand" if "/messaging/brand/" in payload["path"] else "consumer"
    validated, unchecked = Counter(), Counter()
    for direction, conn_id, payload in trace:
        if conn_id not in sides or not isinstance(payload, str):
            continue
        frame = json.loads(payload)
        result = check_frame(frame, sides[conn_id])  # raises FrameInvalid on a schema failure
        (validated if result.validated else unchecked)[(sides[conn_id], frame.get("kind"), frame.get("type"))] += 1
    validated_types = {t for _, _, t in validated}
    expected = {"cm.ConsumerRequestConversation", "ms.PublishEvent", "cqm.SubscribeExConversations",
                "ms.SubscribeMessagingEvents", "cm.UpdateConversationField", "ms.MessagingEventNotification",
                "cqm.ExConversationChangeNotification", ".ams.ms.PublishEvent", ".ams.cm.UpdateConversationField",
                ".ams.aam.SubscribeExConversations"}
    if browser_like:
        expected.add("InitConnection")
    assert expected <= validated_types, f"not validated: {expected - validated_types}"
    assert sum(validated.values()) >= 20
