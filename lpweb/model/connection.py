"""``Connection``: what consumer and brand connections to UMS share (CONN-*, CEVT-*).

Theory of operation. :meth:`Connection.open` discovers the domains (CSDS), lets the side
(:class:`~lpweb.model.consumer.ConsumerConnection` or
:class:`~lpweb.model.brand.BrandConnection`) get its credentials and open the websocket,
then creates the default subscription. From then on one reader task
feeds every received frame to the sans-I/O :class:`~lpweb.protocol.ProtocolConnection`
and dispatches what comes out: responses resolve the futures of :meth:`request`,
notifications update the cached :class:`Conversation` objects (one per id, whatever the
subscription) and become events. Request deadlines are the core's; the connection only
schedules a ``tick`` for the next one on the event loop.
"""

from __future__ import annotations

import asyncio
import random as _random
from types import MappingProxyType
from typing import Any, Awaitable, Callable, Mapping

from ..debug import FrameLogger, frames_enabled
from ..endpoints import Endpoints, discover
from ..enums import CLEAR_CONVERSATION_TIMEOUT, WAIT_FOR_READY_DURATION, AuthType, ConnectionState, SubscriptionState
from ..errors import (ConnectionLost, ConversationNotInCache, HandshakeFailed, InvalidState, LPError, ProtocolError,
                      RequestTimeout, UsageError)
from ..options import ConnectionOptions
from ..protocol import (ConversationChange, ConversationChanges, FrameRejected, MessagingEvents,
                        NotificationReceived, ProtocolConnection, ProtocolNotification, RequestCompleted,
                        RequestErrored, Response, counter_ids)
from ..protocol import requests as rq
from ..protocol.policy import Action, ReconnectPolicy, classify, is_rate_limited
from ..proxy import proxied_default_transport
from ..transports.base import HttpResponse, Transport, TransportClosed, WebSocket
from .conversation import Conversation
from .typed_events import ConnectionEvents
from .subscription import ConversationSubscription

__all__ = ["Connection"]

#: Methods that exist on one side only, so the other side can say so clearly (CONN-19).
_ONE_SIDED = {name: "consumer" for name in ("create_conversation", "set_user_profile", "step_up")}
_ONE_SIDED.update({name: "brand" for name in (
    "set_agent_state", "create_routing_task_subscription", "get_message_statistics_for_user",
    "get_message_statistics_for_brand", "create_agent_state_subscription", "request_conversation")})

KEEPALIVE_INTERVAL = 30.0           # GetClock every 30 s (protocol.md §4.5)
ORDERING_DELAY = 1.0                # hold unknown-conversation events 1 s (ORD-02)
DEFAULT_QUERIES = {False: {"stage": ["OPEN", "CLOSE"]}, True: {"stage": ["OPEN"]}}  # SUB-02
GAP_WAIT = 0.25                     # hold an out-of-order message this long before a catch-up query
GAP_ATTEMPTS = 10                   # catch-ups of one gap while reconnects keep interrupting them


class _GiveUp(Exception):
    """Reconnecting cannot succeed (FATAL, or REAUTH without a way to regenerate)."""


