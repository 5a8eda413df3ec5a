"""HTTP services of the emulator: CSDS, IdP signup, agentVep login/refresh/logout, CORS."""

from __future__ import annotations

import base64
import json

import httpx

from lpweb.emulator import Emulator
from lpweb.emulator.http_api import SERVICES


def _payload(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_csds_all_services(emu: Emulator, http: httpx.AsyncClient) -> None:
    """CSDS all-services form, both /api and /csdr paths (protocol.md §1.1)."""
    for prefix in ("api", "csdr"):
        r = await http.get(f"/{prefix}/account/{emu.account_id}/service/baseURI.json", params={"version": "1.0"})
        assert r.status_code == 200
        uris = r.json()["baseURIs"]
        assert {u["service"] for u in uris} == set(SERVICES)
        assert all(u["account"] == emu.account_id and u["baseURI"] == emu.csds_domain for u in uris)
        assert "://" not in uris[0]["baseURI"]


async def test_csds_single_service_and_unknown_account(emu: Emulator, http: httpx.AsyncClient) -> None:
    r = await http.get(f"/api/account/{emu.account_id}/service/agentVep/baseURI.json?version=1.0")
    assert r.json() == {"service": "agentVep", "account": emu.account_id, "baseURI": emu.csds_domain}
    r = await http.get(f"/csdr/account/{emu.account_id}/service/idp/baseURI.json?version=1.0")
    assert r.json()["baseURI"] == emu.csds_domain
    r = await http.get("/api/account/999/service/baseURI.json?version=1.0")
    assert r.status_code == 401
    r = await http.get(f"/api/account/{emu.account_id}/service/nope/baseURI.json?version=1.0")
    assert r.status_code == 404


async def test_advertised_address() -> None:
    async with Emulator(advertise="emu.example:443") as emu:
        async with httpx.AsyncClient(base_url=emu.url) as http:
            r = await http.get(f"/api/account/{emu.account_id}/service/baseURI.json?version=1.0")
            assert {u["baseURI"] for u in r.json()["baseURIs"]} == {"emu.example:443"}


async def test_signup_issues_jwt(emu: Emulator, http: httpx.AsyncClient) -> None:
    """CAUTH-01: anonymous identity; the JWT payload has sub/aud/iss/iat/exp (protocol.md §2.1)."""
    r = await http.post(f"/api/account/{emu.account_id}/signup")
    assert r.status_code == 200
    jwt = r.json()["jwt"]
    assert jwt.count(".") == 2
    payload = _payload(jwt)
    assert payload["aud"] == f"acc:{emu.account_id}"
    assert payload["iss"] == f"http://{emu.csds_domain}/idp"
    assert payload["exp"] > payload["iat"]
    assert len(payload["sub"]) == 36
    assert (await http.post("/api/account/999/signup")).status_code == 401


async def test_login_good_and_bad(emu: Emulator, http: httpx.AsyncClient) -> None:
    """BAUTH-01: agentVep login body and cookie (protocol.md §3.1)."""
    r = await http.post(f"/api/account/{emu.account_id}/login?v=1.3",
                        json={"username": "bot", "password": "bot-password"})
    assert r.status_code == 200
    body = r.json()
    assert body["config"]["loginName"] == "bot"
    assert body["config"]["userId"].isdigit()
    assert len(body["config"]["userPid"]) == 36
    assert body["sessionTTl"] == "28800000"
    assert body["bearer"] and body["csrf"]
    assert {u["service"] for u in body["csdsCollectionResponse"]["baseURIs"]} == set(SERVICES)
    assert r.cookies.get("Session_id")

    bad = await http.post(f"/api/account/{emu.account_id}/login?v=1.3",
                          json={"username": "bot", "password": "wrong"})
    assert bad.status_code == 401
    assert bad.json()["error"]["responseStatus"] == "UNAUTHORIZED"
    assert (await http.post(f"/api/account/{emu.account_id}/login?v=1.3", content=b"nope")).status_code == 400


async def test_refresh_and_logout(emu: Emulator, http: httpx.AsyncClient) -> None:
    """BAUTH-02 refresh with csrf + cookie; logout invalidates (protocol.md §3.2, §3.3)."""
    acc = emu.account_id
    login = (await http.post(f"/api/account/{acc}/login?v=1.3",
                             json={"username": "bot", "password": "bot-password"})).json()
    r = await http.post(f"/api/account/{acc}/refresh?v=1.3", json={"csrf": login["csrf"]})   # cookie jar
    assert r.status_code == 200 and r.content == b""
    assert (await http.post(f"/api/account/{acc}/refresh", json={"csrf": "bad"})).status_code == 401
    r = await http.post(f"/api/account/{acc}/logout", json={"csrf": login["csrf"]})
    assert r.status_code == 200
    r = await http.post(f"/api/account/{acc}/refresh", json={"csrf": login["csrf"]})
    assert r.status_code == 401
    assert r.json()["error"]["internalCode"] == 10


async def test_second_login_invalidates_first(emu: Emulator, http: httpx.AsyncClient) -> None:
    """BAUTH-10: one token per user (protocol.md §3.4)."""
    acc = emu.account_id
    first = (await http.post(f"/api/account/{acc}/login", json={"username": "bot", "password": "bot-password"})).json()
    second = (await http.post(f"/api/account/{acc}/login", json={"username": "bot", "password": "bot-password"})).json()
    assert first["bearer"] != second["bearer"]
    http.cookies.clear()
    assert (await http.post(f"/api/account/{acc}/refresh", json={"csrf": first["csrf"]})).status_code == 401
    assert (await http.post(f"/api/account/{acc}/refresh", json={"csrf": second["csrf"]})).status_code == 200
    assert emu.platform.tokens.by_bearer(first["bearer"]) is None


async def test_cors(emu: Emulator, http: httpx.AsyncClient) -> None:
    """A page on another origin can call CSDS and IdP with fetch (preflight + headers)."""
    origin = "http://127.0.0.1:9"
    r = await http.options(f"/api/account/{emu.account_id}/signup",
                           headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                    "Access-Control-Request-Headers": "content-type"})
    assert r.status_code in (200, 204)
    assert r.headers["access-control-allow-origin"] == origin
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    r = await http.get(f"/api/account/{emu.account_id}/service/baseURI.json?version=1.0", headers={"Origin": origin})
    assert r.headers["access-control-allow-origin"] == origin
    assert r.headers["access-control-allow-credentials"] == "true"
    r = await http.get(f"/api/account/{emu.account_id}/service/baseURI.json?version=1.0")
    assert "access-control-allow-origin" not in r.headers


def test_handle_without_server() -> None:
    """http_api.handle is callable directly (for an in-memory transport)."""
    emu = Emulator()
    reply = emu.http.handle("POST", f"/api/account/{emu.account_id}/signup", {}, {"Origin": "http://x"}, b"")
    assert reply.status == 200 and "jwt" in reply.json()
    assert reply.headers["Access-Control-Allow-Origin"] == "http://x"
    assert emu.http.handle("GET", "/nothing/here").status == 404
