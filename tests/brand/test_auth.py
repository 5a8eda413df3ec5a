"""Brand authentication and the token maintainer (BAUTH-*, TKM-*, OPT-05..09, OPT-28, CONN-11)."""

from __future__ import annotations

import pytest

import lpweb
from lpweb import AuthType, ConnectionState, UserType
from lpweb.errors import AuthError, UsageError

from .conftest import ACCOUNT, APP_KEYS, OAUTH2, Factory, VirtualTime

EVENTS = ("error", "token-invalid", "refresh-token", "token-regenerated", "getAgentToken#request",
          "getAgentToken#response")


def record(emitter, events=EVENTS):
    seen: list[tuple[str, object]] = []
    for name in events:
        emitter.on(name, lambda *a, _n=name: seen.append((_n, a[0] if a else None)))
    return seen


def names(seen):
    return [n for n, _ in seen]


async def skills_ok(emu, bearer: str) -> bool:
    status, _, _ = emu.handle_http("GET", f"/api/account/{ACCOUNT}/configuration/le-users/skills", {},
                                   {"Authorization": f"Bearer {bearer}"}, b"")
    return status == 200


async def test_password_login_and_get_token(make: Factory, emu) -> None:
    """BAUTH-01 (agentVep login during open), BAUTH-11/CONN-11 get_token, BAUTH-12 auth_type."""
    conn = make.brand({"username": "bot", "password": "bot-pw"})
    assert await conn.get_token() is None
    seen = record(conn)
    await conn.open()
    token = await conn.get_token()
    assert conn.state == ConnectionState.CONNECTED and conn.auth_type == AuthType.BRAND_AUTHENTICATED
    assert await skills_ok(emu, token)
    assert conn.agent_old_id == make.user("bot").old_id
    assert names(seen) == ["getAgentToken#request", "getAgentToken#response"]
    info = seen[0][1]
    assert info["method"] == "password" and info["username"] == "bot"
    assert token not in repr(conn) and token not in repr(seen) and "bot-pw" not in repr(seen)


async def test_oauth1_app_keys(make: Factory, emu) -> None:
    """OPT-05: OAuth1 auth_data with app key, secret, access token and secret."""
    conn = make.brand({"username": "appbot", **APP_KEYS})
    await conn.open()
    assert conn.agent_old_id == make.user("appbot").old_id
    assert conn.token_maintainer.method == "oauth1"
    with pytest.raises(AuthError):
        await make.brand({"username": "appbot", **APP_KEYS, "secret": "wrong"}).open()


async def test_oauth2_over_oauth1_hint(make: Factory) -> None:
    """OPT-06, BAUTH-03: client id/secret on the OAuth1 path with both access tokens "hint"."""
    conn = make.brand({"username": "appbot", "appKey": "cid", "secret": "csecret",
                       "accessToken": "hint", "accessTokenSecret": "hint"})
    await conn.open()
    assert conn.token_maintainer.method == "oauth2-over-oauth1"
    assert conn.agent_old_id == make.user("appbot").old_id
    with pytest.raises(UsageError, match="hint"):
        make.brand({"username": "appbot", "appKey": "cid", "secret": "csecret",
                    "accessToken": "hint", "accessTokenSecret": "x"})
        await make.made[-1].open()


async def test_pure_oauth2_and_precedence(make: Factory, emu) -> None:
    """OPT-07, BAUTH-04/05: {"oauth2": {...}} logs in through sentinel and wins over OAuth1 keys;
    the user's id comes from GetUserProfile."""
    conn = make.brand({"oauth2": OAUTH2, "username": "bot", "password": "wrong"})
    seen = record(conn)
    await conn.open()
    assert conn.token_maintainer.method == "oauth2"
    assert conn.agent_old_id == make.user("appbot").old_id
    assert await skills_ok(emu, await conn.get_token())
    assert seen[0][1]["method"] == "oauth2"