class Connection(ConnectionEvents):
    """A connection to the Messaging Platform. Create it with :func:`lpweb.create_connection`."""

    def __init__(self, options: ConnectionOptions, *, clock: Callable[[], float] | None = None,
                 id_factory: Callable[[], str] | None = None, sleep: Callable[[float], Any] | None = None,
                 rand: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.options = options
        self.state = ConnectionState.INITIAL
        self.user_id = ""
        self.auth_type = AuthType.NONE
        self.default_subscription: ConversationSubscription | None = None
        self._conversations: dict[str, Conversation] = {}
        self._subscriptions: dict[str, ConversationSubscription] = {}
        self._transport: Transport | None = options.transport
        self._endpoints: Endpoints | None = None
        self._ws: WebSocket | None = None
        self._protocol: ProtocolConnection | None = None
        self._futures: dict[str, asyncio.Future[Response]] = {}
        # dialog id -> resolved by the first messaging notification of that dialog (history)
        self._history_waiters: dict[str, asyncio.Future[None]] = {}
        # Initial dumps that arrived before their subscribe() call resumed (same read batch).
        self._unclaimed_dumps: set[str] = set()
        self._loading: set[asyncio.Task[Any]] = set()
        self._announcing: set[str] = set()  # conversation ids whose 'conversation' event is on its way
        self._to_announce: list[Conversation] = []      # for the next pass of the event loop (_follow)
        self._announce_handle: asyncio.Handle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._tick_handle: asyncio.TimerHandle | None = None
        self._tick_at = 0.0     # the deadline _tick_handle was scheduled for
        self._clock = clock
        self._ids = id_factory or counter_ids()
        # Reconnect (MNT-01..03): ``sleep`` drives backoff and ordering waits (tests inject
        # one), ``rand`` the jitter; ``_back`` resolves when a reconnect ends (queued requests).
        self._sleep = sleep or asyncio.sleep
        self._rand = rand or _random.Random().random
        self._policy: ReconnectPolicy = options.reconnect_policy or ReconnectPolicy()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._back: asyncio.Future[None] | None = None
        self._gap_tasks: dict[str, asyncio.Task[None]] = {}
        # ORD-02..04: messaging notifications for a dialog whose conversation is not known
        # yet, by dialog id in arrival order; released as soon as the conversation arrives.
        self._orphans: dict[str, list[MessagingEvents]] = {}
        # MNT-05: conversation ids the re-created subscriptions reported during a reconnect
        self._resync_seen: set[str] | None = None
        self._caller_woken = False      # a read-your-writes call was woken: resume it before the next frame
        self._sockets_opened = 0        # websockets opened so far (a gap catch-up spans one)
        self._catchup_waiters: dict[str, tuple[asyncio.Future[None], int | None]] = {}
        self._sync_waiters: dict[str, list[asyncio.Future[None]]] = {}  # conversation id -> _until_synced calls
        #: The one bound ``_skill_off_hours`` every conversation's Skill shares (not one each).
        self._off_hours: Callable[[str], bool | None] = self._skill_off_hours

    # -- public properties -----------------------------------------------------------------
    @property
    def conversations(self) -> Mapping[str, Conversation]:
        """Known conversations by id (CONN-17), read-only."""
        return MappingProxyType(self._conversations)

    @property
    def is_brand(self) -> bool:
        return self.options.is_brand

    @property
    def agent_old_id(self) -> str:
        """The brand user's ``{accountId}.{userId}`` id (brand connections only)."""
        return ""

    def __repr__(self) -> str:
        return (f"Connection(account_id={self.options.account_id!r}, user_type={self.options.user_type!s}, "
                f"state={self.state!s}, conversations={len(self._conversations)})")

    # -- what each side supplies (ConsumerConnection, BrandConnection) --------------------------
    async def _authenticate_and_connect(self) -> None:
        """Get credentials and open the websocket (``self._connect_socket()``)."""
        raise NotImplementedError

    def _socket_address(self) -> tuple[str, dict[str, str]]:
        """The websocket URL and handshake headers."""
        raise NotImplementedError

    async def _after_socket_open(self) -> None:
        """Runs once the websocket is open, before the connection counts as connected."""

    def _after_open(self) -> None:
        """Starts side-specific background work once connected."""

    async def _before_close(self) -> None:
        """Runs at the start of an intentional close(), while the socket is still up."""

    def _follow(self, conv: Conversation) -> None:
        """A conversation became known or changed: load what the side needs, announce it once.

        The announcement waits for the next pass of the event loop (the rest of the frames
        already read are handled first, as a task per conversation did); one callback then
        announces every conversation queued meanwhile, in arrival order: 10,000
        conversations in a burst cost no 10,000 tasks (bench/brand_ingest.py)."""
        if not conv.announced and conv.conversation_id not in self._announcing:
            self._announcing.add(conv.conversation_id)
            if not self._to_announce:
                self._announce_handle = asyncio.get_running_loop().call_soon(self._announce_queued)
            self._to_announce.append(conv)

    def _announce_queued(self) -> None:
        queue, self._to_announce, self._announce_handle = self._to_announce, [], None
        for conv in queue:
            try:
                if self._announce_waits(conv):
                    self._spawn(self._announce(conv))
                else:
                    self._announce_now(conv)
            except Exception as exc:  # as a failed announce task did: reported, the others go on
                self.report_error(exc)

    def _announce_waits(self, conv: Conversation) -> bool:
        """True when the side must await something before announcing (:meth:`_announce`)."""
        return False

    async def _announce(self, conv: Conversation) -> None:
        self._announce_now(conv)

    def _announce_now(self, conv: Conversation) -> None:
        self._emit_conversation(conv)

    def _emit_conversation(self, conv: Conversation) -> None:
        """Emit ``'conversation'`` once per conversation (CEVT-02)."""
        self._announcing.discard(conv.conversation_id)
        if not conv.announced:
            conv.announced = True
            self.emit("conversation", conv)

    async def get_token(self) -> str | None:
        """The consumer JWT, or the brand bearer (CONN-11)."""
        raise NotImplementedError

    def _on_other_notification(self, note: ProtocolNotification) -> None:
        """A notification that is not about conversations or messages (routing, agent states)."""

    def _on_disconnected(self) -> None:
        """The socket dropped: subscriptions wait to be re-created (MNT-03, by reconnect)."""
        for sub in list(self._subscriptions.values()):
            sub._disconnected()

    async def _load_history(self, dialog: Any) -> None:
        """DLG-03: the side's way of loading a dialog's history (consumer: its subscription)."""
        waiter = self._history_waiters.get(dialog.dialog_id)
        if waiter is not None:
            await asyncio.wait({waiter}, timeout=self.options.response_timeout / 1000)

    def _skill_off_hours(self, skill_id: str) -> bool | None:
        """Off-hours of a skill, where the side knows it (brand: the skills list), else None."""
        return None

    def __getattr__(self, name: str) -> Any:
        side = _ONE_SIDED.get(name)
        if side is not None:
            raise UsageError(f"{name}() is for {side} connections (CONN-19)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- opening and closing -----------------------------------------------------------------
    async def open(self) -> None:
        """Authenticate, connect and create the default subscription (CONN-02).

        Raises :class:`~lpweb.errors.AuthError` when credentials are refused,
        :class:`~lpweb.errors.TransportError` when a service cannot be reached and
        :class:`~lpweb.errors.InvalidState` when the connection is already open.
        """
        if self.state in (ConnectionState.CONNECTING, ConnectionState.CONNECTED, ConnectionState.CLOSING):
            raise InvalidState(f"open() called on a connection that is {self.state}")
        self.state = ConnectionState.CONNECTING
        try:
            if self._transport is None:
                self._transport = proxied_default_transport()
            self._endpoints = await discover(self._transport, self.options.csds_domain, self.options.account_id)
            await self._authenticate_and_connect()
        except BaseException:
            self.state = ConnectionState.FAILED_TO_CONNECT
            await self._teardown(1011, "failed to connect")
            raise
        self.state = ConnectionState.CONNECTED
        self.emit("open")
        self._spawn(self._keepalive_loop())
        self._after_open()
        if self.options.create_default_subscription:
            query = self.options.default_subscription_query or DEFAULT_QUERIES[self.is_brand]
            self.default_subscription = await self.create_conversation_subscription(
                query, wait_for_ready=self.options.wait_for_ready)
        self.emit("ready")

    async def close(self) -> None:
        """Close on purpose (CONN-03): no reconnect, timers stop, pending requests fail."""
        if self.state in (ConnectionState.CLOSED, ConnectionState.INITIAL):
            self.state = ConnectionState.CLOSED
            return
        self.state = ConnectionState.CLOSING
        await self._before_close()
        await self._teardown(1000, "closed by the client")
        self._end_reconnect(ConnectionLost(1000, "closed by the client"))
        self.state = ConnectionState.CLOSED
        self.emit("close", {"code": 1000, "reason": "closed by the client"})

    async def _teardown(self, code: int, reason: str) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._announce_handle is not None:   # queued announcements die with the tasks
            self._announce_handle.cancel()
            self._announce_handle, self._to_announce = None, []
        if self._ws is not None:
            try:
                await self._ws.close(code, reason)
            except LPError:
                pass
        if self._reader is not None and self._reader is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._reader.cancel()
        if self._protocol is not None and not self._protocol.closed:
            self._protocol.connection_lost(code, reason)
            self._process()
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        self._ws = None
        self.cancel_handlers()
        for conv in self._conversations.values():
            conv.cancel_handlers()
        if self._transport is not None and self.options.transport is None:
            await self._transport.aclose()
            self._transport = None

    # -- the websocket -----------------------------------------------------------------------
    async def _connect_socket(self) -> None:
        assert self._transport is not None
        url, headers = self._socket_address()
        ws = await self._transport.connect_websocket(url, headers)
        if frames_enabled(self.options):
            ws = FrameLogger(ws, url, headers)
        self._ws = ws
        self._sockets_opened += 1
        self._protocol = ProtocolConnection(self._ids, default_timeout=self.options.response_timeout / 1000)
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(ws, self._protocol))
        await self._after_socket_open()

    async def _teardown_socket(self) -> None:
        """Close the websocket on purpose (to reconnect); pending requests fail with ConnectionLost."""
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                await ws.close(1000, "")
            except LPError:
                pass
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _restore_subscriptions(self) -> None:
        """Re-create every subscription on a new socket (subscriptions are per socket, §4.6);
        their initial dumps then refresh the cached conversations."""
        previous = list(self._subscriptions.values())
        self._subscriptions.clear()
        done = 0
        try:
            for sub in previous:
                sub.state = SubscriptionState.RESUBSCRIBING
                sub.ready = asyncio.get_running_loop().create_future()   # the new initial dump
                await sub._subscribe()
                done += 1
                self._subscriptions[sub.subscription_id or ""] = sub
                if sub.subscription_id in self._unclaimed_dumps:
                    self._unclaimed_dumps.discard(sub.subscription_id)
                    sub._initial_dump_received()
        finally:
            for sub in previous[done:]:     # kept for the next attempt (SUB-19/20)
                sub.state = SubscriptionState.DISCONNECTED
                self._subscriptions[sub.subscription_id or ""] = sub

    async def _read_loop(self, ws: WebSocket, protocol: ProtocolConnection) -> None:
        try:
            while True:
                text = await ws.receive()
                protocol.receive_text(text)
                self._process(protocol)
                if self._caller_woken:
                    # A call waiting for this frame's conversation notification (join() seeing
                    # its change, create_conversation() its conversation) resumes before the next
                    # frame is handled, as a promise continuation does between websocket messages
                    # in JS: a listener added right after ``await conv.join()`` misses nothing.
                    self._caller_woken = False
                    await asyncio.sleep(0)
        except TransportClosed as exc:
            closed: TransportClosed = exc
        except LPError as exc:
            closed = TransportClosed(1006, str(exc))
        protocol.connection_lost(closed.code, closed.reason)
        self._process(protocol)
        if self._ws is ws and self.state == ConnectionState.CONNECTED:
            self.state = ConnectionState.DISCONNECTED
            self._on_disconnected()
            if self.options.auto_reconnect:
                self._start_reconnect(closed.code, closed.reason)
            else:
                self.report_error(ConnectionLost(closed.code, closed.reason))
                self.emit("close", {"code": closed.code, "reason": closed.reason})

    # -- reconnecting (MNT-01..05, design.md L3) -------------------------------------------
    def _start_reconnect(self, code: int | None, reason: str) -> None:
        if self._reconnect_task is not None and not self._reconnect_task.done():
            return
        if self._back is None or self._back.done():
            self._back = asyncio.get_running_loop().create_future()
        self._reconnect_task = self._spawn(self._reconnect(code, reason))

    def _end_reconnect(self, error: BaseException | None = None) -> None:
        """Wake the requests queued while disconnected: to run (None) or to fail."""
        back, self._back = self._back, None
        if back is not None and not back.done():
            if error is None:
                back.set_result(None)
            else:
                back.set_exception(error)
                back.exception()  # retrieved: nobody may be waiting

    async def _reconnect(self, code: int | None, reason: str) -> None:
        """Wait (backoff with jitter), regenerate credentials when the close asked for it,
        reconnect, re-create every subscription, catch every dialog up, run the queue."""
        failure: Any = ConnectionLost(code, reason) if code is not None else ConnectionLost(None, reason)
        action = classify(code if code is not None else failure)
        attempt = 0
        refused = 0         # handshakes failed in a row for a reason the transport cannot see
        while self.state in (ConnectionState.DISCONNECTED, ConnectionState.CONNECTING):
            attempt += 1
            if action is Action.FATAL or (self._policy.max_attempts is not None
                                          and attempt > self._policy.max_attempts):
                self._give_up(failure)
                return
            delay = self._policy.delay(attempt, self._rand, rate_limited=is_rate_limited(failure))
            self.state = ConnectionState.DISCONNECTED
            self.emit("reconnecting", {"attempt": attempt, "delay": delay, "code": _code(failure),
                                       "reauth": action is Action.REAUTH})
            await self._sleep(delay)
            if self.state != ConnectionState.DISCONNECTED:
                return      # close() meanwhile
            self.state = ConnectionState.CONNECTING
            try:
                if action is Action.REAUTH:
                    await self._reauthenticate(failure)
                await self._connect_socket()
                self._resync_seen = set()
                self.emit("resuming", {"attempt": attempt})   # socket back; catching up before "reconnected"
                await self._restore_subscriptions()
                await self._drop_outdated()
                await self._resume_dialogs()
                for conv in list(self._conversations.values()):
                    for dialog in list(conv.dialogs.values()):
                        if dialog._held:
                            self._gap_detected(dialog)
                if self._protocol is None or self._protocol.closed:
                    raise ConnectionLost(1006, "the connection dropped while resuming")
            except _GiveUp as exc:
                self._give_up(exc.args[0] if exc.args else failure)
                return
            except LPError as exc:
                failure = exc
                action = classify(exc, handshake=True)
                # A browser sees a refused upgrade (HTTP 401: stale credentials) only as 1006:
                # retry once as is, then regenerate the credentials (natively a 401 is REAUTH at once).
                refused = refused + 1 if isinstance(exc, HandshakeFailed) else 0
                if refused >= 2 and action is Action.RETRY:
                    action = Action.REAUTH
                self._on_disconnected()
                await self._teardown_socket()
                continue
            except Exception as exc:   # a bug: stop rather than spin; queued requests fail
                await self._teardown_socket()
                self._give_up(exc)
                return
            self.state = ConnectionState.CONNECTED
            self._end_reconnect()
            self.emit("reconnected", {"attempt": attempt, "resumed": True})
            return

    def _give_up(self, failure: Any) -> None:
        error = failure if isinstance(failure, BaseException) else ConnectionLost(None, str(failure))
        self.state = ConnectionState.DISCONNECTED
        self._end_reconnect(error if isinstance(error, LPError) else ConnectionLost(None, str(error)))
        self.report_error(error)
        code = _code(error)
        self.emit("close", {"code": code, "reason": str(error)})

    async def _drop_outdated(self) -> None:
        """MNT-05: once the re-created subscriptions delivered their initial dumps, an open
        cached conversation that none of them reported is looked up by id; closed (or gone)
        meanwhile, it is outdated. With
        ``unsubscribe_from_outdated_conversations_on_reconnect`` (default) it leaves
        :attr:`conversations` and is not caught up; with ``False`` it is kept and caught up."""
        subs = [s for s in self._subscriptions.values() if s.state == SubscriptionState.SUBSCRIBED]
        try:
            if not subs or not self.options.unsubscribe_from_outdated_conversations_on_reconnect:
                return
            try:
                await asyncio.wait_for(asyncio.gather(*(asyncio.shield(s.ready) for s in subs)),
                                       self.options.response_timeout / 1000)
            except asyncio.TimeoutError:
                return              # a dump is missing: nothing can be called outdated
            seen = self._resync_seen or set()
            for conv in [c for c in self._conversations.values() if c.is_open and c.conversation_id not in seen]:
                # Looked up by id first: a live change that overtook a dump must not drop
                # a conversation that is still open.
                try:
                    if not await self._fetch_conversation(conv.conversation_id):
                        continue        # no answer: cannot tell, kept
                except LPError:
                    continue
                if not conv.is_open or conv.conversation_id not in seen:
                    self._drop_conversation(conv)
        finally:
            self._resync_seen = None

    def _drop_conversation(self, conv: Conversation) -> None:
        """Forget an outdated conversation (MNT-05)."""
        if self._conversations.get(conv.conversation_id) is conv:
            del self._conversations[conv.conversation_id]

    async def _reauthenticate(self, failure: Any) -> None:
        """REAUTH (4401 / 4407 / 1011 / HTTP 401): regenerate the side's credentials; raise
        ``_GiveUp(error)`` when that is impossible."""

    async def _resume_dialogs(self) -> None:
        """Catch up every followed dialog from the last sequence seen (gap-free delivery)."""

    # -- gap-free, in-order delivery per dialog ------------------------------------------------
    def _gap_detected(self, dialog: Any) -> None:
        task = self._gap_tasks.get(dialog.dialog_id)
        if task is None or task.done():
            self._gap_tasks[dialog.dialog_id] = self._spawn(self._fill_gap(dialog))

    async def _fill_gap(self, dialog: Any) -> None:
        """A message arrived ahead of a missing sequence: once the frames already read are
        handled, ask for the missing ones (``_catch_up``), then release what is still held,
        in order (the missing sequences are not for us, e.g. private messages)."""
        await asyncio.sleep(0)
        for _ in range(GAP_ATTEMPTS):
            if not dialog._held:
                return
            socket, answered = self._sockets_opened, False
            if self.state == ConnectionState.CONNECTED:
                try:
                    answered = await self._catch_up(dialog) is not False
                except LPError:
                    pass
            if self._back is not None or (self.options.auto_reconnect and self.state != ConnectionState.CONNECTED):
                return      # a reconnect is under way: its resume catches the dialog up, then looks again
            if answered and self._sockets_opened == socket:
                break       # answered on this very socket: the missing sequences are not coming
            # No answer in time, or a reconnect came and went meanwhile: ask again.
        if dialog._held:
            dialog.conversation._deliver(dialog, dialog._release_gap())

    async def _catch_up(self, dialog: Any) -> bool | None:
        """Ask the server for the dialog's events from the first missing sequence; False if
        their answer did not arrive in time."""
        return None

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    # -- requests ----------------------------------------------------------------------------
    async def request(self, name: rq.RequestName | str, body: Any = None, *,
                      headers: list[dict[str, Any]] | None = None,
                      metadata: list[dict[str, Any]] | None = None,
                      timeout_ms: int | None = None) -> Response:
        """Send one request and return its response (code < 400).

        Raises :class:`~lpweb.errors.RequestFailed` (code >= 400),
        :class:`~lpweb.errors.RequestTimeout`, :class:`~lpweb.errors.ConnectionLost`, or
        :class:`~lpweb.errors.InvalidState` when the connection is not open.
        """
        if self._back is not None and asyncio.current_task() is not self._reconnect_task:
            # MNT-02: disconnected, reconnecting: wait in FIFO order within this request's timeout.
            budget = (timeout_ms if timeout_ms is not None else self.options.response_timeout) / 1000
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                await asyncio.wait_for(asyncio.shield(self._back), budget)
            except asyncio.TimeoutError:
                raise RequestTimeout(f"no connection for {name!s} within {budget:g} s (reconnecting)") from None
            left = max(1, int((budget - (loop.time() - started)) * 1000))
            return await self.request(name, body, headers=headers, metadata=metadata, timeout_ms=left)
        protocol, ws = self._protocol, self._ws
        if protocol is None or ws is None or protocol.closed:
            raise InvalidState(f"the connection is {self.state}; call open() first")
        wire_type = name if isinstance(name, str) else (name.brand if self.is_brand else name.consumer)
        timeout = None if timeout_ms is None else timeout_ms / 1000
        req_id = protocol.send_request(wire_type, body, now=self._now(), headers=headers, metadata=metadata,
                                       **({} if timeout_ms is None else {"timeout": timeout}))
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._futures[req_id] = future
        try:
            for text in protocol.data_to_send():
                await ws.send(text)
        except TransportClosed:
            pass  # the reader sees the close and fails the request with ConnectionLost
        deadline, handle = protocol.deadline_of(req_id), self._tick_handle
        if deadline is not None and (handle is None or handle.cancelled() or deadline < self._tick_at):
            self._schedule_tick()   # else the tick already due looks again when it runs
        try:
            return await future
        finally:
            self._futures.pop(req_id, None)

    async def send(self, request: Mapping[str, Any]) -> Response:
        """Send an arbitrary request ``{"type": ..., "body": ...}`` (CONN-10)."""
        if not isinstance(request, Mapping) or not isinstance(request.get("type"), str):
            raise UsageError("send() takes a dict with at least a 'type' string")
        return await self.request(request["type"], request.get("body"), headers=request.get("headers"),
                                  metadata=request.get("metadata"))

    async def _http(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                    body: bytes | None = None, on_upload: Any = None, on_download: Any = None) -> HttpResponse:
        """An HTTP call on this connection's transport (file storage, REST helpers)."""
        if self._transport is None or self._endpoints is None:
            raise InvalidState(f"the connection is {self.state}; call open() first")
        return await self._transport.http(method, url, headers=headers, body=body,
                                          timeout=self.options.response_timeout / 1000 * 3,
                                          on_upload=on_upload, on_download=on_download)

    def _schedule_tick(self) -> None:
        protocol = self._protocol
        deadline = protocol.next_deadline() if protocol is not None else None
        handle = self._tick_handle
        if handle is not None and not handle.cancelled():
            if deadline is not None and self._tick_at <= deadline:
                return      # a tick is due no later; it schedules the next one when it runs
            handle.cancel()
        self._tick_handle = None
        if deadline is None:
            return
        self._tick_at = deadline
        self._tick_handle = asyncio.get_running_loop().call_later(max(0.0, deadline - self._now()), self._on_tick)

    def _on_tick(self) -> None:
        self._tick_handle = None
        if self._protocol is not None:
            self._protocol.tick(self._now())
            self._process(self._protocol)
            self._schedule_tick()

    def _process(self, protocol: ProtocolConnection | None = None) -> bool:
        """Handle what the protocol core produced; True if a waiting request was resolved."""
        protocol = protocol or self._protocol
        if protocol is None:
            return False
        resolved = False
        for event in protocol.events_received():
            try:
                resolved = self._handle_event(event) or resolved
            except Exception as exc:  # a bug or an unexpected body must not stop the reader
                self.report_error(ProtocolError(f"could not handle {type(event).__name__}: {exc!r}"))
        return resolved

    def _handle_event(self, event: Any) -> bool:
        if isinstance(event, (RequestCompleted, RequestErrored)):
            fut = self._futures.get(event.req_id)
            if fut is None or fut.done():
                return False  # the caller gave up (cancelled) before the answer came
            if isinstance(event, RequestCompleted):
                fut.set_result(event.response)
            else:
                fut.set_exception(event.error)
            return True
        if isinstance(event, NotificationReceived):
            self._dispatch(event.notification)
        elif isinstance(event, FrameRejected):
            self.report_error(event.error)
        return False

    # -- notifications -----------------------------------------------------------------------
    def _dispatch(self, note: ProtocolNotification) -> None:
        self.emit("notification", note.raw)
        if isinstance(note, ConversationChanges):
            if self._resync_seen is not None:
                self._resync_seen.update(c.conversation_id for c in note.changes)
            sub = self._subscriptions.get(note.subscription_id)
            if sub is not None:
                sub.emit("notification", note.raw)
            for change in note.changes:
                self._apply_change(change)
            if sub is not None:
                sub._initial_dump_received()
            else:
                self._unclaimed_dumps.add(note.subscription_id)
        elif isinstance(note, MessagingEvents):
            self._deliver_messages(note)
        else:
            self._on_other_notification(note)

    def _apply_change(self, change: ConversationChange) -> None:
        conv = self._conversations.get(change.conversation_id)
        if change.type == "DELETE":
            if conv is not None:
                if change.details:
                    conv._apply(change.details, initial=not conv.synced)
                conv._mark_deleted()
                asyncio.get_running_loop().call_later(CLEAR_CONVERSATION_TIMEOUT / 1000, self._forget, conv)
            return
        if conv is None:
            conv = self._conversations[change.conversation_id] = Conversation(self, change.conversation_id)
        conv._apply(change.details, initial=not conv.synced)
        conv.synced = True
        self._follow(conv)
        for waiter in self._sync_waiters.pop(change.conversation_id, ()):
            if not waiter.done():
                waiter.set_result(None)
                self._caller_woken = True
        if self._orphans:
            self._release_orphans()

    async def _until_synced(self, conversation_id: str, timeout_s: float,
                            sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Conversation | None:
        """The conversation once a conversation notification has described it (read-your-writes
        for calls that create one), else None after ``sleep(timeout_s)``."""
        conv = self._conversations.get(conversation_id)
        if conv is not None and conv.synced:
            return conv
        synced: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._sync_waiters.setdefault(conversation_id, [])
        waiters.append(synced)

        async def expire() -> None:
            await sleep(timeout_s)
            if not synced.done():
                synced.set_result(None)

        timer = asyncio.ensure_future(expire())
        try:
            await synced    # awaited directly: the reader's yield after the frame resumes this call
        finally:
            timer.cancel()
            if synced in waiters:
                waiters.remove(synced)
                if not waiters:
                    self._sync_waiters.pop(conversation_id, None)
        conv = self._conversations.get(conversation_id)
        return conv if conv is not None and conv.synced else None

    def _forget(self, conv: Conversation) -> None:
        if not conv.is_open and self._conversations.get(conv.conversation_id) is conv:
            del self._conversations[conv.conversation_id]

    def _conversation_of_dialog(self, dialog_id: str) -> Conversation | None:
        conv = self._conversations.get(dialog_id)
        if conv is not None:
            return conv
        return next((c for c in self._conversations.values() if dialog_id in c.dialogs), None)

    def _conversation_for(self, note: MessagingEvents) -> Conversation | None:
        conv = self._conversation_of_dialog(note.dialog_id)
        if conv is None:
            conv_id = _conversation_id_of(note)
            conv = self._conversations.get(conv_id) if conv_id else None
        return conv

    def _deliver_messages(self, note: MessagingEvents) -> None:
        conv = self._conversation_for(note)
        if conv is None or note.dialog_id in self._orphans:
            # ORD-02: the conversation notification may still be on its way: hold (in order)
            held = self._orphans.setdefault(note.dialog_id, [])
            held.append(note)
            if len(held) == 1:
                self._spawn(self._adopt_orphans(note.dialog_id))
            return
        self._deliver_to(conv, note)

    def _release_orphans(self) -> None:
        """A conversation arrived: deliver what was held for its dialogs, in arrival order."""
        for dialog_id in list(self._orphans):
            conv = self._conversation_for(self._orphans[dialog_id][0])
            if conv is not None:
                for note in self._orphans.pop(dialog_id):
                    self._deliver_to(conv, note)

    async def _adopt_orphans(self, dialog_id: str) -> None:
        """ORD-02..04: wait 1 s for the conversation; then fetch it (ORD-03); then deliver
        what was held, or report each held notification as ``ConversationNotInCache``
        carrying the raw event (ORD-04)."""
        await self._sleep(ORDERING_DELAY)
        if dialog_id not in self._orphans:
            return                  # the conversation arrived meanwhile
        conv_id = _conversation_id_of(self._orphans[dialog_id][0]) or dialog_id
        try:
            await self._fetch_conversation(conv_id)
        except LPError:
            pass                    # reported below as not in cache
        notes = self._orphans.pop(dialog_id, [])
        conv = self._conversation_for(notes[0]) if notes else None
        for note in notes:
            if conv is not None:
                self._deliver_to(conv, note)
            else:
                self.report_error(ConversationNotInCache(conv_id, note.raw))

    async def _fetch_conversation(self, conversation_id: str) -> bool:
        """ORD-03: one look-up of a conversation by id: a subscription to it alone, its
        initial dump (which updates the cache), then unsubscribe. False if no dump came."""
        sub = await self.create_conversation_subscription(
            {"conversationId": conversation_id, "stage": ["OPEN", "CLOSE"]})
        try:
            await asyncio.wait_for(asyncio.shield(sub.ready), self.options.response_timeout / 1000)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            try:
                await sub.unsubscribe()
            except LPError:
                self._subscriptions.pop(sub.subscription_id or "", None)

    def _deliver_to(self, conv: Conversation, note: MessagingEvents) -> None:
        conv._receive(note.dialog_id, note.changes)
        caught_up = self._catchup_waiters.get(note.dialog_id)
        if caught_up is not None and not caught_up[0].done() and (
                not caught_up[1] or any(c.get("sequence") == caught_up[1] for c in note.changes)):
            caught_up[0].set_result(None)   # the catch-up batch (it holds the first held one)
        waiter = self._history_waiters.get(note.dialog_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- subscriptions -----------------------------------------------------------------------
    async def create_conversation_subscription(self, query: dict[str, Any],
                                               wait_for_ready: bool = False) -> ConversationSubscription:
        """Subscribe to conversation changes matching ``query`` (CONN-09, SUB-07)."""
        if not isinstance(query, dict):
            raise UsageError("the subscription query must be a dict such as {'stage': ['OPEN']}")
        if "skillId" in query:
            raise UsageError("skillId is not supported in subscription queries (SUB-18)")
        sub = ConversationSubscription(self, query)
        await sub._subscribe()
        self._subscriptions[sub.subscription_id or ""] = sub
        if sub.subscription_id in self._unclaimed_dumps:
            self._unclaimed_dumps.discard(sub.subscription_id)
            sub._initial_dump_received()
        if wait_for_ready:
            try:
                await asyncio.wait_for(self._until_loaded(sub), WAIT_FOR_READY_DURATION / 1000)
            except asyncio.TimeoutError:
                self.report_error(ProtocolError("conversations not loaded within WAIT_FOR_READY_DURATION"))
        return sub

    async def _until_loaded(self, sub: ConversationSubscription) -> None:
        await asyncio.shield(sub.ready)
        while pending := [t for t in self._loading if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def close_conversation(self, conversation_id: str) -> None:
        """Close a whole conversation by id (CONN-06); no post-conversation survey."""
        await self.request(rq.UPDATE_CONVERSATION_FIELD, {
            "conversationId": conversation_id, "conversationField": [rq.close_conversation_field()]})

    # -- background work -------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self.report_error(exc)

    async def _keepalive_loop(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_INTERVAL)
            try:
                await self.request(rq.GET_CLOCK)
            except (InvalidState, ConnectionLost, RequestTimeout) as exc:
                if self.state in (ConnectionState.CLOSING, ConnectionState.CLOSED) or (
                        isinstance(exc, InvalidState) and self._back is None):
                    return
            except LPError as exc:
                self.report_error(exc)


def _conversation_id_of(note: MessagingEvents) -> str | None:
    """The conversation id a messaging notification names, if any (brand changes carry one)."""
    conv_id = next((c.get("conversationId") for c in note.changes if isinstance(c, dict)
                    and c.get("conversationId")), None)
    return conv_id if isinstance(conv_id, str) else None


def _code(failure: Any) -> int | None:
    for attr in ("code", "status"):
        value = getattr(failure, attr, None)
        if isinstance(value, int):
            return value
    return None
