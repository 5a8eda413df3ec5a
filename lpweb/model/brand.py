"""``BrandConnection``: the brand (agent, bot, manager) side of
:class:`~lpweb.model.connection.Connection`.

Credentials (BAUTH-*, TKM-*) always come from a :class:`~lpweb.auth.maintainer.TokenMaintainer`:
the one given as ``token_maintainer=``, or a private one built from ``auth_data`` /
``auth_agent_session_data``. The maintainer logs in, keeps the token valid (4-minute
refresh, 30-minute OAuth2 renewal), regenerates it when it becomes invalid and emits the
token events on every connection that uses it. The bearer is a path segment of the brand
websocket URL (``/messaging/brand/{bearer}?v=2.1``) on ``facadeMsg`` (else
``asyncMessagingEnt``); it never appears in a log, repr or error text.

When the login did not say who the user is (OAuth2, an existing bearer), the connection asks
``GetUserProfile`` with an empty body, which answers the caller's ``{accountId}.{userId}``.

Brand features here: agent state (CONN-07), routing tasks and rings (CONN-08, RING-*,
:mod:`.ring`), combined conversation handling (CCH-*, :mod:`.combined`), agent state
subscriptions (NYS-01), agent-requested conversations (NYS-04), history loading
(``get_all_messages``, DLG-03), the skills list behind ``skill.is_in_off_hours()``
(CONV-16) and message statistics (STAT-*).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from ..auth.agent import AgentSession
from ..auth.maintainer import OAUTH1_REFRESH_INTERVAL, TokenMaintainer
from ..enums import AgentState, AuthType, ChannelType, ConversationContextType
from ..enums import SubscriptionState
from ..errors import AuthError, InvalidState, LPError, RequestFailed, RequestTimeout, UsageError, redact
from ..options import ConnectionOptions
from ..protocol import AgentStates, RoutingTasks
from ..protocol import requests as rq
from ..transports.base import HttpResponse
from .combined import CombinedHandler, parse_combined_option
from .connection import Connection
from .conversation import Conversation
from .message import Message
from .ring import RING_POLL_INTERVAL, AgentStateSubscription, Ring, RoutingTaskSubscription, _BrandSubscription

__all__ = ["BrandConnection", "MessageStatistics", "OAUTH1_REFRESH_INTERVAL", "SKILLS_REFRESH_INTERVAL",
           "OFF_HOURS_FIELD"]

SKILLS_REFRESH_INTERVAL = 300.0     # seconds between background reloads of the skills list
#: [INF] The skills-list field lpweb reads for off-hours. LivePerson computes working hours from
#: workingHoursId / specialOccasionId objects; the emulator serves the computed flag here.
OFF_HOURS_FIELD = "lpwebOffHours"
SOON_TO_OVERDUE_MS = 10 * 60 * 1000  # [INF] STAT-01: "soon" = the TTR ends within 10 minutes

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class MessageStatistics:
    """Message counters (STAT-03); also readable as a dict with the JS keys."""

    active: int = 0
    pending: int = 0
    unassigned: int = 0
    overdue: int = 0
    soon_to_overdue: int = 0

    def __getitem__(self, key: str) -> int:
        return self.as_dict()[key]

    def as_dict(self) -> dict[str, int]:
        return {"active": self.active, "pending": self.pending, "unassigned": self.unassigned,
                "overdue": self.overdue, "soonToOverdue": self.soon_to_overdue}


def _looks_like_oauth2_session(data: Mapping[str, Any]) -> bool:
    """An OAuth2 session has a bearer but no agentVep csrf / session id (BAUTH-08)."""
    return bool(data.get("oauth2")) or (not data.get("csrf") and not (data.get("sessionId") or data.get("session_id")))


class BrandConnection(Connection):
    """A brand user's connection. Create it with ``lpweb.create_connection(user_type=UserType.BRAND)``.

    ``sleep`` (an ``async (seconds)`` function) drives every timer of the connection and of
    its private token maintainer; tests inject one to skip real waiting.
    """

    def __init__(self, options: ConnectionOptions, *, sleep: Sleep | None = None, **kwargs: Any) -> None:
        super().__init__(options, sleep=sleep, **kwargs)
        self._sleep: Sleep = sleep or asyncio.sleep
        self._maintainer: TokenMaintainer | None = None
        self._own_maintainer = False
        self._session: AgentSession | None = None
        self._old_id = ""
        self._skills: dict[str, dict[str, Any]] = {}
        self._skills_loading: asyncio.Task[None] | None = None
        self._brand_subscriptions: dict[str, _BrandSubscription] = {}
        self._early_notes: dict[str, list[Any]] = {}
        combined = parse_combined_option(options.combined_conversation_handling)
        self._combined = CombinedHandler(*combined, clock=self._now) if combined else None

    @property
    def agent_old_id(self) -> str:
        """The brand user's ``{accountId}.{userId}`` id used in participant and routing bodies."""
        return self._old_id

    @property
    def token_maintainer(self) -> TokenMaintainer | None:
        """The maintainer that provides this connection's token (shared or private)."""
        return self._maintainer

    # -- identity ---------------------------------------------------------------------------
    async def open(self) -> None:
        """Log in (or reuse the token maintainer / bearer), connect and subscribe (CONN-02).

        Raises :class:`~lpweb.errors.AuthError` when the credentials are refused,
        :class:`~lpweb.errors.TransportError` when a service cannot be reached and
        :class:`~lpweb.errors.InvalidState` when the connection is already open."""
        try:
            await super().open()
        except BaseException:
            await self._release_maintainer()
            raise

    async def close(self) -> None:
        """Close on purpose (CONN-03); with ``set_agent_offline_on_disconnect`` the agent is
        set OFFLINE first (MNT-06). Timers stop; a private token maintainer stops too."""
        await super().close()
        await self._release_maintainer()

    async def _release_maintainer(self) -> None:
        m = self._maintainer
        if m is None:
            return
        await m._detach(self)
        if self._own_maintainer:
            await m.close()
            self._maintainer = None

    def _make_maintainer(self) -> TokenMaintainer:
        opts = self.options
        if opts.token_maintainer is not None:
            if not isinstance(opts.token_maintainer, TokenMaintainer):
                raise UsageError("token_maintainer must be an lpweb.TokenMaintainer")
            if opts.token_maintainer.account_id != opts.account_id:
                raise UsageError("the token_maintainer belongs to another account_id")
            self._own_maintainer = False
            return opts.token_maintainer
        auth_data, session_data = opts.auth_data, opts.auth_agent_session_data
        if auth_data and session_data:
            # Only reachable with OAuth2 credentials (options refuse OAuth1 + bearer, BAUTH-07).
            self.report_error(UsageError(
                "OAuth2 credentials cannot reuse an existing bearer (auth_agent_session_data); it is ignored "
                "and a new OAuth2 token is fetched. For bearer reuse use OAuth2 over OAuth1 ('hint') (BAUTH-08)"))
            session_data = None
        elif session_data and _looks_like_oauth2_session(session_data):
            self.report_error(UsageError(
                "auth_agent_session_data without csrf/sessionId (an OAuth2 session?) cannot be refreshed: the "
                "bearer is used until it expires. Bearer reuse works with OAuth1 or OAuth2 over OAuth1 (BAUTH-08)"))
        maintainer = TokenMaintainer(opts.account_id, auth_data, auth_agent_session_data=session_data,
                                     csds_domain=opts.csds_domain, transport=self._transport, sleep=self._sleep)
        maintainer._endpoints = self._endpoints
        self._own_maintainer = True
        return maintainer

    async def _authenticate_and_connect(self) -> None:
        self._maintainer = self._make_maintainer()
        self._maintainer._attach(self)
        self._session = await self._maintainer.get_session()
        if self._session.user_id:
            self._old_id = f"{self.options.account_id}.{self._session.user_id}"
        self.user_id = self._session.user_pid or self._old_id
        self.auth_type = AuthType.BRAND_AUTHENTICATED
        await self._connect_socket()

    async def _after_socket_open(self) -> None:
        if not self._old_id:        # OAuth2 or a reused bearer: ask who we are (protocol.md §5.9)
            resp = await self.request(rq.GET_USER_PROFILE, {})
            body = resp.body if isinstance(resp.body, dict) else {}
            old_id = str(body.get("userId") or "")
            if "." not in old_id:
                raise InvalidState("GetUserProfile did not tell the brand user's id")
            self._old_id = old_id
            if self._session is not None and not self._session.user_id:
                self._session.user_id = old_id.split(".", 1)[1]
            self.user_id = self.user_id or old_id
        await self._load_skills()

    async def get_token(self) -> str | None:
        """The agentVep (or OAuth2) bearer, usable with other LivePerson APIs (CONN-11, BAUTH-11);
        waits for a regeneration in progress. ``None`` before ``open()``."""
        if self._maintainer is None:
            return None
        return await self._maintainer.bearer()

    def _socket_address(self) -> tuple[str, dict[str, str]]:
        assert self._endpoints is not None and self._session is not None
        service = self._endpoints.first("facadeMsg", "asyncMessagingEnt")
        path = f"/ws_api/account/{self.options.account_id}/messaging/brand/{self._session.bearer}?v=2.1"
        return self._endpoints.ws_url(service, path), {}

    def _after_open(self) -> None:
        self._spawn(self._skills_loop())

    async def _before_close(self) -> None:
        if self.options.set_agent_offline_on_disconnect and self._protocol and not self._protocol.closed:
            try:
                await self.set_agent_state(AgentState.OFFLINE)
            except LPError as exc:
                self.report_error(exc)

    # -- HTTP with the bearer -------------------------------------------------------------------
    async def _brand_http(self, method: str, service: str, path: str, *, body: bytes | None = None,
                          headers: Mapping[str, str] | None = None) -> HttpResponse:
        """An HTTP call with ``Authorization: Bearer``; on 401 the token is regenerated once
        and the call repeated (BAUTH-09)."""
        if self._endpoints is None or self._maintainer is None:
            raise InvalidState(f"the connection is {self.state}; call open() first")
        url = self._endpoints.http_url(service, path)
        for attempt in (0, 1):
            bearer = await self._maintainer.bearer()
            resp = await self._http(method, url, headers={"Accept": "application/json", **(headers or {}),
                                                          "Authorization": f"Bearer {bearer}"}, body=body)
            if resp.status != 401 or attempt == 1 or not self._maintainer.can_regenerate:
                return resp
            await self._maintainer.invalidate({"reason": "HTTP 401", "url": redact(url)})
        raise AssertionError("unreachable")

    # -- skills (CONV-16) -----------------------------------------------------------------------
    async def _load_skills(self) -> None:
        try:
            resp = await self._brand_http("GET", "accountConfigReadOnly",
                                          f"/api/account/{self.options.account_id}/configuration/le-users/skills")
            if resp.status != 200:
                raise LPError(f"the skills list answered HTTP {resp.status}")
            skills = resp.json()
            self._skills = {str(s.get("id")): s for s in skills if isinstance(s, dict)}
        except (LPError, ValueError, TypeError, AttributeError) as exc:
            self.report_error(exc if isinstance(exc, LPError) else LPError(f"unexpected skills list: {exc!r}"))

    async def _skills_loop(self) -> None:
        while True:
            await self._sleep(SKILLS_REFRESH_INTERVAL)
            await self._load_skills()

    def _skill_off_hours(self, skill_id: str) -> bool | None:
        skill = self._skills.get(skill_id)
        if skill is None:
            if self._protocol is not None and (self._skills_loading is None or self._skills_loading.done()):
                self._skills_loading = self._spawn(self._load_skills())
            return None
        value = skill.get(OFF_HOURS_FIELD)
        return bool(value) if value is not None else None

    # -- notifications: rings and agent states --------------------------------------------------
    def _on_other_notification(self, note: Any) -> None:
        if not isinstance(note, (RoutingTasks, AgentStates)):
            return
        sub = self._brand_subscriptions.get(note.subscription_id)
        if sub is None and len(self._early_notes.setdefault(note.subscription_id, [])) < 20:
            self._early_notes[note.subscription_id].append(note)   # before subscribe() returned
        self._handle_brand_note(note, sub)

    def _handle_brand_note(self, note: Any, sub: _BrandSubscription | None, replay: bool = False) -> None:
        if sub is not None:
            sub.emit("notification", note.raw)
        for change in note.changes:
            result = change.get("result") if isinstance(change.get("result"), dict) else {}
            if isinstance(note, RoutingTasks):
                for detail in result.get("ringsDetails") or []:
                    if isinstance(detail, dict):
                        ring = Ring(self, result, detail)
                        if sub is not None:
                            sub.emit("ring", ring)
                        if not replay:
                            self.emit("ring", ring)
            else:
                info = {"agent_id": result.get("agentUserId"), "availability": result.get("availability"),
                        "channels": result.get("channels") or [], "description": result.get("description", "")}
                if sub is not None:
                    sub.emit("agent-state", info)
                if not replay:
                    self.emit("agent-state", info)

    def _register(self, sub: _BrandSubscription) -> None:
        key = sub.subscription_id or ""
        self._brand_subscriptions[key] = sub
        for note in self._early_notes.pop(key, []):
            self._handle_brand_note(note, sub, replay=True)

    def _rekey_subscription(self, sub: _BrandSubscription, old: str | None, drop: bool = False) -> None:
        if self._brand_subscriptions.get(old or "") is sub:
            del self._brand_subscriptions[old or ""]
        if not drop:
            self._register(sub)

    def _on_disconnected(self) -> None:
        super()._on_disconnected()
        for sub in list(self._brand_subscriptions.values()):
            sub._disconnected()

    @property
    def subscriptions(self) -> list[Any]:
        """Every live subscription of this connection (conversation, routing, agent state), so a
        reconnect can re-create them (MNT-03)."""
        return [*self._subscriptions.values(), *self._brand_subscriptions.values()]

    # -- brand actions ----------------------------------------------------------------------
    async def set_agent_state(self, agent_state: AgentState | str | Mapping[str, Any]) -> None:
        """Set the brand user's availability (CONN-07); ONLINE is needed to be rung.

        Takes an :class:`AgentState` (or the JS ``{"agentState": ...}`` dict). Raises
        :class:`~lpweb.errors.UsageError` for other values, ``RequestFailed`` when refused."""
        if isinstance(agent_state, Mapping):
            agent_state = agent_state.get("agentState", agent_state.get("agent_state"))
        try:
            state = AgentState(agent_state)
        except ValueError:
            raise UsageError(f"agent_state must be one of {', '.join(a.value for a in AgentState)}") from None
        await self.request(rq.SET_AGENT_STATE, {"channels": ["MESSAGING"], "agentUserId": self.agent_old_id,
                                                "availability": str(state)})

    async def create_routing_task_subscription(self) -> RoutingTaskSubscription:
        """Subscribe to this agent's routing tasks so that ``'ring'`` events fire (CONN-08).
        Rings also need ``set_agent_state(AgentState.ONLINE)`` (RING-06). Raises
        ``RequestFailed`` when refused (the subscription is then FAILED_TO_SUBSCRIBE)."""
        sub = RoutingTaskSubscription(self, {"brandId": self.options.account_id, "agentId": self.agent_old_id,
                                             "channelType": "MESSAGING"})
        await sub._subscribe()
        self._register(sub)
        return sub

    async def create_agent_state_subscription(self, agent_id: str | None = None, *,
                                              all_agents: bool = False) -> AgentStateSubscription:
        """Follow agent availability (NYS-01): this user's by default, another agent's with
        ``agent_id`` (``"accountId.userId"``), every agent's with ``all_agents=True`` (managers).
        Each change is emitted as ``'agent-state'`` on the subscription and the connection,
        starting with the current state. Raises ``RequestFailed`` when refused."""
        body: dict[str, Any] = {"brandId": self.options.account_id}
        if not all_agents:
            body["agentId"] = agent_id or self.agent_old_id
        sub = AgentStateSubscription(self, body)
        await sub._subscribe()
        self._register(sub)
        return sub

    async def request_conversation(self, consumer_id: str, origin_conversation_id: str | None = None,
                                   channel_type: ChannelType | str = ChannelType.MESSAGING, *,
                                   skill_id: str | None = None, context: Mapping[str, Any] | None = None,
                                   timeout_ms: int | None = None) -> Conversation:
        """Start a conversation with a consumer from the agent side (NYS-04, LEG-24): proactive,
        or resuming ``origin_conversation_id``. This user becomes its assigned agent.

        Returns the :class:`Conversation` once a subscription delivered it (waits up to
        ``timeout_ms``, default ``ring_conversation_timeout``). Raises ``RequestFailed``
        (unknown consumer, not allowed) and :class:`~lpweb.errors.RequestTimeout`."""
        if not isinstance(consumer_id, str) or not consumer_id:
            raise UsageError("request_conversation needs the consumer's LivePerson id (a str)")
        conv_context = dict(context) if context else {"type": str(ConversationContextType.PROACTIVE)}
        if origin_conversation_id:
            conv_context["originConversationId"] = origin_conversation_id
        body: dict[str, Any] = {"channelType": str(channel_type), "consumerId": consumer_id,
                                "conversationContext": conv_context}
        if skill_id is not None:
            body["skillId"] = str(skill_id)
        resp = await self.request(rq.AGENT_REQUEST_CONVERSATION, body)
        conv_id = resp.body.get("conversationId") if isinstance(resp.body, dict) else None
        if not isinstance(conv_id, str):
            raise InvalidState("AgentRequestConversation answered no conversationId")
        if not self._subscriptions:
            await self.create_conversation_subscription({"conversationId": conv_id})
        return await self._await_conversation(conv_id, timeout_ms or self.options.ring_conversation_timeout,
                                              what="the requested conversation")

    async def _await_conversation(self, conversation_id: str, timeout_ms: int, what: str) -> Conversation:
        """Check the cache now and every 100 ms for ``timeout_ms`` (RING-04); a conversation
        notification describing it ends the wait at once."""
        polls = max(0, int(timeout_ms // (RING_POLL_INTERVAL * 1000)))
        for i in range(polls + 1):
            conv = self._conversations.get(conversation_id)
            if conv is not None and conv.synced:
                return conv
            if i < polls:
                await self._until_synced(conversation_id, RING_POLL_INTERVAL, self._sleep)
        raise RequestTimeout(f"conversation {conversation_id} of {what} did not arrive within {timeout_ms} ms")

    # -- conversations: history and combined handling ----------------------------------------
    async def _load_history(self, dialog: Any) -> None:
        """DLG-03 for brand users: ``QueryMessages`` from sequence 0; stored without 'message'
        events, deduplicated by sequence."""
        conv = dialog.conversation
        resp = await self.request(rq.QUERY_MESSAGES, {"dialogId": dialog.dialog_id, "fromSeq": 0,
                                                      "conversationId": conv.conversation_id})
        changes = _brand_changes(resp.body)
        for change in changes:
            if change["event"].get("type") in ("ContentEvent", "RichContentEvent"):
                dialog._add(Message(dialog, change, conv._originator(change)))
        seqs = [c["sequence"] for c in changes if isinstance(c.get("sequence"), int)]
        conv._deliver(dialog, dialog._mark_history(seqs))

    # -- reconnecting (MNT-01..04) ------------------------------------------------------------
    async def _reauthenticate(self, failure: Any) -> None:
        """4401 / 1011 / HTTP 401: a new bearer from the token maintainer (MNT-04, BAUTH-09);
        one another connection already regenerated is used as is."""
        from .connection import _GiveUp
        m = self._maintainer
        if m is None:
            raise _GiveUp(failure)
        current = m.session
        if current is None or self._session is None or current.bearer == self._session.bearer:
            try:
                await m.invalidate({"reason": "reconnect", "code": getattr(failure, "code", None)})
            except AuthError as exc:
                raise _GiveUp(exc) from None
        self._session = await m.get_session()

    async def _resume_dialogs(self) -> None:
        """Re-create routing / agent-state subscriptions, then catch up the open dialogs of
        the conversations this user takes part in (QueryMessages from the first unseen
        sequence; from 0 for a dialog none of whose messages was seen yet)."""
        for sub in list(self._brand_subscriptions.values()):
            if sub.state in (SubscriptionState.DISCONNECTED, SubscriptionState.SUBSCRIBED,
                             SubscriptionState.RESUBSCRIBING):
                await sub.resubscribe()
        me = {self._old_id, self.user_id} - {""}
        for conv in list(self._conversations.values()):
            if not conv.is_open or not any(p.id in me or p.old_id in me for p in conv.participants):
                continue
            for dialog in list(conv.dialogs.values()):
                if dialog.is_open:
                    try:
                        await self._catch_up(dialog)
                    except RequestFailed as exc:
                        self.report_error(exc)

    async def _catch_up(self, dialog: Any) -> None:
        conv = dialog.conversation
        resp = await self.request(rq.QUERY_MESSAGES, {"dialogId": dialog.dialog_id, "fromSeq": dialog.next_sequence,
                                                      "conversationId": conv.conversation_id})
        conv._receive(dialog.dialog_id, tuple(_brand_changes(resp.body)))

    def _announce_waits(self, conv: Conversation) -> bool:
        return bool(self.options.get_all_messages)

    async def _announce(self, conv: Conversation) -> None:
        if self.options.get_all_messages:       # OPT-15: history first, then 'conversation'
            try:
                await conv.get_all_publish_events()
            except LPError as exc:
                self.report_error(exc)
        await super()._announce(conv)

    def _announce_now(self, conv: Conversation) -> None:
        super()._announce_now(conv)
        self._offer_combined(conv)

    def _offer_combined(self, conv: Conversation) -> None:
        combined = self._combined
        if combined is None or not conv.is_open or not combined.claim(conv):
            return
        conv.once("close", lambda *_: combined.forget(conv))      # CCH-06
        self._spawn(combined.run(conv))

    def _ring_accepted(self, ring: Ring) -> None:
        if self._combined is not None:
            self._spawn(self._ring_to_combined(ring))

    async def _ring_to_combined(self, ring: Ring) -> None:
        try:
            conv = await ring.conversation()
        except RequestTimeout as exc:
            self.report_error(exc)
            return
        self._offer_combined(conv)

    # -- message statistics (STAT-*) ------------------------------------------------------------
    def _statistics(self, mine: bool) -> MessageStatistics:
        now = int(time.time() * 1000)
        counts = dict(active=0, pending=0, unassigned=0, overdue=0, soon_to_overdue=0)
        me = {self._old_id, self.user_id} - {""}
        for conv in list(self._conversations.values()):
            if not conv.is_open:
                continue
            assigned = conv.assigned_agent
            suggested = conv.suggested_agent
            mine_assigned = assigned is not None and bool(me & {assigned.id, assigned.old_id})
            mine_suggested = suggested is not None and bool(me & {suggested.id, suggested.old_id})
            if mine and not (mine_assigned or mine_suggested):
                continue
            if suggested is not None:
                counts["pending"] += 1
            elif assigned is None:
                counts["unassigned"] += 1
            else:
                counts["active"] += 1
            ttr = conv.details.get("ttr")
            ttr = ttr if isinstance(ttr, dict) else {}
            start, value = conv.details.get("startTs"), ttr.get("value")
            if isinstance(start, int) and isinstance(value, int) and value > 0:
                due = start + value * 1000
                if due <= now:
                    counts["overdue"] += 1
                elif due - now <= SOON_TO_OVERDUE_MS:
                    counts["soon_to_overdue"] += 1
        return MessageStatistics(**counts)

    async def get_message_statistics_for_user(self) -> MessageStatistics:
        """Counters of this user's open conversations (STAT-01, STAT-03).

        [INF] The wire request is undocumented (protocol.md §11), so lpweb counts the open
        conversations its subscriptions know: ``active`` (assigned to this user), ``pending``
        (a transfer to this user waiting for acceptance), ``unassigned`` (always 0 for a
        user), ``overdue`` / ``soonToOverdue`` (the TTR from ``startTs`` has passed / ends
        within 10 minutes). Raises :class:`~lpweb.errors.InvalidState` before ``open()``."""
        self._require_connected()
        return self._statistics(mine=True)

    async def get_message_statistics_for_brand(self) -> MessageStatistics:
        """The same counters over every open conversation the connection's subscriptions
        cover (STAT-02); ``unassigned`` counts conversations waiting in a queue. Raises
        :class:`~lpweb.errors.InvalidState` before ``open()``."""
        self._require_connected()
        return self._statistics(mine=False)

    def _require_connected(self) -> None:
        if self._protocol is None or self._protocol.closed:
            raise InvalidState(f"the connection is {self.state}; call open() first")


def _brand_changes(body: Any) -> list[dict[str, Any]]:
    """QueryMessages events in the form of live notifications (PIDs as ``originatorId``)."""
    out = []
    for raw in body if isinstance(body, list) else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("event"), dict):
            continue
        change = dict(raw)
        pid = change.get("originatorPId")
        if isinstance(pid, str) and pid:
            change.setdefault("originatorOldId", change.get("originatorId"))
            change["originatorId"] = pid
        out.append(change)
    return out
