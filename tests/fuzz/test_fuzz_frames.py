"""Fuzzing server frames (issue #6) with hypothesis: random JSON, missing or wrong-typed
fields, huge payloads, unknown types. ``--fuzz-examples N`` (default 300; 10,000 for the
full run). Checks: nothing escapes, no awaited call gets stuck, the connection keeps
working, problems surface on 'error'."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpweb import UserType
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.errors import LPError
from lpweb.model.brand import BrandConnection
from lpweb.model.consumer import ConsumerConnection
from lpweb.options import parse_options
from lpweb.protocol import FrameRejected, NotificationReceived, ProtocolConnection, RequestCompleted, RequestErrored

TYPES = ["ms.MessagingEventNotification", ".ams.ms.MessagingEventNotification", "cqm.ExConversationChangeNotification",
         ".ams.aam.ExConversationChangeNotification", "routing.RoutingTaskNotification",
         ".ams.routing.AgentStateNotification", "GetClock", "", "x.Unknown"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=30), st.sampled_from(["OPEN", "CLOSE", "ContentEvent", "CONSUMER", "c1", "d1"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.sampled_from(
                                                                ["event", "type", "sequence", "dialogId",
                                                                 "conversationId", "changes", "result",
                                                                 "conversationDetails", "participants", "dialogs",
                                                                 "originatorId", "message", "subscriptionId",
                                                                 "stage", "state", "ringsDetails"]) | st.text(max_size=8),
                                                                inner, max_size=5)), max_leaves=25)


def change() -> st.SearchStrategy:
    event = st.fixed_dictionaries({"type": st.sampled_from(["ContentEvent", "RichContentEvent", "ChatStateEvent",
                                                             "AcceptStatusEvent", "Nope"]) | scalars},
                                  optional={"message": json_values, "contentType": scalars, "chatState": scalars,
                                            "status": scalars, "sequenceList": json_values})
    return st.fixed_dictionaries({}, optional={
        "sequence": st.integers(-3, 50) | scalars, "originatorId": scalars, "serverTimestamp": scalars,
        "event": event | json_values, "type": st.sampled_from(["UPSERT", "DELETE"]) | scalars,
        "result": st.fixed_dictionaries({}, optional={"convId": scalars, "conversationDetails": json_values,
                                                      "ringsDetails": json_values}) | json_values,
        "conversationId": scalars, "dialogId": scalars})


def frames(req_ids: st.SearchStrategy) -> st.SearchStrategy:
    body = st.fixed_dictionaries({}, optional={"dialogId": scalars, "subscriptionId": scalars,
                                               "changes": st.lists(change(), max_size=4) | json_values})
    notification = st.fixed_dictionaries({"kind": st.just("notification")},
                                         optional={"type": st.sampled_from(TYPES) | scalars, "body": body | json_values})
    response = st.fixed_dictionaries({"kind": st.just("resp")}, optional={
        "reqId": req_ids | scalars, "code": st.sampled_from([200, 400, 401, 404, 500]) | scalars,
        "type": scalars, "body": json_values})
    structured = st.one_of(notification, response, st.dictionaries(st.text(max_size=6), json_values, max_size=4))
    as_text = structured.map(lambda f: json.dumps(f))
    huge = st.integers(100_000, 1_500_000).map(lambda n: json.dumps(
        {"kind": "notification", "type": "ms.MessagingEventNotification", "body": {"dialogId": "d", "changes": [
            {"sequence": 1, "event": {"type": "ContentEvent", "message": "x" * n}}]}}))
    junk = st.one_of(st.text(max_size=50), st.binary(max_size=50), json_values.map(json.dumps),
                     st.just("[" * 5000), st.just('{"kind":"resp","reqId":"1","code":200,"body":' + "[" * 3000))
    return st.one_of(as_text, as_text, as_text, junk, huge)


def test_protocol_core_survives_any_frame(fuzz_examples) -> None:
    """Sans-I/O core: every frame gives known events; no pending request outlives its deadline."""
    @settings(max_examples=fuzz_examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(frames(st.sampled_from(["1", "2", 1, 2])), min_size=1, max_size=4))
    def run(batch) -> None:
        core = ProtocolConnection(default_timeout=10)
        core.send_request("GetClock", now=0)
        core.send_request("ms.PublishEvent", {}, now=0)
        for text in batch:
            core.receive_text(text)
        events = core.events_received()
        assert all(isinstance(e, (RequestCompleted, RequestErrored, NotificationReceived, FrameRejected))
                   for e in events)
        core.tick(11)
        core.events_received()
        assert core.pending_count == 0 and core.next_deadline() is None

    run()


@pytest.fixture
def fuzz_examples(request) -> int:
    return request.config.getoption("--fuzz-examples")


@pytest.mark.parametrize("side", ["consumer", "brand"])
def test_connection_survives_any_frame(fuzz_examples, side) -> None:
    """A live connection (memory transport, emulator engine): random frames injected as if the
    server sent them; the reader never dies, every call still completes, problems are 'error'."""
    loop = asyncio.new_event_loop()
    emu = InProcessEmulator(config={"accounts": [{"id": "4440001", "users": [
        {"name": "agent", "password": "agent-pw", "permissions": ["MANAGER"]}]}]})
    kw = {"auth_data": {"username": "agent", "password": "agent-pw"}} if side == "brand" else {}
    opts = parse_options(app_id="fuzz", account_id="4440001", user_type=UserType.BRAND if side == "brand" else UserType.CONSUMER, csds_domain=emu.csds_domain,
                         transport=emu.transport(), response_timeout=2000, **kw)
    conn = (BrandConnection if side == "brand" else ConsumerConnection)(opts)
    errors: list[BaseException] = []
    conn.on("error", errors.append)
    loop.run_until_complete(conn.open())
    if side == "consumer":
        loop.run_until_complete(conn.create_conversation())

    async def inject(batch) -> None:
        ws = conn._ws
        pending = asyncio.ensure_future(conn.send({"type": "GetClock" if side == "consumer" else ".GetClock"}))
        await asyncio.sleep(0)
        for text in batch:
            ws._server_send(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        for _ in range(5):
            await asyncio.sleep(0)
        try:
            await asyncio.wait_for(pending, 3)      # answered, or failed typed: never stuck
        except LPError:
            pass
        assert conn._reader is not None and not conn._reader.done(), "the reader stopped"
        resp = await asyncio.wait_for(conn.send({"type": "GetClock" if side == "consumer" else ".GetClock"}), 3)
        assert resp.code < 400

    @settings(max_examples=fuzz_examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(frames(st.sampled_from([str(i) for i in range(1, 40)])), min_size=1, max_size=3))
    def run(batch) -> None:
        loop.run_until_complete(inject(batch))

    try:
        run()
        assert all(isinstance(e, Exception) for e in errors)
    finally:
        loop.run_until_complete(conn.close())
        loop.close()
