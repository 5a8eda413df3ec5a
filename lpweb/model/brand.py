"""``BrandConnection``: the brand (agent, bot, manager) side of
:class:`~lpweb.model.connection.Connection`.

Credentials come from ``auth_data`` (agentVep login), ``auth_agent_session_data`` (an
existing bearer) or a token maintainer. The bearer is a path segment of the brand
websocket URL (``/messaging/brand/{bearer}?v=2.1``) on ``facadeMsg`` (else
``asyncMessagingEnt``). A refresh keeps the session alive every 4 minutes (BAUTH-02).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..auth import agent as agent_auth
from ..enums import AgentState, AuthType
from ..errors import AuthError, LPError, UsageError
from ..options import ConnectionOptions
from ..protocol import requests as rq
from .connection import Connection

__all__ = ["BrandConnection", "OAUTH1_REFRESH_INTERVAL"]

OAUTH1_REFRESH_INTERVAL = 240.0     # agentVep refresh every 4 minutes (BAUTH-02)


class BrandConnection(Connection):
    """A brand user's connection. Create it with ``lpweb.create_connection(user_type=UserType.BRAND)``."""

    def __init__(self, options: ConnectionOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._session: agent_auth.AgentSession | None = None

    @property
    def agent_old_id(self) -> str:
        """The brand user's ``{accountId}.{userId}`` id used in participant and routing bodies."""
        return self._session.old_id if self._session else ""

    # -- identity ---------------------------------------------------------------------------
    async def _authenticate_and_connect(self) -> None:
        await self._login()
        await self._connect_socket()

    async def _login(self) -> None:
        assert self._transport is not None and self._endpoints is not None
        opts = self.options
        if opts.auth_agent_session_data:
            data = opts.auth_agent_session_data
            self._session = agent_auth.AgentSession(
                bearer=data.get("token") or data.get("bearer") or "", csrf=data.get("csrf", ""),
                session_id=data.get("sessionId", data.get("session_id", "")),
                user_id=str(data.get("userId", data.get("user_id", ""))),
                user_pid=str(data.get("userPid", data.get("user_pid", ""))), account_id=opts.account_id)
            if not self._session.bearer:
                raise UsageError("auth_agent_session_data needs a 'token'")
        elif opts.auth_data:
            self.emit("getAgentToken#request", {"account_id": opts.account_id})
            self._session = await agent_auth.login(self._transport, self._endpoints, opts.auth_data)
            self.emit("getAgentToken#response", {"user_id": self._session.user_id})
        else:
            raise UsageError("token_maintainer connections are not supported yet")
        self.user_id = self._session.user_pid or self._session.old_id
        self.auth_type = AuthType.BRAND_AUTHENTICATED

    async def get_token(self) -> str | None:
        """The agentVep bearer, usable with other LivePerson APIs (CONN-11, BAUTH-11)."""
        return self._session.bearer if self._session else None

    def _socket_address(self) -> tuple[str, dict[str, str]]:
        assert self._endpoints is not None and self._session is not None
        service = self._endpoints.first("facadeMsg", "asyncMessagingEnt")
        path = f"/ws_api/account/{self.options.account_id}/messaging/brand/{self._session.bearer}?v=2.1"
        return self._endpoints.ws_url(service, path), {}

    def _after_open(self) -> None:
        if self._session is not None and self.options.auth_data:
            self._spawn(self._refresh_loop())

    async def _before_close(self) -> None:
        if self.options.set_agent_offline_on_disconnect and self._protocol and not self._protocol.closed:
            try:
                await self.set_agent_state(AgentState.OFFLINE)
            except LPError as exc:
                self.report_error(exc)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(OAUTH1_REFRESH_INTERVAL)
            assert self._transport is not None and self._endpoints is not None and self._session is not None
            try:
                await agent_auth.refresh(self._transport, self._endpoints, self._session)
                self.emit("refresh-token")
            except AuthError as exc:
                self.emit("token-invalid", {"error": exc})
                try:
                    await self._login()
                    self.emit("token-regenerated", {"user_id": self._session.user_id})
                except LPError as login_exc:
                    self.report_error(login_exc)
            except LPError as exc:
                self.report_error(exc)

    # -- brand actions ----------------------------------------------------------------------
    async def set_agent_state(self, agent_state: AgentState | str) -> None:
        """Set the brand user's availability (CONN-07); ONLINE is needed to be rung."""
        await self.request(rq.SET_AGENT_STATE, {"channels": ["MESSAGING"], "agentUserId": self.agent_old_id,
                                                "availability": str(agent_state)})
