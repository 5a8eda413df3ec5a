"""The frame codec (PROTO-01, MSG-17): encode, decode, tolerances, malformed input."""

import json

import pytest

from lpweb.errors import MalformedFrame
from lpweb.protocol import Notification, Request, Response, decode, encode_request
from lpweb.protocol.frames import one_or_many
from lpweb.protocol import requests as rq


def test_request_round_trip():
    text = encode_request("7", "ms.PublishEvent", {"dialogId": "d"}, metadata=[{"type": "ExternalId", "id": "1"}])
    assert json.loads(text) == {"kind": "req", "id": "7", "type": "ms.PublishEvent", "body": {"dialogId": "d"},
                                "metadata": [{"type": "ExternalId", "id": "1"}]}
    assert decode(text) == Request("7", "ms.PublishEvent", {"dialogId": "d"}, None,
                                   [{"type": "ExternalId", "id": "1"}])


def test_request_without_body_has_no_body_key():
    assert json.loads(encode_request("1", "GetClock")) == {"kind": "req", "id": "1", "type": "GetClock"}


def test_numeric_req_id_becomes_string():
    frame = decode('{"kind":"resp","reqId":1,"code":200,"body":{"sequence":0}}')
    assert frame == Response("1", 200, "", {"sequence": 0})
    assert frame.ok


def test_error_code_is_not_ok():
    assert not decode('{"kind":"resp","reqId":"1","code":400,"body":"bad"}').ok


def test_notification():
    n = decode('{"kind":"notification","type":"ms.MessagingEventNotification","body":{"changes":[]},"x":1}')
    assert n == Notification("ms.MessagingEventNotification", {"changes": []})


@pytest.mark.parametrize("text, reason", [
    ("not json", "not valid JSON"),
    ("[1,2]", "not a JSON object"),
    ('{"kind":"resp","code":200}', "reqId"),
    ('{"kind":"resp","reqId":"1","code":"200"}', "integer code"),
    ('{"kind":"resp","reqId":true,"code":200}', "reqId"),
    ('{"kind":"notification","body":{}}', "type"),
    ('{"kind":"whatever"}', "unknown frame kind"),
    ('{"kind":"req","type":"x"}', "id"),
    ("[" * 100000, "not valid JSON"),
])
def test_malformed_frames_raise_typed_error(text, reason):
    with pytest.raises(MalformedFrame) as info:
        decode(text)
    assert reason in str(info.value)


def test_bytes_are_decoded_as_utf8():
    assert decode('{"kind":"notification","type":"t","body":"é"}'.encode()) == Notification("t", "é")
    with pytest.raises(MalformedFrame):
        decode(b"\xff\xfe")


def test_one_or_many_accepts_a_single_element():
    assert one_or_many({"a": 1}) == [{"a": 1}]
    assert one_or_many([1]) == [1]
    assert one_or_many(None) == []


def test_send_message_golden_vector():
    """MSG-17: send_message('hello world!') builds the documented publish body."""
    body = rq.publish_body("D", rq.text_event("hello world!"))
    assert {"type": rq.BRAND_API(rq.PUBLISH_EVENT), "body": body} == {
        "type": ".ams.ms.PublishEvent",
        "body": {"dialogId": "D", "event": {"type": "ContentEvent", "contentType": "text/plain",
                                              "message": "hello world!"}}}


def test_canonical_type_names():
    assert rq.canonical_type(".ams.aam.SubscribeExConversations") == "cqm.SubscribeExConversations"
    assert rq.canonical_type(".GetClock") == "GetClock"
    assert rq.canonical_type(".ams.ms.PublishEvent") == "ms.PublishEvent"
    assert rq.canonical_type("ms.PublishEvent") == "ms.PublishEvent"


def test_subscription_query_translation():
    """SUB-09..17: query keys map onto the wire body."""
    assert rq.subscribe_conversations_body({"stage": ["OPEN"], "state": ["OPEN"], "agentId": "1.2",
                                            "lastUpdateAfter": 5, "lastUpdateBefore": 9}) == {
        "stage": ["OPEN"], "convState": ["OPEN"], "agentIds": ["1.2"],
        "minLastUpdatedTime": 5, "maxLastUpdatedTime": 9}


def test_metadata_one_or_list():
    """MSG-10: metadata may be one dict or a list."""
    assert rq.as_metadata_list({"type": "ExternalId", "id": "1"}) == [{"type": "ExternalId", "id": "1"}]
    assert rq.as_metadata_list([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]
    assert rq.as_metadata_list(None) is None
    with pytest.raises(TypeError):
        rq.as_metadata_list("x")


@pytest.mark.parametrize("body", [
    '{"n":NaN,"i":-Infinity}',                      # orjson refuses these; json accepts them
    '{"big":123456789012345678901234567890}',       # beyond 64 bits
    '{"s":"\\ud800"}',                               # a lone surrogate
    '{"a":1,"a":2}',                                 # a repeated key: the last one wins
    '{"big":-9223372036854775809,"u":18446744073709551616,"x":[1234567890123456789]}',
    '{"f":[0.1,1e-7,123.456e10,2.2250738585072014e-308,1e400,-0,-0.0,5e-324]}',
    r'{"t":"12345678901234567890 in a string","e":"\u0000\/\u00e9"}',
])
def test_bodies_decode_as_the_standard_library_does(body):
    """PROTO-01: whichever JSON decoder is installed (orjson or json), a frame decodes to
    what ``json.loads`` gives."""
    frame = decode(f'{{"kind":"notification","type":"t","body":{body}}}')
    assert repr(frame.body) == repr(json.loads(body))
