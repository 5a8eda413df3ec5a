"""Credentials the emulator issues: consumer JWTs (IdP, protocol.md §2) and agentVep
sessions (bearer + csrf + ``Session_id`` cookie, §3).

Consumer JWTs have the real three-part shape ``b64url(header).b64url(payload).b64url(sig)``
with an HMAC-SHA256 signature and the payload ``{"sub", "aud": "acc:{account}", "iss",
"iat", "exp"}`` (seconds). Real LivePerson tokens are RS256 with a ``kid``; clients only
decode the payload, so the algorithm is an emulator detail.

A second agentVep login of the same user invalidates the first bearer (§3.4); websockets
already open with it keep working (the engine checks the bearer only at the handshake).

Consumer tokens have a kind (``anonymous`` from signup, ``authenticated`` from an
authentication connector, ``unauth`` from an ACR0 connector); :data:`EXPIRY_CLOSE_CODES`
maps the kind to the websocket close code sent when the token expires or is revoked (§2.5,
§4.6). OAuth2 client-credential tokens (sentinel) are bearers too (``AgentSession.kind ==
"oauth2"``); they do not invalidate each other. ``expire(token)`` and ``revoke(token)``
(fault injection) work on any issued token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Tokens", "AgentSession", "ConsumerToken", "b64url", "unb64url", "CONSUMER_JWT_TTL_MS",
           "SESSION_TTL_MS", "OAUTH2_TTL_MS", "EXPIRY_CLOSE_CODES"]

CONSUMER_JWT_TTL_MS = 365 * 24 * 3600 * 1000     # [INF] real anonymous tokens live ~13 years
SESSION_TTL_MS = 8 * 3600 * 1000                 # agentVep sessionTTl (28800000)
OAUTH2_TTL_MS = 60 * 60 * 1000                   # OAuth2 tokens live 60 min (BAUTH-04)
# Close code for a consumer socket whose token expired / was revoked, by token kind (§2.5, §4.6);
# [INF] anonymous tokens are treated like authenticated ones.
EXPIRY_CLOSE_CODES = {"authenticated": 4401, "unauth": 4407, "anonymous": 4401}


@dataclass
class ConsumerToken:
    """What the emulator remembers about a consumer JWT it issued."""

    account_id: str
    sub: str
    kind: str
    expires_ms: int
    revoked: bool = False


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class AgentSession:
    """One agentVep login."""

    account_id: str
    user_name: str
    bearer: str
    csrf: str
    session_id: str
    wsuk: str
    expires_ms: int
    valid: bool = True
    kind: str = "agentVep"          # or "oauth2" (sentinel client credentials)


class Tokens:
    def __init__(self, secret: bytes | None = None, clock: Callable[[], int] | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._clock = clock or (lambda: int(time.time() * 1000))
        self._by_bearer: dict[str, AgentSession] = {}
        self._by_session_id: dict[str, AgentSession] = {}
        self._current: dict[tuple[str, str], AgentSession] = {}   # (account, user) -> latest
        self._consumer: dict[str, ConsumerToken] = {}              # issued consumer JWTs

    # ---- consumer JWTs ------------------------------------------------------------------
    def issue_consumer_jwt(self, account_id: str, issuer: str, subject: str | None = None,
                           ttl_ms: int = CONSUMER_JWT_TTL_MS, kind: str = "anonymous",
                           extra: dict[str, Any] | None = None) -> str:
        now_ms = self._clock()
        now = now_ms // 1000
        payload = {"sub": subject or str(uuid.uuid4()), "aud": f"acc:{account_id}", "iss": issuer,
                   "iat": now, "exp": (now_ms + ttl_ms) // 1000, **(extra or {})}
        token = self.sign_jwt(payload)
        self._consumer[token] = ConsumerToken(account_id, payload["sub"], kind, payload["exp"] * 1000)
        return token

    def sign_jwt(self, payload: dict[str, Any]) -> str:
        """An HS256 JWT signed with the emulator's key (also used for unauth external tokens)."""
        header = {"alg": "HS256", "typ": "JWT", "kid": "lpweb-emulator"}
        signing_input = b64url(_json(header)) + "." + b64url(_json(payload))
        return signing_input + "." + b64url(self._sign(signing_input))

    def read_jwt(self, token: str) -> dict[str, Any] | None:
        """The payload of a JWT this emulator signed (expiry not checked), else ``None``."""
        try:
            head, body, sig = token.strip().split(".")
            if not hmac.compare_digest(unb64url(sig), self._sign(head + "." + body)):
                return None
            payload = json.loads(unb64url(body))
        except (ValueError, TypeError):
            return None
        return payload if isinstance(payload, dict) else None

    def verify_consumer_jwt(self, token: str, account_id: str) -> str | None:
        """The consumer id (``sub``) of a valid token for ``account_id``, else ``None``."""
        info = self.consumer_token(token, account_id)
        return info.sub if info is not None else None

    def consumer_token(self, token: str, account_id: str) -> ConsumerToken | None:
        """The record of a valid (signed, unexpired, unrevoked, right account) consumer token."""
        payload = self.read_jwt(token)
        if payload is None or payload.get("aud") != f"acc:{account_id}":
            return None
        sub, exp = payload.get("sub"), payload.get("exp")
        if not isinstance(sub, str) or not sub or not isinstance(exp, int):
            return None
        info = self._consumer.setdefault(token.strip(), ConsumerToken(account_id, sub, "anonymous", exp * 1000))
        if info.revoked or info.expires_ms <= self._clock():
            return None
        return info

    def token_kind(self, token: str) -> str:
        info = self._consumer.get(token.strip())
        return info.kind if info else "anonymous"

    def expire(self, token: str) -> bool:
        """Make a consumer token or a bearer expire now; ``False`` if unknown."""
        if (info := self._consumer.get(token)) is not None:
            info.expires_ms = min(info.expires_ms, self._clock())
            return True
        if (session := self._by_bearer.get(token)) is not None:
            session.expires_ms = min(session.expires_ms, self._clock())
            return True
        return False

    def revoke(self, token: str) -> bool:
        if (info := self._consumer.get(token)) is not None:
            info.revoked = True
            return True
        if (session := self._by_bearer.get(token)) is not None:
            self._invalidate(session)
            return True
        return False

    def _sign(self, signing_input: str) -> bytes:
        return hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()

    # ---- agentVep sessions --------------------------------------------------------------
    def login(self, account_id: str, user_name: str) -> AgentSession:
        previous = self._current.get((account_id, user_name))
        if previous is not None:
            self._invalidate(previous)
        session = AgentSession(account_id, user_name, secrets.token_hex(32), secrets.token_hex(32),
                               secrets.token_hex(16), str(secrets.randbelow(10**18)),
                               self._clock() + SESSION_TTL_MS)
        self._by_bearer[session.bearer] = session
        self._by_session_id[session.session_id] = session
        self._current[(account_id, user_name)] = session
        return session

    def issue_oauth2(self, account_id: str, user_name: str) -> AgentSession:
        """A sentinel client-credentials access token, usable as a brand bearer (BAUTH-04)."""
        session = AgentSession(account_id, user_name, secrets.token_hex(32), "", secrets.token_hex(16), "",
                               self._clock() + OAUTH2_TTL_MS, kind="oauth2")
        self._by_bearer[session.bearer] = session
        return session

    def by_bearer(self, bearer: str) -> AgentSession | None:
        session = self._by_bearer.get(bearer)
        return session if session is not None and self._alive(session) else None

    def by_session_id(self, session_id: str) -> AgentSession | None:
        session = self._by_session_id.get(session_id)
        return session if session is not None and self._alive(session) else None

    def by_csrf(self, account_id: str, csrf: str) -> AgentSession | None:
        for session in self._current.values():
            if session.account_id == account_id and hmac.compare_digest(session.csrf, csrf) and self._alive(session):
                return session
        return None

    def refresh(self, session: AgentSession) -> None:
        session.expires_ms = self._clock() + SESSION_TTL_MS

    def logout(self, session: AgentSession) -> None:
        self._invalidate(session)

    def _alive(self, session: AgentSession) -> bool:
        return session.valid and session.expires_ms > self._clock()

    def _invalidate(self, session: AgentSession) -> None:
        session.valid = False
        self._by_bearer.pop(session.bearer, None)
        self._by_session_id.pop(session.session_id, None)
        if session.kind == "agentVep" and self._current.get((session.account_id, session.user_name)) is session:
            del self._current[(session.account_id, session.user_name)]


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")
