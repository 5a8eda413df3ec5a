"""The emulator's in-memory platform model (protocol.md §5, §8).

Accounts hold skills, brand users and conversations. A conversation has participants
(``Participant``: PID, old-style id, role, state) and dialogs (``Dialog``, MAIN dialog id ==
conversation id) whose stored events (``EventRecord``) carry per-dialog sequence numbers
starting at 0 (ContentEvent and AcceptStatusEvent only; chat states are not stored).

:class:`Platform` applies every change and queues change notices; ``flush()`` hands them
to the registered listeners (the websocket sessions of :mod:`.engine`), so a session can
send its response first and the notifications after it. Nothing here does I/O.

Listeners are indexed by who they are (:func:`listen_keys`): a brand session under its
account, its user's PID and its user's old id; a consumer session under (account, consumer
id). Each notice goes only to the listeners that can receive it (a message event: the
conversation's consumer and its brand participants; a conversation change: its consumer and
the account's brand sessions; a ring: the rung agent), so the cost of one event does not grow
with the number of open connections. Conversations are likewise indexed by consumer and by
dialog id (``Account.by_consumer``, ``Account.by_dialog``).
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from .config import DEFAULT_RING_EXPIRATION_MS, EmulatorConfig, UserConfig
from .timeutil import AsyncioScheduler, Scheduler, Timer, wall_clock_ms
from .tokens import Tokens

__all__ = ["BrandUser", "Participant", "EventRecord", "Dialog", "Conversation", "Account", "Skill",
           "Platform", "PlatformHost", "Listener", "AGENT_ROLES", "PARTICIPANT_ROLES", "PlatformError", "JOIN_ROLES",
           "listen_keys", "ListenKey"]

PARTICIPANT_ROLES = ("CONSUMER", "ASSIGNED_AGENT", "AGENT", "MANAGER", "READER", "BRAND_BOT", "CONTROLLER")
AGENT_ROLES = tuple(r for r in PARTICIPANT_ROLES if r != "CONSUMER")
DEFAULT_SKILL = "-1"
STORED_EVENTS = {"ContentEvent", "AcceptStatusEvent", "RichContentEvent"}
# [INF] the participant roles each brand-user permission may join a conversation as.
JOIN_ROLES = {
    "AGENT": frozenset({"ASSIGNED_AGENT", "AGENT", "READER"}),
    "MANAGER": frozenset(AGENT_ROLES),
    "BOT": frozenset({"ASSIGNED_AGENT", "AGENT", "READER", "CONTROLLER", "BRAND_BOT"}),
}


class PlatformError(Exception):
    """A rejected operation; ``code`` is the websocket response code (400/403/404)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class BrandUser:
    account_id: str
    name: str
    password: str | None               # None: no password login (app keys / OAuth2 only)
    user_id: str                       # numeric, as a string (agentVep config.userId)
    pid: str = field(default_factory=lambda: str(uuid.uuid4()))   # config.userPid
    permissions: tuple[str, ...] = ("MANAGER",)
    skills: frozenset[str] | None = None                          # None: every skill
    app_keys: list[dict[str, str]] = field(default_factory=list)

    @property
    def old_id(self) -> str:
        """The "old" agent id ``{account}.{userId}`` used in brand bodies (protocol.md §8)."""
        return f"{self.account_id}.{self.user_id}"

    def has_skill(self, skill_id: str) -> bool:
        return self.skills is None or skill_id in self.skills

    def can_join(self, role: str, skill_id: str) -> bool:
        """Whether a permission of this user lets it join a conversation in ``skill_id`` as ``role``."""
        return self.has_skill(skill_id) and any(role in JOIN_ROLES.get(p, ()) for p in self.permissions)


@dataclass
class Skill:
    id: str
    name: str
    off_hours: bool = False
    schedule: dict[str, Any] | None = None
    survey: list[dict[str, Any]] | None = None

    def is_off_hours(self, now_ms: int) -> bool:
        """The flag, or outside ``schedule`` ``{days (0=Monday), open, close, utc_offset_minutes}``."""
        if self.schedule is None:
            return self.off_hours
        offset = datetime.timedelta(minutes=int(self.schedule.get("utc_offset_minutes", 0)))
        now = datetime.datetime.fromtimestamp(now_ms / 1000, datetime.timezone.utc) + offset
        if now.weekday() not in self.schedule.get("days", range(7)):
            return True
        hhmm = now.strftime("%H:%M")
        return not (str(self.schedule.get("open", "00:00")) <= hhmm < str(self.schedule.get("close", "24:00")))


