"""The error tree and redaction of secrets."""

import lpweb
from lpweb.errors import HttpError, RequestFailed, RequestTimeout, redact


def test_tree():
    assert issubclass(lpweb.RequestTimeout, TimeoutError)
    assert issubclass(lpweb.UsageError, ValueError)
    assert issubclass(lpweb.ConversationClosed, lpweb.InvalidState)
    assert issubclass(lpweb.ConnectionLost, lpweb.TransportError)
    for cls in (RequestFailed, RequestTimeout, HttpError):
        assert issubclass(cls, lpweb.LPError)


def test_redact():
    assert redact({"jwt": "abc", "nested": {"Password": "x", "ok": 1}}) == {"jwt": "***", "nested": {"Password": "***", "ok": 1}}
    assert redact("ws://h/ws_api/account/1/messaging/brand/BEARER123?v=2.1") == "ws://h/ws_api/account/1/messaging/brand/***?v=2.1"
    assert "sig123" not in redact("http://h/f?temp_url_sig=sig123&temp_url_expires=1")


def test_http_error_redacts_url():
    err = HttpError(401, "ws://h/ws_api/account/1/messaging/brand/SECRETBEARER?v=2.1")
    assert "SECRETBEARER" not in str(err)


def test_request_failed_redacts_dict_bodies():
    err = RequestFailed(400, {"csrf": "topsecret"}, "x")
    assert "topsecret" not in str(err)
