"""``TokenMaintainer``: one brand login shared by any number of connections (TKM-*, BAUTH-*).

Every brand connection gets its bearer from a maintainer: the one passed as
``token_maintainer=`` (shared), or a private one the connection builds from its
``auth_data`` / ``auth_agent_session_data``. The maintainer

* logs in lazily, on the first ``open()`` of a connection that uses it (TKM-10):
  agentVep for user/password, OAuth1 and OAuth2-over-OAuth1 (BAUTH-01, BAUTH-03), sentinel
  client credentials for pure OAuth2 (BAUTH-04; OAuth2 wins when both are given, BAUTH-05),
  or nothing at all for an existing bearer (``auth_agent_session_data``, BAUTH-06);
* keeps the token valid: an agentVep refresh every 4 minutes (BAUTH-02), a new OAuth2 token
  every 30 minutes (BAUTH-04);
* regenerates an invalid token (a refused refresh, or a connection reporting HTTP 401):
  ``'token-invalid'``, then a new login and ``'token-regenerated'`` (BAUTH-09). Calls that
  need the bearer meanwhile wait for the new one (:meth:`bearer`);
* emits ``'error'``, ``'token-invalid'``, ``'refresh-token'``, ``'token-regenerated'``,
  ``'getAgentToken#request'`` and ``'getAgentToken#response'`` on itself **and on every
  connection attached to it** (TKM-07, TKM-08).

Event payloads never contain a secret or a token: ``getAgentToken#*`` info dicts hold the
account, the login method, the user name and the HTTP status only.

Timers take an injectable ``sleep`` (an ``async (seconds) -> None``), so tests can drive the
4- and 30-minute cadences without waiting. The refresh loop runs while at least one
connection is attached and stops on :meth:`close` or when the last one detaches.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from ..endpoints import DEFAULT_CSDS_DOMAIN, Endpoints, discover
from ..errors import AuthError, InvalidState, LPError, TokenExpired, UsageError
from ..model.emitter import EventEmitter
from ..model.typed_events import TokenMaintainerEvents
from . import agent as agent_auth
from . import oauth2
from .agent import AgentSession

if TYPE_CHECKING:
    from ..transports.base import Transport

__all__ = ["TokenMaintainer", "TOKEN_EVENTS", "OAUTH1_REFRESH_INTERVAL", "OAUTH2_RENEW_INTERVAL"]

OAUTH1_REFRESH_INTERVAL = 240.0                         # BAUTH-02: every 4 minutes
OAUTH2_RENEW_INTERVAL = oauth2.OAUTH2_RENEW_INTERVAL    # BAUTH-04: every 30 minutes
RETRY_INTERVAL = 60.0                                   # after a failed renewal
TOKEN_EVENTS = ("error", "token-invalid", "refresh-token", "token-regenerated",
                "getAgentToken#request", "getAgentToken#response")

Sleep = Callable[[float], Awaitable[Any]]


def _session_from_data(data: Mapping[str, Any], account_id: str) -> AgentSession:
    """An :class:`AgentSession` from ``auth_agent_session_data`` (JS keys or snake_case)."""
    token = data.get("token") or data.get("bearer")
    if not isinstance(token, str) or not token:
        raise UsageError("auth_agent_session_data needs a 'token' (the agentVep bearer)")
    return AgentSession(bearer=token, csrf=str(data.get("csrf") or ""),
                        session_id=str(data.get("sessionId") or data.get("session_id") or ""),
                        user_id=str(data.get("userId") or data.get("user_id") or ""),
                        user_pid=str(data.get("userPid") or data.get("user_pid") or ""),
                        account_id=account_id, kind="external")


class TokenMaintainer(TokenMaintainerEvents):
    """Owns one brand login. ``TokenMaintainer(account_id=..., auth_data=...)`` (TKM-01);
    pass the same instance as ``token_maintainer=`` to several connections (TKM-02).

    ``csds_domain`` and ``transport`` default to those of the first connection that uses
    the maintainer. Raises :class:`~lpweb.errors.UsageError` for missing or incomplete
    credentials.
    """

    def __init__(self, account_id: str | int | None = None, auth_data: Mapping[str, Any] | None = None, *,
                 auth_agent_session_data: Mapping[str, Any] | None = None, csds_domain: str | None = None,
                 transport: Transport | None = None, sleep: Sleep | None = None,
                 accountId: str | int | None = None, authData: Mapping[str, Any] | None = None) -> None:  # noqa: N803
        super().__init__()
        account_id = account_id if account_id is not None else accountId
        auth_data = auth_data if auth_data is not None else authData
        if account_id in (None, "") or isinstance(account_id, bool):
            raise UsageError("TokenMaintainer needs account_id=")
        self.account_id = str(account_id)
        if auth_data is not None and not isinstance(auth_data, Mapping):
            raise UsageError("auth_data must be a dict")
        if auth_agent_session_data is not None and not isinstance(auth_agent_session_data, Mapping):
            raise UsageError("auth_agent_session_data must be a dict")
        self._oauth2 = oauth2.oauth2_credentials(auth_data)          # BAUTH-05: OAuth2 wins
        self._auth_data = dict(auth_data) if auth_data else None
        if self._auth_data is not None and self._oauth2 is None:
            agent_auth.login_body(self._auth_data)                  # validate early (no I/O)
        self._session_data = dict(auth_agent_session_data) if auth_agent_session_data else None
        if self._auth_data is None and self._session_data is None:
            raise UsageError("TokenMaintainer needs auth_data= (OAuth1, OAuth2 over OAuth1 or "
                             "{'oauth2': {...}}) or auth_agent_session_data=")
        if self._session_data is not None:
            _session_from_data(self._session_data, self.account_id)   # validate early
        self._csds_domain = csds_domain
        self._transport = transport
        self._own_transport = False
        self._endpoints: Endpoints | None = None
        self._sleep: Sleep = sleep or asyncio.sleep
        self._session: AgentSession | None = None
        self._login_task: asyncio.Task[AgentSession] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._connections: list[EventEmitter] = []
        self._closed = False
        self._logins = 0

    # -- what the maintainer is ---------------------------------------------------------------
    @property
    def method(self) -> str:
        """``"oauth2"``, ``"oauth2-over-oauth1"``, ``"oauth1"``, ``"password"`` or ``"bearer"``."""
        if self._oauth2 is not None:
            return "oauth2"
        if self._auth_data is not None:
            body = agent_auth.login_body(self._auth_data)
            if "appKey" in body:
                return "oauth2-over-oauth1" if body["accessToken"] == "hint" else "oauth1"
            return "password"
        return "bearer"

    @property
    def can_regenerate(self) -> bool:
        """True when the maintainer holds credentials to log in again."""
        return self._auth_data is not None

    @property
    def session(self) -> AgentSession | None:
        return self._session

    @property
    def logins(self) -> int:
        """How many logins (token creations) this maintainer has made."""
        return self._logins

    def __repr__(self) -> str:
        return (f"TokenMaintainer(account_id={self.account_id!r}, method={self.method!r}, "
                f"connections={len(self._connections)}, has_token={self._session is not None})")

    # -- events -------------------------------------------------------------------------------
    def _broadcast(self, event: str, payload: Any = None) -> None:
        """Emit on the maintainer and on every attached connection (TKM-07, TKM-08)."""
        args = () if payload is None and event == "refresh-token" else (payload,)
        targets: list[EventEmitter] = [self, *self._connections]
        if event == "error" and self._connections and not self.has_listeners("error"):
            targets = list(self._connections)        # report once, not also as an unheard log line
        for target in targets:
            if event == "error":
                target.report_error(payload)
            else:
                target.emit(event, *args)

    def _info(self, **extra: Any) -> dict[str, Any]:
        username = ""
        if self._oauth2 is not None:
            username = self._oauth2.get("username", "")
        elif self._auth_data is not None:
            username = str(self._auth_data.get("username") or self._auth_data.get("user_name") or "")
        return {"account_id": self.account_id, "method": self.method, "username": username, **extra}

    # -- connections --------------------------------------------------------------------------
    def _attach(self, connection: Any) -> None:
        if self._closed:
            raise InvalidState("this TokenMaintainer was closed; create a new one")
        if connection not in self._connections:
            self._connections.append(connection)
        if self._transport is None:
            self._transport = connection.options.transport
        if self._csds_domain is None:
            self._csds_domain = connection.options.csds_domain

    async def _detach(self, connection: Any) -> None:
        if connection in self._connections:
            self._connections.remove(connection)
        if not self._connections:
            await self._stop_loop()

    async def _ensure_io(self) -> tuple[Transport, Endpoints]:
        if self._transport is None:
            from ..proxy import proxied_default_transport
            self._transport = proxied_default_transport()
            self._own_transport = True
        if self._endpoints is None:
            domain = self._csds_domain or os.environ.get("LPWEB_CSDS_DOMAIN") or DEFAULT_CSDS_DOMAIN
            self._endpoints = await discover(self._transport, domain, self.account_id)
        return self._transport, self._endpoints

    # -- the token ----------------------------------------------------------------------------
    async def get_token(self) -> str:
        """The current bearer, logging in first if needed (CONN-11). Raises
        :class:`~lpweb.errors.AuthError` when the credentials are refused."""
        return (await self.get_session()).bearer

    async def bearer(self) -> str:
        """The bearer to use for a new HTTP request; waits for a regeneration in progress."""
        return await self.get_token()

    async def get_session(self) -> AgentSession:
        """The session, logging in lazily (TKM-10). Raises :class:`AuthError`,
        :class:`~lpweb.errors.TransportError` or :class:`~lpweb.errors.InvalidState` (closed)."""
        if self._closed:
            raise InvalidState("this TokenMaintainer was closed")
        if self._login_task is not None:
            return await asyncio.shield(self._login_task)
        if self._session is None:
            if self._session_data is not None and self._auth_data is None:
                self._session = _session_from_data(self._session_data, self.account_id)
            else:
                await self._run_login()
        self._start_loop()
        assert self._session is not None
        return self._session

    async def _run_login(self) -> AgentSession:
        if self._login_task is None:
            self._login_task = asyncio.get_running_loop().create_task(self._login())
        task = self._login_task
        try:
            return await asyncio.shield(task)
        finally:
            if task.done() and self._login_task is task:
                self._login_task = None

    async def _login(self) -> AgentSession:
        transport, endpoints = await self._ensure_io()
        self._broadcast("getAgentToken#request", self._info())
        try:
            if self._oauth2 is not None:
                session = await oauth2.fetch_token(transport, endpoints, self._oauth2)
            else:
                assert self._auth_data is not None
                session = await agent_auth.login(transport, endpoints, self._auth_data)
        except LPError as exc:
            self._broadcast("getAgentToken#response", self._info(ok=False, error=type(exc).__name__))
            raise
        self._logins += 1
        self._session = session
        self._broadcast("getAgentToken#response", self._info(ok=True, user_id=session.user_id))
        return session

    async def invalidate(self, source: Any = None) -> str:
        """Report the token as invalid (e.g. an HTTP 401) and get a new one (BAUTH-09).

        Emits ``'token-invalid'`` with ``source`` and, once a new token exists,
        ``'token-regenerated'``; returns the new bearer. Raises :class:`AuthError` when the
        maintainer has no credentials to log in again (a reused bearer) or the login fails.
        """
        if self._login_task is not None:
            return (await asyncio.shield(self._login_task)).bearer
        self._broadcast("token-invalid", source if source is not None else {"reason": "invalidated"})
        if not self.can_regenerate:
            error = TokenExpired("the reused bearer (auth_agent_session_data) is no longer valid and "
                                 "cannot be regenerated without auth_data")
            self._broadcast("error", error)
            raise error
        try:
            session = await self._run_login()
        except LPError as exc:
            self._broadcast("error", exc)
            raise
        self._broadcast("token-regenerated", self._info(user_id=session.user_id))
        return session.bearer

    # -- keeping it valid ---------------------------------------------------------------------
    def _start_loop(self) -> None:
        if self._loop_task is None or self._loop_task.done():
            if self._connections and not self._closed:
                self._loop_task = asyncio.get_running_loop().create_task(self._maintain())

    async def _stop_loop(self) -> None:
        task, self._loop_task = self._loop_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _maintain(self) -> None:
        delay = self._interval()
        while True:
            await self._sleep(delay)
            delay = self._interval()
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except LPError:
                delay = min(delay, RETRY_INTERVAL)   # reported on 'error' already; retry soon
            except Exception as exc:                 # never let the loop die silently
                self._broadcast("error", exc)
                delay = min(delay, RETRY_INTERVAL)

    def _interval(self) -> float:
        kind = self._session.kind if self._session else ("oauth2" if self._oauth2 else "agentVep")
        return OAUTH2_RENEW_INTERVAL if kind == "oauth2" else OAUTH1_REFRESH_INTERVAL

    async def refresh(self) -> None:
        """One maintenance step: refresh the agentVep session, or fetch a new OAuth2 token.
        Emits ``'refresh-token'`` on success; a refused refresh regenerates the token. Errors
        are emitted on ``'error'`` and raised."""
        session = self._session
        if session is None:
            await self.get_session()
            return
        transport, endpoints = await self._ensure_io()
        if session.kind == "oauth2":
            try:
                await self._run_login()
            except LPError as exc:
                self._broadcast("error", exc)
                raise
            self._broadcast("refresh-token")
            return
        if not session.csrf:
            return          # a reused bearer without csrf cannot be refreshed (BAUTH-08)
        try:
            await agent_auth.refresh(transport, endpoints, session)
        except (TokenExpired, AuthError):
            await self.invalidate({"reason": "refresh refused", "status": 401})
            return
        except LPError as exc:
            self._broadcast("error", exc)
            raise
        self._broadcast("refresh-token")

    async def close(self) -> None:
        """Stop the timers (TKM-10); connections using the maintainer keep their sockets."""
        self._closed = True
        await self._stop_loop()
        if self._login_task is not None and not self._login_task.done():
            self._login_task.cancel()
        if self._own_transport and self._transport is not None:
            await self._transport.aclose()
            self._transport = None