async def test_oauth2_renewed_every_30_minutes(make: Factory, emu, vt: VirtualTime) -> None:
    """BAUTH-04: OAuth2 tokens live 60 minutes; a new one every 30 minutes keeps HTTP working."""
    conn = make.brand({"oauth2": OAUTH2})
    seen = record(conn)
    await conn.open()
    first = await conn.get_token()
    await vt.advance(29 * 60)
    assert await conn.get_token() == first
    await vt.advance(60)
    second = await conn.get_token()
    assert second != first and "refresh-token" in names(seen)
    await vt.advance(35 * 60)                                # the first token has expired by now
    assert not await skills_ok(emu, first)
    assert await skills_ok(emu, await conn.get_token())
    assert conn.token_maintainer.logins == 3


async def test_oauth1_refresh_every_4_minutes(make: Factory, emu, vt: VirtualTime) -> None:
    """BAUTH-02: an agentVep refresh every 240 s keeps the session (8 h TTL) alive for good."""
    conn = make.brand()
    seen = record(conn)
    await conn.open()
    token = await conn.get_token()
    await vt.advance(239)
    assert "refresh-token" not in names(seen)
    await vt.advance(1)
    assert names(seen).count("refresh-token") == 1
    await vt.advance(9 * 3600)                               # longer than the session TTL
    assert names(seen).count("refresh-token") == (9 * 3600 + 240) // 240
    assert await conn.get_token() == token and await skills_ok(emu, token)
    assert conn.token_maintainer.logins == 1


async def test_regeneration_when_token_becomes_invalid(make: Factory, emu, vt: VirtualTime) -> None:
    """BAUTH-09: a revoked token is noticed at the next refresh: 'token-invalid', a new login,
    'token-regenerated'; the open websocket keeps working."""
    conn = make.brand()
    seen = record(conn)
    await conn.open()
    old = await conn.get_token()
    emu.faults.expire_token(old)
    await vt.advance(240)
    assert names(seen)[-4:] == ["token-invalid", "getAgentToken#request", "getAgentToken#response",
                                "token-regenerated"]
    new = await conn.get_token()
    assert new != old and await skills_ok(emu, new)
    await conn.set_agent_state(lpweb.AgentState.AWAY)        # the socket still works


async def test_http_401_regenerates_and_retries(make: Factory, emu) -> None:
    """BAUTH-09/10: a second login for the same user invalidates the first bearer; the next
    HTTP call gets 401, waits for a new token and succeeds."""
    conn = make.brand()
    seen = record(conn)
    await conn.open()
    old = await conn.get_token()
    other = make.brand()                                     # same auth_data: invalidates `old`
    await other.open()
    assert not await skills_ok(emu, old)
    await conn._load_skills()
    assert "token-invalid" in names(seen) and "token-regenerated" in names(seen)
    assert await conn.get_token() != old and conn._skills


async def test_existing_bearer_reuse(make: Factory, emu, vt: VirtualTime) -> None:
    """OPT-08, BAUTH-06: auth_agent_session_data {token, userPid, csrf, sessionId} is used as is,
    kept refreshed, and the user is found with GetUserProfile."""
    login = await make.maintainer({"username": "bot", "password": "bot-pw"}).get_session()
    data = {"token": login.bearer, "userPid": login.user_pid, "csrf": login.csrf, "sessionId": login.session_id}
    conn = make.brand(auth_agent_session_data=data)
    seen = record(conn)
    await conn.open()
    assert await conn.get_token() == login.bearer
    assert conn.agent_old_id == make.user("bot").old_id
    assert "getAgentToken#request" not in names(seen)
    await vt.advance(240)
    assert names(seen) == ["refresh-token"]
    emu.faults.expire_token(login.bearer)                     # cannot be regenerated: 'error'
    errors = []
    conn.on("error", errors.append)
    await vt.advance(240)
    assert "token-invalid" in names(seen) and errors