@dataclass
class Participant:
    id: str          # PID: consumer id (JWT sub) or the agent's userPid
    old_id: str      # consumer: the consumer id; agent: "{account}.{userId}"
    role: str
    state: str = "ACTIVE"

    @property
    def is_consumer(self) -> bool:
        return self.role == "CONSUMER"


@dataclass
class EventRecord:
    """One published event, stored (sequence set) or transient (chat state)."""

    sequence: int | None
    originator: Participant
    server_timestamp: int
    event: dict[str, Any]
    conversation_id: str
    dialog_id: str
    metadata: list[dict[str, Any]] | None = None
    message_audience: str = "ALL"
    client_properties: dict[str, Any] | None = None


@dataclass
class Dialog:
    dialog_id: str
    creation_ts: int
    dialog_type: str = "MAIN"
    channel_type: str = "MESSAGING"
    state: str = "OPEN"
    end_ts: int | None = None
    closed_by: str | None = None
    closed_cause: str | None = None
    meta_ts: int = 0
    events: list[EventRecord] = field(default_factory=list)

    @property
    def next_sequence(self) -> int:
        return len(self.events)


@dataclass
class Conversation:
    conversation_id: str
    account_id: str
    consumer_id: str
    skill_id: str
    start_ts: int
    participants: list[Participant] = field(default_factory=list)
    dialogs: list[Dialog] = field(default_factory=list)
    state: str = "OPEN"             # MAIN dialog state (deprecated meaning, §6.1)
    stage: str = "OPEN"             # the real conversation status
    close_reason: str | None = None
    end_ts: int | None = None
    meta_ts: int = 0
    context: dict[str, Any] | None = None
    campaign_info: dict[str, Any] | None = None
    ttr: dict[str, Any] = field(default_factory=lambda: {"ttrType": "NORMAL", "value": 3600})
    csat: dict[str, Any] | None = None
    survey: Any = None              # survey.SurveyRun while a post-conversation survey runs

    @property
    def main_dialog(self) -> Dialog:
        return self.dialogs[0]

    def dialog(self, dialog_id: str) -> Dialog | None:
        return next((d for d in self.dialogs if d.dialog_id == dialog_id), None)

    def find(self, ident: str, role: str | None = None) -> list[Participant]:
        """Participants whose PID or old id is ``ident`` (and whose role is ``role``)."""
        return [p for p in self.participants
                if ident in (p.id, p.old_id) and (role is None or p.role == role)]

    def is_participant(self, ident: str) -> bool:
        return bool(self.find(ident))

    def assigned_agent(self) -> Participant | None:
        return next((p for p in self.participants if p.role == "ASSIGNED_AGENT" and p.state == "ACTIVE"), None)

    def suggested_agent(self) -> Participant | None:
        return next((p for p in self.participants if p.state == "SUGGESTED"), None)

    def agent_ids(self) -> set[str]:
        return {i for p in self.participants if not p.is_consumer for i in (p.id, p.old_id)}


@dataclass
class Account:
    account_id: str
    skills: dict[str, Skill] = field(default_factory=lambda: {DEFAULT_SKILL: Skill(DEFAULT_SKILL, "default")})
    users: dict[str, BrandUser] = field(default_factory=dict)            # by login name
    conversations: dict[str, Conversation] = field(default_factory=dict)
    by_consumer: dict[str, list[Conversation]] = field(default_factory=dict)   # consumer id -> conversations
    by_dialog: dict[str, Conversation] = field(default_factory=dict)           # dialog id -> conversation
    consumers: set[str] = field(default_factory=set)
    agent_states: dict[str, dict[str, Any]] = field(default_factory=dict)  # old id -> SetAgentState body
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)      # consumer id -> SetUserProfile body
    oauth2_clients: dict[str, tuple[str, str]] = field(default_factory=dict)  # client id -> (secret, user name)
    connectors: dict[str, Any] = field(default_factory=dict)               # id -> config.ConnectorConfig
    ring_expiration_ms: int = DEFAULT_RING_EXPIRATION_MS

    def skill(self, skill_id: str) -> Skill:
        return self.skills.setdefault(skill_id, Skill(skill_id, skill_id))

    def user_by_id(self, ident: str) -> BrandUser | None:
        """A brand user by old id, numeric userId or PID."""
        for user in self.users.values():
            if ident in (user.old_id, user.user_id, user.pid):
                return user
        return None


