"""Issue #3 "Done when": the emulator, run as users run it, against the lpweb SDK.

(a) ``python -m lpweb.emulator --port 0 --trace FILE --config FILE`` as a subprocess: a
    full consumer + agent conversation through the SDK (ring and accept, messages both ways,
    ACCEPT/READ receipts, transfer to a skill and a second agent's ring, close of the MAIN
    dialog opening the skill's survey, the survey answered to the end); then the emulator is
    stopped and every frame of the trace file is validated against the schemas
    (tests/schema_check.py; frame types with no published schema are its explicit exceptions).
(b) The native SDK completes a conversation with the emulator serving TLS (a self-signed
    certificate made here, trusted through ``NativeTransport(verify=cafile)``).
(c) Browser-style cross-origin requests get CORS answers (preflight and simple) from CSDS,
    the IdP, the connectors list and file storage (PUT and GET).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import lpweb
from lpweb import AgentState, DialogType, ParticipantRole, RingState, UserType
from lpweb.emulator import Emulator
from lpweb.transports.native import NativeTransport

from helpers import self_signed
from schema_check import check_frame, schemas_available, trace_frames

ROOT = Path(__file__).resolve().parents[2]
T = 10
ACCOUNT = "8880001"
SURVEY = [{"question": "How would you rate us?", "answers": ["Great", "Poor"]},
          {"question": "Anything else?", "answers": ["No"]}]
CONFIG = {"accounts": [{
    "id": ACCOUNT,
    "ring_expiration_ms": 30_000,
    "skills": [{"id": "10", "name": "Sales"}, {"id": "20", "name": "Support", "survey": SURVEY}],
    "users": [{"name": "ann", "password": "pw-ann", "permissions": ["AGENT"], "skills": ["10"]},
              {"name": "bob", "password": "pw-bob", "permissions": ["AGENT"], "skills": ["20"]}],
}]}


# ---- helpers ------------------------------------------------------------------------------
class Agent:
    """A brand SDK connection that goes ONLINE, subscribes to routing tasks and queues its rings."""

    def __init__(self, csds_domain: str, name: str, password: str, **kw: Any) -> None:
        self.conn = lpweb.create_connection(app_id="emulator_done", account_id=ACCOUNT, user_type=UserType.BRAND,
                                            csds_domain=csds_domain, auth_data={"username": name, "password": password},
                                            **kw)
        self.rings: asyncio.Queue[Any] = asyncio.Queue()
        self.conn.on("ring", lambda ring: self.rings.put_nowait(ring)
                     if ring.ring_state == RingState.WAITING else None)

    async def start(self) -> "Agent":
        await self.conn.open()
        await self.conn.set_agent_state(AgentState.ONLINE)
        await self.conn.create_routing_task_subscription()
        return self

    async def take_next_ring(self) -> lpweb.Conversation:
        ring = await asyncio.wait_for(self.rings.get(), T)
        await ring.accept()
        conv = await ring.conversation()
        await _until(lambda: conv.assigned_agent is not None and conv.assigned_agent.matches(self.conn.agent_old_id))
        return conv


async def _until(predicate: Any, timeout: float = T) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def _from(role: ParticipantRole, text: str | None = None, dialog: DialogType = DialogType.MAIN) -> Any:
    return lambda m: (m.participant.role == role and m.dialog.dialog_type == dialog
                      and (text is None or m.body == text))


class EmulatorProcess:
    """``python -m lpweb.emulator --port 0 ...``; ``csds_domain`` comes from the ready line."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def __aenter__(self) -> "EmulatorProcess":
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lpweb.emulator", "--port", "0", *self.args, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout is not None
        line = (await asyncio.wait_for(self.proc.stdout.readline(), 15)).decode()
        m = re.search(r"ready at (https?://127\.0\.0\.1:(\d+)) \(account (\w+)\)", line)
        assert m, f"no ready line: {line!r}"
        assert int(m.group(2)) > 0                      # --port 0 prints the real port
        self.url = m.group(1)
        return self

    @property
    def csds_domain(self) -> str:
        return self.url.split("://", 1)[1]

    async def stop(self) -> int:
        """SIGTERM, the exit status; the emulator must not have logged a traceback."""
        assert self.proc is not None and self.proc.stderr is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(self.proc.wait(), 10)
        errors = (await self.proc.stderr.read()).decode(errors="replace")
        assert "Traceback" not in errors, errors
        return rc

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def validate_trace_file(path: Path) -> tuple[Counter[str], Counter[str]]:
    """Schema-check every websocket frame of a ``--trace`` file; raises ``FrameInvalid``."""
    validated: Counter[str] = Counter()
    unchecked: Counter[str] = Counter()
    records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    for side, frame in trace_frames((record["connection"], record["payload"]) for record in records):
        result = check_frame(frame, side)
        (validated if result.validated else unchecked)[f"{side} {frame.get('kind')} {result.frame_type}"] += 1
    return validated, unchecked


