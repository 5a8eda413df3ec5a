"""The widget's one "chat session" interface, whatever the tab's role (widget.md, "Beyond the
anchors" 1). No JS imports: it runs natively too.

The controller (``app.py``) talks to a :class:`ChatSession` only. Its events carry plain,
JSON-ready dicts, so the leader tab can relay them over a BroadcastChannel unchanged:

* ``connection`` ``{"state": connecting|online|reconnecting|catching-up|failed|closed, "attempt", "retry_in_ms",
  "reason"}`` (``catching-up``: the socket is back, the conversation resyncs before ``online``)
* ``conversation`` ``{"conversation_id", "resumed"}``: the conversation shown (again after a failover)
* ``message`` ``{"sequence", "dialog_id", "dialog_type", "role", "mine", "body", "timestamp", "kind",
  "sender_id", "quick_replies", "history"}``
* ``accept-status`` ``{"status", "sequence_list", "dialog_id", "mine"}``
* ``chat-state`` ``{"participant_id", "role", "chat_state", "mine"}``
* ``participant`` ``{"id", "role", "added", "survey", "history"}`` (``history``: already there when the
  conversation was attached; ``survey``: a swap while the post-conversation survey runs)
* ``system`` ``{"key", "survey"}`` (``sys.transferred``, ``sys.back_to_queue``)
* ``conversation-close`` ``{}``
* ``role`` ``"leader" | "follower"`` (:class:`~lpweb.widget.shared.SharedSession` only)

Implementations: :class:`LocalSession` holds the ConsumerConnection (the leader tab, or a
tab on its own); :class:`RemoteSession` forwards every action to the leader through a
:class:`~lpweb.widget.tabs.Relay`; :class:`~lpweb.widget.shared.SharedSession` switches
between the two as the tab's role changes.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any, Awaitable, Callable, Protocol

from ..model.emitter import EventEmitter
from .tabs import Relay

__all__ = ["ChatSession", "LocalSession", "RemoteSession", "message_data", "MAX_LOG"]

MAX_LOG = 5000          # replayable events kept for late-joining tabs
SEND_TIMEOUT = 30.0     # a relayed send waits this long for the leader (it may be reconnecting)
Progress = Callable[[int, "int | None"], Any]


class ChatSession(Protocol):
    role: str
    conversation_id: str | None

    @property
    def online(self) -> bool: ...

    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Any: ...

    async def send_message(self, text: str, metadata: Any = None, *, client_id: str | None = None) -> dict: ...

    async def accept(self, dialog_id: str, sequence: int) -> None: ...

    async def read(self, dialog_id: str, sequence: int) -> None: ...

    async def set_chat_state(self, state: str) -> None: ...

    async def upload_file(self, file: Any, caption: str | None = None, *, progress: Progress | None = None,
                          preview: str | None = None, client_id: str | None = None) -> dict: ...

    async def download_file(self, dialog_id: str, sequence: int) -> tuple[bytes, str | None]: ...

    async def close_conversation(self) -> None: ...

    async def close(self) -> None: ...


def _str(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def message_data(m: Any, mine: bool, history: bool) -> dict[str, Any]:
    """An lpweb :class:`~lpweb.model.message.Message` as a ``message`` event."""
    ctype = _str(m.content_type)
    kind = "rich" if ctype == "rich-content" else "file" if m.is_downloadable else "text"
    return {"sequence": m.sequence, "dialog_id": m.dialog.dialog_id, "dialog_type": _str(m.dialog.dialog_type),
            "role": _str(m.participant.role), "mine": mine, "body": m.body, "timestamp": m.server_timestamp,
            "kind": kind, "sender_id": m.participant.id, "quick_replies": m.quick_replies, "history": history}


class LocalSession(EventEmitter):
    """The session of the tab that holds the ConsumerConnection.

    ``connect()`` returns an unopened consumer connection (``lpweb.create_connection(...)``);
    :meth:`open` opens it, resumes the open conversation (same consumer through the token
    store) or creates one with ``create_kwargs``, and turns its events into plain events.
    """

    role = "leader"

    def __init__(self, connect: Callable[[], Any], create_kwargs: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._connect = connect
        self._create_kwargs = dict(create_kwargs or {})
        self.conn: Any = None
        self.conv: Any = None
        self.conversation_id: str | None = None
        self.resumed = False
        self.connection_state: dict[str, Any] = {"state": "connecting"}
        self._log: list[tuple[str, dict[str, Any]]] = []
        self._messages: dict[tuple[str, int], Any] = {}
        self._sends: dict[str, asyncio.Future[Any]] = {}
        self._receipts: set[tuple[str, str, int]] = set()

    @property
    def online(self) -> bool:
        return self.connection_state.get("state") == "online"

    async def open(self) -> None:
        self._connection("connecting")
        self.conn = conn = self._connect()
        conn.on("reconnecting", self._on_reconnecting)
        conn.on("resuming", lambda info=None: self._connection("catching-up"))
        conn.on("reconnected", lambda info=None: self._connection("online"))
        conn.on("close", self._on_close)
        try:
            await conn.open()
        except BaseException:
            self.conn = None
            conn.off("close", self._on_close)
            try:
                await conn.close()          # stop whatever the failed attempt started
            except Exception:
                pass
            raise
        conv = next((c for c in conn.conversations.values() if c.is_open), None)
        self.resumed = conv is not None
        if conv is None:
            conv = await conn.create_conversation(**self._create_kwargs)
        self._attach(conv)
        self._connection("online")

    def _attach(self, conv: Any) -> None:
        self.conv = conv
        self.conversation_id = conv.conversation_id
        self.emit("conversation", {"conversation_id": conv.conversation_id, "resumed": self.resumed})
        for dialog in conv.dialogs.values():
            for m in dialog.messages:
                self._on_message(m, history=True)
        for p in conv.participants:      # agents already there (joined before these listeners existed)
            if _str(p.role) in ("ASSIGNED_AGENT", "AGENT"):
                self.emit("participant", {"id": p.id, "role": _str(p.role), "added": True, "survey": False,
                                          "history": self.resumed})
        conv.on("message", self._on_message)
        conv.on("accept-status", self._on_accept_status)
        conv.on("chat-state", self._on_chat_state)
        conv.on("participant-added", lambda e: self._on_participant(e, True))
        conv.on("participant-removed", lambda e: self._on_participant(e, False))
        conv.on("transfer-skill", lambda e=None: self._system("sys.transferred"))
        conv.on("transfer-agent", lambda e=None: self._system("sys.transferred"))
        conv.on("back-to-queue", lambda e=None: self._system("sys.back_to_queue"))
        conv.on("close", lambda *_: self._record("conversation-close", {}))

    # -- events ---------------------------------------------------------------------------------
    def _record(self, name: str, data: dict[str, Any]) -> None:
        self._log.append((name, data))
        if len(self._log) > MAX_LOG:
            del self._log[: len(self._log) - MAX_LOG]
        self.emit(name, data)

    def _connection(self, state: str, **info: Any) -> None:
        self.connection_state = {"state": state, **info}
        self.emit("connection", dict(self.connection_state))

    def _on_reconnecting(self, info: Any = None) -> None:
        info = info if isinstance(info, dict) else {}
        delay = info.get("delay") or 0
        ms = int(delay * 1000) if isinstance(delay, (int, float)) and delay < 1000 else int(delay or 0)
        self._connection("reconnecting", attempt=info.get("attempt"), retry_in_ms=ms)

    def _on_close(self, info: Any = None) -> None:
        info = info if isinstance(info, dict) else {}
        if info.get("code") == 1000:
            self._connection("closed")
        else:
            self._connection("failed", reason=str(info.get("reason", "")))

    def _mine(self, participant: Any) -> bool:
        return participant is not None and self.conn is not None and bool(participant.matches(self.conn.user_id))

    def _on_message(self, m: Any, history: bool = False) -> None:
        if isinstance(m.sequence, int):
            self._messages[(m.dialog.dialog_id, m.sequence)] = m
        self._record("message", message_data(m, bool(m.sent_by_current_user()), history))

    def _on_accept_status(self, e: dict) -> None:
        p = e.get("participant")
        self._record("accept-status", {"status": _str(e.get("status")), "sequence_list": list(e.get("sequence_list") or []),
                                       "dialog_id": None, "mine": self._mine(p)})

    def _on_chat_state(self, e: dict) -> None:
        p = e.get("participant")
        if p is not None:
            self.emit("chat-state", {"participant_id": p.id, "role": _str(p.role), "chat_state": _str(e.get("chat_state")),
                                     "mine": self._mine(p)})

    def _in_survey(self) -> bool:
        """The post-conversation survey runs (its bot swaps and transfers are not news)."""
        dialogs = getattr(self.conv, "dialogs", None) or {}
        return any(_str(d.dialog_type) == "POST_SURVEY" and d.is_open for d in dialogs.values())

    def _on_participant(self, e: dict, added: bool) -> None:
        p = e.get("participant")
        if p is not None:
            self.emit("participant", {"id": p.id, "role": _str(p.role), "added": added, "survey": self._in_survey()})

    def _system(self, key: str) -> None:
        self.emit("system", {"key": key, "survey": self._in_survey()})

    def snapshot(self) -> dict[str, Any] | None:
        """What a tab joining late needs: the conversation, connection state and the replayable
        events so far (messages as history, receipts, current agents, closed)."""
        if self.conv is None:
            return None
        events: list[list[Any]] = []
        for name, data in self._log:
            events.append([name, {**data, "history": True} if name == "message" else data])
        for p in self.conv.participants:
            if _str(p.role) in ("ASSIGNED_AGENT", "AGENT"):
                events.append(["participant", {"id": p.id, "role": _str(p.role), "added": True, "survey": False,
                                               "history": True}])
        return {"conversation": {"conversation_id": self.conversation_id, "resumed": True},
                "connection": dict(self.connection_state), "events": events}

    # -- actions --------------------------------------------------------------------------------
    def _require_conv(self) -> Any:
        if self.conv is None:
            from ..errors import InvalidState

            raise InvalidState("the chat session has no conversation yet")
        return self.conv

    async def send_message(self, text: str, metadata: Any = None, *, client_id: str | None = None) -> dict:
        """Publish a text message; the same ``client_id`` is sent once (a follower's retry
        after a lost answer joins the first attempt, or gets its result)."""
        return await self._once_per_id(client_id, lambda: self._publish(text, metadata))

    async def _once_per_id(self, client_id: str | None, start: Callable[[], Awaitable[dict]]) -> dict:
        """Run ``start()`` once per ``client_id``: a repeat while it runs joins it, a repeat after it
        succeeded gets its result (a failed or cancelled attempt runs again)."""
        if client_id is not None and client_id in self._sends:
            fut = self._sends[client_id]
            if not fut.done() or (not fut.cancelled() and fut.exception() is None):
                return await asyncio.shield(fut)
        fut = asyncio.ensure_future(start())
        if client_id is not None:
            self._sends[client_id] = fut
            while len(self._sends) > 500:
                self._sends.pop(next(iter(self._sends)))
        return await asyncio.shield(fut)

    async def _publish(self, text: str, metadata: Any) -> dict:
        conv = self._require_conv()
        resp = await conv.send_message(text, metadata=metadata)
        dialog = conv.open_dialog
        return {"sequence": resp.get("sequence") if isinstance(resp, dict) else None,
                "dialog_id": dialog.dialog_id if dialog else None}

    async def _status(self, status: str, dialog_id: str | None, sequence: int) -> None:
        """Publish ACCEPT or READ once per message, whichever tab asks (each tab sees the message)."""
        conv = self._require_conv()
        dialog = conv.dialogs.get(dialog_id) if dialog_id else None
        dialog = dialog or conv.open_dialog or conv.main_dialog
        key = (status, dialog.dialog_id, sequence)
        if key in self._receipts:
            return
        self._receipts.add(key)
        try:
            await dialog.publish_status(status, [sequence])
        except BaseException:
            self._receipts.discard(key)
            raise

    async def accept(self, dialog_id: str, sequence: int) -> None:
        await self._status("ACCEPT", dialog_id, sequence)

    async def read(self, dialog_id: str, sequence: int) -> None:
        await self._status("READ", dialog_id, sequence)

    async def set_chat_state(self, state: str) -> None:
        await self._require_conv().set_chat_state(state)

    async def upload_file(self, file: Any, caption: str | None = None, *, progress: Progress | None = None,
                          preview: str | None = None, client_id: str | None = None) -> dict:
        """Share a file; the same ``client_id`` is uploaded once (a follower tab that lost the
        answer, e.g. to a spurious leader change, and asks again gets the first upload's result
        instead of sharing the file twice)."""
        return await self._once_per_id(client_id, lambda: self._upload(file, caption, progress, preview))

    async def _upload(self, file: Any, caption: str | None, progress: Progress | None, preview: str | None) -> dict:
        conv = self._require_conv()
        resp = await conv.upload_file(file, caption, progress=progress, preview=preview)
        dialog = conv.open_dialog
        return {"sequence": resp.get("sequence") if isinstance(resp, dict) else None,
                "dialog_id": dialog.dialog_id if dialog else None}

    async def download_file(self, dialog_id: str, sequence: int) -> tuple[bytes, str | None]:
        m = self._messages.get((dialog_id, sequence))
        if m is None:
            from ..errors import UsageError

            raise UsageError(f"no downloadable message {dialog_id}:{sequence}")
        f = await m.download_file()
        return bytes(f.data), f.filename

    async def close_conversation(self) -> None:
        await self._require_conv().close()

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


class RemoteSession(EventEmitter):
    """A follower's session: actions go to the leader tab through ``relay``; its events and
    snapshots come back through :meth:`apply_event` / :meth:`apply_snapshot`."""

    role = "follower"

    def __init__(self, relay: Relay) -> None:
        super().__init__()
        self.relay = relay
        self.conversation_id: str | None = None
        self.connection_state: dict[str, Any] = {"state": "connecting"}
        self._closed = False

    @property
    def online(self) -> bool:
        return self.connection_state.get("state") == "online"

    def apply_event(self, name: str, data: Any) -> None:
        if not isinstance(data, dict):
            return
        if name == "connection":
            self.connection_state = dict(data)
        elif name == "conversation":
            if data.get("conversation_id") == self.conversation_id:
                return
            self.conversation_id = data.get("conversation_id")
            self._closed = False
        elif name == "conversation-close":
            if self._closed:
                return                 # replayed by a later snapshot
            self._closed = True
        self.emit(name, data)

    def apply_snapshot(self, snap: dict[str, Any]) -> None:
        """Idempotent: the view dedupes messages by sequence and receipts only ever raise a state."""
        if isinstance(snap.get("conversation"), dict):
            self.apply_event("conversation", snap["conversation"])
        for entry in snap.get("events") or []:
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str):
                self.apply_event(entry[0], entry[1])
        if isinstance(snap.get("connection"), dict):
            self.apply_event("connection", snap["connection"])

    async def send_message(self, text: str, metadata: Any = None, *, client_id: str | None = None) -> dict:
        return await self.relay.request("send", {"text": text, "metadata": metadata, "client_id": client_id},
                                        timeout=SEND_TIMEOUT)

    async def accept(self, dialog_id: str, sequence: int) -> None:
        """Nothing to do: the leader tab accepts every message it receives."""

    async def read(self, dialog_id: str, sequence: int) -> None:
        await self.relay.request("read", {"dialog_id": dialog_id, "sequence": sequence})

    async def set_chat_state(self, state: str) -> None:
        await self.relay.request("chat_state", {"state": state})

    async def upload_file(self, file: Any, caption: str | None = None, *, progress: Progress | None = None,
                          preview: str | None = None, client_id: str | None = None) -> dict:
        return await self.relay.request("upload", {"file": file, "caption": caption, "preview": preview,
                                                   "client_id": client_id}, timeout=120.0, progress=progress)

    async def download_file(self, dialog_id: str, sequence: int) -> tuple[bytes, str | None]:
        res = await self.relay.request("download", {"dialog_id": dialog_id, "sequence": sequence}, timeout=120.0)
        return base64.b64decode(res["data"]), res.get("filename")

    async def close_conversation(self) -> None:
        await self.relay.request("close_conversation")

    async def close(self) -> None:
        self.relay.close()


async def serve(local: LocalSession, op: str, args: dict[str, Any], progress: Progress) -> Any:
    """The leader's side of each relayed operation (the :class:`~lpweb.widget.tabs.Hub` handler)."""
    if op == "send":
        if not isinstance(args.get("text"), str):
            raise TypeError("send needs the message text")
        cid = args.get("client_id")
        return await local.send_message(args["text"], args.get("metadata"),
                                        client_id=cid if isinstance(cid, str) else None)
    if op in ("read", "download"):
        dialog_id, seq = args.get("dialog_id"), args.get("sequence")
        if not isinstance(seq, int) or not isinstance(dialog_id, (str, type(None))):
            raise TypeError(f"{op} needs a dialog id and a sequence")
        if op == "read":
            return await local.read(dialog_id, seq)  # type: ignore[arg-type]
        data, filename = await local.download_file(dialog_id, seq)  # type: ignore[arg-type]
        return {"data": base64.b64encode(data).decode("ascii"), "filename": filename}
    if op == "chat_state":
        return await local.set_chat_state(str(args.get("state")))
    if op == "upload":
        if args.get("file") is None:
            raise TypeError("upload needs a file")
        preview = args.get("preview")
        if not isinstance(preview, (str, type(None))):
            raise TypeError("an upload's preview is a data: URL")
        cid = args.get("client_id")
        return await local.upload_file(args["file"], args.get("caption"), progress=progress, preview=preview,
                                       client_id=cid if isinstance(cid, str) else None)
    if op == "close_conversation":
        return await local.close_conversation()
    from .tabs import UnknownOperation

    raise UnknownOperation(f"unknown operation {op!r}")

