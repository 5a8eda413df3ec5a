"""One connection per browser, shared by all tabs (widget.md, "Beyond the anchors" 1): the
pure protocol. No JS imports here; the browser glue is :mod:`lpweb.widget.shared`.

The tab that wins the election is the *leader*: it alone holds the consumer's
ConsumerConnection and drains the durable outbox. The others are *followers*: they get
the conversation's events relayed over a BroadcastChannel and forward their actions
(send, read receipt, typing, file share, close) to the leader as requests.

Wire messages (JSON objects on the channel; ``from`` is the sender's tab id, ``to`` the
addressee or absent for everyone)::

    hello     follower -> all     "who leads? send me a snapshot"
    leader    leader -> all       a tab just became leader (followers re-route and re-sync)
    snapshot  leader -> to|all    the conversation so far: {"conversation", "connection", "events"}
    event     leader -> all       one session event: {"name", "data"}
    req       follower -> leader  {"id", "op", "args"}; answered by exactly one "res"
    res       leader -> follower  {"id", "ok", "result"} or {"id", "ok": false, "error": {"type", "message"}}
    progress  leader -> follower  {"id", "sent", "total"}: upload progress of request "id"
    hb        leader -> all       heartbeat (BroadcastChannel-only election)
    claim     candidate -> all    "I want to lead" (BroadcastChannel-only election)
    bye       any -> all          the tab is leaving (pagehide); a leader's bye starts an election at once

Election: with the Web Locks API the holder of one exclusive lock is the leader (the
browser releases it when the tab goes away, so failover is immediate). Without it,
:class:`BroadcastElection` elects by claim-and-confirm: a candidate claims, waits
``claim_ms`` for a leader's heartbeat or competing claims, and the lowest tab id among
the claimants leads; followers start a new election when heartbeats stop for
``timeout_ms`` (or at once on the leader's ``bye``). Two leaders (a healed partition)
resolve to the lower id. Without BroadcastChannel each tab is its own leader.

:class:`Relay` (follower side) correlates requests with answers by id, with timeouts and
typed errors (:class:`RelayTimeout`, :class:`LeaderChanged`, :class:`RelayClosed`, and the
leader's own exception types re-raised by name). :class:`Hub` (leader side) serves requests,
broadcasts events and answers ``hello`` with a snapshot. Both are transport-free: they get
a ``post(message)`` function and are fed received messages with ``receive``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Awaitable, Callable

from .. import errors as lp_errors
from ..errors import LPError

log = logging.getLogger("lpweb.widget.tabs")

__all__ = ["VERSION", "TYPES", "OPS", "TabProtocolError", "RelayError", "RelayTimeout", "LeaderChanged",
           "RelayClosed", "RemoteError", "UnknownOperation", "parse", "error_to_wire", "error_from_wire",
           "BroadcastElection", "Relay", "Hub", "channel_name", "lock_name"]

VERSION = 1
TYPES = frozenset({"hello", "leader", "snapshot", "event", "req", "res", "progress", "hb", "claim", "bye"})
OPS = frozenset({"send", "read", "chat_state", "upload", "download", "close_conversation"})
LEADER, FOLLOWER, CANDIDATE = "leader", "follower", "candidate"


def channel_name(prefix: str, account_id: str) -> str:
    """The BroadcastChannel of one account's widget on this origin."""
    return f"{prefix}.tabs.{account_id}"


def lock_name(prefix: str, account_id: str) -> str:
    """The Web Lock whose holder leads the tabs of one account's widget."""
    return f"{prefix}.leader.{account_id}"


# -- errors ------------------------------------------------------------------------------------
class TabProtocolError(LPError, ValueError):
    """A channel message that is not a valid tab-protocol message (it is dropped)."""


class RelayError(LPError):
    """A request relayed to the leader tab did not get an answer."""


class RelayTimeout(RelayError, TimeoutError):
    """No answer from the leader tab within the timeout."""


class LeaderChanged(RelayError):
    """The leader changed (or left) while the request was pending: it may or may not have run."""


class RelayClosed(RelayError):
    """The relay was closed (the widget was unmounted) while the request was pending."""


class UnknownOperation(RelayError, ValueError):
    """The leader does not know the requested operation."""


class RemoteError(RelayError):
    """The leader's operation failed with an exception type this tab cannot rebuild."""

    def __init__(self, remote_type: str, message: str) -> None:
        self.remote_type = remote_type
        super().__init__(f"{remote_type}: {message}")


def parse(raw: Any) -> dict[str, Any]:
    """Validate one received channel message (already JSON-decoded)."""
    if not isinstance(raw, dict):
        raise TabProtocolError("a tab message must be an object")
    if raw.get("v") != VERSION:
        raise TabProtocolError(f"unsupported tab protocol version {raw.get('v')!r}")
    kind = raw.get("t")
    if kind not in TYPES:
        raise TabProtocolError(f"unknown tab message type {kind!r}")
    if not isinstance(raw.get("from"), str) or not raw["from"]:
        raise TabProtocolError("a tab message needs a sender id")
    if kind in ("req", "res", "progress") and not isinstance(raw.get("id"), str):
        raise TabProtocolError(f"a {kind!r} message needs a string id")
    if kind == "req" and raw.get("op") not in OPS:
        raise TabProtocolError(f"unknown operation {raw.get('op')!r}")
    if kind == "event" and not isinstance(raw.get("name"), str):
        raise TabProtocolError("an event needs a name")
    return raw


