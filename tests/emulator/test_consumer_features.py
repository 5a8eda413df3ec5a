"""Priority 2: user profiles, file sharing (URLs + swift storage), post-conversation survey,
CSAT/TTR fields, chat states, accept statuses and QueryMessages ``fromSeq``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lpweb.emulator.timeutil import ManualTime

from conftest import Clients, Trace, WsClient, validate_trace
from helpers import ACC
from schema_check import schemas_available

TEXT = "text/plain"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def text(message: str) -> dict[str, Any]:
    return {"type": "ContentEvent", "contentType": TEXT, "message": message}


async def open_consumer(clients: Clients, skill: str | None = None) -> tuple[WsClient, str]:
    ws = await clients.consumer(await clients.signup())
    body = {"skillId": skill} if skill else None
    resp = await ws.request("cm.ConsumerRequestConversation", body)
    assert resp["code"] == 200, resp
    return ws, resp["body"]["conversationId"]


async def test_set_and_get_user_profile(cclients: Clients) -> None:
    """CONN-12/PROF-05 SetUserProfile stored; PROF-02 a consumer reads only its own profile."""
    ws, _ = await open_consumer(cclients)
    profile = {"firstName": "John", "lastName": "Doe", "nickName": "JD",
               "privateData": {"mobileNum": "123", "mail": "j@d.example"}}
    resp = await ws.request("userprofile.SetUserProfile", profile)
    assert resp["code"] == 200 and resp["body"] == "OK User Profile set successfully"
    own = await ws.request("up.GetUserProfile", {})
    assert own["code"] == 200 and own["body"]["firstName"] == "John"
    me = own["body"]["userId"]
    other, _ = await open_consumer(cclients)
    other_id = (await other.request("up.GetUserProfile", {}))["body"]["userId"]
    assert (await ws.request("up.GetUserProfile", {"userId": other_id}))["code"] == 403
    brand = await cclients.brand((await cclients.login("a1", "p1"))["bearer"])
    seen = await brand.request(".ams.userprofile.GetUserProfile", {"userId": me})
    assert seen["code"] == 200 and seen["body"]["lastName"] == "Doe"
    assert (await brand.request("userprofile.SetUserProfile", profile))["code"] == 403


async def test_file_round_trip_and_storage_rules(cclients: Clients, chttp: httpx.AsyncClient, mtime: ManualTime) -> None:
    """FILE-05/06, SCN-08: upload URL, PUT 201, publish hosted/file, download URL, GET 200; 401 on a
    bad or expired signature, 413 over 3 MB, CORS for pages."""
    ws, conv_id = await open_consumer(cclients)
    up = await ws.request("ms.GenerateURLForUploadFile", {"fileSize": str(len(PNG)), "fileType": "PNG"})
    assert up["code"] == 200 and up["type"] == "ms.GenerateURLResponse"
    path, params = up["body"]["relativePath"], up["body"]["queryParams"]
    assert path.startswith(f"/v1/AUTH_async-images/{ACC}/") and path.endswith(".PNG")
    assert set(params) == {"temp_url_sig", "temp_url_expires"}
    origin = "http://page.example"
    pre = await chttp.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "PUT"})
    assert pre.headers["access-control-allow-origin"] == origin and "PUT" in pre.headers["access-control-allow-methods"]
    assert (await chttp.put(path, params={**params, "temp_url_sig": "0" * 40}, content=PNG)).status_code == 401
    r = await chttp.put(path, params=params, content=PNG, headers={"Origin": origin})
    assert r.status_code == 201 and r.headers["access-control-allow-origin"] == origin
    pub = await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": {
        "type": "ContentEvent", "contentType": "hosted/file",
        "message": {"caption": "cat", "relativePath": path, "fileType": "PNG"}}})
    assert pub["code"] == 200
    brand = await cclients.brand((await cclients.login("boss", "pb"))["bearer"])
    down = await brand.request(".ams.ms.GenerateURLForDownloadFile", {"relativePath": path})
    assert down["code"] == 200
    got = await chttp.get(path, params=down["body"]["queryParams"])
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert (await chttp.get(path, params=params)).status_code == 401              # a PUT signature
    mtime.advance(61_000)
    assert (await chttp.get(path, params=down["body"]["queryParams"])).status_code == 401   # expired
    # limits and types
    big = await ws.request("ms.GenerateURLForUploadFile", {"fileSize": 3 * 1024 * 1024 + 1, "fileType": "JPG"})
    assert big["code"] == 400
    assert (await ws.request("ms.GenerateURLForUploadFile", {"fileSize": "10", "fileType": "EXE"}))["code"] == 400
    for ftype in ("JPG", "JPEG", "GIF", "PDF", "TXT"):
        assert (await ws.request("ms.GenerateURLForUploadFile", {"fileSize": "10", "fileType": ftype}))["code"] == 200
    slot = (await ws.request("ms.GenerateURLForUploadFile", {"fileSize": "10", "fileType": "JPEG"}))["body"]
    r = await chttp.put(slot["relativePath"], params=slot["queryParams"], content=b"x" * (3 * 1024 * 1024 + 1))
    assert r.status_code == 413
    foreign = f"/v1/AUTH_async-images/6660002/{'0' * 8}-0000-0000-0000-{'0' * 12}.PNG"
    assert (await ws.request("ms.GenerateURLForDownloadFile", {"relativePath": foreign}))["code"] == 403


async def test_post_conversation_survey(cclients: Clients, trace: Trace) -> None:
    """DLG-05, §8 post-survey flow: closing MAIN on a survey skill opens POST_SURVEY (bot AGENT,
    agent READER), questions with Question metadata and quick replies, bot closes "Completed"."""
    ws, conv_id = await open_consumer(cclients, "20")
    await ws.request("InitConnection", headers=[{"type": ".ams.headers.ClientProperties", "features": ["MULTI_DIALOG"]}])
    await ws.request("cqm.SubscribeExConversations", {"stage": ["OPEN", "CLOSE"]})
    await ws.notification("cqm.ExConversationChangeNotification")
    login = await cclients.login("a1", "p1")
    brand = await cclients.brand(login["bearer"])
    me = f"{ACC}.{login['config']['userId']}"
    resp = await brand.request(".ams.cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [
        {"field": "ParticipantsChange", "type": "ADD", "role": "ASSIGNED_AGENT", "userId": me}]})
    assert resp["code"] == 200
    await ws.notification("cqm.ExConversationChangeNotification")
    resp = await ws.request("cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [
        {"field": "DialogChange", "type": "UPDATE", "dialog": {"dialogId": conv_id, "state": "CLOSE",
                                                             "closedCause": "Closed by consumer"}}]})
    assert resp["code"] == 200
    n = await ws.notification("cqm.ExConversationChangeNotification")
    details = n["body"]["changes"][0]["result"]["conversationDetails"]
    assert (details["state"], details["stage"]) == ("CLOSE", "OPEN")
    main, survey = details["dialogs"]
    assert main["state"] == "CLOSE" and main["closedBy"] == "CONSUMER"
    assert survey["dialogType"] == "POST_SURVEY" and survey["state"] == "OPEN"
    roles = {p["role"] for p in details["participants"]}
    assert {"CONSUMER", "AGENT", "READER"} <= roles and "ASSIGNED_AGENT" not in roles
    await ws.request("ms.SubscribeMessagingEvents", {"dialogId": survey["dialogId"], "conversationId": conv_id, "fromSeq": 0})
    history = await ws.notification("ms.MessagingEventNotification", lambda f: f["body"]["dialogId"] == survey["dialogId"])
    [q0] = history["body"]["changes"]
    assert q0["originatorMetadata"]["role"] == "AGENT" and q0["metadata"][0]["type"] == "Question"
    replies = q0["event"]["quickReplies"]["replies"]
    assert [r["title"] for r in replies] == ["1", "2", "3", "4", "5"]
    await ws.request("ms.PublishEvent", {"dialogId": survey["dialogId"], "conversationId": conv_id, "event": text("5")},
                     metadata=replies[4]["click"]["metadata"])
    q1 = await ws.notification("ms.MessagingEventNotification",
                               lambda f: f["body"]["changes"][0]["originatorMetadata"]["role"] == "AGENT")
    assert q1["body"]["changes"][0]["event"]["message"] == "Was your issue resolved?"
    await ws.request("ms.PublishEvent", {"dialogId": survey["dialogId"], "event": text("Yes")})
    done = await ws.notification("cqm.ExConversationChangeNotification",
                                 lambda f: f["body"]["changes"][0]["result"]["conversationDetails"]["stage"] == "CLOSE")
    closed = done["body"]["changes"][0]["result"]["conversationDetails"]["dialogs"][1]
    assert (closed["state"], closed["closedBy"], closed["closedCause"]) == ("CLOSE", "AGENT", "Completed")
    csat = {"field": "CSATRate", "csatRate": 5, "csatResolutionConfirmation": True, "status": "FILLED"}
    assert (await ws.request("cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [csat]}))["code"] == 200
    n = await ws.notification("cqm.ExConversationChangeNotification")
    assert n["body"]["changes"][0]["result"]["conversationDetails"]["csat"]["csatRate"] == 5
    if schemas_available():
        validated, _ = validate_trace(trace)
        assert {"ms.MessagingEventNotification", "cqm.ExConversationChangeNotification"} <= validated


async def test_no_survey_without_skill_survey_or_on_conversation_close(cclients: Clients) -> None:
    """§5.6: ConversationStateField CLOSE never triggers the survey; skills without one close directly."""
    ws, conv_id = await open_consumer(cclients, "20")
    resp = await ws.request("cm.UpdateConversationField", {"conversationId": conv_id, "conversationField":
                            {"field": "ConversationStateField", "conversationState": "CLOSE"}})
    assert resp["code"] == 200
    conv = cclients.emu.platform.conversation(ACC, conv_id)
    assert conv.stage == "CLOSE" and len(conv.dialogs) == 1
    ws2, conv2 = await open_consumer(cclients, "10")
    await ws2.request("cm.UpdateConversationField", {"conversationId": conv2, "conversationField": [
        {"field": "DialogChange", "type": "UPDATE", "dialog": {"dialogId": conv2, "state": "CLOSE"}}]})
    assert cclients.emu.platform.conversation(ACC, conv2).stage == "CLOSE"


async def test_chat_state_accept_status_query_from_seq_and_ttr(cclients: Clients) -> None:
    """MSG-05 chat states relayed, not stored; §8 accept statuses get a sequence; §5.4 fromSeq; TTRField."""
    ws, conv_id = await open_consumer(cclients)
    await ws.request("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "fromSeq": 0})
    await ws.notification("ms.MessagingEventNotification")
    login = await cclients.login("boss", "pb")
    brand = await cclients.brand(login["bearer"])
    me = f"{ACC}.{login['config']['userId']}"
    await brand.request(".ams.cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [
        {"field": "ParticipantsChange", "type": "ADD", "role": "ASSIGNED_AGENT", "userId": me}]})
    for i in range(3):
        assert (await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": text(f"m{i}")}))["body"] == {"sequence": i}
    chat = await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": {"type": "ChatStateEvent", "chatState": "COMPOSING"}})
    assert chat["body"] == {"sequence": 0}
    relayed = await brand.notification(".ams.ms.OnlineEventDistribution", lambda f: f["body"]["event"]["type"] == "ChatStateEvent")
    assert "sequence" not in relayed["body"] and "serverTimestamp" not in relayed["body"]
    accept = await brand.request(".ams.ms.PublishEvent", {"dialogId": conv_id, "event": {
        "type": "AcceptStatusEvent", "status": "READ", "sequenceList": [0, 1, 2]}})
    assert accept["body"] == {"sequence": 3}
    q = await brand.request(".ams.ms.QueryMessages", {"dialogId": conv_id, "fromSeq": 2})
    assert [e["sequence"] for e in q["body"]] == [2, 3]
    assert q["body"][1]["event"]["type"] == "AcceptStatusEvent"
    n = await ws.notification("ms.MessagingEventNotification", lambda f: f["body"]["changes"][0]["event"]["type"] == "AcceptStatusEvent")
    assert n["body"]["changes"][0]["sequence"] == 3
    ttr = await ws.request("cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [
        {"field": "TTRField", "ttrType": "URGENT", "value": 300}]})
    assert ttr["code"] == 200
    assert cclients.emu.platform.conversation(ACC, conv_id).ttr == {"ttrType": "URGENT", "value": 300}
    bad = await ws.request("cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [
        {"field": "TTRField", "ttrType": "SOON"}]})
    assert bad["code"] == 400


@pytest.mark.parametrize("spelling", ["ms.GenerateURLForUploadFile", ".ams.ms.GenerateURLForUploadFile"])
async def test_generate_url_both_spellings(cclients: Clients, spelling: str) -> None:
    brand = await cclients.brand((await cclients.login("boss", "pb"))["bearer"])
    resp = await brand.request(spelling, {"fileSize": 5, "fileType": "GIF"})
    assert resp["code"] == 200 and resp["body"]["relativePath"].endswith(".GIF")
