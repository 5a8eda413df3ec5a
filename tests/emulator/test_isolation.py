"""Priority 4: isolation between consumers and accounts, and expired/revoked credentials."""

from __future__ import annotations

import httpx
import pytest
import websockets

from lpweb.emulator.timeutil import ManualTime

from conftest import Clients, WsClient
from helpers import ACC

TEXT = {"type": "ContentEvent", "contentType": "text/plain", "message": "hi"}


async def test_consumer_reaches_only_its_own_conversations(cclients: Clients) -> None:
    """CAUTH-05 isolation: publish/subscribe/update/query on another consumer's conversation -> 403/404."""
    alice = await cclients.consumer(await cclients.signup())
    conv_id = (await alice.request("cm.ConsumerRequestConversation"))["body"]["conversationId"]
    await alice.request("ms.PublishEvent", {"dialogId": conv_id, "event": TEXT})
    mallory = await cclients.consumer(await cclients.signup())
    await mallory.request("cqm.SubscribeExConversations", {"stage": ["OPEN", "CLOSE"]})
    dump = await mallory.notification("cqm.ExConversationChangeNotification")
    assert dump["body"]["changes"] == []
    for type_, body in (
            ("ms.PublishEvent", {"dialogId": conv_id, "conversationId": conv_id, "event": TEXT}),
            ("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "fromSeq": 0}),
            ("cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [
                {"field": "ConversationStateField", "conversationState": "CLOSE"}]}),
            ("ms.GenerateURLForDownloadFile", {"relativePath": "/etc/passwd"})):
        assert (await mallory.request(type_, body))["code"] in (400, 403, 404), type_
    assert (await mallory.request("ms.QueryMessages", {"dialogId": conv_id}))["code"] == 403
    assert (await mallory.request("cqm.SubscribeExConversations", {"conversationId": conv_id}))["code"] == 200
    assert (await mallory.notification("cqm.ExConversationChangeNotification"))["body"]["changes"] == []
    assert cclients.emu.platform.conversation(ACC, conv_id).stage == "OPEN"


async def test_one_account_cannot_touch_another(cclients: Clients, chttp: httpx.AsyncClient) -> None:
    """Tokens are per account: a JWT or bearer of one account is refused by another."""
    other = "6660002"
    jwt = await cclients.signup()
    ws = WsClient(await websockets.connect(f"ws://{cclients.emu.csds_domain}/ws_api/account/{other}/messaging/consumer?v=3",
                                           additional_headers={"Authorization": f"jwt {jwt}"}))
    assert (await ws.wait_closed())[0] == 4401
    bearer = (await cclients.login("boss", "pb"))["bearer"]
    with pytest.raises(websockets.InvalidStatus) as info:
        await websockets.connect(f"ws://{cclients.emu.csds_domain}/ws_api/account/{other}/messaging/brand/{bearer}")
    assert info.value.response.status_code == 401
    assert (await chttp.post(f"/api/account/{other}/login", json={"username": "boss", "password": "pb"})).status_code == 401
    r = await chttp.get(f"/api/account/{other}/configuration/le-users/skills", headers={"Authorization": f"Bearer {bearer}"})
    assert r.status_code == 401


async def test_expired_and_revoked_credentials(cclients: Clients, mtime: ManualTime, chttp: httpx.AsyncClient) -> None:
    """§4.6 codes: revoked consumer JWT -> 4401 now and at the next handshake; revoked bearer -> brand
    socket closed 4401 and handshake 401; an expired agentVep session -> 401."""
    emu = cclients.emu
    jwt = await cclients.signup()
    ws = await cclients.consumer(jwt)
    assert (await ws.request("GetClock"))["code"] == 200
    assert emu.faults.revoke_token(jwt) == 1
    assert (await ws.wait_closed())[0] == 4401
    again = await cclients.consumer(jwt)
    assert (await again.wait_closed())[0] == 4401
    login = await cclients.login("a1", "p1")
    brand = await cclients.brand(login["bearer"])
    emu.faults.revoke_token(login["bearer"])
    assert (await brand.wait_closed())[0] == 4401
    with pytest.raises(websockets.InvalidStatus):
        await cclients.brand(login["bearer"])
    login2 = await cclients.login("a1", "p1")
    mtime.advance(8 * 3600_000 + 1)
    with pytest.raises(websockets.InvalidStatus):
        await cclients.brand(login2["bearer"])
    assert (await chttp.post(f"/api/account/{ACC}/refresh", json={"csrf": login2["csrf"]})).status_code == 401


async def test_expire_token_fault_uses_kind_codes(cclients: Clients, chttp: httpx.AsyncClient) -> None:
    """``faults.expire_token``: anonymous -> 4401, unauth -> 4407."""
    emu = cclients.emu
    jwt = await cclients.signup()
    ws = await cclients.consumer(jwt)
    await ws.request("GetClock")
    emu.faults.expire_token(jwt)
    assert (await ws.wait_closed())[0] == 4401
    ext = (await chttp.post(f"/api/account/{ACC}/anonymous/authorize")).json()["token"]
    unauth = (await chttp.post(f"/api/account/{ACC}/app/1/authenticate?v=3.0", json={"id_token": ext})).json()["token"]
    ws2 = await cclients.consumer(unauth)
    await ws2.request("GetClock")
    emu.faults.expire_token(unauth)
    assert (await ws2.wait_closed())[0] == 4407