def message(kind: str, sender: str, **fields: Any) -> dict[str, Any]:
    return {"v": VERSION, "t": kind, "from": sender, **{k: v for k, v in fields.items() if v is not None}}


def error_to_wire(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc)[:500]}


def error_from_wire(data: Any) -> Exception:
    """The leader's exception, rebuilt as the same lpweb error type where it takes a message."""
    if not isinstance(data, dict):
        return RemoteError("Error", "malformed error answer")
    name, text = str(data.get("type", "Error")), str(data.get("message", ""))
    cls = getattr(lp_errors, name, None) or globals().get(name)
    if isinstance(cls, type) and issubclass(cls, LPError) and cls is not RemoteError:
        try:
            return cls(text)
        except TypeError:
            pass
    return RemoteError(name, text)


# -- election (BroadcastChannel fallback) ------------------------------------------------------
class BroadcastElection:
    """Leader election over a broadcast channel alone, sans I/O: feed it received
    messages (:meth:`receive`) and the clock (:meth:`tick`); post what they return.

    ``role`` is ``candidate`` while claiming, then ``leader`` or ``follower``;
    ``leader_id`` is the current leader's tab id when known.
    """

    def __init__(self, tab_id: str, *, heartbeat_ms: int = 500, timeout_ms: int = 2500, claim_ms: int = 300) -> None:
        self.tab_id = tab_id
        self.heartbeat_ms, self.timeout_ms, self.claim_ms = heartbeat_ms, timeout_ms, claim_ms
        self.role = CANDIDATE
        self.leader_id: str | None = None
        self._claimants: set[str] = set()
        self._claim_until = 0
        self._last_heard = 0
        self._next_hb = 0

    def start(self, now: int) -> list[dict[str, Any]]:
        self.role, self.leader_id = CANDIDATE, None
        self._claimants = {self.tab_id}
        self._claim_until = now + self.claim_ms
        return [message("claim", self.tab_id)]

    def receive(self, msg: dict[str, Any], now: int) -> list[dict[str, Any]]:
        kind, sender = msg.get("t"), msg.get("from")
        if sender == self.tab_id:
            return []
        if kind in ("hb", "leader"):
            if self.role == LEADER:
                if sender < self.tab_id:           # two leaders: the lower id keeps it
                    self._follow(sender, now)
                    return []
                return [self._heartbeat(now)]
            self._follow(sender, now)
        elif kind == "claim":
            if self.role == LEADER:
                return [self._heartbeat(now)]     # tell the claimant someone leads
            if self.role == CANDIDATE:
                self._claimants.add(sender)
        elif kind == "bye" and sender == self.leader_id:
            return self.start(now)
        elif kind in ("event", "snapshot", "res", "progress") and sender == self.leader_id:
            self._last_heard = now                 # any leader traffic counts as a heartbeat
        return []

    def tick(self, now: int) -> list[dict[str, Any]]:
        if self.role == CANDIDATE and now >= self._claim_until:
            winner = min(self._claimants)
            if winner == self.tab_id:
                self.role, self.leader_id = LEADER, self.tab_id
                self._next_hb = now + self.heartbeat_ms
                return [message("leader", self.tab_id)]
            self._follow(winner, now)              # it will confirm with heartbeats, or time out
        elif self.role == LEADER and now >= self._next_hb:
            return [self._heartbeat(now)]
        elif self.role == FOLLOWER and now - self._last_heard > self.timeout_ms:
            return self.start(now)
        return []

    def leave(self) -> list[dict[str, Any]]:
        return [message("bye", self.tab_id)]

    def _follow(self, leader: str, now: int) -> None:
        self.role, self.leader_id, self._last_heard = FOLLOWER, leader, now

    def _heartbeat(self, now: int) -> dict[str, Any]:
        self._next_hb = now + self.heartbeat_ms
        return message("hb", self.tab_id)


# -- follower side -----------------------------------------------------------------------------
Post = Callable[[dict[str, Any]], None]


