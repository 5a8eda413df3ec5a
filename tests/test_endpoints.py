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


# widget-boot.js asks CSDS while Python boots (discoverEarly); the browser transport takes the
# answer only for the very URL discover() builds. Run the script in Node with a minimal DOM and
# compare the URL it fetches with discover()'s, for each form of CSDS domain.
EARLY = r"""
const [script, account, csds] = process.argv.slice(2);
const fetched = [];
const host = { dataset: { account, csds }, querySelector: () => null };
globalThis.window = globalThis;
globalThis.document = { currentScript: null, baseURI: "http://page.example/", head: { appendChild() {} },
                        querySelector: (sel) => (sel === "[data-lpweb-widget]" ? host : null),
                        createElement: () => ({}) };
globalThis.localStorage = { getItem: () => null, setItem() {}, removeItem() {} };
globalThis.fetch = (url) => { fetched.push(String(url)); return new Promise(() => {}); };
globalThis.setTimeout = () => 0;
require("vm").runInThisContext(require("fs").readFileSync(script, "utf8"));
console.log(JSON.stringify(fetched));
"""


def early_requests(tmp_path, account: str, csds: str) -> list[str]:
    """The URLs widget-boot.js fetches at once for a widget element with these attributes."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node")
    (tmp_path / "early.js").write_text(EARLY)
    script = Path(__file__).resolve().parents[1] / "web" / "widget-boot.js"
    out = subprocess.run([node, str(tmp_path / "early.js"), str(script), account, csds],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.parametrize("csds", ["adminlogin.liveperson.net", "127.0.0.1:8081", "localhost:9", "[::1]:8080",
                                  "https://127.0.0.1:8443", "http://lp.example:8080", "HTTPS://LP.example"])
async def test_the_early_csds_request_is_the_one_discover_makes(csds, tmp_path):
    t = OneShot(200, BODY)
    await discover(t, csds, "le12345678")
    assert early_requests(tmp_path, "le12345678", csds) == t.urls


def test_no_early_request_when_the_script_could_not_match_it(tmp_path):
    for account, csds in (("a/b", "127.0.0.1:1"), ("1", "ftp://x"), ("1", "host/path"), ("", "127.0.0.1:1")):
        assert early_requests(tmp_path, account, csds) == [], (account, csds)
