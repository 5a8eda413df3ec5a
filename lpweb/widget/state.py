"""Pure view state of the widget (widget.md parity items 1, 6, 8-12): no DOM, no asyncio.

:class:`ViewState` is fed by the controller (``app.py``) with what happened (a connection
state change, a message sent, acknowledged, echoed, accepted or read, a chat-state event,
a participant change) and answers what to show: the banner, the ordered message list with
date dividers and the "new messages" divider, each own message's state, the unread count,
who is typing. Every method takes ``now`` (epoch ms) where time matters, so tests drive
it with plain numbers.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Iterator

__all__ = ["Conn", "MsgState", "ViewMessage", "Banner", "ViewState", "Divider", "TYPING_TIMEOUT_MS"]

TYPING_TIMEOUT_MS = 30_000      # an incoming COMPOSING not renewed within this is cleared (failure mode 6)


class Conn(str, Enum):
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    CATCHING_UP = "catching-up"
    OFFLINE = "offline"
    AUTH_REQUIRED = "auth-required"
    FAILED = "failed"
    CLOSED = "closed"


class MsgState(str, Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


_RANK = {MsgState.QUEUED: 0, MsgState.SENDING: 1, MsgState.FAILED: 1, MsgState.SENT: 2,
         MsgState.DELIVERED: 3, MsgState.READ: 4}


@dataclass
class Banner:
    state: Conn
    key: str                 # catalog key
    params: dict[str, Any]
    visible: bool            # False when online (nothing to say)
    polite: bool = True


@dataclass
class ViewMessage:
    key: str                               # stable id in the view: client id, else "dialog:sequence"
    kind: str                              # text | rich | file | system
    mine: bool
    role: str                              # CONSUMER, ASSIGNED_AGENT, AGENT, MANAGER, SYSTEM, ...
    body: Any
    timestamp: int                         # epoch ms
    sequence: int | None = None
    dialog_id: str | None = None
    client_id: str | None = None
    state: MsgState | None = None          # own messages only
    error: str | None = None
    sender_id: str | None = None
    sender_name: str | None = None
    quick_replies: Any = None
    seen: bool = False                     # others' messages: READ was (or needs to be) published
    params: dict[str, Any] = field(default_factory=dict)   # system messages: catalog parameters
    progress: float | None = None          # uploads: 0..1

    @property
    def is_system(self) -> bool:
        return self.kind == "system"


@dataclass(frozen=True)
class Divider:
    kind: str                # "date" or "new"
    date: _dt.date | None = None
    key: str = ""


class ViewState:
    def __init__(self, *, tz_offset_min: int = 0) -> None:
        self.conn = Conn.CONNECTING
        self.attempt = 0
        self.retry_at: int | None = None
        self.failure: str = ""
        self.messages: list[ViewMessage] = []
        self._by_key: dict[str, ViewMessage] = {}
        self._by_seq: dict[tuple[str | None, int], ViewMessage] = {}
        self._shared: dict[str, str] = {}                  # data: preview of a file being shared -> client id
        self.typing: dict[str, tuple[str, int]] = {}      # participant id -> (name, last COMPOSING ms)
        self.first_unread_key: str | None = None
        self.tz = _dt.timezone(_dt.timedelta(minutes=tz_offset_min))
        self.closed = False
        self._ids = itertools.count(1)
        self.participants: dict[str, str] = {}            # id -> role of agents seen

    # -- connection ---------------------------------------------------------------------
    def set_connection(self, state: Conn | str, *, attempt: int | None = None, retry_in_ms: int | None = None,
                       now: int = 0, reason: str = "") -> Banner:
        self.conn = Conn(state)
        if self.conn == Conn.RECONNECTING:
            self.attempt = attempt if attempt is not None else self.attempt + 1
            self.retry_at = now + retry_in_ms if retry_in_ms is not None else None
        elif self.conn == Conn.ONLINE:
            self.attempt, self.retry_at = 0, None
        if self.conn == Conn.FAILED:
            self.failure = reason
        return self.banner(now)

    def banner(self, now: int = 0) -> Banner:
        c = self.conn
        if c == Conn.RECONNECTING:
            if self.retry_at is not None and self.retry_at > now:
                secs = max(1, -(-(self.retry_at - now) // 1000))
                return Banner(c, "state.reconnecting_in", {"seconds": secs, "attempt": self.attempt}, True)
            return Banner(c, "state.reconnecting", {"attempt": self.attempt}, True)
        if c == Conn.FAILED:
            return Banner(c, "state.failed", {"reason": self.failure}, True, polite=False)
        if self.closed and c == Conn.ONLINE:
            return Banner(c, "state.closed", {}, True)
        key = {Conn.CONNECTING: "state.connecting", Conn.ONLINE: "state.online",
               Conn.CATCHING_UP: "state.catching_up", Conn.OFFLINE: "state.offline",
               Conn.AUTH_REQUIRED: "state.auth_required", Conn.CLOSED: "state.closed"}[c]
        return Banner(c, key, {}, c != Conn.ONLINE, polite=c != Conn.AUTH_REQUIRED)

    @property
    def can_send_now(self) -> bool:
        return self.conn == Conn.ONLINE and not self.closed

    # -- own messages -------------------------------------------------------------------
    def new_client_id(self, prefix: str = "c") -> str:
        return f"{prefix}-{os.urandom(6).hex()}-{next(self._ids)}"

    def add_outgoing(self, body: Any, *, client_id: str | None = None, now: int, kind: str = "text",
                     queued: bool | None = None) -> ViewMessage:
        client_id = client_id or self.new_client_id()
        existing = self._by_key.get(client_id)
        if existing is not None:
            return existing
        if queued is None:
            queued = not self.can_send_now
        m = ViewMessage(client_id, kind, True, "CONSUMER", body, now, client_id=client_id,
                        state=MsgState.QUEUED if queued else MsgState.SENDING)
        self._insert(m)
        self.first_unread_key = None   # the consumer is active: the "new" divider goes
        return m

    def sending(self, client_id: str) -> None:
        m = self._by_key.get(client_id)
        if m is not None and m.state in (MsgState.QUEUED, MsgState.FAILED):
            m.state, m.error = MsgState.SENDING, None

    def sharing(self, client_id: str, preview: str | None) -> None:
        """An own file is being shared with this thumbnail (a ``data:`` URL): its echo, which carries
        the same preview, merges into the pending bubble even when it comes before the answer
        (a follower tab hears the echo first; the answer may come much later, or not at all)."""
        if preview:
            self._shared[preview] = client_id
            while len(self._shared) > 50:
                self._shared.pop(next(iter(self._shared)))

    def acked(self, client_id: str, sequence: int | None, dialog_id: str | None = None) -> ViewMessage | None:
        """The server accepted an own message ("already exists" counts too)."""
        m = self._by_key.get(client_id)
        if m is None:
            return None
        if isinstance(sequence, int):
            other = self._by_seq.get((dialog_id, sequence))
            if other is not None and other is not m:       # the echo arrived first: merge into it
                self._remove(other)
            m.sequence, m.dialog_id = sequence, dialog_id
            self._by_seq[(dialog_id, sequence)] = m
        self._raise(m, MsgState.SENT)
        return m

    def failed(self, client_id: str, reason: str) -> None:
        m = self._by_key.get(client_id)
        if m is not None and m.state in (MsgState.QUEUED, MsgState.SENDING):
            m.state, m.error = MsgState.FAILED, reason

    def progress(self, client_id: str, fraction: float) -> None:
        m = self._by_key.get(client_id)
        if m is not None:
            m.progress = max(0.0, min(1.0, fraction))

    def delete(self, key: str) -> bool:
        """Remove an unsent own message (Delete on a failed or queued one)."""
        m = self._by_key.get(key)
        if m is None or not m.mine or m.state not in (MsgState.FAILED, MsgState.QUEUED):
            return False
        self._remove(m)
        return True

    def pending(self) -> list[ViewMessage]:
        return [m for m in self.messages if m.mine and m.state in (MsgState.QUEUED, MsgState.FAILED)]

    # -- received messages ----------------------------------------------------------------
    def receive(self, *, sequence: int | None, dialog_id: str | None, role: str, mine: bool, body: Any,
                timestamp: int, kind: str = "text", sender_id: str | None = None, sender_name: str | None = None,
                quick_replies: Any = None, client_id: str | None = None, now: int | None = None,
                history: bool = False) -> ViewMessage | None:
        """A message event; returns the new view message, or None when it merged or was a duplicate."""
        if isinstance(sequence, int) and (dialog_id, sequence) in self._by_seq:
            return None
        if mine:
            if client_id is None and kind == "file" and isinstance(body, dict) and isinstance(body.get("preview"), str):
                client_id = self._shared.pop(body["preview"], None)
            m = self._match_own(client_id, body, kind)
            if m is not None:
                m.sequence, m.dialog_id, m.timestamp = sequence, dialog_id, timestamp or m.timestamp
                if isinstance(sequence, int):
                    self._by_seq[(dialog_id, sequence)] = m
                self._raise(m, MsgState.SENT)
                return None
        key = f"{dialog_id}:{sequence}" if isinstance(sequence, int) else self.new_client_id("r")
        m = ViewMessage(key, kind, mine, role, body, timestamp, sequence=sequence, dialog_id=dialog_id,
                        state=MsgState.SENT if mine else None, sender_id=sender_id, sender_name=sender_name,
                        quick_replies=quick_replies, seen=mine or history)
        self._insert(m)
        if not mine:
            if sender_id:
                self.typing.pop(sender_id, None)
            if not history and self.first_unread_key is None:
                self.first_unread_key = m.key
        return m

    def _match_own(self, client_id: str | None, body: Any, kind: str) -> ViewMessage | None:
        if client_id and client_id in self._by_key:
            return self._by_key[client_id]
        for m in self.messages:   # oldest unacknowledged own message with the same content
            if m.mine and m.sequence is None and m.kind == kind and m.body == body and m.state in (
                    MsgState.SENDING, MsgState.SENT, MsgState.QUEUED):
                return m
        return None

    def accept_status(self, status: str, sequences: Iterable[int], dialog_id: str | None = None,
                      by_other: bool = True) -> list[ViewMessage]:
        """ACCEPT -> delivered, READ -> read, for own messages with those sequences."""
        if not by_other:
            return []
        target = {"ACCEPT": MsgState.DELIVERED, "READ": MsgState.READ}.get(str(status))
        if target is None:
            return []
        changed = []
        for seq in sequences:
            m = self._by_seq.get((dialog_id, seq)) or next(
                (x for (d, s), x in self._by_seq.items() if s == seq and (dialog_id is None or d is None)), None)
            if m is not None and m.mine and self._raise(m, target):
                changed.append(m)
        return changed

    def _raise(self, m: ViewMessage, state: MsgState) -> bool:
        if m.state is None or _RANK[state] > _RANK[m.state] or m.state == MsgState.FAILED:
            m.state, m.error = state, None
            return True
        return False

    # -- unread and read receipts -----------------------------------------------------------
    @property
    def unread(self) -> list[ViewMessage]:
        return [m for m in self.messages if not m.mine and not m.seen and not m.is_system]

    @property
    def unread_count(self) -> int:
        return len(self.unread)

    def mark_seen(self, keys: Iterable[str]) -> list[ViewMessage]:
        """Messages now seen (visible document, open widget, in view): READ must be published
        for the returned ones (each exactly once)."""
        out = []
        for k in keys:
            m = self._by_key.get(k)
            if m is not None and not m.mine and not m.seen and not m.is_system:
                m.seen = True
                out.append(m)
        return out

    def clear_new_divider(self) -> None:
        self.first_unread_key = None

    # -- typing -----------------------------------------------------------------------------
    def chat_state(self, participant_id: str, state: str, now: int, name: str = "") -> None:
        if str(state) == "COMPOSING":
            self.typing[participant_id] = (name, now)
        else:
            self.typing.pop(participant_id, None)

    def typing_names(self, now: int) -> list[str]:
        for pid, (_, at) in list(self.typing.items()):
            if now - at > TYPING_TIMEOUT_MS:
                del self.typing[pid]
        return [name for name, _ in self.typing.values()]

    def next_typing_expiry(self) -> int | None:
        return min((at + TYPING_TIMEOUT_MS for _, at in self.typing.values()), default=None)

    # -- system messages --------------------------------------------------------------------
    def system(self, key: str, now: int, **params: Any) -> ViewMessage:
        m = ViewMessage(self.new_client_id("s"), "system", False, "SYSTEM", key, now, params=params, seen=True)
        self._insert(m)
        return m

    def participant_added(self, pid: str, role: str, name: str, now: int) -> ViewMessage | None:
        if role not in ("ASSIGNED_AGENT", "AGENT") or self.participants.get(pid) == role:
            return None
        self.participants[pid] = role
        return self.system("sys.joined", now, name=name)

    def participant_removed(self, pid: str, role: str, name: str, now: int) -> ViewMessage | None:
        if self.participants.pop(pid, None) is None:
            return None
        self.typing.pop(pid, None)
        return self.system("sys.left", now, name=name)

    def conversation_closed(self, now: int) -> ViewMessage:
        self.closed = True
        self.typing.clear()
        return self.system("sys.resolved", now)

    # -- listing ----------------------------------------------------------------------------
    def _sort_key(self, m: ViewMessage) -> tuple[int, int]:
        return (m.timestamp, 0)

    def _insert(self, m: ViewMessage) -> None:
        self._by_key[m.key] = m
        if isinstance(m.sequence, int):
            self._by_seq[(m.dialog_id, m.sequence)] = m
        # stable insertion by timestamp (history may arrive after live messages)
        i = len(self.messages)
        while i > 0 and self.messages[i - 1].timestamp > m.timestamp:
            i -= 1
        self.messages.insert(i, m)

    def _remove(self, m: ViewMessage) -> None:
        self.messages.remove(m)
        self._by_key.pop(m.key, None)
        if isinstance(m.sequence, int):
            self._by_seq.pop((m.dialog_id, m.sequence), None)

    def get(self, key: str) -> ViewMessage | None:
        return self._by_key.get(key)

    def local_date(self, ms: int) -> _dt.date:
        return _dt.datetime.fromtimestamp(ms / 1000, self.tz).date()

    def items(self) -> Iterator[ViewMessage | Divider]:
        """Messages in order with a date divider before each new day and a "new messages"
        divider before the first unread message."""
        last: _dt.date | None = None
        for m in self.messages:
            d = self.local_date(m.timestamp)
            if d != last:
                yield Divider("date", d, f"date:{d.isoformat()}")
                last = d
            if m.key == self.first_unread_key and not m.seen:
                yield Divider("new", None, "new")
            yield m

    def date_label(self, d: _dt.date, now: int, t: Any = None, locale: str = "en") -> str:
        today = self.local_date(now)
        if d == today:
            return t("divider.today") if t else "Today"
        if d == today - _dt.timedelta(days=1):
            return t("divider.yesterday") if t else "Yesterday"
        return d.isoformat() if d.year != today.year else f"{d.day} {_MONTHS[d.month - 1]}"

    def transcript(self, t: Any = None, *, now: int = 0) -> str:
        """The conversation as plain text (parity item 19)."""
        from .vdom import text_of

        lines = []
        for m in self.messages:
            when = _dt.datetime.fromtimestamp(m.timestamp / 1000, self.tz).strftime("%Y-%m-%d %H:%M")
            if m.is_system:
                body = m.params.get("text", "") if m.body == "sys.text" else t(m.body, **m.params) if t else m.body
                lines.append(f"[{when}] * {body}")
                continue
            who = (t("msg.you") if t else "You") if m.mine else (m.sender_name or m.role.replace("_", " ").title())
            if isinstance(m.body, str):
                body = m.body
            elif m.kind == "file" and isinstance(m.body, dict):
                body = f"[file] {m.body.get('caption') or m.body.get('name') or ''}".strip()
            else:
                from .render import render_content
                body = text_of(render_content(m.body).node)
            lines.append(f"[{when}] {who}: {body}")
        return "\n".join(lines) + "\n"


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