class Relay:
    """A follower's requests to the leader, and the leader's events and snapshots to it."""

    def __init__(self, tab_id: str, post: Post, *, timeout: float = 15.0,
                 on_event: Callable[[str, Any], Any] | None = None,
                 on_snapshot: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.tab_id = tab_id
        self.post = post
        self.timeout = timeout
        self.on_event, self.on_snapshot = on_event, on_snapshot
        self.leader_id: str | None = None
        self._ids = itertools.count(1)
        self._pending: dict[str, tuple[asyncio.Future[Any], Callable[[int, int | None], Any] | None]] = {}
        self.closed = False

    def hello(self) -> None:
        self.post(message("hello", self.tab_id))

    async def request(self, op: str, args: dict[str, Any] | None = None, *, timeout: float | None = None,
                      progress: Callable[[int, int | None], Any] | None = None) -> Any:
        if op not in OPS:
            raise UnknownOperation(f"unknown operation {op!r}")
        if self.closed:
            raise RelayClosed("the tab relay is closed")
        rid = f"{self.tab_id}:{next(self._ids)}"
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = (fut, progress)
        self.post(message("req", self.tab_id, to=self.leader_id, id=rid, op=op, args=args or {}))
        try:
            return await asyncio.wait_for(fut, self.timeout if timeout is None else timeout)
        except asyncio.TimeoutError:
            raise RelayTimeout(f"the leader tab did not answer {op!r} in time") from None
        finally:
            self._pending.pop(rid, None)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def receive(self, msg: dict[str, Any]) -> None:
        kind, sender = msg.get("t"), msg["from"]
        if sender == self.tab_id or (msg.get("to") not in (None, self.tab_id)):
            return
        if kind in ("leader", "hb") and sender != self.leader_id:
            self.set_leader(sender)        # it broadcasts a snapshot once it has the conversation
        elif kind == "res":
            entry = self._pending.get(msg["id"])
            if entry is not None and not entry[0].done():
                if msg.get("ok"):
                    entry[0].set_result(msg.get("result"))
                else:
                    entry[0].set_exception(error_from_wire(msg.get("error")))
        elif kind == "progress":
            entry = self._pending.get(msg["id"])
            if entry is not None and entry[1] is not None:
                entry[1](int(msg.get("sent") or 0), msg.get("total"))
        elif kind == "event":
            self._adopt(sender)
            if self.on_event:
                self.on_event(msg["name"], msg.get("data"))
        elif kind == "snapshot":
            self._adopt(sender)
            if self.on_snapshot and isinstance(msg.get("data"), dict):
                self.on_snapshot(msg["data"])
        elif kind == "bye" and sender == self.leader_id:
            self.set_leader(None)

    def _adopt(self, sender: str) -> None:
        if self.leader_id is None:
            self.leader_id = sender

    def set_leader(self, leader_id: str | None) -> None:
        """A new leader (or none): pending requests fail with :class:`LeaderChanged`."""
        if leader_id == self.leader_id:
            return
        self.leader_id = leader_id
        self._fail_all(LeaderChanged("the leader tab changed while the request was pending"))

    def close(self) -> None:
        self.closed = True
        self._fail_all(RelayClosed("the tab relay was closed"))

    def _fail_all(self, exc: Exception) -> None:
        for fut, _ in list(self._pending.values()):
            if not fut.done():
                fut.set_exception(exc)


# -- leader side -------------------------------------------------------------------------------
Handler = Callable[[str, dict[str, Any], Callable[[int, int | None], Any]], Awaitable[Any]]


class Hub:
    """The leader's side: serves followers' requests with ``handler(op, args, progress)``,
    broadcasts events, and answers ``hello`` with ``snapshot()``."""

    def __init__(self, tab_id: str, post: Post, handler: Handler, snapshot: Callable[[], dict[str, Any] | None]) -> None:
        self.tab_id = tab_id
        self.post = post
        self.handler = handler
        self.snapshot = snapshot
        self.tasks: set[asyncio.Task[Any]] = set()

    def announce(self) -> None:
        self.post(message("leader", self.tab_id))
        self.send_snapshot(None)

    def event(self, name: str, data: Any) -> None:
        self.post(message("event", self.tab_id, name=name, data=data))

    def send_snapshot(self, to: str | None) -> None:
        data = self.snapshot()
        if data is not None:
            self.post(message("snapshot", self.tab_id, to=to, data=data))

    def receive(self, msg: dict[str, Any]) -> None:
        kind, sender = msg.get("t"), msg["from"]
        if sender == self.tab_id:
            return
        if kind == "hello":
            self.send_snapshot(sender)
        elif kind == "req" and msg.get("to") in (None, self.tab_id):
            task = asyncio.ensure_future(self._serve(msg))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _serve(self, msg: dict[str, Any]) -> None:
        rid, sender = msg["id"], msg["from"]

        def progress(sent: int, total: int | None) -> None:
            self.post(message("progress", self.tab_id, to=sender, id=rid, sent=sent, total=total))

        try:
            args = msg.get("args") if isinstance(msg.get("args"), dict) else {}
            result = await self.handler(msg["op"], args, progress)
        except asyncio.CancelledError:
            self.post(message("res", self.tab_id, to=sender, id=rid, ok=False,
                              error=error_to_wire(LeaderChanged("the leader tab stopped leading"))))
            raise
        except Exception as exc:
            log.info("relayed %s failed: %s", msg["op"], type(exc).__name__)
            self.post(message("res", self.tab_id, to=sender, id=rid, ok=False, error=error_to_wire(exc)))
        else:
            self.post(message("res", self.tab_id, to=sender, id=rid, ok=True, result=result))

    def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
