"""``SharedSession``: the :class:`~lpweb.widget.session.ChatSession` the widget uses, shared by
all tabs of the browser (widget.md, "Beyond the anchors" 1). No JS imports: the channel and
the lock are passed in (:mod:`lpweb.widget.tabs_browser` makes the browser ones; tests use
in-memory ones).

It elects the tab's role (Web Lock if ``locks`` is given, else claim-and-confirm over the
channel, else alone), then delegates to a :class:`~lpweb.widget.session.LocalSession`
(leader: the one ConsumerConnection, plus a :class:`~lpweb.widget.tabs.Hub` serving the
other tabs) or a :class:`~lpweb.widget.session.RemoteSession` (follower: a
:class:`~lpweb.widget.tabs.Relay` to the leader). It re-emits the inner session's events, and
``role`` when the role changes; a follower that wins the lock later opens its own
connection (same consumer, from the token store) and the view catches up from its history.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Protocol

from ..model.emitter import EventEmitter
from .session import LocalSession, Progress, RemoteSession, serve
from .tabs import BroadcastElection, Hub, Relay, TabProtocolError, message, parse

log = logging.getLogger("lpweb.widget.shared")

__all__ = ["SharedSession", "Channel", "Locks", "EVENTS"]

EVENTS = ("connection", "conversation", "message", "accept-status", "chat-state", "participant", "system",
          "conversation-close")
OPEN_WAIT = 30.0     # a relayed request waits this long for a new leader's connection
RETRY_FIRST, RETRY_MAX = 1.0, 30.0   # backoff (s) of a tab taking over whose connection fails to open


class Channel(Protocol):
    def post(self, msg: dict[str, Any]) -> None: ...

    def listen(self, fn: Callable[[dict[str, Any]], None]) -> None: ...

    def close(self) -> None: ...


class Locks(Protocol):
    async def try_acquire(self) -> bool: ...      # take the lock now if it is free

    async def acquire(self) -> None: ...          # wait until this tab holds it

    def release(self) -> None: ...


class SharedSession(EventEmitter):
    def __init__(self, *, tab_id: str, channel: Channel | None, locks: Locks | None,
                 open_local: Callable[[], LocalSession], now: Callable[[], int], tick_s: float = 0.1,
                 election: BroadcastElection | None = None) -> None:
        super().__init__()
        self.tab_id = tab_id
        self.channel = channel
        self.locks = locks
        self.open_local = open_local
        self.now = now
        self.tick_s = tick_s
        self.role = "none"
        self.inner: LocalSession | RemoteSession | None = None
        self.hub: Hub | None = None
        self.relay: Relay | None = None
        self.election = election if election is not None else (
            BroadcastElection(tab_id) if channel is not None and locks is None else None)
        self.tasks: set[asyncio.Task[Any]] = set()
        self._conversation = asyncio.Event()
        self._opened = asyncio.Event()
        self.closed = False
        self.left = False            # said goodbye (pagehide): silent on the channel from then on
        if channel is not None:
            channel.listen(self._receive)

    # -- the ChatSession interface ------------------------------------------------------------------
    @property
    def conversation_id(self) -> str | None:
        return self.inner.conversation_id if self.inner is not None else None

    @property
    def online(self) -> bool:
        return self.inner is not None and self.inner.online

    async def send_message(self, text: str, metadata: Any = None, *, client_id: str | None = None) -> dict:
        return await self._inner().send_message(text, metadata, client_id=client_id)

    async def accept(self, dialog_id: str, sequence: int) -> None:
        await self._inner().accept(dialog_id, sequence)

    async def read(self, dialog_id: str, sequence: int) -> None:
        await self._inner().read(dialog_id, sequence)

    async def set_chat_state(self, state: str) -> None:
        await self._inner().set_chat_state(state)

    async def upload_file(self, file: Any, caption: str | None = None, *, progress: Progress | None = None,
                          preview: str | None = None, client_id: str | None = None) -> dict:
        return await self._inner().upload_file(file, caption, progress=progress, preview=preview, client_id=client_id)

    async def download_file(self, dialog_id: str, sequence: int) -> tuple[bytes, str | None]:
        return await self._inner().download_file(dialog_id, sequence)

    async def close_conversation(self) -> None:
        await self._inner().close_conversation()

    def _inner(self) -> LocalSession | RemoteSession:
        if self.inner is None:
            from ..errors import InvalidState

            raise InvalidState("the chat session has not started")
        return self.inner

    # -- roles ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Elect this tab's role and start it (a leader opens its connection before returning)."""
        if self.locks is not None:
            if await self.locks.try_acquire():
                await self._lead(retry=False)
            else:
                self._follow(None)
                self._spawn(self._wait_for_lock())
        elif self.election is not None and self.channel is not None:
            self._post_all(self.election.start(self.now()))
            self._spawn(self._ticker())
            while self.election.role == "candidate":
                await asyncio.sleep(self.tick_s)
            await self._settle(retry=False)
        else:
            await self._lead(retry=False)

    async def wait_conversation(self, timeout: float | None = None) -> str | None:
        """Wait until a conversation is known (a follower learns it from the leader's snapshot)."""
        await asyncio.wait_for(self._conversation.wait(), timeout)
        return self.conversation_id

    async def _wait_for_lock(self) -> None:
        assert self.locks is not None
        await self.locks.acquire()
        if not self.closed:
            await self._lead()

    async def _ticker(self) -> None:
        assert self.election is not None
        while not self.closed:
            await asyncio.sleep(self.tick_s)
            self._post_all(self.election.tick(self.now()))
            if self.role != "none" and self.election.role not in ("candidate", self.role):
                self._spawn(self._settle())        # never block the heartbeats on a connection

    async def _settle(self, retry: bool = True) -> None:
        """Follow the election's result (BroadcastChannel-only mode)."""
        e = self.election
        if e is None or e.role == "candidate":
            return
        if e.role == "leader" and self.role != "leader":
            await self._lead(retry=retry)
        elif e.role == "follower" and self.role == "leader":
            await self._step_down(e.leader_id)
        elif e.role == "follower" and self.role != "follower":
            self._follow(e.leader_id)

    async def _lead(self, *, retry: bool = True) -> None:
        """Become the leader: open the connection (a tab taking over retries with backoff until it
        connects; the first tab's failure is raised to ``mount()``), then serve the other tabs."""
        if self.role == "leader" or self.closed:
            return
        self.role = "leader"
        if self.relay is not None:
            self.relay.close()
            self.relay = None
        self.emit("role", "leader")
        local = self.open_local()
        self.inner = local
        self._opened.clear()
        self._bind(local)
        if self.channel is not None:
            self.hub = Hub(self.tab_id, self._post, self._serve, local.snapshot)
            self._post(message("leader", self.tab_id))
        delay, attempt = RETRY_FIRST, 0
        while True:
            try:
                await local.open()
                break
            except Exception as exc:
                if not retry or self.closed or self.inner is not local:
                    local.emit("connection", {"state": "failed", "reason": f"{type(exc).__name__}: {exc}"})
                    raise
                attempt += 1
                log.info("taking over the connection failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                local.emit("connection", {"state": "reconnecting", "attempt": attempt, "retry_in_ms": int(delay * 1000)})
                await asyncio.sleep(delay)
                delay = min(RETRY_MAX, delay * 2)
        self._opened.set()
        if self.hub is not None:
            self.hub.send_snapshot(None)

    async def _serve(self, op: str, args: dict[str, Any], progress: Progress) -> Any:
        await asyncio.wait_for(self._opened.wait(), OPEN_WAIT)
        assert isinstance(self.inner, LocalSession)
        return await serve(self.inner, op, args, progress)

    def _follow(self, leader_id: str | None) -> None:
        assert self.channel is not None
        self.role = "follower"
        self.relay = Relay(self.tab_id, self._post)
        self.relay.leader_id = leader_id
        remote = RemoteSession(self.relay)
        self.relay.on_event = remote.apply_event
        self.relay.on_snapshot = remote.apply_snapshot
        self.inner = remote
        self._bind(remote)
        self.emit("role", "follower")
        self.relay.hello()

    async def _step_down(self, leader_id: str | None) -> None:
        """Two leaders met (BroadcastChannel-only mode): the higher id closes its connection."""
        old = self.inner
        if self.hub is not None:
            self.hub.close()
            self.hub = None
        self._follow(leader_id)
        if isinstance(old, LocalSession):
            await old.close()

    def _bind(self, inner: LocalSession | RemoteSession) -> None:
        for name in EVENTS:
            inner.on(name, lambda data=None, _n=name, _i=inner: self._inner_event(_i, _n, data))

    def _inner_event(self, source: Any, name: str, data: Any) -> None:
        if source is not self.inner:
            return                     # a session this tab no longer uses
        if name == "conversation":
            self._conversation.set()
        if self.hub is not None and not (isinstance(data, dict) and data.get("history")):
            self.hub.event(name, data)
        self.emit(name, data)

    # -- channel --------------------------------------------------------------------------------------
    def _receive(self, raw: Any) -> None:
        if self.left:
            return
        try:
            msg = parse(raw)
        except TabProtocolError as exc:
            log.info("dropped a tab message: %s", exc)
            return
        if self.election is not None:
            self._post_all(self.election.receive(msg, self.now()))
            if self.role != "none" and self.election.role not in ("candidate", self.role):
                self._spawn(self._settle())
        if self.hub is not None:
            self.hub.receive(msg)
        if self.relay is not None:
            self.relay.receive(msg)

    def _post_all(self, msgs: list[dict[str, Any]]) -> None:
        for m in msgs:
            self._post(m)

    def _post(self, msg: dict[str, Any]) -> None:
        if self.channel is not None and not self.left:
            self.channel.post(msg)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("tab session task failed: %r", task.exception())

    def leave(self) -> None:
        """The page is going away (pagehide): tell the others at once, synchronously, and stop
        answering them (a heartbeat sent while the page unloads would hold off the election)."""
        if self.channel is not None and not self.left:
            self.channel.post(message("bye", self.tab_id))
        self.left = True

    async def close(self) -> None:
        if self.closed:
            return
        self.leave()
        self.closed = True
        for task in list(self.tasks):
            task.cancel()
        if self.hub is not None:
            self.hub.close()
            self.hub = None
        if self.relay is not None:
            self.relay.close()
        inner, self.inner = self.inner, None
        if isinstance(inner, LocalSession):
            try:
                await inner.close()
            except Exception as exc:
                log.info("closing the connection failed: %s", exc)
        if self.locks is not None:
            self.locks.release()
        if self.channel is not None:
            self.channel.close()
