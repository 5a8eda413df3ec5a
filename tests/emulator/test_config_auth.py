"""Priority 1: configuration, brand credentials (OAuth1 keys, OAuth2-over-OAuth1, sentinel) and
consumer identities (authenticate, connectors v3.0, unauth) with token expiry close codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest

from lpweb.emulator import Emulator
from lpweb.emulator.config import ConfigError, cli_user, load_config, parse_config

from conftest import WsClient
from helpers import ACC, CONFIG, hs256, rs256, rsa_pair

import websockets

ISS = "https://brand.example"


def test_config_files_toml_json_and_errors(tmp_path: Path) -> None:
    toml = tmp_path / "emu.toml"
    toml.write_text('''ring_expiration_ms = 5000
[[accounts]]
id = "42"
[[accounts.skills]]
id = "7"
name = "Seven"
survey = true
schedule = {days = [0], open = "09:00", close = "10:00"}
[[accounts.users]]
name = "ann"
password = "pw"
permissions = ["agent"]
skills = ["7"]
app_keys = [{appKey = "k", secret = "s", accessToken = "t", accessTokenSecret = "u"}]
''')
    cfg = load_config(toml)
    acc = cfg.accounts[0]
    assert acc.id == "42" and acc.ring_expiration_ms == 5000
    assert acc.skills[0].survey and acc.skills[0].schedule["open"] == "09:00"
    assert acc.users[0].permissions == ("AGENT",) and acc.users[0].skills == frozenset({"7"})
    jsn = tmp_path / "emu.json"
    jsn.write_text(json.dumps(CONFIG))
    assert [a.id for a in load_config(jsn).accounts] == [ACC, "6660002"]
    for bad in ({"accounts": [{}]}, {"accounts": [{"id": "1", "connectors": [{"id": "c", "type": 2}]}]},
                {"accounts": [{"id": "1", "users": [{"name": "x", "app_keys": [{"appKey": "k"}]}]}]}):
        with pytest.raises(ConfigError):
            parse_config(bad)
    assert cli_user("bob:pw").permissions == ("MANAGER",) and cli_user("bob:pw").skills is None
    with pytest.raises(ConfigError):
        cli_user("nobody")


def test_skill_schedule_off_hours() -> None:
    """CONV-16 data: a skill schedule (UTC) or flag decides off hours."""
    emu = Emulator(config={"accounts": [{"id": "1", "skills": [
        {"id": "7", "schedule": {"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "17:00"}}]}]})
    skill = emu.platform.accounts["1"].skills["7"]
    monday_10 = 1_700_478_000_000          # 2023-11-20 11:00 UTC, a Monday
    assert not skill.is_off_hours(monday_10)
    assert skill.is_off_hours(monday_10 + 8 * 3600_000)        # 19:00
    assert skill.is_off_hours(monday_10 + 5 * 86400_000)       # Saturday


async def test_default_account_and_skills_rest(cemu, chttp) -> None:
    assert cemu.account_id == ACC
    assert "bot" not in cemu.platform.accounts[ACC].users            # no default user with a config
    login = (await chttp.post(f"/api/account/{ACC}/login", json={"username": "a1", "password": "p1"})).json()
    r = await chttp.get(f"/api/account/{ACC}/configuration/le-users/skills",
                        headers={"Authorization": f"Bearer {login['bearer']}"})
    assert r.status_code == 200
    by_id = {s["id"]: s for s in r.json()}
    assert by_id[30]["lpwebOffHours"] is True and by_id[10]["lpwebOffHours"] is False and by_id[10]["name"] == "Sales"
    assert (await chttp.get(f"/api/account/{ACC}/configuration/le-users/skills")).status_code == 401


async def test_oauth1_app_keys_login(cemu, chttp) -> None:
    """BAUTH-01: app-key login checks all four configured keys; no password shortcut."""
    body = {"username": "appbot", "appKey": "k1", "secret": "s1", "accessToken": "t1", "accessTokenSecret": "ts1"}
    r = await chttp.post(f"/api/account/{ACC}/login?v=1.3", json=body)
    assert r.status_code == 200 and r.json()["config"]["loginName"] == "appbot"
    for key in ("appKey", "secret", "accessToken", "accessTokenSecret"):
        bad = {**body, key: "wrong"}
        assert (await chttp.post(f"/api/account/{ACC}/login", json=bad)).status_code == 401
    # the old "secret == password" shortcut is gone
    shortcut = {"username": "a1", "appKey": "x", "secret": "p1", "accessToken": "x", "accessTokenSecret": "x"}
    assert (await chttp.post(f"/api/account/{ACC}/login", json=shortcut)).status_code == 401
    # a user without a password cannot use a password login
    assert (await chttp.post(f"/api/account/{ACC}/login", json={"username": "appbot", "password": ""})).status_code == 401


async def test_oauth2_over_oauth1(cemu, chttp) -> None:
    """BAUTH-03: appKey/secret = OAuth2 client, both access tokens "hint"; one "hint" alone fails."""
    body = {"username": "appbot", "appKey": "cid", "secret": "csecret", "accessToken": "hint", "accessTokenSecret": "hint"}
    r = await chttp.post(f"/api/account/{ACC}/login?v=1.3", json=body)
    assert r.status_code == 200 and r.json()["config"]["loginName"] == "appbot"
    assert (await chttp.post(f"/api/account/{ACC}/login", json={**body, "accessTokenSecret": "x"})).status_code == 401
    assert (await chttp.post(f"/api/account/{ACC}/login", json={**body, "secret": "nope"})).status_code == 401


@pytest.mark.parametrize("path", ["/sentinel/api/account/{acc}/app/token?v=1.0", "/sentinel/api/v2/account/{acc}/app/token"])
async def test_sentinel_client_credentials_bearer_opens_brand_socket(cemu, chttp, path) -> None:
    """BAUTH-04: OAuth2 client credentials -> access token usable as a brand bearer."""
    url = path.format(acc=ACC)
    r = await chttp.post(url, data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"})
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    ws = WsClient(await websockets.connect(f"ws://{cemu.csds_domain}/ws_api/account/{ACC}/messaging/brand/{token['access_token']}?v=2.1"))
    resp = await ws.request(".ams.userprofile.GetUserProfile", {})
    assert resp["code"] == 200 and resp["body"]["userId"] == cemu.platform.accounts[ACC].users["appbot"].old_id
    await ws.close()
    assert (await chttp.post(url, data={"grant_type": "client_credentials", "client_id": "cid",
                                        "client_secret": "bad"})).status_code == 401
    assert (await chttp.post(url, data={"grant_type": "password"})).status_code == 400
    # another account's socket refuses the token (isolation)
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(f"ws://{cemu.csds_domain}/ws_api/account/6660002/messaging/brand/{token['access_token']}")


async def _consumer(cemu, jwt: str) -> WsClient:
    return WsClient(await websockets.connect(f"ws://{cemu.csds_domain}/ws_api/account/{ACC}/messaging/consumer?v=3",
                                             additional_headers={"Authorization": f"jwt {jwt}"}))


async def test_authenticate_legacy_and_expiry_closes_4401(cemu, chttp, mtime) -> None:
    """CAUTH-02/03: implicit-flow authCode -> LP JWT with lp.ext; the socket closes 4401 when it expires."""
    now = mtime.now() // 1000
    ext = hs256({"sub": "+972-3-5555-555", "iss": ISS, "iat": now, "exp": now + 60}, "brand-secret")
    r = await chttp.post(f"/api/account/{ACC}/authenticate", json={"authCode": ext})
    assert r.status_code == 200, r.text
    jwt = r.json()["jwt"]
    ws = await _consumer(cemu, jwt)
    assert (await ws.request("GetClock"))["code"] == 200
    same = (await chttp.post(f"/api/account/{ACC}/authenticate", json={"authCode": ext})).json()["jwt"]
    assert cemu.platform.tokens.verify_consumer_jwt(same, ACC) == cemu.platform.tokens.verify_consumer_jwt(jwt, ACC)
    mtime.advance(61_000)
    assert (await ws.wait_closed())[0] == 4401
    bad = hs256({"sub": "x", "iss": ISS, "exp": now + 60}, "wrong-secret")
    assert (await chttp.post(f"/api/account/{ACC}/authenticate", json={"authCode": bad})).status_code == 401
    unknown_iss = hs256({"sub": "x", "iss": "https://other", "exp": now + 60}, "brand-secret")
    assert (await chttp.post(f"/api/account/{ACC}/authenticate", json={"authCode": unknown_iss})).status_code == 401


async def test_connector_v3_hs256_and_rs256(mtime) -> None:
    """CAUTH-02: ``app/{connectorId}/authenticate?v=3.0`` with HS256 and RS256 connectors."""
    pytest.importorskip("cryptography")
    key, pem = rsa_pair()
    cfg = copy.deepcopy(CONFIG)
    cfg["accounts"][0]["connectors"].append({"id": "3", "type": 2, "issuer": "https://rsa.example", "alg": "RS256",
                                             "public_key": pem})
    async with Emulator(config=cfg, clock=mtime.now, scheduler=mtime) as emu:
        async with httpx.AsyncClient(base_url=emu.url) as http:
            now = mtime.now() // 1000
            good = rs256({"sub": "u1", "iss": "https://rsa.example", "exp": now + 600}, key)
            r = await http.post(f"/api/account/{ACC}/app/3/authenticate?v=3.0", json={"id_token": good})
            assert r.status_code == 200 and emu.platform.tokens.verify_consumer_jwt(r.json()["token"], ACC)
            other_key, _ = rsa_pair()
            forged = rs256({"sub": "u1", "iss": "https://rsa.example", "exp": now + 600}, other_key)
            assert (await http.post(f"/api/account/{ACC}/app/3/authenticate?v=3.0",
                                    json={"id_token": forged})).status_code == 401
            hs = hs256({"sub": "u2", "iss": ISS, "exp": now + 600}, "brand-secret")
            r = await http.post(f"/api/account/{ACC}/app/2/authenticate?v=3.0", json={"id_token": hs})
            assert r.status_code == 200 and "token" in r.json()
            assert (await http.post(f"/api/account/{ACC}/app/9/authenticate?v=3.0", json={"id_token": hs})).status_code == 404


async def test_unauth_flow_refresh_and_4407(cemu, chttp, mtime) -> None:
    """CAUTH-04: anonymous/authorize (10 min) -> ACR0 connector -> LP JWT; expiry closes 4407; refresh."""
    ext = (await chttp.post(f"/api/account/{ACC}/anonymous/authorize")).json()["token"]
    r = await chttp.post(f"/api/account/{ACC}/app/1/authenticate?v=3.0", json={"id_token": ext})
    assert r.status_code == 200
    ws = await _consumer(cemu, r.json()["token"])
    assert (await ws.request("cm.ConsumerRequestConversation"))["code"] == 200
    mtime.advance(10 * 60_000 + 1)
    assert (await ws.wait_closed())[0] == 4407
    # the expired external token cannot authenticate, but can be refreshed (same identity)
    assert (await chttp.post(f"/api/account/{ACC}/app/1/authenticate?v=3.0", json={"id_token": ext})).status_code == 401
    fresh = (await chttp.post(f"/api/account/{ACC}/anonymous/authorize", json={"id_token": ext})).json()["token"]
    r2 = await chttp.post(f"/api/account/{ACC}/app/1/authenticate?v=3.0", json={"id_token": fresh})
    tokens = cemu.platform.tokens
    assert tokens.verify_consumer_jwt(r2.json()["token"], ACC) == tokens.read_jwt(r.json()["token"])["sub"]
    mtime.advance(25 * 3600_000)
    assert (await chttp.post(f"/api/account/{ACC}/anonymous/authorize", json={"id_token": fresh})).status_code == 401
    # a signup token is not an unauth token
    signup = (await chttp.post(f"/api/account/{ACC}/signup")).json()["jwt"]
    assert (await chttp.post(f"/api/account/{ACC}/app/1/authenticate?v=3.0", json={"id_token": signup})).status_code == 401


async def test_expired_token_at_handshake_and_init_connection(cemu, chttp, mtime) -> None:
    """§4.6: an expired unauth token closes 4407 right away, by header or InitConnection."""
    ext = (await chttp.post(f"/api/account/{ACC}/anonymous/authorize")).json()["token"]
    jwt = (await chttp.post(f"/api/account/{ACC}/app/1/authenticate?v=3.0", json={"id_token": ext})).json()["token"]
    mtime.advance(11 * 60_000)
    ws = await _consumer(cemu, jwt)
    assert (await ws.wait_closed())[0] == 4407
    ws2 = WsClient(await websockets.connect(f"ws://{cemu.csds_domain}/ws_api/account/{ACC}/messaging/consumer?v=3"))
    resp = await ws2.request("InitConnection", headers=[{"type": ".ams.headers.ConsumerAuthentication", "jwt": jwt}])
    assert resp["code"] == 401
    assert (await ws2.wait_closed())[0] == 4407


async def test_cli_config_file(tmp_path: Path) -> None:
    import asyncio
    import os
    import re
    import signal
    import sys
    root = Path(__file__).resolve().parents[2]
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(CONFIG))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lpweb.emulator", "--port", "0", "--config", str(cfg), "--user", "zed:pz", "--seed", "3",
        cwd=root, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(root)})
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert m and ACC in line, line
        async with httpx.AsyncClient(base_url=m.group(0)) as http:
            for user, pw in (("a1", "p1"), ("zed", "pz")):
                assert (await http.post(f"/api/account/{ACC}/login", json={"username": user, "password": pw})).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
