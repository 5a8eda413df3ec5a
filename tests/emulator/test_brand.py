"""Brand websocket specifics: filters, participants, dialogs, URL versions (protocol.md §4.2, §5.5, §5.6)."""

from __future__ import annotations

from typing import Any

from lpweb.emulator import Emulator

from conftest import Clients, WsClient

TEXT = {"type": "ContentEvent", "contentType": "text/plain", "message": "hi"}


async def _consumer_conversation(clients: Clients) -> tuple[WsClient, str]:
    consumer = await clients.consumer(await clients.signup())
    conv_id = (await consumer.request("cm.ConsumerRequestConversation"))["body"]["conversationId"]
    return consumer, conv_id


def _field(conv_id: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"conversationId": conv_id, "conversationField": list(fields)}


async def test_v2_url_compression_and_old_socket_survives_relogin(clients: Clients, emu: Emulator) -> None:
    """§4.2 v=2 and v=2.1; BAUTH-09/10: an open socket keeps working after a second login."""
    first = await clients.login()
    brand = await clients.brand(first["bearer"], version="2")
    assert "permessage-deflate" in (brand.ws.response.headers.get("Sec-WebSocket-Extensions") or "")
    second = await clients.login()
    assert (await brand.request(".GetClock"))["code"] == 200
    brand2 = await clients.brand(second["bearer"])
    assert (await brand2.request("GetClock"))["code"] == 200


async def test_agent_ids_filter_and_participant_changes(clients: Clients, emu: Emulator) -> None:
    """SUB-10 agentIds (old ids), CVEV-05 back-to-queue as REMOVE, DELETE when leaving the filter."""
    _, conv_id = await _consumer_conversation(clients)
    login = await clients.login()
    me = f"{emu.account_id}.{login['config']['userId']}"
    brand = await clients.brand(login["bearer"])
    sub = await brand.request(".ams.aam.SubscribeExConversations", {"agentIds": [me], "convState": ["OPEN"]})
    assert sub["code"] == 200
    n = await brand.notification(".ams.aam.ExConversationChangeNotification")
    assert n["body"]["changes"] == []
    resp = await brand.request(".ams.cm.UpdateConversationField", _field(
        conv_id, {"field": "ParticipantsChange", "type": "ADD", "role": "ASSIGNED_AGENT", "userId": me}))
    assert resp["code"] == 200
    n = await brand.notification(".ams.aam.ExConversationChangeNotification")
    change = n["body"]["changes"][0]
    assert change["type"] == "UPSERT"
    assert change["result"]["conversationDetails"]["participants"]["ASSIGNED_AGENT"] == [me]
    dialog = change["result"]["conversationDetails"]["dialogs"][0]
    assert {"id": me, "role": "ASSIGNED_AGENT", "state": "ACTIVE"} in dialog["participantsDetails"]

    other = await clients.login("agent2", "pw2")
    other_brand = await clients.brand(other["bearer"])
    resp = await other_brand.request(".ams.cm.UpdateConversationField", _field(
        conv_id, {"field": "ParticipantsChange", "type": "ADD", "role": "ASSIGNED_AGENT"}))
    assert resp["code"] == 400                                   # already assigned

    resp = await brand.request(".ams.cm.UpdateConversationField", _field(
        conv_id, {"field": "ParticipantsChange", "type": "REMOVE", "role": "ASSIGNED_AGENT", "userId": me}))
    assert resp["code"] == 200 and resp["body"] == "OK Agent removed successfully"
    n = await brand.notification(".ams.aam.ExConversationChangeNotification")
    assert n["body"]["changes"][0]["type"] == "DELETE"
    resp = await brand.request(".ams.cm.UpdateConversationField", _field(
        conv_id, {"field": "ParticipantsChange", "type": "REMOVE", "role": "ASSIGNED_AGENT"}))
    assert resp["code"] == 400                                   # nobody assigned


