"""Credentials the emulator issues: consumer JWTs (IdP, protocol.md §2) and agentVep
sessions (bearer + csrf + ``Session_id`` cookie, §3).

Consumer JWTs have the real three-part shape ``b64url(header).b64url(payload).b64url(sig)``
with an HMAC-SHA256 signature and the payload ``{"sub", "aud": "acc:{account}", "iss",
"iat", "exp"}`` (seconds). Real LivePerson tokens are RS256 with a ``kid``; clients only
decode the payload, so the algorithm is an emulator detail.

A second agentVep login of the same user invalidates the first bearer (§3.4); websockets
already open with it keep working (the engine checks the bearer only at the handshake).
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

__all__ = ["Tokens", "AgentSession", "b64url", "unb64url", "CONSUMER_JWT_TTL_MS", "SESSION_TTL_MS"]

CONSUMER_JWT_TTL_MS = 365 * 24 * 3600 * 1000     # [INF] real anonymous tokens live ~13 years
SESSION_TTL_MS = 8 * 3600 * 1000                 # agentVep sessionTTl (28800000)


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


class Tokens:
    def __init__(self, secret: bytes | None = None, clock: Callable[[], int] | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._clock = clock or (lambda: int(time.time() * 1000))
        self._by_bearer: dict[str, AgentSession] = {}
        self._by_session_id: dict[str, AgentSession] = {}
        self._current: dict[tuple[str, str], AgentSession] = {}   # (account, user) -> latest

    # ---- consumer JWTs ------------------------------------------------------------------
    def issue_consumer_jwt(self, account_id: str, issuer: str, subject: str | None = None,
                           ttl_ms: int = CONSUMER_JWT_TTL_MS) -> str:
        now = self._clock() // 1000
        header = {"alg": "HS256", "typ": "JWT", "kid": "lpweb-emulator"}
        payload = {"sub": subject or str(uuid.uuid4()), "aud": f"acc:{account_id}", "iss": issuer,
                   "iat": now, "exp": now + ttl_ms // 1000}
        signing_input = b64url(_json(header)) + "." + b64url(_json(payload))
        return signing_input + "." + b64url(self._sign(signing_input))

    def verify_consumer_jwt(self, token: str, account_id: str) -> str | None:
        """The consumer id (``sub``) of a valid token for ``account_id``, else ``None``."""
        try:
            head, body, sig = token.strip().split(".")
            if not hmac.compare_digest(unb64url(sig), self._sign(head + "." + body)):
                return None
            payload: dict[str, Any] = json.loads(unb64url(body))
        except (ValueError, TypeError):
            return None
        if not isinstance(payload, dict) or payload.get("aud") != f"acc:{account_id}":
            return None
        exp = payload.get("exp")
        if not isinstance(exp, int) or exp * 1000 <= self._clock():
            return None
        sub = payload.get("sub")
        return sub if isinstance(sub, str) and sub else None

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
        if self._current.get((session.account_id, session.user_name)) is session:
            del self._current[(session.account_id, session.user_name)]


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")