def test_both_auth_data_and_session_data_throw() -> None:
    """BAUTH-07, OPT-28: auth_data with auth_agent_session_data is refused in create_connection."""
    with pytest.raises(UsageError, match="not both"):
        lpweb.create_connection(app_id="a", account_id=ACCOUNT, user_type=UserType.BRAND,
                                auth_data={"username": "u", "password": "p"},
                                auth_agent_session_data={"token": "t", "csrf": "c", "sessionId": "s"})
    with pytest.raises(UsageError, match="token_maintainer"):
        lpweb.create_connection(app_id="a", account_id=ACCOUNT, user_type=UserType.BRAND,
                                auth_data={"username": "u", "password": "p"},
                                token_maintainer=lpweb.TokenMaintainer(ACCOUNT, {"username": "u", "password": "p"}))


async def test_oauth2_with_existing_bearer_emits_error(make: Factory) -> None:
    """BAUTH-08: OAuth2 credentials plus a bearer emit 'error' (not raised); an OAuth2-style
    session (no csrf) emits 'error' too and is used without refresh."""
    errors: list[Exception] = []
    conn = make.brand({"oauth2": OAUTH2}, auth_agent_session_data={"token": "x", "csrf": "c", "sessionId": "s"})
    conn.on("error", errors.append)
    await conn.open()
    assert len(errors) == 1 and "BAUTH-08" in str(errors[0]) and "x" != await conn.get_token()
    token = await make.maintainer({"oauth2": OAUTH2}).get_token()
    conn2 = make.brand(auth_agent_session_data={"token": token})
    conn2.on("error", errors.append)
    await conn2.open()
    assert len(errors) == 2 and await conn2.get_token() == token


async def test_token_maintainer_shared(make: Factory, emu, vt: VirtualTime) -> None:
    """TKM-01/02/07/08/09, SCN-07: one maintainer, three connections, one login; its events are
    seen on the maintainer and once on every connection."""
    tm = make.maintainer({"username": "appbot", **APP_KEYS})
    tm_seen: list[str] = []
    assert tm.on("getAgentToken#request", lambda i: tm_seen.append("req")).on(
        "getAgentToken#response", lambda i: tm_seen.append("resp")).on(
        "refresh-token", lambda: tm_seen.append("refresh")) is tm
    conns = [make.brand(token_maintainer=tm) for _ in range(3)]
    seen = [record(c) for c in conns]
    for c in conns:
        await c.open()
    assert tm.logins == 1 and tm_seen == ["req", "resp"]
    assert len({await c.get_token() for c in conns}) == 1
    assert names(seen[0]) == ["getAgentToken#request", "getAgentToken#response"]
    await vt.advance(240)
    assert tm_seen[-1] == "refresh" and all(names(s).count("refresh-token") == 1 for s in seen)
    emu.faults.expire_token(await tm.get_token())
    await vt.advance(240)
    for s in seen:
        assert names(s).count("token-invalid") == 1 and names(s).count("token-regenerated") == 1
    assert tm.logins == 2
    for c in conns:
        await c.close()
    assert tm._loop_task is None                              # TKM-10: no connection, no timer


async def test_token_maintainer_oauth2_and_errors(make: Factory, emu, vt: VirtualTime) -> None:
    """TKM-01 (OAuth2 credentials), TKM-03 'error' on a failed renewal, TKM-10 close()."""
    tm = make.maintainer({"oauth2": OAUTH2})
    conn = make.brand(token_maintainer=tm)
    errors: list[Exception] = []
    tm.on("error", errors.append)
    conn_errors: list[Exception] = []
    conn.on("error", conn_errors.append)
    await conn.open()
    emu.faults.http_error(r"/app/token$", 503, times=1)
    await vt.advance(30 * 60)
    assert len(errors) == 1 and len(conn_errors) == 1
    await vt.advance(60)                                     # retried a minute later
    assert tm.logins == 2
    await tm.close()
    with pytest.raises(lpweb.InvalidState):
        await tm.get_token()
    with pytest.raises(UsageError):
        lpweb.TokenMaintainer(ACCOUNT)
    with pytest.raises(UsageError):
        lpweb.TokenMaintainer(ACCOUNT, {"oauth2": {"client_id": "x"}})