class Listener(Protocol):
    def on_conversation(self, conversation: Conversation) -> None: ...
    def on_event(self, conversation: Conversation, record: EventRecord) -> None: ...


ListenKey = tuple[str, ...]
_EVERYTHING: ListenKey = ("*",)


def listen_keys(listener: Any) -> tuple[ListenKey, ...]:
    """The index keys of a listener, from its ``account_id``, ``user`` and ``consumer_id``.

    A brand session: ``("brand", account)``, ``("pid", account, userPid)``, ``("agent",
    account, oldId)``. A consumer session: ``("consumer", account, consumerId)`` once it
    knows its consumer (none before InitConnection: it can receive nothing yet). An object
    without an ``account_id`` is a catch-all listener that receives every notice.
    """
    account = getattr(listener, "account_id", None)
    if account is None:
        return (_EVERYTHING,)
    user = getattr(listener, "user", None)
    if user is not None:
        return (("brand", account), ("pid", account, user.pid), ("agent", account, user.old_id))
    consumer = getattr(listener, "consumer_id", None)
    return (("consumer", account, consumer),) if consumer is not None else ()


class Platform:
    """Every account of the emulated cloud, plus the token service, the router and the faults.

    ``clock`` returns epoch ms; ``scheduler.call_later(delay_ms, fn)`` runs delayed work
    (ring and token expiry). Both are injectable (:class:`.timeutil.ManualTime`).
    """

    def __init__(self, account_id: str | None = "1234567", users: dict[str, str] | None = None, *,
                 clock: Callable[[], int] | None = None, tokens: Tokens | None = None,
                 scheduler: Scheduler | None = None, config: EmulatorConfig | None = None,
                 seed: int | None = None) -> None:
        from .faults import Faults          # local imports: these modules use the model above
        from .routing import Router
        from .swift import FileStore
        self.clock = clock or wall_clock_ms
        self.scheduler: Scheduler = scheduler or AsyncioScheduler()
        self.tokens = tokens or Tokens(clock=self.clock)
        self.accounts: dict[str, Account] = {}
        self.advertised = "127.0.0.1:0"        # host:port CSDS hands out; set by the server
        self.scheme = "http"                   # "https" when the server runs TLS
        self._listeners: dict[Listener, tuple[ListenKey, ...]] = {}     # insertion-ordered, -> its keys
        self._index: dict[ListenKey, dict[Listener, None]] = {}
        self._pending: deque[Callable[[], None]] = deque()
        self._touched: dict[str, Conversation] = {}
        self._flushing = False
        self._user_ids = itertools.count(3_000_000_001)
        self.router = Router(self)
        self.faults = Faults(self, seed)
        self.files = FileStore(self)
        configured = config.accounts if config else []
        self.default_account_id = account_id or (configured[0].id if configured else "1234567")
        for acc in configured:
            self.apply_account_config(acc)
        if not configured or users is not None or self.default_account_id not in self.accounts:
            self.add_account(self.default_account_id,
                             {"bot": "bot-password"} if users is None and not configured else users)

    # ---- accounts and users -------------------------------------------------------------
    def add_account(self, account_id: str, users: dict[str, str] | None = None) -> Account:
        account = self.accounts.setdefault(account_id, Account(account_id))
        for name, password in (users or {}).items():
            self.add_user(account_id, name, password)
        return account

    def add_user(self, account_id: str, name: str, password: str | None, *,
                 permissions: tuple[str, ...] = ("MANAGER",), skills: frozenset[str] | None = None,
                 app_keys: list[dict[str, str]] | None = None) -> BrandUser:
        account = self.accounts[account_id]
        user = BrandUser(account_id, name, password, str(next(self._user_ids)),
                         permissions=permissions, skills=skills, app_keys=list(app_keys or []))
        account.users[name] = user
        return user

    def add_config_user(self, account_id: str, u: UserConfig) -> BrandUser:
        return self.add_user(account_id, u.name, u.password, permissions=u.permissions, skills=u.skills,
                             app_keys=u.app_keys)

    def apply_account_config(self, cfg: Any) -> Account:
        """Create or extend an account from a :class:`.config.AccountConfig`."""
        account = self.add_account(cfg.id)
        account.ring_expiration_ms = cfg.ring_expiration_ms
        for s in cfg.skills:
            account.skills[s.id] = Skill(s.id, s.name, s.off_hours, s.schedule, s.survey)
        for u in cfg.users:
            self.add_config_user(cfg.id, u)
        for c in cfg.oauth2_clients:
            account.oauth2_clients[c.client_id] = (c.client_secret, c.user)
        for c in cfg.connectors:
            account.connectors[c.id] = c
        return account

    def account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def conversation(self, account_id: str, conversation_id: str) -> Conversation | None:
        account = self.accounts.get(account_id)
        return account.conversations.get(conversation_id) if account else None

    # ---- time ---------------------------------------------------------------------------
    def call_later(self, delay_ms: int, fn: Callable[[], Any]) -> Timer:
        """Run ``fn`` after ``delay_ms`` on the scheduler, then deliver what it queued."""
        def run() -> None:
            try:
                fn()
            finally:
                self.flush()
        return self.scheduler.call_later(delay_ms, run)

    # ---- listeners ----------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            return
        keys = listen_keys(listener)
        self._listeners[listener] = keys
        for key in keys:
            self._index.setdefault(key, {})[listener] = None

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._unindex(listener)
            self.router.listener_gone(listener)

    def _unindex(self, listener: Listener) -> None:
        for key in self._listeners.pop(listener):
            group = self._index.get(key)
            if group is not None:
                group.pop(listener, None)
                if not group:
                    del self._index[key]

    def reindex_listener(self, listener: Listener) -> None:
        """Re-read the keys of a registered listener (a consumer that authenticated late)."""
        if listener in self._listeners and listen_keys(listener) != self._listeners[listener]:
            self._unindex(listener)
            self.add_listener(listener)

    @property
    def listeners(self) -> list[Listener]:
        return list(self._listeners)

    def listeners_for(self, *keys: ListenKey) -> list[Listener]:
        """The listeners indexed under any of ``keys`` (plus catch-all listeners), each once."""
        found: dict[Listener, None] = {}
        for key in keys + (_EVERYTHING,):
            group = self._index.get(key)
            if group:
                found.update(group)
        return list(found)

    def notify(self, deliver: Callable[[Listener], None],
               keys: Callable[[], Iterable[ListenKey]] | None = None) -> None:
        """Queue ``deliver(listener)`` for the next flush: for the listeners indexed under
        ``keys()`` (evaluated at delivery time), or for every listener when ``keys`` is None."""
        if keys is None:
            self._pending.append(lambda: [deliver(listener) for listener in list(self._listeners)])
        else:
            self._pending.append(lambda: [deliver(listener) for listener in self.listeners_for(*keys())])

    def defer(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` at the next flush, after the notices queued so far."""
        self._pending.append(fn)

    def flush(self) -> None:
        """Let the router react to changed conversations, then deliver queued notices in order."""
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._pending or self._touched:
                while self._touched:
                    _, conv = self._touched.popitem()
                    self.router.reconsider(conv)
                if self._pending:
                    self._pending.popleft()()
        finally:
            self._flushing = False

    def _touch(self, conv: Conversation) -> int:
        """A strictly increasing metaDataLastUpdateTs for ``conv`` (clients order by it)."""
        conv.meta_ts = max(self.clock(), conv.meta_ts + 1)
        self._touched[conv.conversation_id] = conv
        account = conv.account_id
        self.notify(lambda listener: listener.on_conversation(conv),
                    lambda: (("consumer", account, conv.consumer_id), ("brand", account)))
        return conv.meta_ts

    # ---- conversations ------------------------------------------------------------------
    def open_conversations_of(self, account_id: str, consumer_id: str) -> list[Conversation]:
        return [c for c in self.conversations_of_consumer(account_id, consumer_id) if c.stage == "OPEN"]

    def conversations_of_consumer(self, account_id: str, consumer_id: str) -> list[Conversation]:
        return list(self.accounts[account_id].by_consumer.get(consumer_id, ()))

    def conversation_of_dialog(self, account_id: str, dialog_id: str) -> Conversation | None:
        account = self.accounts.get(account_id)
        return account.by_dialog.get(dialog_id) if account else None

    def add_dialog(self, conv: Conversation, dialog: Dialog) -> None:
        conv.dialogs.append(dialog)
        self.accounts[conv.account_id].by_dialog[dialog.dialog_id] = conv

    def create_conversation(self, account_id: str, consumer_id: str, skill_id: str = DEFAULT_SKILL,
                            context: dict[str, Any] | None = None,
                            campaign_info: dict[str, Any] | None = None) -> Conversation:
        account = self.accounts[account_id]
        if self.open_conversations_of(account_id, consumer_id):
            raise PlatformError(400, "The consumer already has an open conversation")
        account.skill(skill_id)
        now = self.clock()
        conv_id = str(uuid.uuid4())
        conv = Conversation(conv_id, account_id, consumer_id, skill_id, now, context=context,
                            campaign_info=campaign_info)
        conv.participants.append(Participant(consumer_id, consumer_id, "CONSUMER"))
        account.conversations[conv_id] = conv
        account.by_consumer.setdefault(consumer_id, []).append(conv)
        self.add_dialog(conv, Dialog(conv_id, now, meta_ts=now))
        account.consumers.add(consumer_id)
        self._touch(conv)
        return conv

    def publish(self, conv: Conversation, dialog: Dialog, originator: Participant, event: dict[str, Any],
                metadata: list[dict[str, Any]] | None = None, audience: str | None = None,
                client_properties: dict[str, Any] | None = None) -> EventRecord:
        if dialog.state != "OPEN" or conv.stage != "OPEN":
            raise PlatformError(400, "The dialog is closed")
        stored = event.get("type") in STORED_EVENTS
        record = EventRecord(dialog.next_sequence if stored else None, originator, self.clock(), event,
                             conv.conversation_id, dialog.dialog_id, metadata, audience or "ALL",
                             client_properties)
        if stored:
            dialog.events.append(record)
        account = conv.account_id
        self.notify(lambda listener: listener.on_event(conv, record),
                    lambda: [("consumer", account, conv.consumer_id)]
                    + [("pid", account, p.id) for p in conv.participants if not p.is_consumer])
        if dialog.dialog_type == "POST_SURVEY" and originator.is_consumer and event.get("type") == "ContentEvent":
            from .survey import answer
            answer(self, conv, dialog, record)
        return record

    def close_dialog(self, conv: Conversation, dialog: Dialog, closed_by: str, cause: str | None = None) -> None:
        """Close one dialog; closing the last open one closes the conversation (no surveys)."""
        if dialog.state == "CLOSE":
            raise PlatformError(400, "The dialog is already closed")
        now = self.clock()
        dialog.state, dialog.end_ts, dialog.closed_by = "CLOSE", now, closed_by
        dialog.closed_cause = cause or _default_cause(closed_by)
        dialog.meta_ts = now
        if dialog is conv.main_dialog:
            conv.state = "CLOSE"
            skill = self.accounts[conv.account_id].skill(conv.skill_id)
            if skill.survey and conv.survey is None:
                from .survey import start
                start(self, conv, skill.survey)
        if all(d.state == "CLOSE" for d in conv.dialogs):
            conv.stage, conv.state, conv.end_ts = "CLOSE", "CLOSE", now
            conv.close_reason = closed_by
        self._touch(conv)

    def close_conversation(self, conv: Conversation, closed_by: str, cause: str | None = None) -> None:
        """ConversationStateField CLOSE: the conversation and all its dialogs (§5.6)."""
        if conv.stage == "CLOSE":
            raise PlatformError(400, "The conversation is already closed")
        now = self.clock()
        for dialog in conv.dialogs:
            if dialog.state == "OPEN":
                dialog.state, dialog.end_ts, dialog.closed_by = "CLOSE", now, closed_by
                dialog.closed_cause = cause or _default_cause(closed_by)
                dialog.meta_ts = now
        conv.stage, conv.state, conv.end_ts, conv.close_reason = "CLOSE", "CLOSE", now, closed_by
        self._touch(conv)

    def add_participant(self, conv: Conversation, user: BrandUser, role: str, state: str = "ACTIVE") -> None:
        """Add ``user`` as ``role`` (``state`` SUGGESTED for a transfer-to-agent target)."""
        existing = conv.find(user.pid, role)
        if existing:
            if existing[0].state == state:
                return                                  # already there: idempotent
            existing[0].state = state                   # a SUGGESTED agent accepting
        else:
            if role == "ASSIGNED_AGENT" and state == "ACTIVE" and conv.assigned_agent() is not None:
                raise PlatformError(400, "The conversation already has an assigned agent")
            conv.participants.append(Participant(user.pid, user.old_id, role, state))
        self._touch(conv)

    def remove_participant(self, conv: Conversation, ident: str, role: str | None) -> None:
        found = conv.find(ident, role)
        if not found:
            raise PlatformError(400, f"No {role or 'participant'} {ident} in the conversation")
        conv.participants = [p for p in conv.participants if p not in found]
        self._touch(conv)

    def take_over(self, conv: Conversation, new_consumer_id: str) -> None:
        """Consumer step-up: ``new_consumer_id`` (authenticated) becomes the conversation's
        CONSUMER in place of the unauthenticated identity (protocol.md §2.6, [INF])."""
        account = self.accounts[conv.account_id]
        old = conv.consumer_id
        # the previous identity's sessions are no longer indexed under this conversation:
        # tell them too (delivered after the change, so their subscriptions drop it)
        self.notify(lambda listener: listener.on_conversation(conv), lambda: [("consumer", conv.account_id, old)])
        if old in account.by_consumer and conv in account.by_consumer[old]:
            account.by_consumer[old].remove(conv)
        account.by_consumer.setdefault(new_consumer_id, []).append(conv)
        account.consumers.add(new_consumer_id)
        conv.consumer_id = new_consumer_id
        for p in conv.participants:
            if p.is_consumer and p.id == old:
                p.id = p.old_id = new_consumer_id
        self._touch(conv)

    def update(self, conv: Conversation, **changes: Any) -> None:
        """Set plain conversation attributes (skill_id, ttr, csat) and announce the change."""
        for key, value in changes.items():
            setattr(conv, key, value)
        self._touch(conv)

    def set_agent_state(self, account_id: str, agent_old_id: str, state: dict[str, Any]) -> None:
        """Store a SetAgentState body, announce it, and let the router use a newly ONLINE agent."""
        self.accounts[account_id].agent_states[agent_old_id] = state
        self.notify(lambda listener: getattr(listener, "on_agent_state", _ignore)(account_id, agent_old_id, state),
                    lambda: [("brand", account_id)])
        self.router.dispatch_waiting(account_id)

    def conversations(self, account_id: str) -> Iterable[Conversation]:
        return self.accounts[account_id].conversations.values()


def _ignore(*_: Any) -> None:
    pass


def _default_cause(closed_by: str) -> str:
    return {"CONSUMER": "Closed by consumer", "AGENT": "Closed by agent"}.get(closed_by, "Closed by system")


class PlatformHost:
    """What every way of serving a :class:`Platform` shares (the network
    :class:`~lpweb.emulator.server.Emulator` and the in-process emulator)."""

    platform: Platform

    @property
    def account_id(self) -> str:
        return self.platform.default_account_id

    @property
    def faults(self) -> Any:
        """The platform's fault injection (:class:`~lpweb.emulator.faults.Faults`)."""
        return self.platform.faults
