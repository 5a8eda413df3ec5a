"""Priority 5: fault injection (``emu.faults``) and the ``/_emulator`` control endpoints."""

from __future__ import annotations

import httpx

from lpweb.emulator import Emulator
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.emulator.timeutil import ManualTime

from conftest import Clients, WsClient
from helpers import ACC

TEXT = {"type": "ContentEvent", "contentType": "text/plain", "message": "hi"}


async def conversation(clients: Clients) -> tuple[WsClient, str]:
    ws = await clients.consumer(await clients.signup())
    conv_id = (await ws.request("cm.ConsumerRequestConversation"))["body"]["conversationId"]
    await ws.request("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "fromSeq": 0})
    await ws.notification("ms.MessagingEventNotification")
    return ws, conv_id


async def test_drop_after_frames_and_close_with(cclients: Clients) -> None:
    emu = cclients.emu
    ws, conv_id = await conversation(cclients)
    emu.faults.drop_connection("consumer", after_frames=2)
    await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": TEXT})     # response + echo = 2 frames
    assert (await ws.wait_closed())[0] == 1006
    ws2 = await cclients.consumer(await cclients.signup())
    emu.faults.clear()
    assert (await ws2.request("GetClock"))["code"] == 200
    assert emu.faults.close_with(ws2_id(emu), 4407) == 1
    assert (await ws2.wait_closed())[0] == 4407


def ws2_id(emu: Emulator) -> str:
    return [s.connection_id for s in emu.platform.listeners if not s.brand][-1]


async def test_delay_duplicate_reorder_notifications(cclients: Clients, mtime: ManualTime) -> None:
    emu = cclients.emu
    ws, conv_id = await conversation(cclients)
    emu.faults.delay_notifications(2.0)
    resp = await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": TEXT})
    assert resp["code"] == 200                                  # responses are not delayed
    await ws.no_notification("ms.MessagingEventNotification", 0.05)
    mtime.advance(2000)
    await ws.notification("ms.MessagingEventNotification")
    emu.faults.clear()
    emu.faults.duplicate_notifications(1.0)
    await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": TEXT})
    a = await ws.notification("ms.MessagingEventNotification")
    b = await ws.notification("ms.MessagingEventNotification")
    assert a == b
    emu.faults.clear()
    emu.faults.seed(7)
    emu.faults.reorder_notifications(5)
    for i in range(5):
        await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": {**TEXT, "message": str(i)}})
    got = [(await ws.notification("ms.MessagingEventNotification"))["body"]["changes"][0]["event"]["message"]
           for _ in range(5)]
    assert sorted(got) == ["0", "1", "2", "3", "4"] and got != sorted(got)
    emu.faults.reorder_notifications(3)
    await ws.request("ms.PublishEvent", {"dialogId": conv_id, "event": TEXT})     # partial window
    mtime.advance(50)
    await ws.notification("ms.MessagingEventNotification")


async def test_http_error_and_control_endpoints(cemu: Emulator, chttp: httpx.AsyncClient) -> None:
    cemu.faults.http_error(r"/login$", 503, times=2)
    body = {"username": "a1", "password": "p1"}
    assert [(await chttp.post(f"/api/account/{ACC}/login", json=body)).status_code for _ in range(3)] == [503, 503, 200]
    r = await chttp.post("/_emulator/faults", json={"op": "http_error", "path_pattern": "/signup$", "status": 500})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert (await chttp.post(f"/api/account/{ACC}/signup")).status_code == 500
    assert (await chttp.post("/_emulator/faults", json={"op": "explode"})).status_code == 400
    assert (await chttp.post("/_emulator/faults", json={"op": "close_with", "bogus": 1})).status_code == 400
    state = (await chttp.get("/_emulator/state")).json()
    assert {u["name"] for u in state["accounts"][ACC]["users"]} >= {"a1", "boss"}
    assert state["faults"]["http"] == []
    assert cemu.http.handle("GET", "/_emulator/state", remote="10.1.2.3").status == 403
    assert cemu.http.handle("POST", "/_emulator/faults", body=b'{"op":"clear"}', remote="10.1.2.3").status == 403


def test_in_process_faults_and_seed() -> None:
    """Faults are usable without a server; ``seed`` makes the randomness repeatable."""
    first = InProcessEmulator(seed=3)
    second = InProcessEmulator(seed=3)
    assert [first.faults.random.random() for _ in range(3)] == [second.faults.random.random() for _ in range(3)]
    first.faults.http_error("signup", 429)
    status, _, _ = first.handle_http("POST", f"/api/account/{first.account_id}/signup", {}, {}, b"")
    assert status == 429