# ---- (a) ----------------------------------------------------------------------------------
@pytest.mark.skipif(not schemas_available(), reason="shared/schemas not found")
async def test_cli_emulator_full_conversation_and_trace_validates(tmp_path: Path) -> None:
    config, trace = tmp_path / "emulator.json", tmp_path / "trace.jsonl"
    config.write_text(json.dumps(CONFIG))
    async with EmulatorProcess("--config", str(config), "--trace", str(trace)) as emu:
        ann = await Agent(emu.csds_domain, "ann", "pw-ann").start()
        bob = await Agent(emu.csds_domain, "bob", "pw-bob").start()
        consumer = lpweb.create_connection(app_id="emulator_done", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                           csds_domain=emu.csds_domain)
        await consumer.open()
        try:
            conv = await consumer.create_conversation(skill_id="10")

            # ring -> ann accepts and becomes the assigned agent
            ann_conv = await ann.take_next_ring()
            assert ann_conv.conversation_id == conv.conversation_id

            # messages both ways, with receipts each way
            hello = asyncio.ensure_future(conv.wait_for("message", check=_from(ParticipantRole.ASSIGNED_AGENT, "Hi, Ann here"), timeout=T))
            await ann_conv.send_message("Hi, Ann here")
            message = await hello
            await message.accept()
            await message.read()
            got = asyncio.ensure_future(ann_conv.wait_for("message", check=_from(ParticipantRole.CONSUMER, "I need support"), timeout=T))
            await conv.send_message("I need support")
            from_consumer = await got
            await from_consumer.accept()
            await from_consumer.read()

            # transfer to the Support skill: bob is rung and accepts
            await ann_conv.transfer(skill_id="20")
            bob_conv = await bob.take_next_ring()
            assert bob_conv.skill.skill_id == "20"
            await _until(lambda: conv.skill.skill_id == "20" and conv.assigned_agent is not None
                         and not conv.assigned_agent.matches(ann.conn.agent_old_id))
            hi_bob = asyncio.ensure_future(conv.wait_for("message", check=_from(ParticipantRole.ASSIGNED_AGENT, "Bob from Support"), timeout=T))
            await bob_conv.send_message("Bob from Support")
            await (await hi_bob).read()

            # closing MAIN opens the survey of the Support skill; the consumer answers it
            question = asyncio.ensure_future(conv.wait_for(
                "message", check=_from(ParticipantRole.AGENT, SURVEY[0]["question"], DialogType.POST_SURVEY), timeout=T))
            closed = asyncio.ensure_future(conv.wait_for("close", timeout=T))
            main = bob_conv.get_dialog(DialogType.MAIN)
            assert main is not None
            await main.close()
            first = await question
            assert conv.is_open and conv.open_dialog is first.dialog
            assert [r["title"] for r in first.quick_replies["replies"]] == SURVEY[0]["answers"]
            second = asyncio.ensure_future(conv.wait_for(
                "message", check=_from(ParticipantRole.AGENT, SURVEY[1]["question"], DialogType.POST_SURVEY), timeout=T))
            await first.read()
            await conv.send_message("Great")
            await (await second).accept()
            await conv.send_message("No")
            await closed
            assert not conv.is_open and conv.stage == "CLOSE"
            await conv.submit_csat(5, resolved=True)
        finally:
            await consumer.close()
            await ann.conn.close()
            await bob.conn.close()
        assert await emu.stop() == 0

    validated, unchecked = validate_trace_file(trace)
    expected = {"consumer req cm.ConsumerRequestConversation", "consumer req ms.PublishEvent",
                "consumer req ms.SubscribeMessagingEvents", "consumer req cqm.SubscribeExConversations",
                "consumer req cm.UpdateConversationField", "consumer notification ms.MessagingEventNotification",
                "consumer notification cqm.ExConversationChangeNotification", "consumer resp ms.PublishEventResponse",
                "brand req .ams.routing.SetAgentState", "brand req .ams.routing.SubscribeRoutingTasks",
                "brand req .ams.routing.UpdateRingState", "brand notification .ams.routing.RoutingTaskNotification",
                "brand req .ams.cm.UpdateConversationField", "brand req .ams.ms.PublishEvent",
                "brand req .ams.aam.SubscribeExConversations"}
    assert expected <= set(validated), f"not validated: {expected - set(validated)}"
    assert sum(validated.values()) > 50, validated
    # what is left unchecked is only what schema_check lists as having no published schema
    assert all(" resp " in k or "OnlineEventDistribution" in k or "ExConversationChangeNotification" in k
               or "GetClock" in k for k in unchecked), unchecked


