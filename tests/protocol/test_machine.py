"""ProtocolConnection: correlation by reqId, deadlines passed in, errors typed (PROTO-01, PROTO-02).

Pure tests: no asyncio, no clock, no sockets.
"""

import json

from lpweb.errors import ConnectionLost, MalformedFrame, RequestFailed, RequestTimeout
from lpweb.protocol import (ConversationChanges, FrameRejected, MessagingEvents, NotificationReceived,
                            ProtocolConnection, RequestCompleted, RequestErrored, counter_ids)


def make():
    return ProtocolConnection(counter_ids("r"), default_timeout=10)


def test_request_is_encoded_and_correlated_by_req_id_only():
    p = make()
    rid = p.send_request("ms.PublishEvent", {"dialogId": "d"}, now=0)
    assert rid == "r1"
    assert [json.loads(t) for t in p.data_to_send()] == [
        {"kind": "req", "id": "r1", "type": "ms.PublishEvent", "body": {"dialogId": "d"}}]
    assert p.data_to_send() == []
    p.receive_text('{"kind":"resp","reqId":"r1","code":200,"type":"anything at all","body":{"sequence":3}}')
    [event] = p.events_received()
    assert isinstance(event, RequestCompleted) and event.response.body == {"sequence": 3}
    assert p.pending_count == 0


def test_error_code_becomes_request_failed():
    p = make()
    p.send_request("cm.UpdateConversationField", {}, now=0)
    p.receive_text('{"kind":"resp","reqId":"r1","code":403,"body":"not a participant"}')
    [event] = p.events_received()
    assert isinstance(event, RequestErrored) and isinstance(event.error, RequestFailed)
    assert event.error.code == 403 and event.error.request_type == "cm.UpdateConversationField"


def test_deadline_expires_on_tick_and_late_response_is_dropped():
    p = make()
    p.send_request("GetClock", now=100)
    assert p.next_deadline() == 110
    p.tick(109.9)
    assert p.events_received() == []
    p.tick(110)
    [event] = p.events_received()
    assert isinstance(event.error, RequestTimeout) and isinstance(event.error, TimeoutError)
    p.receive_text('{"kind":"resp","reqId":"r1","code":200}')
    assert p.events_received() == []


def test_per_request_timeout_and_no_timeout():
    p = make()
    p.send_request("a", now=0, timeout=2)
    p.send_request("b", now=0, timeout=None)
    assert p.next_deadline() == 2


def test_connection_lost_fails_all_pending():
    p = make()
    p.send_request("a", now=0)
    p.send_request("b", now=0)
    p.connection_lost(4401, "token expired")
    events = p.events_received()
    assert [type(e.error) for e in events] == [ConnectionLost, ConnectionLost]
    assert events[0].error.code == 4401
    assert p.closed


def test_malformed_frames_are_events_not_exceptions():
    p = make()
    p.receive_text("{{{")
    p.receive_text('{"kind":"notification","type":"ms.MessagingEventNotification","body":"nope"}')
    p.receive_text('{"kind":"req","id":"1","type":"x"}')
    events = p.events_received()
    assert len(events) == 3 and all(isinstance(e, FrameRejected) for e in events)
    assert all(isinstance(e.error, MalformedFrame) for e in events)


def test_notifications_are_parsed():
    p = make()
    p.receive_text(json.dumps({"kind": "notification", "type": "ms.MessagingEventNotification", "body": {
        "dialogId": "d1", "changes": [{"sequence": 0, "originatorId": "c", "event": {"type": "ContentEvent"}}]}}))
    [event] = p.events_received()
    assert isinstance(event, NotificationReceived)
    assert isinstance(event.notification, MessagingEvents) and event.notification.dialog_id == "d1"


def test_brand_raw_notifications_are_normalized():
    """Brand raw forms (protocol.md §6.2, §6.3) become the consumer-style shapes."""
    p = make()
    p.receive_text(json.dumps({"kind": "notification", "type": ".ams.ms.OnlineEventDistribution", "body": {
        "sequence": 2, "originatorId": "123.456", "originatorPId": "pid-1", "dialogId": "d",
        "event": {"type": "ContentEvent", "message": "hi"}}}))
    p.receive_text(json.dumps({"kind": "notification", "type": ".ams.aam.ExConversationChangeNotification",
                               "body": {"subscriptionId": "s", "changes": [{"type": "UPSERT", "result": {
                                   "convId": "c1", "conversationDetails": {
                                       "participants": {"CONSUMER": ["con"], "MANAGER": ["123.456"]},
                                       "participantsPId": {"CONSUMER": ["con"], "MANAGER": ["pid-1"]}}}}]}}))
    msg, conv = [e.notification for e in p.events_received()]
    assert isinstance(msg, MessagingEvents)
    assert msg.changes[0]["originatorId"] == "pid-1" and msg.changes[0]["originatorOldId"] == "123.456"
    assert isinstance(conv, ConversationChanges)
    assert conv.changes[0].details["participants"] == [
        {"id": "con", "role": "CONSUMER"}, {"id": "pid-1", "role": "MANAGER", "oldId": "123.456"}]


def test_send_after_close_raises():
    p = make()
    p.connection_lost()
    try:
        p.send_request("a", now=0)
    except ConnectionLost:
        pass
    else:
        raise AssertionError("expected ConnectionLost")
