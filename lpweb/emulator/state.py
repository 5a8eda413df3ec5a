"""The emulator's in-memory platform model (protocol.md §5, §8).

Accounts hold skills, brand users and conversations. A conversation has participants
(``Participant``: PID, old-style id, role, state) and dialogs (``Dialog``, MAIN dialog id ==
conversation id) whose stored events (``EventRecord``) carry per-dialog sequence numbers
starting at 0 (ContentEvent and AcceptStatusEvent only; chat states are not stored).

:class:`Platform` applies every change and queues change notices; ``flush()`` hands them
to the registered listeners (the websocket sessions of :mod:`.engine`), so a session can
send its response first and the notifications after it. Nothing here does I/O.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from .tokens import Tokens

__all__ = ["BrandUser", "Participant", "EventRecord", "Dialog", "Conversation", "Account",
           "Platform", "Listener", "AGENT_ROLES", "PARTICIPANT_ROLES", "PlatformError"]

PARTICIPANT_ROLES = ("CONSUMER", "ASSIGNED_AGENT", "AGENT", "MANAGER", "READER", "BRAND_BOT", "CONTROLLER")
AGENT_ROLES = tuple(r for r in PARTICIPANT_ROLES if r != "CONSUMER")
DEFAULT_SKILL = "-1"
STORED_EVENTS = {"ContentEvent", "AcceptStatusEvent", "RichContentEvent"}


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
    password: str
    user_id: str                       # numeric, as a string (agentVep config.userId)
    pid: str = field(default_factory=lambda: str(uuid.uuid4()))   # config.userPid

    @property
    def old_id(self) -> str:
        """The "old" agent id ``{account}.{userId}`` used in brand bodies (protocol.md §8)."""
        return f"{self.account_id}.{self.user_id}"


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

    def agent_ids(self) -> set[str]:
        return {i for p in self.participants if not p.is_consumer for i in (p.id, p.old_id)}


@dataclass
class Account:
    account_id: str
    skills: dict[str, dict[str, Any]] = field(default_factory=lambda: {DEFAULT_SKILL: {"id": DEFAULT_SKILL, "name": "default"}})
    users: dict[str, BrandUser] = field(default_factory=dict)            # by login name
    conversations: dict[str, Conversation] = field(default_factory=dict)
    consumers: set[str] = field(default_factory=set)
    agent_states: dict[str, dict[str, Any]] = field(default_factory=dict)  # old id -> SetAgentState body

    def user_by_id(self, ident: str) -> BrandUser | None:
        """A brand user by old id, numeric userId or PID."""
        for user in self.users.values():
            if ident in (user.old_id, user.user_id, user.pid):
                return user
        return None


class Listener(Protocol):
    def on_conversation(self, conversation: Conversation) -> None: ...
    def on_event(self, conversation: Conversation, record: EventRecord) -> None: ...


class Platform:
    """Every account of the emulated cloud, plus the token service."""

    def __init__(self, account_id: str = "1234567", users: dict[str, str] | None = None, *,
                 clock: Callable[[], int] | None = None, tokens: Tokens | None = None) -> None:
        self.clock = clock or (lambda: int(time.time() * 1000))
        self.tokens = tokens or Tokens(clock=self.clock)
        self.accounts: dict[str, Account] = {}
        self.default_account_id = account_id
        self.advertised = "127.0.0.1:0"        # host:port CSDS hands out; set by the server
        self._listeners: list[Listener] = []
        self._pending: list[tuple[str, Conversation, EventRecord | None]] = []
        self._user_ids = itertools.count(3_000_000_001)
        self.add_account(account_id, {"bot": "bot-password"} if users is None else users)

    # ---- accounts and users -------------------------------------------------------------
    def add_account(self, account_id: str, users: dict[str, str] | None = None) -> Account:
        account = self.accounts.setdefault(account_id, Account(account_id))
        for name, password in (users or {}).items():
            self.add_user(account_id, name, password)
        return account

    def add_user(self, account_id: str, name: str, password: str) -> BrandUser:
        account = self.accounts[account_id]
        user = BrandUser(account_id, name, password, str(next(self._user_ids)))
        account.users[name] = user
        return user

    def account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def conversation(self, account_id: str, conversation_id: str) -> Conversation | None:
        account = self.accounts.get(account_id)
        return account.conversations.get(conversation_id) if account else None

    # ---- listeners ----------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def flush(self) -> None:
        """Deliver queued change notices to every listener, in the order they happened."""
        while self._pending:
            kind, conversation, record = self._pending.pop(0)
            for listener in list(self._listeners):
                if kind == "conversation":
                    listener.on_conversation(conversation)
                else:
                    assert record is not None
                    listener.on_event(conversation, record)

    def _touch(self, conv: Conversation) -> int:
        """A strictly increasing metaDataLastUpdateTs for ``conv`` (clients order by it)."""
        conv.meta_ts = max(self.clock(), conv.meta_ts + 1)
        self._pending.append(("conversation", conv, None))
        return conv.meta_ts

    # ---- conversations ------------------------------------------------------------------
    def open_conversations_of(self, account_id: str, consumer_id: str) -> list[Conversation]:
        return [c for c in self.accounts[account_id].conversations.values()
                if c.consumer_id == consumer_id and c.stage == "OPEN"]

    def create_conversation(self, account_id: str, consumer_id: str, skill_id: str = DEFAULT_SKILL,
                            context: dict[str, Any] | None = None,
                            campaign_info: dict[str, Any] | None = None) -> Conversation:
        account = self.accounts[account_id]
        if self.open_conversations_of(account_id, consumer_id):
            raise PlatformError(400, "The consumer already has an open conversation")
        account.skills.setdefault(skill_id, {"id": skill_id, "name": skill_id})
        now = self.clock()
        conv_id = str(uuid.uuid4())
        conv = Conversation(conv_id, account_id, consumer_id, skill_id, now, context=context,
                            campaign_info=campaign_info)
        conv.participants.append(Participant(consumer_id, consumer_id, "CONSUMER"))
        conv.dialogs.append(Dialog(conv_id, now, meta_ts=now))
        account.conversations[conv_id] = conv
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
        self._pending.append(("event", conv, record))
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

    def add_participant(self, conv: Conversation, user: BrandUser, role: str) -> None:
        if conv.find(user.pid, role):
            return                                      # already there: idempotent
        if role == "ASSIGNED_AGENT" and any(p.role == "ASSIGNED_AGENT" for p in conv.participants):
            raise PlatformError(400, "The conversation already has an assigned agent")
        conv.participants.append(Participant(user.pid, user.old_id, role))
        self._touch(conv)

    def remove_participant(self, conv: Conversation, ident: str, role: str | None) -> None:
        found = conv.find(ident, role)
        if not found:
            raise PlatformError(400, f"No {role or 'participant'} {ident} in the conversation")
        conv.participants = [p for p in conv.participants if p not in found]
        self._touch(conv)

    def update(self, conv: Conversation, **changes: Any) -> None:
        """Set plain conversation attributes (skill_id, ttr, csat) and announce the change."""
        for key, value in changes.items():
            setattr(conv, key, value)
        self._touch(conv)

    def conversations(self, account_id: str) -> Iterable[Conversation]:
        return self.accounts[account_id].conversations.values()


def _default_cause(closed_by: str) -> str:
    return {"CONSUMER": "Closed by consumer", "AGENT": "Closed by agent"}.get(closed_by, "Closed by system")
