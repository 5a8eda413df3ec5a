"""``ConsumerConnection``: the consumer side of :class:`~lpweb.model.connection.Connection`.

Consumer identity (CAUTH-*): a given ``token``, else one kept in the token store, else a
new one (anonymous signup, or through the account's authenticated or unauthenticated
connector). The JWT goes in the ``Authorization`` header natively and in ``InitConnection``
where the transport cannot send handshake headers (browsers). Consumers subscribe to
the messaging events of every dialog they follow (SUB-21); the history of a dialog
arrives as one notification right after the subscription.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ..auth import consumer as consumer_auth
from ..auth.consumer import jwt_claims, jwt_subject
from ..enums import AuthType, ConnectionState
from ..errors import (AuthError, ConnectionLost, HttpError, InvalidState, LPError, ProtocolError, RequestFailed,
                      TransportError, UsageError)
from ..options import ConnectionOptions
from ..protocol import Response
from ..protocol import requests as rq
from ..transports import default_token_store
from ..transports.base import TokenStore
from .connection import GAP_WAIT, Connection
from .conversation import Conversation
from .dialog import Dialog

__all__ = ["ConsumerConnection"]


class ConsumerConnection(Connection):
    """A consumer's connection. Create it with ``lpweb.create_connection(user_type=UserType.CONSUMER)``."""

    def __init__(self, options: ConnectionOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._token: str | None = options.token
        self._token_store: TokenStore = options.token_store or default_token_store()
        self._subscribed_dialogs: set[str] = set()
        self._unauth_external: str | None = None      # to refresh un-auth identities (4407)
        self._auth_jwt: str | None = options.jwt       # the brand-issued JWT (authenticated)

    # -- identity ---------------------------------------------------------------------------
    async def _authenticate_and_connect(self) -> None:
        """Get a consumer JWT (given, stored, or new) and open the socket with it."""
        from_store = False
        if self._token is None:
            self._token = self._token_store.get(self.options.token_store_key)
            from_store = self._token is not None
        if self._token is None:
            self._token = await self._new_consumer_token()
        elif self.auth_type == AuthType.NONE:
            self.auth_type = AuthType.CONSUMER_UNDETERMINED
        try:
            self.user_id = jwt_subject(self._token)
            await self._connect_socket()
        except (AuthError, HttpError, TransportError, RequestFailed) as exc:
            # A stored token the server no longer accepts: start afresh once. A browser sees a
            # refused handshake and an unreachable server alike (1006), so the stored identity
            # (and with it the consumer's conversation) is replaced only once a new one connects.
            if not (from_store and _is_auth_failure(exc)):
                raise
            stored = self._token
            await self._teardown_socket()
            self._token = await self._new_consumer_token()
            self.user_id = jwt_subject(self._token)
            try:
                await self._connect_socket()
            except BaseException:
                self._token = stored
                self.user_id = jwt_subject(stored)
                raise
        self._token_store.set(self.options.token_store_key, self._token)

    async def _new_consumer_token(self) -> str:
        """CAUTH-01..03: anonymous signup, or a token through the account's connectors."""
        assert self._transport is not None and self._endpoints is not None
        t, ep, opts = self._transport, self._endpoints, self.options
        if opts.use_authenticated_connection:
            assert opts.jwt is not None
            issuer = jwt_claims(opts.jwt).get("iss")
            connector = await consumer_auth.find_connector(t, ep, consumer_auth.AUTHENTICATED_CONNECTOR,
                                                           issuer if isinstance(issuer, str) else None)
            self.auth_type = AuthType.CONSUMER_AUTHENTICATED
            return await consumer_auth.authenticate_with_connector(t, ep, connector, opts.jwt)
        if opts.use_unauthenticated_connection:
            connector = await consumer_auth.find_connector(t, ep, consumer_auth.UNAUTHENTICATED_CONNECTOR)
            external = await consumer_auth.unauth_external_token(t, ep, self._unauth_external)
            self._unauth_external = external
            self.auth_type = AuthType.CONSUMER_UNAUTHENTICATED
            return await consumer_auth.authenticate_with_connector(t, ep, connector, external)
        self.auth_type = AuthType.CONSUMER_ANONYMOUS
        return await consumer_auth.anonymous_signup(t, ep)

    async def get_token(self) -> str | None:
        """The consumer JWT, to resume this consumer later with ``token=`` (CONN-11)."""
        return self._token

    # -- the websocket ----------------------------------------------------------------------
    def _socket_address(self) -> tuple[str, dict[str, str]]:
        assert self._endpoints is not None and self._transport is not None
        url = self._endpoints.ws_url("asyncMessagingEnt",
                                     f"/ws_api/account/{self.options.account_id}/messaging/consumer?v=3")
        headers: dict[str, str] = {}
        if self._transport.websocket_headers:
            headers["Authorization"] = f"jwt {self._token}"
            headers["Client-Properties"] = json.dumps({"type": ".ClientProperties", **self._client_properties()})
        return url, headers

    async def _after_socket_open(self) -> None:
        assert self._transport is not None
        if not self._transport.websocket_headers:
            await self.request(rq.INIT_CONNECTION, None, headers=[
                rq.client_properties_header(self._client_properties()), rq.auth_header(self._token or "")])

    def _client_properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {"appId": self.options.app_id}
        if self.options.app_version:
            props["appVersion"] = self.options.app_version
        props.update(self.options.client_properties or {})
        props.pop("type", None)
        return props

    # -- following conversations ------------------------------------------------------------
    def _follow(self, conv: Conversation) -> None:
        """Load the messages of new dialogs (SUB-21), then announce the conversation."""
        for dialog in conv.dialogs.values():
            if dialog.dialog_id not in self._subscribed_dialogs and (dialog.is_open or not conv.messages):
                self._subscribed_dialogs.add(dialog.dialog_id)
                task = self._spawn(self._load_dialog(dialog))
                self._loading.add(task)
                task.add_done_callback(self._loading.discard)
        super()._follow(conv)

    def _announce_waits(self, conv: Conversation) -> bool:
        return any(not t.done() for t in self._loading)

    async def _announce(self, conv: Conversation) -> None:
        pending = [t for t in self._loading if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await super()._announce(conv)

    async def _load_dialog(self, dialog: Dialog) -> None:
        """Subscribe to a dialog's messaging events; its history arrives as one notification."""
        waiter = asyncio.get_running_loop().create_future()
        self._history_waiters[dialog.dialog_id] = waiter
        if dialog._upto is None:
            dialog._upto = dialog.last_sequence     # the history starts right after it
        try:
            await self.request(rq.SUBSCRIBE_MESSAGING_EVENTS, {
                "dialogId": dialog.dialog_id, "conversationId": dialog.conversation.conversation_id,
                "fromSeq": dialog.next_sequence})
            await asyncio.wait_for(waiter, self.options.response_timeout / 1000)
        except (LPError, asyncio.TimeoutError) as exc:
            if isinstance(exc, ConnectionLost) and self._back is not None:
                return      # reconnecting: the resume re-subscribes this dialog (MNT-03)
            self._subscribed_dialogs.discard(dialog.dialog_id)
            self.report_error(exc if isinstance(exc, LPError) else ProtocolError(
                f"no message history for dialog {dialog.dialog_id}"))
        finally:
            self._history_waiters.pop(dialog.dialog_id, None)

    # -- reconnecting (MNT-01..04) --------------------------------------------------------------
    async def _reauthenticate(self, failure: Any) -> None:
        """4401 / 4407 / HTTP 401: a new consumer token for the same identity where possible:
        un-auth identities are refreshed (4407), an authenticated consumer's JWT is exchanged
        again (a refused one ends reconnecting: open a new connection with a fresh ``jwt``),
        anonymous consumers sign up again (a new identity)."""
        assert self._transport is not None and self._endpoints is not None
        t, ep = self._transport, self._endpoints
        try:
            if self.auth_type == AuthType.CONSUMER_UNAUTHENTICATED:
                connector = await consumer_auth.find_connector(t, ep, consumer_auth.UNAUTHENTICATED_CONNECTOR)
                self._unauth_external = await consumer_auth.unauth_external_token(t, ep, self._unauth_external)
                token = await consumer_auth.authenticate_with_connector(t, ep, connector, self._unauth_external)
            elif self.auth_type == AuthType.CONSUMER_AUTHENTICATED and self._auth_jwt:
                issuer = jwt_claims(self._auth_jwt).get("iss")
                connector = await consumer_auth.find_connector(t, ep, consumer_auth.AUTHENTICATED_CONNECTOR,
                                                               issuer if isinstance(issuer, str) else None)
                token = await consumer_auth.authenticate_with_connector(t, ep, connector, self._auth_jwt)
            elif self.auth_type == AuthType.CONSUMER_ANONYMOUS:
                token = await consumer_auth.anonymous_signup(t, ep)
            else:
                raise AuthError("the consumer token was refused and lpweb cannot renew a token it was given")
        except AuthError as exc:
            from .connection import _GiveUp
            raise _GiveUp(AuthError(f"cannot renew the consumer token ({exc}); open a new connection with a "
                                    "fresh jwt / token")) from None
        self._token, self.user_id = token, jwt_subject(token)
        self._token_store.set(self.options.token_store_key, token)

    def _drop_conversation(self, conv: Conversation) -> None:
        super()._drop_conversation(conv)
        self._subscribed_dialogs.difference_update(conv.dialogs)   # not re-subscribed (MNT-05)

    async def _resume_dialogs(self) -> None:
        """Re-subscribe every followed dialog from its first unseen sequence."""
        for dialog_id in sorted(self._subscribed_dialogs):
            conv = self._conversation_of_dialog(dialog_id)
            dialog = conv.dialogs.get(dialog_id) if conv is not None else None
            if dialog is None or conv is None or not conv.is_open:
                continue
            try:
                await self._subscribe_dialog(dialog)
            except RequestFailed as exc:
                self.report_error(exc)

    async def _subscribe_dialog(self, dialog: Dialog) -> None:
        await self.request(rq.SUBSCRIBE_MESSAGING_EVENTS, {
            "dialogId": dialog.dialog_id, "conversationId": dialog.conversation.conversation_id,
            "fromSeq": dialog.next_sequence})

    async def _catch_up(self, dialog: Dialog) -> bool:
        """Re-subscribe from the gap; the events arrive as a notification, waited for up to
        ``GAP_WAIT`` (on the injected sleep). False if it did not arrive in that time."""
        arrived = asyncio.get_running_loop().create_future()
        entry = (arrived, min(dialog._held or (), default=None))
        self._catchup_waiters[dialog.dialog_id] = entry
        sleeper = asyncio.ensure_future(self._sleep(GAP_WAIT))
        try:
            await self._subscribe_dialog(dialog)
            await asyncio.wait({arrived, sleeper}, return_when=asyncio.FIRST_COMPLETED)
            return arrived.done()
        finally:
            sleeper.cancel()
            if self._catchup_waiters.get(dialog.dialog_id) is entry:
                del self._catchup_waiters[dialog.dialog_id]

    async def _until_dialog_loaded(self, dialog: Dialog) -> None:
        waiter = self._history_waiters.get(dialog.dialog_id)
        if waiter is not None:
            await asyncio.wait({waiter}, timeout=self.options.response_timeout / 1000)

    # -- consumer actions -------------------------------------------------------------------
    async def create_conversation(self, skill_id: str | None = None, context: dict[str, Any] | None = None,
                                  campaign_info: dict[str, Any] | None = None) -> Conversation:
        """Open a new conversation (CONN-05, CTX-01/02); returns once a notification described it
        (``conversation.participants`` lists the consumer) and its messages are followed.

        Raises :class:`~lpweb.errors.RequestFailed` when the platform refuses (for example
        a consumer who already has an open conversation)."""
        body: dict[str, Any] = {"channelType": "MESSAGING", "brandId": self.options.account_id,
                                "skillId": str(skill_id) if skill_id is not None else "-1"}
        if context is not None:
            body["conversationContext"] = context
        if campaign_info is not None:
            body["campaignInfo"] = campaign_info
        resp = await self.request(rq.CONSUMER_REQUEST_CONVERSATION, body)
        conv_id = resp.body.get("conversationId") if isinstance(resp.body, dict) else None
        if not isinstance(conv_id, str) or not conv_id:
            raise ProtocolError("the create-conversation answer has no conversationId")
        # Read-your-writes: the consumer's conversation subscription describes it (participants,
        # skill) right after the answer. [INF] Without that notification in time it is made here.
        conv = await self._until_synced(conv_id, self.options.response_timeout / 1000)
        if conv is None:
            conv = self._conversations.get(conv_id)
        if conv is None:
            conv = self._conversations[conv_id] = Conversation(self, conv_id)
            conv.skill.skill_id = body["skillId"]
        self._follow(conv)
        await self._until_dialog_loaded(conv.main_dialog)
        self._emit_conversation(conv)  # before returning, so 'conversation' handlers see it first
        return conv

    async def step_up(self, jwt: str) -> None:
        """Turn this unauthenticated consumer into an authenticated one (CONN-13, CAUTH-06).

        Gets an LP token for ``jwt`` through the account's authenticated connector,
        reconnects with it, re-creates the subscriptions and takes over every open
        conversation, which then emits ``'consumer-step-up'``.

        Raises :class:`~lpweb.errors.InvalidState` unless the connection is open with
        ``use_unauthenticated_connection=True``, :class:`~lpweb.errors.AuthError` when the
        JWT is refused."""
        if self.state != ConnectionState.CONNECTED or self.auth_type != AuthType.CONSUMER_UNAUTHENTICATED:
            raise InvalidState("step_up() needs an open connection made with use_unauthenticated_connection=True")
        if not isinstance(jwt, str) or jwt.count(".") != 2:
            raise UsageError("step_up() takes the brand-issued JWT of the now authenticated consumer")
        assert self._transport is not None and self._endpoints is not None
        issuer = jwt_claims(jwt).get("iss")
        connector = await consumer_auth.find_connector(self._transport, self._endpoints,
                                                       consumer_auth.AUTHENTICATED_CONNECTOR,
                                                       issuer if isinstance(issuer, str) else None)
        token = await consumer_auth.authenticate_with_connector(self._transport, self._endpoints, connector, jwt)
        self._auth_jwt = jwt
        previous, open_conversations = self._token, [c for c in self._conversations.values() if c.is_open]
        await self._teardown_socket()
        self._token, self.user_id = token, jwt_subject(token)
        self.auth_type = AuthType.CONSUMER_AUTHENTICATED
        self._subscribed_dialogs.clear()
        await self._connect_socket()
        self._token_store.set(self.options.token_store_key, token)
        for conv in open_conversations:
            await self.request(rq.TAKEOVER_CONVERSATION, {"conversationId": conv.conversation_id,
                                                          "previousConsumerJwt": previous})
        await self._restore_subscriptions()
        for conv in open_conversations:
            conv.emit("consumer-step-up", {"previous_consumer_id": jwt_subject(previous or ""),
                                           "consumer_id": self.user_id})

    async def set_user_profile(self, data: dict[str, Any]) -> Response:
        """Set the consumer's profile (CONN-12, PROF-05): ``firstName``, ``lastName``, ..."""
        return await self.request(rq.SET_USER_PROFILE, dict(data))


def _is_auth_failure(exc: BaseException) -> bool:
    if isinstance(exc, AuthError):
        return True
    if isinstance(exc, HttpError):
        return exc.status in (401, 403)
    if isinstance(exc, RequestFailed):
        return exc.code in (401, 403)
    if isinstance(exc, ConnectionLost):
        return exc.code in (4401, 4407)
    return isinstance(exc, TransportError)  # browsers see a refused handshake only as 1006
