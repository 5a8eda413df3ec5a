"""The websocket side of the emulator, without aiohttp (protocol.md §4, §5, §6).

:func:`connect` checks a websocket handshake (path, account, brand bearer) and returns a
:class:`Session` or a :class:`HandshakeRejected`. A session is created with a synchronous
``send(text)`` callback (the server queues the text) and a ``close(code, reason)`` callback;
``session.start()`` runs once the socket is open, ``session.receive(text)`` handles one
frame, ``session.closed()`` runs when the socket is gone.

Frames are decoded with :mod:`lpweb.protocol.frames`; request names in any spelling are
mapped by :func:`lpweb.protocol.requests.canonical_type`. Notifications go out after the
response of the request that caused them (``Platform.flush``); every outgoing frame passes
through ``platform.faults``. Conversation-field changes are in :mod:`.fields`, profile and
file-URL requests in :mod:`.consumer_api`, routing requests in :mod:`.routing_api`,
notification shapes in :mod:`.views`.

A consumer session remembers the token it authenticated with; when the token expires (on
the platform scheduler) the socket closes with 4401 / 4407 by token kind
(``tokens.EXPIRY_CLOSE_CODES``).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..errors import MalformedFrame
from ..protocol.frames import Request, decode, encode_notification, encode_response, one_or_many
from ..protocol.requests import canonical_type
from . import consumer_api, routing_api, views
from .fields import field_action
from .replies import RESPONSE_TYPES, Reject
from .replies import Reply as _Reply
from .replies import ok as _ok
from .state import BrandUser, Conversation, EventRecord, Participant, Platform, PlatformError
from .tokens import EXPIRY_CLOSE_CODES

__all__ = ["Session", "HandshakeRejected", "connect", "RESPONSE_TYPES"]

SendFn = Callable[[str], None]
CloseFn = Callable[[int, str], None]

_CONSUMER_PATH = re.compile(r"^/ws_api/account/([^/]+)/messaging/consumer/?$")
_BRAND_PATH = re.compile(r"^/ws_api/account/([^/]+)/messaging/brand/([^/]+)/?$")
_AUTH_HEADER = re.compile(r"^\s*(jwt|bearer)\s+(\S+)\s*$", re.IGNORECASE)

MAX_INITIAL_CONVERSATIONS = 1000
_ROLE_PRIORITY = ("ASSIGNED_AGENT", "AGENT", "MANAGER", "CONTROLLER", "BRAND_BOT", "READER")


@dataclass
class HandshakeRejected:
    status: int
    reason: str


@dataclass
class _ConvSubscription:
    subscription_id: str
    query: dict[str, Any]
    brand_form: bool
    notification_type: str
    matched: set[str] = field(default_factory=set)


def _string_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    items = one_or_many(value)
    if not all(isinstance(v, str) for v in items):
        raise Reject(400, f"{name} must be a list of strings")
    return items


def connect(platform: Platform, path: str, query: Mapping[str, str], headers: Mapping[str, str],
            send: SendFn, close: CloseFn, connection_id: str = "") -> "Session | HandshakeRejected":
    """Check a websocket handshake; header names are matched case-insensitively."""
    hdrs = {k.lower(): v for k, v in headers.items()}
    version = str(query.get("v", ""))
    if m := _CONSUMER_PATH.match(path):
        account_id = m.group(1)
        if platform.account(account_id) is None:
            return HandshakeRejected(401, "unknown account")
        session = Session(platform, account_id, send, close, connection_id=connection_id, version=version)
        session.client_properties = _client_properties_header(hdrs.get("client-properties"))
        auth = hdrs.get("authorization")
        if auth:
            m_auth = _AUTH_HEADER.match(auth)
            token = m_auth.group(2) if m_auth else ""
            sub = platform.tokens.verify_consumer_jwt(token, account_id) if m_auth else None
            if sub is None:
                session.auth_error = "invalid consumer token"
                session.auth_error_code = EXPIRY_CLOSE_CODES[platform.tokens.token_kind(token)]
            else:
                session.consumer_id, session.token = sub, token
        return session
    if m := _BRAND_PATH.match(path):
        account_id, bearer = m.groups()
        account = platform.account(account_id)
        agent_session = platform.tokens.by_bearer(bearer)
        if account is None or agent_session is None or agent_session.account_id != account_id:
            return HandshakeRejected(401, "invalid bearer token")
        user = account.users.get(agent_session.user_name)
        if user is None:
            return HandshakeRejected(401, "unknown user")
        session = Session(platform, account_id, send, close, user=user, connection_id=connection_id, version=version)
        session.token = bearer
        return session
    return HandshakeRejected(404, "no websocket endpoint at this path")


def _client_properties_header(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        props = json.loads(value)
    except ValueError:
        return None
    if not isinstance(props, dict):
        return None
    return {**props, "type": ".ClientProperties"}


class Session:
    """One websocket connection, consumer (``user is None``) or brand."""

    def __init__(self, platform: Platform, account_id: str, send: SendFn, close: CloseFn, *,
                 user: BrandUser | None = None, consumer_id: str | None = None,
                 connection_id: str = "", version: str = "") -> None:
        self.platform = platform
        self.account_id = account_id
        self.user = user
        self.consumer_id = consumer_id
        self.connection_id = connection_id
        self.version = version                   # the ``v`` query parameter ("2", "2.1", "3")
        self.token: str | None = None            # consumer JWT or brand bearer
        self.auth_error: str | None = None
        self.auth_error_code = 4401
        self.client_properties: dict[str, Any] | None = None
        self.conversation_subscriptions: dict[str, _ConvSubscription] = {}
        self.message_subscriptions: set[str] = set()        # dialog ids (consumer)
        self.routing_subscription: str | None = None         # subscriptionId (brand)
        self.routing_prefix = ".ams."
        self.agent_state_subscriptions: dict[str, tuple[str | None, str]] = {}   # id -> (agent, type)
        self._send_fn = send
        self._close_fn = close
        self._open = True
        self._expiry_timer: Any = None

    # ---- lifecycle ----------------------------------------------------------------------
    @property
    def brand(self) -> bool:
        return self.user is not None

    @property
    def authenticated(self) -> bool:
        return self.brand or self.consumer_id is not None

    @property
    def suggested_visible(self) -> bool:
        """v=2.1 (and later) brand sockets see SUGGESTED agents (protocol.md §4.2)."""
        return _version_at_least(self.version, (2, 1))

    def start(self) -> None:
        """Run once the socket is open: register for notifications, or close 4401/4407."""
        if self.auth_error:
            self.close(self.auth_error_code, self.auth_error)
            return
        self.platform.add_listener(self)
        self._watch_token()

    def _watch_token(self) -> None:
        """Close the consumer socket when its token expires (4401 authenticated, 4407 unauth)."""
        if self.brand or self.token is None:
            return
        info = self.platform.tokens.consumer_token(self.token, self.account_id)
        if info is None:
            return
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        self._expiry_timer = self.platform.call_later(info.expires_ms - self.platform.clock(), self._token_check)

    def _token_check(self) -> None:
        if self.token is not None and self.platform.tokens.consumer_token(self.token, self.account_id) is None:
            self.close(EXPIRY_CLOSE_CODES[self.platform.tokens.token_kind(self.token)], "token expired")
        else:
            self._watch_token()

    def closed(self) -> None:
        """The socket is gone: drop every subscription."""
        self._open = False
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        self.platform.remove_listener(self)
        self.conversation_subscriptions.clear()
        self.message_subscriptions.clear()
        self.routing_subscription = None

    def close(self, code: int, reason: str) -> None:
        if self._open:
            self._open = False
            if self._expiry_timer is not None:
                self._expiry_timer.cancel()
            self.platform.remove_listener(self)
            self._close_fn(code, reason)

    def send(self, text: str, notification: bool = False) -> None:
        """Send one frame through the platform's fault injection."""
        if self._open:
            self.platform.faults.outgoing(self, text, notification)

    def notify(self, type_: str, body: Any) -> None:
        self.send(encode_notification(type_, body), notification=True)

    def deliver(self, text: str) -> None:
        """Hand one frame to the socket (called by the fault layer)."""
        if self._open:
            self._send_fn(text)

    # ---- frames in ----------------------------------------------------------------------
    def receive(self, text: str | bytes) -> None:
        """Handle one frame from the client. Never raises."""
        try:
            self._receive(text)
        except Exception as exc:        # a bug must not kill the socket or the server
            self._respond_error_for(text, 500, f"emulator error: {exc!r}")
        finally:
            self.platform.flush()

    def _receive(self, text: str | bytes) -> None:
        try:
            frame = decode(text)
        except MalformedFrame as exc:
            self._respond_error_for(text, 400, f"Malformed request: {exc.reason}")
            return
        if not isinstance(frame, Request):
            return                      # clients do not send responses or notifications
        reply = self._dispatch(frame)
        self.send(encode_response(frame.id, reply.code, reply.type, reply.body))
        if reply.after is not None:
            reply.after()

    def _respond_error_for(self, text: str | bytes, code: int, message: str) -> None:
        try:
            obj = json.loads(text)
            req_id = obj.get("id") if isinstance(obj, dict) else None
        except (ValueError, TypeError, RecursionError):
            req_id = None
        if isinstance(req_id, (str, int)) and not isinstance(req_id, bool) and str(req_id):
            self.send(encode_response(str(req_id), code, RESPONSE_TYPES["string"], message[:128]))

    def _dispatch(self, req: Request) -> _Reply:
        name = canonical_type(req.type)
        if name == "InitConnection":
            return self._init_connection(req)
        if not self.authenticated:
            return _Reply(401, RESPONSE_TYPES["string"], "Unauthorized: send InitConnection with a consumer JWT first")
        handler = _HANDLERS.get(name)
        if handler is None:
            return _Reply(400, RESPONSE_TYPES["string"], f"Unknown request type {req.type}"[:128])
        try:
            return handler(self, req)
        except Reject as exc:
            return _Reply(exc.code, RESPONSE_TYPES["string"], exc.message[:128])
        except PlatformError as exc:
            return _Reply(exc.code, RESPONSE_TYPES["string"], exc.message[:128])

    # ---- helpers ------------------------------------------------------------------------
    def body(self, req: Request, required: bool = True) -> dict[str, Any]:
        body = req.body
        if body is None and not required:
            return {}
        if not isinstance(body, dict):
            raise Reject(400, "The request body must be an object")
        return body

    def require_brand(self) -> BrandUser:
        if self.user is None:
            raise Reject(403, "Not allowed for consumers")
        return self.user

    def require_consumer(self) -> str:
        if self.consumer_id is None:
            raise Reject(403, "Only consumers may send this request")
        return self.consumer_id

    def conversation(self, conversation_id: Any = None, dialog_id: Any = None) -> Conversation:
        account = self.platform.accounts[self.account_id]
        conv = None
        if isinstance(conversation_id, str):
            conv = account.conversations.get(conversation_id)
        if conv is None and isinstance(dialog_id, str):
            conv = account.by_dialog.get(dialog_id)
        if conv is None:
            raise Reject(404, "Conversation not found")
        if self.consumer_id is not None and conv.consumer_id != self.consumer_id:
            raise Reject(403, "Not a participant of this conversation")
        return conv

    def me_in(self, conv: Conversation) -> Participant:
        if self.user is None:
            return next(p for p in conv.participants if p.is_consumer)
        mine = conv.find(self.user.pid)
        if not mine:
            raise Reject(403, "The user is not a participant of this conversation")
        return min(mine, key=lambda p: _ROLE_PRIORITY.index(p.role) if p.role in _ROLE_PRIORITY else 99)

    def actor_role(self) -> str:
        return "AGENT" if self.brand else "CONSUMER"

    # ---- handlers -----------------------------------------------------------------------
    def _init_connection(self, req: Request) -> _Reply:
        jwt = None
        for header in req.headers or []:
            if not isinstance(header, dict):
                continue
            htype = str(header.get("type", ""))
            if htype.endswith("ConsumerAuthentication"):
                jwt = header.get("jwt")
            elif htype.endswith("ClientProperties"):
                self.client_properties = {**header, "type": ".ClientProperties"}
        if self.brand:
            return _ok()
        if jwt is None:
            if self.consumer_id is not None:
                return _ok()
            return _Reply(401, RESPONSE_TYPES["string"], "InitConnection without a ConsumerAuthentication header")
        sub = self.platform.tokens.verify_consumer_jwt(jwt, self.account_id) if isinstance(jwt, str) else None
        if sub is None:
            code = EXPIRY_CLOSE_CODES[self.platform.tokens.token_kind(jwt)] if isinstance(jwt, str) else 4401
            reply = _Reply(401, RESPONSE_TYPES["string"], "Invalid consumer token")
            reply.after = lambda: self.close(code, "invalid consumer token")
            return reply
        if self.consumer_id is not None and sub != self.consumer_id:
            return _Reply(400, RESPONSE_TYPES["string"], "The connection is authenticated as another consumer")
        self.consumer_id, self.token = sub, jwt
        self.platform.accounts[self.account_id].consumers.add(sub)
        self.platform.reindex_listener(self)
        self._watch_token()
        return _ok()

    def _get_clock(self, req: Request) -> _Reply:
        return _Reply(200, RESPONSE_TYPES["GetClock"], {"currentTime": self.platform.clock()})

    def _keep_alive(self, req: Request) -> _Reply:
        return _ok()

    def _request_conversation(self, req: Request) -> _Reply:
        consumer_id = self.require_consumer()
        body = self.body(req, required=False)
        skill = body.get("skillId")
        skill_id = "-1" if skill in (None, "") else str(skill)
        context = body.get("conversationContext")
        campaign = body.get("campaignInfo")
        conv = self.platform.create_conversation(
            self.account_id, consumer_id, skill_id,
            context if isinstance(context, dict) else None, campaign if isinstance(campaign, dict) else None)
        return _Reply(200, RESPONSE_TYPES["cm.ConsumerRequestConversation"], {"conversationId": conv.conversation_id})

    # -- conversation metadata subscriptions
    def _subscribe_ex(self, req: Request) -> _Reply:
        body = self.body(req, required=False)
        query = {
            "stage": _string_list(body.get("stage"), "stage"),
            "convState": _string_list(body.get("convState"), "convState"),
            "agentIds": _string_list(body.get("agentIds"), "agentIds"),
            "consumerId": body.get("consumerId"),
            "conversationId": body.get("conversationId"),
            "minLastUpdatedTime": body.get("minLastUpdatedTime"),
            "maxLastUpdatedTime": body.get("maxLastUpdatedTime"),
        }
        brand_form = self.brand and not req.type.startswith("cqm.")
        sub = _ConvSubscription(str(uuid.uuid4()), query, brand_form,
                                ".ams.aam.ExConversationChangeNotification" if brand_form
                                else "cqm.ExConversationChangeNotification")
        self.conversation_subscriptions[sub.subscription_id] = sub

        def initial() -> None:
            pool = (self.platform.conversations(self.account_id) if self.consumer_id is None
                    else self.platform.conversations_of_consumer(self.account_id, self.consumer_id))
            convs = sorted((c for c in pool if self._matches(c, sub.query, initial=True)), key=lambda c: c.start_ts)
            convs = convs[:MAX_INITIAL_CONVERSATIONS]
            sub.matched.update(c.conversation_id for c in convs)
            self._send_conversations(sub, [views.conversation_change(c, "UPSERT", brand_form, self.suggested_visible) for c in convs])

        return _Reply(200, RESPONSE_TYPES["cqm.SubscribeExConversations"],
                      {"subscriptionId": sub.subscription_id}, initial)

    def _unsubscribe_ex(self, req: Request) -> _Reply:
        sub_id = self.body(req).get("subscriptionId")
        if not isinstance(sub_id, str) or self.conversation_subscriptions.pop(sub_id, None) is None:
            raise Reject(400, "Unknown subscriptionId")
        return _ok("OK Unsubscribed successfully")

    def _matches(self, conv: Conversation, q: dict[str, Any], initial: bool = False) -> bool:
        if conv.account_id != self.account_id:
            return False
        if self.consumer_id is not None and conv.consumer_id != self.consumer_id:
            return False
        if q["stage"] is not None and conv.stage not in q["stage"]:
            return False
        if q["convState"] is not None and conv.state not in q["convState"]:
            return False
        if q["agentIds"] is not None and not (set(q["agentIds"]) & conv.agent_ids()):
            return False
        if isinstance(q["consumerId"], str) and conv.consumer_id != q["consumerId"]:
            return False
        if isinstance(q["conversationId"], str) and conv.conversation_id != q["conversationId"]:
            return False
        if initial:       # time bounds select the initial dump only; live changes are newer
            lo, hi = q["minLastUpdatedTime"], q["maxLastUpdatedTime"]
            if isinstance(lo, int) and conv.meta_ts < lo:
                return False
            if isinstance(hi, int) and conv.meta_ts > hi:
                return False
        return True

    def _send_conversations(self, sub: _ConvSubscription, changes: list[dict[str, Any]]) -> None:
        self.notify(sub.notification_type, {"subscriptionId": sub.subscription_id, "changes": changes})

    # -- messaging
    def _dialog_of(self, body: dict[str, Any]) -> tuple[str, Any]:
        """The ``dialogId`` of a request body and its dialog, which the caller may read."""
        dialog_id = body.get("dialogId")
        if not isinstance(dialog_id, str) or not dialog_id:
            raise Reject(400, "dialogId is required")
        dialog = self.conversation(body.get("conversationId"), dialog_id).dialog(dialog_id)
        if dialog is None:
            raise Reject(404, "Dialog not found")
        return dialog_id, dialog

    def _subscribe_messaging(self, req: Request) -> _Reply:
        if self.brand:
            raise Reject(400, "Brand connections get events as participants; use .ams.ms.QueryMessages")
        body = self.body(req)
        dialog_id, dialog = self._dialog_of(body)
        from_seq = body.get("fromSeq", 0)
        if not isinstance(from_seq, int) or isinstance(from_seq, bool):
            raise Reject(400, "fromSeq must be an integer")
        self.message_subscriptions.add(dialog_id)

        def initial() -> None:
            changes = [views.consumer_change(r) for r in dialog.events
                       if r.sequence is not None and r.sequence >= from_seq and _for_consumer(r)]
            self.notify("ms.MessagingEventNotification", {"dialogId": dialog_id, "changes": changes})

        return _Reply(200, RESPONSE_TYPES["ms.SubscribeMessagingEvents"], {}, initial)

    def _query_messages(self, req: Request) -> _Reply:
        self.require_brand()
        body = self.body(req)
        _, dialog = self._dialog_of(body)
        from_seq = body.get("fromSeq", 0)
        from_seq = from_seq if isinstance(from_seq, int) and not isinstance(from_seq, bool) else 0
        events = [views.brand_change(r) for r in dialog.events if r.sequence is not None and r.sequence >= from_seq]
        limit = body.get("maxQuantity")
        if isinstance(limit, int) and limit >= 0:
            events = events[:limit]
        return _Reply(200, RESPONSE_TYPES["ms.QueryMessages"], events)

    def _publish(self, req: Request) -> _Reply:
        body = self.body(req)
        dialog_id, event = body.get("dialogId"), body.get("event")
        if not isinstance(dialog_id, str) or not dialog_id:
            raise Reject(400, "dialogId is required")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Reject(400, "event with a type is required")
        conv = self.conversation(body.get("conversationId"), dialog_id)
        dialog = conv.dialog(dialog_id)
        if dialog is None:
            raise Reject(404, "Dialog not found")
        me = self.me_in(conv)
        audience = body.get("messageAudience")
        record = self.platform.publish(conv, dialog, me, event, req.metadata,
                                       audience if isinstance(audience, str) else None,
                                       self.client_properties)
        return _Reply(200, RESPONSE_TYPES["ms.PublishEvent"], {"sequence": record.sequence or 0})

    # -- conversation fields
    def _update_field(self, req: Request) -> _Reply:
        body = self.body(req)
        fields = one_or_many(body.get("conversationField"))
        if not fields:
            raise Reject(400, "conversationField is required")
        conv = self.conversation(body.get("conversationId"), body.get("dialogId"))
        actions = [field_action(self, conv, f) for f in fields]
        message = "OK"
        for action in actions:
            message = action()
        return _ok(message)

    # ---- notifications out (Platform listener) --------------------------------------------
    def on_conversation(self, conv: Conversation) -> None:
        if conv.account_id != self.account_id:
            return
        for sub in list(self.conversation_subscriptions.values()):
            if self._matches(conv, sub.query):
                sub.matched.add(conv.conversation_id)
                self._send_conversations(sub, [views.conversation_change(conv, "UPSERT", sub.brand_form, self.suggested_visible)])
            elif conv.conversation_id in sub.matched:
                sub.matched.discard(conv.conversation_id)
                self._send_conversations(sub, [views.conversation_change(conv, "DELETE", sub.brand_form, self.suggested_visible)])

    def on_ring(self, account_id: str, agent: str, result: dict[str, Any]) -> None:
        if self.user is not None and self.user.old_id == agent and self.routing_subscription:
            self.notify(self.routing_prefix + "routing.RoutingTaskNotification",
                        {"subscriptionId": self.routing_subscription,
                         "changes": [{"type": "UPSERT", "result": result}]})

    def on_agent_state(self, account_id: str, agent: str, state: dict[str, Any]) -> None:
        if account_id != self.account_id:
            return
        for sub_id, (wanted, type_) in list(self.agent_state_subscriptions.items()):
            if wanted in (None, agent):
                self.notify(type_, {"subscriptionId": sub_id,
                                    "changes": [{"type": "UPSERT", "result": routing_api.agent_state_result(agent, state)}]})

    def on_event(self, conv: Conversation, record: EventRecord) -> None:
        if conv.account_id != self.account_id:
            return
        if self.user is not None:
            if conv.find(self.user.pid):
                self.notify(".ams.ms.OnlineEventDistribution", views.brand_change(record))
        elif (self.consumer_id == conv.consumer_id and record.dialog_id in self.message_subscriptions
              and _for_consumer(record)):
            self.notify("ms.MessagingEventNotification",
                        {"dialogId": record.dialog_id, "changes": [views.consumer_change(record)]})


def _version_at_least(version: str, wanted: tuple[int, int]) -> bool:
    try:
        parts = tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return True
    return (parts + (0,))[:2] >= wanted


def _for_consumer(record: EventRecord) -> bool:
    return record.message_audience != "AGENTS_AND_MANAGERS"


_HANDLERS: dict[str, Callable[[Session, Request], _Reply]] = {
    "GetClock": Session._get_clock,
    "KeepAlive": Session._keep_alive,
    "cm.ConsumerRequestConversation": Session._request_conversation,
    "cqm.SubscribeExConversations": Session._subscribe_ex,
    "cqm.UnsubscribeExConversations": Session._unsubscribe_ex,
    "ms.SubscribeMessagingEvents": Session._subscribe_messaging,
    "ms.QueryMessages": Session._query_messages,
    "ms.PublishEvent": Session._publish,
    "cm.UpdateConversationField": Session._update_field,
    **consumer_api.HANDLERS,
    **routing_api.HANDLERS,
}
