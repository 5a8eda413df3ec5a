"""Consumer websocket: authentication, errors, conversations and messaging (protocol.md §4, §5)."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from lpweb.emulator import Emulator

from conftest import Clients


async def test_header_auth_any_scheme(clients: Clients) -> None:
    """PROTO-01: header auth (`jwt`, `JWT`, `Bearer`), GetClock (protocol.md §2.4, §4.5)."""
    jwt = await clients.signup()
    for scheme in ("jwt", "JWT", "Bearer"):
        ws = await clients.consumer(jwt, scheme=scheme)
        resp = await ws.request("GetClock")
        assert resp["code"] == 200 and isinstance(resp["body"]["currentTime"], int)
        assert (await ws.request("KeepAlive"))["code"] == 200


async def test_init_connection_auth(clients: Clients) -> None:
    """InitConnection with ConsumerAuthentication + ClientProperties headers (protocol.md §4.4)."""
    jwt = await clients.signup()
    ws = await clients.consumer()
    resp = await ws.request("InitConnection", headers=[
        {"type": ".ams.headers.ClientProperties", "deviceFamily": "DESKTOP", "os": "LINUX"},
        {"type": ".ams.headers.ConsumerAuthentication", "jwt": jwt}])
    assert resp["code"] == 200 and resp["type"] == ".ReqBody$StringResp" and isinstance(resp["body"], str)
    resp = await ws.request("cm.ConsumerRequestConversation")
    assert resp["code"] == 200 and resp["body"]["conversationId"]


async def test_unauthenticated_request_is_401(clients: Clients) -> None:
    ws = await clients.consumer()
    resp = await ws.request("cm.ConsumerRequestConversation")
    assert resp["code"] == 401
    resp = await ws.request("GetClock")
    assert resp["code"] == 401


async def test_bad_jwt_closes_4401(clients: Clients) -> None:
    """Close code 4401 for a bad token, header or InitConnection (protocol.md §4.6)."""
    ws = await clients.consumer("not.a.jwt")
    code, _ = await ws.wait_closed()
    assert code == 4401
    ws = await clients.consumer()
    resp = await ws.request("InitConnection", headers=[{"type": ".ams.headers.ConsumerAuthentication", "jwt": "x.y.z"}])
    assert resp["code"] == 401
    code, _ = await ws.wait_closed()
    assert code == 4401


async def test_jwt_of_other_account_rejected(clients: Clients, emu: Emulator) -> None:
    emu.platform.add_account("999")
    foreign = emu.platform.tokens.issue_consumer_jwt("999", "x")
    ws = await clients.consumer(foreign)
    assert (await ws.wait_closed())[0] == 4401


async def test_brand_bad_bearer_rejected_at_handshake(clients: Clients) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        await clients.brand("0" * 64)
    assert info.value.response.status_code == 401


async def test_unknown_and_malformed_requests(clients: Clients) -> None:
    """Unknown types and malformed frames get 400; the socket stays open (PROTO-01)."""
    ws = await clients.consumer(await clients.signup())
    resp = await ws.request("no.SuchRequest", {})
    assert resp["code"] == 400 and isinstance(resp["body"], str)
    await ws.send('{"kind":"req","id":"m1","type":42}')
    resp = await ws.wait_for(lambda f: f.get("reqId") == "m1")
    assert resp["code"] == 400
    await ws.send("this is not json")
    await ws.send('[1,2,3]')
    resp = await ws.request("ms.PublishEvent", "not an object")
    assert resp["code"] == 400
    resp = await ws.request("ms.PublishEvent", {"dialogId": "nope", "event": {"type": "ContentEvent"}})
    assert resp["code"] == 404
    assert (await ws.request("GetClock"))["code"] == 200
    await ws.send({"kind": "req", "id": 7, "type": "GetClock"})             # numeric id -> "7"
    assert (await ws.wait_for(lambda f: f.get("reqId") == "7"))["code"] == 200


async def test_second_open_conversation_rejected(clients: Clients) -> None:
    """CONN-05: default skill "-1"; a second open conversation is rejected with 400."""
    ws = await clients.consumer(await clients.signup())
    await ws.request("cqm.SubscribeExConversations", {"stage": ["OPEN", "CLOSE"]})
    first = await ws.notification("cqm.ExConversationChangeNotification")
    assert first["body"]["changes"] == []
    conv_id = (await ws.request("cm.ConsumerRequestConversation", {"channelType": "MESSAGING"}))["body"]["conversationId"]
    n = await ws.notification("cqm.ExConversationChangeNotification")
    details = n["body"]["changes"][0]["result"]["conversationDetails"]
    assert details["skillId"] == "-1" and details["stage"] == "OPEN"
    assert details["dialogs"][0]["dialogId"] == conv_id and details["dialogs"][0]["dialogType"] == "MAIN"
    assert (await ws.request("cm.ConsumerRequestConversation"))["code"] == 400
    close = {"field": "ConversationStateField", "conversationState": "CLOSE"}
    resp = await ws.request("cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": close})
    assert resp["code"] == 200
    n = await ws.notification("cqm.ExConversationChangeNotification")
    assert n["body"]["changes"][0]["type"] == "UPSERT"       # stage CLOSE is in this filter
    assert n["body"]["changes"][0]["result"]["conversationDetails"]["closeReason"] == "CONSUMER"
    assert (await ws.request("cm.ConsumerRequestConversation", {"skillId": "12"}))["code"] == 200


async def test_sequences_history_and_chat_state(clients: Clients) -> None:
    """§8 sequences from 0; chat state gets {"sequence":0}; fromSeq history (SUB-21, MSG-03)."""
    jwt = await clients.signup()
    ws = await clients.consumer(jwt)
    conv_id = (await ws.request("cm.ConsumerRequestConversation"))["body"]["conversationId"]
    pub = lambda event: ws.request("ms.PublishEvent", {"dialogId": conv_id, "conversationId": conv_id, "event": event})
    assert (await pub({"type": "ContentEvent", "contentType": "text/plain", "message": "a"}))["body"] == {"sequence": 0}
    assert (await pub({"type": "ChatStateEvent", "chatState": "COMPOSING"}))["body"] == {"sequence": 0}
    assert (await pub({"type": "ContentEvent", "contentType": "text/plain", "message": "b"}))["body"] == {"sequence": 1}
    assert (await pub({"type": "AcceptStatusEvent", "status": "READ", "sequenceList": [0]}))["body"] == {"sequence": 2}

    other = await clients.consumer(jwt)        # same consumer, second socket (CAUTH-05)
    resp = await other.request("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "fromSeq": 1})
    assert resp["code"] == 200
    n = await other.notification("ms.MessagingEventNotification")
    assert n["body"]["dialogId"] == conv_id
    assert [c["sequence"] for c in n["body"]["changes"]] == [1, 2]
    await pub({"type": "ChatStateEvent", "chatState": "ACTIVE"})
    live = await other.notification("ms.MessagingEventNotification")
    change = live["body"]["changes"][0]
    assert "sequence" not in change and change["event"]["chatState"] == "ACTIVE"

    stranger = await clients.consumer(await clients.signup())
    resp = await stranger.request("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "fromSeq": 0})
    assert resp["code"] == 403


async def test_unsubscribe_stops_notifications(clients: Clients) -> None:
    """SUB-24."""
    ws = await clients.consumer(await clients.signup())
    sub = (await ws.request("cqm.SubscribeExConversations", {"convState": ["OPEN"]}))["body"]["subscriptionId"]
    await ws.notification("cqm.ExConversationChangeNotification")
    assert (await ws.request("cqm.UnsubscribeExConversations", {"subscriptionId": sub}))["code"] == 200
    assert (await ws.request("cqm.UnsubscribeExConversations", {"subscriptionId": sub}))["code"] == 400
    await ws.request("cm.ConsumerRequestConversation")
    await ws.no_notification("cqm.ExConversationChangeNotification", 0.1)


async def test_emulator_survives_abrupt_disconnect(clients: Clients) -> None:
    ws = await clients.consumer(await clients.signup())
    await ws.send({"kind": "req", "id": "1", "type": "cqm.SubscribeExConversations", "body": {}})
    ws.ws.transport.abort() if hasattr(ws.ws, "transport") else await ws.ws.close()
    await asyncio.sleep(0.05)
    ws2 = await clients.consumer(await clients.signup())
    assert (await ws2.request("cm.ConsumerRequestConversation"))["code"] == 200
