"""Brand sessions from agentVep (protocol.md §3): login, refresh, logout.

:class:`AgentSession` holds the bearer, csrf and session cookie; its ``repr`` shows none
of them. The login body depends on the credentials: username/password or OAuth1 app keys
(OAuth2-over-OAuth1 is the OAuth1 shape with the literal ``"hint"`` access tokens).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..endpoints import Endpoints
from ..errors import AuthError, HttpError, ProtocolError, TokenExpired, UsageError
from ..transports.base import Transport

__all__ = ["AgentSession", "login", "refresh", "logout", "login_body"]

_JSON = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass
class AgentSession:
    bearer: str = field(repr=False)
    csrf: str = field(repr=False, default="")
    session_id: str = field(repr=False, default="")
    user_id: str = ""
    user_pid: str = ""
    account_id: str = ""
    #: "agentVep" (OAuth1, OAuth2 over OAuth1, user/password: refreshable), "oauth2" (sentinel
    #: client credentials: renewed, not refreshed) or "external" (auth_agent_session_data).
    kind: str = "agentVep"

    @property
    def old_id(self) -> str:
        """The ``{accountId}.{userId}`` form used in routing and participant bodies."""
        return f"{self.account_id}.{self.user_id}"


def login_body(auth_data: Mapping[str, Any]) -> dict[str, str]:
    """The agentVep login body for ``auth_data`` (JS keys or snake_case aliases)."""
    def pick(*keys: str) -> Any:
        for key in keys:
            if auth_data.get(key) is not None:
                return auth_data[key]
        return None

    username = pick("username", "user_name")
    if not isinstance(username, str) or not username:
        raise UsageError("auth_data needs a 'username'")
    password = pick("password")
    app_key = pick("appKey", "app_key")
    if app_key is not None:
        body = {"username": username, "appKey": app_key, "secret": pick("secret"),
                "accessToken": pick("accessToken", "access_token"),
                "accessTokenSecret": pick("accessTokenSecret", "access_token_secret")}
        missing = [k for k, v in body.items() if not isinstance(v, str) or not v]
        if missing:
            raise UsageError(f"auth_data with an appKey also needs: {', '.join(missing)}")
        if (body["accessToken"] == "hint") != (body["accessTokenSecret"] == "hint"):
            raise UsageError("OAuth2 over OAuth1 needs both accessToken and accessTokenSecret set to 'hint'")
        return body
    if not isinstance(password, str) or not password:
        raise UsageError("auth_data needs a 'password' or OAuth1 app keys")
    return {"username": username, "password": password}


def _cookie(headers: Mapping[str, str], name: str) -> str:
    raw = headers.get("set-cookie", "")
    for part in raw.replace(",", ";").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def login(transport: Transport, endpoints: Endpoints, auth_data: Mapping[str, Any]) -> AgentSession:
    """``POST https://{agentVep}/api/account/{acc}/login?v=1.3`` (§3.1)."""
    url = endpoints.http_url("agentVep", f"/api/account/{endpoints.account_id}/login?v=1.3")
    resp = await transport.http("POST", url, headers=_JSON, body=json.dumps(login_body(auth_data)).encode())
    if resp.status in (400, 401, 403):
        raise AuthError(f"agentVep refused the login (HTTP {resp.status})")
    if resp.status != 200:
        raise HttpError(resp.status, url, None)
    try:
        data = resp.json()
        config = data.get("config") or {}
        session = AgentSession(
            bearer=data["bearer"], csrf=data.get("csrf", ""),
            session_id=_cookie(resp.headers, "Session_id") or str(data.get("sessionId", "")),
            user_id=str(config.get("userId", "")), user_pid=str(config.get("userPid", "")),
            account_id=endpoints.account_id)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ProtocolError("agentVep login answered an unexpected body") from None
    if not session.bearer:
        raise ProtocolError("agentVep login answered no bearer")
    return session


async def refresh(transport: Transport, endpoints: Endpoints, session: AgentSession) -> None:
    """Keep the bearer alive (§3.2); raises :class:`TokenExpired` when agentVep says 401."""
    url = endpoints.http_url("agentVep", f"/api/account/{endpoints.account_id}/refresh?v=1.3")
    headers = {**_JSON, "Cookie": f"Session_id={session.session_id}"}
    resp = await transport.http("POST", url, headers=headers, body=json.dumps({"csrf": session.csrf}).encode())
    if resp.status == 401:
        raise TokenExpired("agentVep refused the session refresh")
    if resp.status != 200:
        raise HttpError(resp.status, url, None)


async def logout(transport: Transport, endpoints: Endpoints, session: AgentSession) -> None:
    url = endpoints.http_url("agentVep", f"/api/account/{endpoints.account_id}/logout")
    headers = {**_JSON, "Cookie": f"Session_id={session.session_id}"}
    await transport.http("POST", url, headers=headers, body=json.dumps({"csrf": session.csrf}).encode())
