"""A full consumer + agent exchange over raw websockets, and schema validation of every frame."""

from __future__ import annotations

from typing import Any

import pytest


from conftest import Clients, Trace, validate_trace
from schema_check import schemas_available

TEXT = "text/plain"


async def full_exchange(clients: Clients) -> dict[str, Any]:
    emu = clients.emu
    # --- consumer: signup, InitConnection, subscribe, create, subscribe messages, publish
    jwt = await clients.signup()
    consumer = await clients.consumer()
    resp = await consumer.request("InitConnection", headers=[
        {"type": ".ams.headers.ClientProperties", "deviceFamily": "DESKTOP", "os": "LINUX",
         "features": ["PHOTO_SHARING", "QUICK_REPLIES", "MULTI_DIALOG"]},
        {"type": ".ams.headers.ConsumerAuthentication", "jwt": jwt}])
    assert resp["code"] == 200
    resp = await consumer.request("cqm.SubscribeExConversations", {"stage": ["OPEN", "CLOSE"], "convState": ["OPEN", "CLOSE"]})
    assert resp["code"] == 200 and resp["type"] == "cqm.SubscribeExConversationsResponse"
    c_sub = resp["body"]["subscriptionId"]
    first = await consumer.notification("cqm.ExConversationChangeNotification")
    assert first["body"] == {"subscriptionId": c_sub, "changes": []}

    resp = await consumer.request("cm.ConsumerRequestConversation", {
        "channelType": "MESSAGING", "ttrDefName": "NORMAL", "brandId": emu.account_id,
        "conversationContext": {"type": "SharkContext", "lang": "en-US"}})
    assert resp["code"] == 200 and resp["type"] == "cm.RequestConversationResponse"
    conv_id = resp["body"]["conversationId"]
    n = await consumer.notification("cqm.ExConversationChangeNotification")
    change = n["body"]["changes"][0]
    assert change["type"] == "UPSERT" and change["result"]["convId"] == conv_id
    consumer_id = change["result"]["conversationDetails"]["participants"][0]["id"]
    assert change["result"]["conversationDetails"]["participants"] == [{"id": consumer_id, "role": "CONSUMER"}]

    resp = await consumer.request("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "conversationId": conv_id, "fromSeq": 0})
    assert resp["code"] == 200
    history = await consumer.notification("ms.MessagingEventNotification")
    assert history["body"] == {"dialogId": conv_id, "changes": []}

    resp = await consumer.request("ms.PublishEvent", {
        "dialogId": conv_id, "conversationId": conv_id,
        "event": {"type": "ContentEvent", "contentType": TEXT, "message": "Hello from consumer"}})
    assert resp["body"] == {"sequence": 0}
    echo = await consumer.notification("ms.MessagingEventNotification")
    echo_change = echo["body"]["changes"][0]
    assert echo_change["originatorId"] == consumer_id and echo_change["sequence"] == 0
    assert echo_change["originatorMetadata"] == {"id": consumer_id, "role": "CONSUMER",
                                                 "clientProperties": echo_change["originatorClientProperties"]}

    # --- brand: login, socket, agent state, subscribe {"stage":["OPEN"]}, join, reply
    login = await clients.login()
    old_id = f"{emu.account_id}.{login['config']['userId']}"
    pid = login["config"]["userPid"]
    brand = await clients.brand(login["bearer"])
    resp = await brand.request(".ams.routing.SetAgentState",
                               {"channels": ["MESSAGING"], "agentUserId": old_id, "availability": "ONLINE"})
    assert resp["code"] == 202 and resp["body"] == "Agent state updated successfully"
    resp = await brand.request(".ams.userprofile.GetUserProfile", {})
    assert resp["body"] == {"userId": old_id}
    resp = await brand.request(".ams.aam.SubscribeExConversations", {"stage": ["OPEN"]})
    assert resp["code"] == 200
    b_sub = resp["body"]["subscriptionId"]
    n = await brand.notification(".ams.aam.ExConversationChangeNotification")
    assert n["body"]["subscriptionId"] == b_sub
    [bchange] = n["body"]["changes"]
    details = bchange["result"]["conversationDetails"]
    assert bchange["type"] == "UPSERT" and details["participants"] == {"CONSUMER": [consumer_id]}
    assert details["participantsPId"] == {"CONSUMER": [consumer_id]}

    resp = await brand.request(".ams.ms.PublishEvent", {
        "dialogId": conv_id, "event": {"type": "ContentEvent", "contentType": TEXT, "message": "not yet"}})
    assert resp["code"] == 403                             # not a participant yet

    resp = await brand.request(".ams.cm.UpdateConversationField", {
        "conversationId": conv_id,
        "conversationField": [{"field": "ParticipantsChange", "type": "ADD", "role": "AGENT"}]})
    assert resp["code"] == 200 and resp["body"] == "OK Agent added successfully"
    n = await brand.notification(".ams.aam.ExConversationChangeNotification")
    details = n["body"]["changes"][0]["result"]["conversationDetails"]
    assert details["participants"]["AGENT"] == [old_id] and details["participantsPId"]["AGENT"] == [pid]
    n = await consumer.notification("cqm.ExConversationChangeNotification")
    assert {"id": pid, "role": "AGENT"} in n["body"]["changes"][0]["result"]["conversationDetails"]["participants"]

    resp = await brand.request(".ams.ms.QueryMessages", {"dialogId": conv_id, "fromSeq": 0, "newerThanSequence": 0})
    assert resp["code"] == 200
    assert [(e["sequence"], e["originatorId"], e["originatorPId"]) for e in resp["body"]] == [(0, consumer_id, consumer_id)]

    resp = await brand.request(".ams.ms.PublishEvent", {
        "dialogId": conv_id, "conversationId": conv_id,
        "event": {"type": "ContentEvent", "contentType": TEXT, "message": "Hello from agent"}},
        metadata=[{"type": "ExternalId", "id": "ext-1"}])
    assert resp["body"] == {"sequence": 1}
    online = await brand.notification(".ams.ms.OnlineEventDistribution")
    assert online["body"]["originatorId"] == old_id and online["body"]["originatorPId"] == pid
    assert online["body"]["sequence"] == 1 and online["body"]["dialogId"] == conv_id
    got = await consumer.notification("ms.MessagingEventNotification")
    agent_change = got["body"]["changes"][0]
    assert agent_change["originatorId"] == pid and agent_change["originatorMetadata"]["role"] == "AGENT"
    assert agent_change["event"]["message"] == "Hello from agent"
    assert agent_change["metadata"] == [{"type": "ExternalId", "id": "ext-1"}]

    # private message: brand only (CONV-12)
    resp = await brand.request(".ams.ms.PublishEvent", {
        "dialogId": conv_id, "messageAudience": "AGENTS_AND_MANAGERS",
        "event": {"type": "ContentEvent", "contentType": TEXT, "message": "psst"}})
    assert resp["body"] == {"sequence": 2}
    await brand.notification(".ams.ms.OnlineEventDistribution", lambda f: f["body"]["sequence"] == 2)

    # consumer reads the agent message; the agent sees the receipt
    resp = await consumer.request("ms.PublishEvent", {
        "dialogId": conv_id, "conversationId": conv_id,
        "event": {"type": "AcceptStatusEvent", "status": "READ", "sequenceList": [1]}})
    assert resp["body"] == {"sequence": 3}
    receipt = await consumer.notification("ms.MessagingEventNotification")
    assert receipt["body"]["changes"][0]["sequence"] == 3     # seq 2 (private) never reached the consumer
    await brand.notification(".ams.ms.OnlineEventDistribution",
                             lambda f: f["body"]["event"]["type"] == "AcceptStatusEvent")

    # --- consumer closes; brand gets the change (DELETE from its OPEN filter)
    resp = await consumer.request("cm.UpdateConversationField", {
        "conversationId": conv_id,
        "conversationField": [{"field": "ConversationStateField", "conversationState": "CLOSE"}]})
    assert resp["code"] == 200
    n = await consumer.notification("cqm.ExConversationChangeNotification")
    cdetails = n["body"]["changes"][0]["result"]["conversationDetails"]
    assert (cdetails["stage"], cdetails["state"], cdetails["closeReason"]) == ("CLOSE", "CLOSE", "CONSUMER")
    assert cdetails["dialogs"][0]["closedBy"] == "CONSUMER"
    n = await brand.notification(".ams.aam.ExConversationChangeNotification")
    [bchange] = n["body"]["changes"]
    assert bchange["type"] == "DELETE" and bchange["result"]["convId"] == conv_id
    assert bchange["result"]["conversationDetails"]["stage"] == "CLOSE"

    resp = await consumer.request("ms.PublishEvent", {
        "dialogId": conv_id, "event": {"type": "ContentEvent", "contentType": TEXT, "message": "late"}})
    assert resp["code"] == 400                              # closed dialog
    resp = await consumer.request("cqm.UnsubscribeExConversations", {"subscriptionId": c_sub})
    assert resp["code"] == 200
    return {"conversation_id": conv_id, "consumer_id": consumer_id}


async def test_full_consumer_agent_exchange(clients: Clients) -> None:
    """CONN-05, CONV-10, CONV-12, MSG-03/MSG-04, SUB-02 (brand {"stage":["OPEN"]}), SUB-21, SUB-22,
    CVEV-01, CVEV-02, CVEV-07, BAUTH-01, CAUTH-01, CONN-07, PROTO-01, PROTO-03."""
    await full_exchange(clients)


@pytest.mark.skipif(not schemas_available(), reason="shared/schemas not found (set LPWEB_SCHEMAS)")
async def test_every_frame_of_the_exchange_matches_the_schemas(clients: Clients, trace: Trace) -> None:
    """PROTO-01, PROTO-03: every traced frame with a published schema validates."""
    await full_exchange(clients)
    validated, unchecked = validate_trace(trace)
    core = {"InitConnection", "cm.ConsumerRequestConversation", "ms.PublishEvent", ".ams.ms.PublishEvent",
            "cqm.SubscribeExConversations", ".ams.aam.SubscribeExConversations", "ms.SubscribeMessagingEvents",
            "cm.UpdateConversationField", ".ams.cm.UpdateConversationField", "ms.MessagingEventNotification",
            "cqm.ExConversationChangeNotification", "cm.RequestConversationResponse", "ms.PublishEventResponse",
            "cqm.SubscribeExConversationsResponse", ".ams.routing.SetAgentState"}
    assert core <= validated, (core - validated, unchecked)
    assert ".ams.ms.OnlineEventDistribution" in unchecked
    assert ".ams.aam.ExConversationChangeNotification" in unchecked