async def test_dialog_close_by_agent_and_single_object_field(clients: Clients, emu: Emulator) -> None:
    """DLG-05: DialogChange UPDATE CLOSE on MAIN closes the conversation (no surveys);
    conversationField as a single object (§4.3); CVEV-02 for both sides."""
    consumer, conv_id = await _consumer_conversation(clients)
    await consumer.request("cqm.SubscribeExConversations", {"stage": ["OPEN", "CLOSE"]})
    await consumer.notification("cqm.ExConversationChangeNotification")
    brand = await clients.brand((await clients.login())["bearer"])
    await brand.request("cqm.SubscribeExConversations", {"stage": ["OPEN", "CLOSE"]})   # short spelling
    n = await brand.notification("cqm.ExConversationChangeNotification")             # consumer-style body
    assert n["body"]["changes"][0]["result"]["conversationDetails"]["participants"][0]["role"] == "CONSUMER"
    join = {"field": "ParticipantsChange", "type": "ADD", "role": "ASSIGNED_AGENT"}
    assert (await brand.request(".ams.cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": join}))["code"] == 200
    close = {"field": "DialogChange", "type": "UPDATE",
             "dialog": {"dialogId": conv_id, "state": "CLOSE", "closedCause": "Completed"}}
    resp = await brand.request(".ams.cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": close})
    assert resp["code"] == 200 and resp["body"] == "OK Conversation resolved successfully"
    n = await consumer.notification("cqm.ExConversationChangeNotification",
                                    lambda f: f["body"]["changes"][0]["result"]["conversationDetails"]["stage"] == "CLOSE")
    details = n["body"]["changes"][0]["result"]["conversationDetails"]
    assert details["closeReason"] == "AGENT"
    assert details["dialogs"][0]["closedBy"] == "AGENT" and details["dialogs"][0]["closedCause"] == "Completed"
    assert details["metaDataLastUpdateTs"] >= details["startTs"]
    resp = await brand.request(".ams.ms.PublishEvent", {"dialogId": conv_id, "event": TEXT})
    assert resp["code"] == 400


async def test_side_restrictions(clients: Clients) -> None:
    consumer, conv_id = await _consumer_conversation(clients)
    assert (await consumer.request(".ams.routing.SetAgentState", {"availability": "ONLINE"}))["code"] == 403
    assert (await consumer.request(".ams.ms.QueryMessages", {"dialogId": conv_id}))["code"] == 403
    resp = await consumer.request("cm.UpdateConversationField", _field(
        conv_id, {"field": "ParticipantsChange", "type": "ADD", "role": "MANAGER"}))
    assert resp["code"] == 403
    brand = await clients.brand((await clients.login())["bearer"])
    assert (await brand.request("cm.ConsumerRequestConversation"))["code"] == 403
    assert (await brand.request(".ams.routing.SetAgentState", {"availability": "SLEEPY"}))["code"] == 400
    assert (await brand.request(".ams.ms.SubscribeMessagingEvents", {"dialogId": conv_id}))["code"] == 400
    assert (await brand.request(".ams.nothing.Here", {}))["code"] == 400
    assert (await brand.request(".ams.cm.UpdateConversationField", _field("nope", {"field": "Skill"})))["code"] == 404


async def test_brand_sees_only_participant_events(clients: Clients) -> None:
    """SUB-22: brand message events arrive only for conversations the user takes part in."""
    consumer, conv_id = await _consumer_conversation(clients)
    brand = await clients.brand((await clients.login())["bearer"])
    await consumer.request("ms.PublishEvent", {"dialogId": conv_id, "event": TEXT})
    await brand.no_notification(".ams.ms.OnlineEventDistribution", 0.1)
    await brand.request(".ams.cm.UpdateConversationField", _field(
        conv_id, {"field": "ParticipantsChange", "type": "ADD", "role": "MANAGER"}))
    await consumer.request("ms.PublishEvent", {"dialogId": conv_id, "event": {"type": "ChatStateEvent", "chatState": "COMPOSING"}})
    n = await brand.notification(".ams.ms.OnlineEventDistribution")
    assert "sequence" not in n["body"] and n["body"]["event"]["chatState"] == "COMPOSING"