# ---- (b) ----------------------------------------------------------------------------------
async def test_native_sdk_conversation_over_tls(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    async with Emulator(tls=(cert, key), config={"accounts": [{"id": ACCOUNT, "users": [
            {"name": "ann", "password": "pw-ann"}]}]}) as emu:
        domain = f"https://{emu.csds_domain}"
        agent_transport, consumer_transport = NativeTransport(verify=cert), NativeTransport(verify=cert)
        ann = await Agent(domain, "ann", "pw-ann", transport=agent_transport).start()
        consumer = lpweb.create_connection(app_id="emulator_done", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                           csds_domain=domain, transport=consumer_transport)
        try:
            await consumer.open()
            conv = await consumer.create_conversation()
            ann_conv = await ann.take_next_ring()
            got = asyncio.ensure_future(conv.wait_for("message", check=_from(ParticipantRole.ASSIGNED_AGENT, "over TLS"), timeout=T))
            await ann_conv.send_message("over TLS")
            await (await got).read()
            back = asyncio.ensure_future(ann_conv.wait_for("message", check=_from(ParticipantRole.CONSUMER, "thanks"), timeout=T))
            await conv.send_message("thanks")
            await back
            closed = asyncio.ensure_future(conv.wait_for("close", timeout=T))
            await conv.close()
            await closed
            assert emu.platform.conversation(ACCOUNT, conv.conversation_id).stage == "CLOSE"
        finally:
            await consumer.close()
            await ann.conn.close()
            await agent_transport.aclose()
            await consumer_transport.aclose()


async def test_tls_emulator_refuses_an_untrusting_client(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    async with Emulator(tls=(cert, key)) as emu:
        transport = NativeTransport()              # the system CAs do not know the certificate
        consumer = lpweb.create_connection(app_id="emulator_done", account_id=emu.account_id, user_type=UserType.CONSUMER,
                                           csds_domain=f"https://{emu.csds_domain}", transport=transport)
        try:
            with pytest.raises(lpweb.LPError):
                await consumer.open()
        finally:
            await consumer.close()
            await transport.aclose()


# ---- (c) ----------------------------------------------------------------------------------
ORIGIN = "https://shop.example"


def _assert_cors(r: httpx.Response, method: str | None = None) -> None:
    assert r.headers.get("access-control-allow-origin") == ORIGIN, (r.status_code, dict(r.headers))
    assert "Origin" in r.headers.get("vary", "")
    if method is not None:
        assert method in r.headers["access-control-allow-methods"]


async def test_cors_preflight_and_simple_requests() -> None:
    config = {"accounts": [{"id": ACCOUNT, "connectors": [{"id": "1", "type": 1}]}]}
    async with Emulator(config=config) as emu, httpx.AsyncClient(base_url=emu.url, timeout=T) as http:
        async def preflight(path: str, method: str, headers: str = "content-type") -> None:
            r = await http.options(path, headers={"Origin": ORIGIN, "Access-Control-Request-Method": method,
                                                  "Access-Control-Request-Headers": headers})
            assert r.status_code in (200, 204), r.status_code
            _assert_cors(r, method)
            for header in headers.split(","):
                assert header.strip().lower() in r.headers["access-control-allow-headers"].lower()

        simple = {"Origin": ORIGIN}
        # CSDS
        csds = f"/api/account/{ACCOUNT}/service/baseURI.json?version=1.0"
        await preflight(csds, "GET", "cache-control")
        r = await http.get(csds, headers=simple)
        assert r.status_code == 200 and r.json()["baseURIs"]
        _assert_cors(r)
        # IdP: signup, and the connectors list the SDK reads before connector authentication
        signup = f"/api/account/{ACCOUNT}/signup"
        await preflight(signup, "POST", "content-type, accept")
        r = await http.post(signup, headers=simple)
        assert r.status_code == 200
        _assert_cors(r)
        jwt = r.json()["jwt"]
        connectors = f"/api/account/{ACCOUNT}/configuration/le-connectors/all-connectors"
        await preflight(connectors, "GET")
        r = await http.get(connectors, headers=simple)
        assert r.status_code == 200 and r.json()[0]["type"] == 1
        _assert_cors(r)
        # an error answer carries the CORS headers too, so the page can read the status
        r = await http.post(f"/api/account/{ACCOUNT}/login", headers=simple, json={"username": "x", "password": "y"})
        assert r.status_code == 401
        _assert_cors(r)

        # file storage: temp URLs from the consumer websocket, then PUT and GET cross-origin
        from websockets.asyncio.client import connect
        async with connect(f"ws://{emu.csds_domain}/ws_api/account/{ACCOUNT}/messaging/consumer?v=3",
                           additional_headers={"Authorization": f"jwt {jwt}"}) as ws:
            async def request(type_: str, body: dict[str, Any]) -> dict[str, Any]:
                await ws.send(json.dumps({"kind": "req", "id": type_, "type": type_, "body": body}))
                while True:
                    frame = json.loads(await ws.recv())
                    if frame.get("reqId") == type_:
                        return frame["body"]
            up = await request("ms.GenerateURLForUploadFile", {"fileSize": 4, "fileType": "PNG"})
            down = await request("ms.GenerateURLForDownloadFile", {"relativePath": up["relativePath"]})
        path = up["relativePath"]
        await preflight(path, "PUT", "content-type")
        r = await http.put(path, params=up["queryParams"], content=b"\x89PNG",
                           headers={**simple, "Content-Type": "image/png"})
        assert r.status_code == 201
        _assert_cors(r)
        await preflight(path, "GET", "accept")
        r = await http.get(path, params=down["queryParams"], headers=simple)
        assert r.status_code == 200 and r.content == b"\x89PNG"
        _assert_cors(r)
        # without an Origin (not a browser) there are no CORS headers
        r = await http.get(csds)
        assert "access-control-allow-origin" not in r.headers
