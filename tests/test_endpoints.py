"""CSDS discovery and URL rules (protocol.md §1; design.md L11)."""

import pytest

from lpweb.endpoints import Endpoints, discover, is_loopback
from lpweb.errors import HttpError, ProtocolError, UsageError
from lpweb.transports.base import HttpResponse


class OneShot:
    """A transport answering every HTTP call with one canned response, recording the URLs."""

    websocket_headers = True

    def __init__(self, status, body):
        self.status, self.body, self.urls = status, body, []

    async def http(self, method, url, *, headers=None, body=None, timeout=None):
        self.urls.append(url)
        return HttpResponse(self.status, {}, self.body, url)

    async def connect_websocket(self, url, headers=None):
        raise AssertionError("not used")

    async def aclose(self):
        pass


BODY = (b'{"baseURIs":[{"service":"idp","account":"1","baseURI":"va.idp.liveperson.net"},'
        b'{"service":"asyncMessagingEnt","account":"1","baseURI":"127.0.0.1:9000"}]}')


def test_loopback_detection():
    assert is_loopback("127.0.0.1:8080") and is_loopback("localhost") and is_loopback("[::1]:80")
    assert not is_loopback("va.idp.liveperson.net") and not is_loopback("10.0.0.1")


async def test_real_hosts_use_tls_loopback_plain():
    t = OneShot(200, BODY)
    ep = await discover(t, "adminlogin.liveperson.net", "1")
    assert t.urls == ["https://adminlogin.liveperson.net/api/account/1/service/baseURI.json?version=1.0"]
    assert ep.http_url("idp", "/x") == "https://va.idp.liveperson.net/x"
    assert ep.ws_url("asyncMessagingEnt", "/ws") == "ws://127.0.0.1:9000/ws"


async def test_https_csds_makes_loopback_secure():
    t = OneShot(200, BODY)
    ep = await discover(t, "https://127.0.0.1:8443", "1")
    assert t.urls[0].startswith("https://127.0.0.1:8443/")
    assert ep.ws_url("asyncMessagingEnt", "/ws") == "wss://127.0.0.1:9000/ws"


async def test_errors_are_typed():
    with pytest.raises(HttpError):
        await discover(OneShot(401, b"{}"), "127.0.0.1:1", "1")
    with pytest.raises(ProtocolError):
        await discover(OneShot(200, b"<html>"), "127.0.0.1:1", "1")
    with pytest.raises(UsageError):
        await discover(OneShot(200, BODY), "ftp://x", "1")
    with pytest.raises(ProtocolError, match="sentinel"):
        Endpoints("1", {}).host("sentinel")
