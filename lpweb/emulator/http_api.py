"""The emulator's HTTP services: CSDS (protocol.md §1), IdP signup (§2.1) and agentVep
login / refresh / logout (§3), with CORS like the real services. Other services register
route tables: IdP authenticate / sentinel (:mod:`.identity`), swift file storage
(:mod:`.swift`), the skills list and the ``/_emulator`` control endpoints (:mod:`.control`).
Injected HTTP faults (``platform.faults.http_error``) are answered first.

:class:`HttpApi` has one entry point, ``handle(method, path, query, headers, body)``, that
returns an :class:`HttpReply`. It uses no aiohttp types, so an in-memory transport can call
it directly; the aiohttp server in :mod:`.server` only adapts requests to it.

Every service lives on the one emulator host; CSDS advertises ``platform.advertised``
(``host:port``, no scheme) for all of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .identity import check_login
from .state import Platform
from .swift import SWIFT_PREFIX
from .tokens import SESSION_TTL_MS, AgentSession

__all__ = ["HttpApi", "HttpReply", "SERVICES", "json_reply", "Req"]

# Service names CSDS lists for every account (protocol.md §1.2).
SERVICES = ("asyncMessagingEnt", "facadeMsg", "agentVep", "idp", "swift", "sentinel", "acCdnDomain",
            "accountConfigReadOnly", "accountConfigReadWrite", "msgHist")

_ALLOW_HEADERS = "Content-Type, Authorization, Accept, Cache-Control, User-Agent, X-Requested-With"
_ALLOW_METHODS = "GET, POST, PUT, DELETE, OPTIONS"

_CSDS_ALL = re.compile(r"^/(?:api|csdr)/account/([^/]+)/service/baseURI\.json$")
_CSDS_ONE = re.compile(r"^/(?:api|csdr)/account/([^/]+)/service/([^/]+)/baseURI\.json$")
_ACCOUNT_OP = re.compile(r"^/api/account/([^/]+)/(signup|login|refresh|logout)$")


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Req:
    """One HTTP request as the route handlers see it (header names lower-case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    remote: str | None = None       # peer address; None in process


def json_reply(status: int, obj: Any, headers: dict[str, str] | None = None) -> HttpReply:
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return HttpReply(status, h, json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def _error_body(platform: Platform, status: int, message: str, internal_code: int) -> dict[str, Any]:
    """agentVep error body (protocol.md §3.2)."""
    import datetime
    when = datetime.datetime.fromtimestamp(platform.clock() / 1000, datetime.timezone.utc)
    return {"error": {"time": when.strftime("%b %d, %Y %I:%M:%S %p"), "message": message,
                      "internalCode": internal_code,
                      "responseStatus": {401: "UNAUTHORIZED", 400: "BAD_REQUEST"}.get(status, "ERROR")}}


def _cookies(headers: Mapping[str, str]) -> dict[str, str]:
    result = {}
    for part in headers.get("cookie", "").split(";"):
        if "=" in part:
            name, value = part.split("=", 1)
            result[name.strip()] = value.strip()
    return result


class HttpApi:
    """CSDS, IdP and agentVep for every account of ``platform``."""

    def __init__(self, platform: Platform) -> None:
        from . import control, identity
        self.platform = platform
        self._routes = identity.routes(self) + control.routes(self)

    # ---- entry point --------------------------------------------------------------------
    def handle(self, method: str, path: str, query: Mapping[str, str] | None = None,
               headers: Mapping[str, str] | None = None, body: bytes = b"", remote: str | None = None) -> HttpReply:
        """Answer one HTTP request. Header names are matched case-insensitively; ``remote`` is
        the peer address (``None`` in process, treated as loopback)."""
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        method = method.upper()
        try:
            fault = None if path.startswith("/_emulator/") else self.platform.faults.http_status(path)
            if method == "OPTIONS":
                reply = HttpReply(204, {"Access-Control-Max-Age": "600"})
            elif fault is not None:
                reply = json_reply(fault, {"error": {"message": f"injected fault {fault}"}})
            else:
                reply = self._route(Req(method, path, dict(query or {}), hdrs, body or b"", remote))
        except Exception as exc:        # never crash the server
            reply = json_reply(500, {"error": {"message": f"emulator error: {exc!r}"[:200]}})
        origin = hdrs.get("origin")
        if origin:
            reply.headers.update({
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": _ALLOW_METHODS,
                "Access-Control-Allow-Headers": hdrs.get("access-control-request-headers") or _ALLOW_HEADERS,
                "Vary": "Origin",
            })
        return reply

    def _route(self, req: Req) -> HttpReply:
        method, path, headers, body = req.method, req.path, req.headers, req.body
        if path.startswith(SWIFT_PREFIX + "/"):
            status, hdrs, data = self.platform.files.handle(method, path, req.query, body)
            return HttpReply(status, hdrs, data)
        for pattern, fn in self._routes:
            if m := pattern.match(path):
                return fn(req, *m.groups())
        if m := _CSDS_ALL.match(path):
            return self._csds_all(m.group(1)) if method == "GET" else json_reply(405, {"error": "method"})
        if m := _CSDS_ONE.match(path):
            return self._csds_one(m.group(1), m.group(2)) if method == "GET" else json_reply(405, {"error": "method"})
        if m := _ACCOUNT_OP.match(path):
            if method != "POST":
                return json_reply(405, {"error": {"message": "Method not allowed"}})
            account_id, op = m.groups()
            if self.platform.account(account_id) is None:
                return json_reply(401, _error_body(self.platform, 401, "Invalid account", 3))
            return getattr(self, "_" + op)(account_id, headers, body)
        return json_reply(404, {"error": {"message": f"no such resource: {path}"}})

    # ---- CSDS ---------------------------------------------------------------------------
    def base_uris(self, account_id: str) -> list[dict[str, str]]:
        return [{"service": s, "account": account_id, "baseURI": self.platform.advertised} for s in SERVICES]

    def _csds_all(self, account_id: str) -> HttpReply:
        if self.platform.account(account_id) is None:
            return json_reply(401, {"error": "invalid site"})
        return json_reply(200, {"baseURIs": self.base_uris(account_id)})

    def _csds_one(self, account_id: str, service: str) -> HttpReply:
        if self.platform.account(account_id) is None:
            return json_reply(401, {"error": "invalid site"})
        if service not in SERVICES:
            return json_reply(404, {"error": f"unknown service {service}"})
        return json_reply(200, {"service": service, "account": account_id, "baseURI": self.platform.advertised})

    # ---- IdP ----------------------------------------------------------------------------
    def issuer(self) -> str:
        return f"{self.platform.scheme}://{self.platform.advertised}/idp"

    def _signup(self, account_id: str, headers: dict[str, str], body: bytes) -> HttpReply:
        jwt = self.platform.tokens.issue_consumer_jwt(account_id, self.issuer())
        sub = self.platform.tokens.verify_consumer_jwt(jwt, account_id)
        self.platform.accounts[account_id].consumers.add(sub or "")
        return json_reply(200, {"jwt": jwt})

    # ---- agentVep -----------------------------------------------------------------------
    def _login(self, account_id: str, headers: dict[str, str], body: bytes) -> HttpReply:
        try:
            creds = json.loads(body or b"{}")
        except ValueError:
            creds = None
        if not isinstance(creds, dict) or not (isinstance(creds.get("username"), str) or "appKey" in creds):
            return json_reply(400, _error_body(self.platform, 400, "Bad request: username is required", 1))
        user = check_login(self.platform.accounts[account_id], creds)
        if user is None:
            return json_reply(401, _error_body(self.platform, 401, "Invalid username or password", 25))
        session = self.platform.tokens.login(account_id, user.name)
        now = self.platform.clock()
        reply = {
            "csrf": session.csrf,
            "wsuk": session.wsuk,
            "config": {"loginName": user.name, "userId": user.user_id, "userPid": user.pid,
                       "userPrivileges": [], "serverCurrentTime": now, "timeDiff": 0,
                       "serverTimeZoneName": "UTC", "serverTimeGMTDiff": 0, "isLPA": False,
                       "isAdmin": False, "accountTimeZoneId": "UTC"},
            "csdsCollectionResponse": {"baseURIs": self.base_uris(account_id)},
            "accountData": {"agentGroupsData": {"items": [{"id": -1, "deleted": False, "name": "Main Group"}],
                                                "revision": 1}},
            "sessionTTl": str(SESSION_TTL_MS),
            "sessionId": session.session_id,
            "bearer": session.bearer,
        }
        return json_reply(200, reply, {"Set-Cookie": f"Session_id={session.session_id}; Path=/; HttpOnly"})

    def _session_for(self, account_id: str, headers: dict[str, str], body: bytes) -> AgentSession | None:
        """The session named by ``{"csrf"}`` (and the ``Session_id`` cookie when sent).

        Browsers cannot set a Cookie header on a cross-origin fetch, so a request without the
        cookie is accepted on the csrf alone; a cookie that names another session is not.
        """
        try:
            csrf = json.loads(body or b"{}").get("csrf")
        except (ValueError, AttributeError):
            return None
        if not isinstance(csrf, str) or not csrf:
            return None
        session = self.platform.tokens.by_csrf(account_id, csrf)
        cookie = _cookies(headers).get("Session_id")
        if session is None or (cookie is not None and cookie != session.session_id):
            return None
        return session

    def _refresh(self, account_id: str, headers: dict[str, str], body: bytes) -> HttpReply:
        session = self._session_for(account_id, headers, body)
        if session is None:
            return json_reply(401, _error_body(self.platform, 401, "CSRF token invalid! Expecting a valid CSRF token in the request body", 10))
        self.platform.tokens.refresh(session)
        return HttpReply(200, {})

    def _logout(self, account_id: str, headers: dict[str, str], body: bytes) -> HttpReply:
        session = self._session_for(account_id, headers, body)
        if session is None:
            return json_reply(401, _error_body(self.platform, 401, "CSRF token invalid! Expecting a valid CSRF token in the request body", 10))
        self.platform.tokens.logout(session)
        return HttpReply(200, {})
