"""The widget controller: lpweb connection events -> :class:`~lpweb.widget.state.ViewState`
-> DOM (through :mod:`lpweb.widget.dom` only). Browser-only; imported by :func:`mount`.

One :class:`Widget` per mounted host element. It owns a Shadow DOM (open), the string
catalog, the durable outbox, one delegated listener per container, one
IntersectionObserver for read receipts and every proxy (destroyed by :meth:`Widget.unmount`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import dom, keys, markdown
from .announce import Announcer
from .blobstore import BlobStore
from .i18n import Catalog
from .outbox import Outbox, is_already_exists
from .render import Limits, render_content, render_quick_replies
from .render import validate as v
from .render.actions import Click
from .state import Conn, Divider, MsgState, ViewMessage, ViewState
from .survey import SurveyPanel
from .tabs import LeaderChanged, RelayClosed
from .vdom import Node, h

log = logging.getLogger("lpweb.widget")

__all__ = ["Widget", "Hooks", "WidgetOptions"]

COMPOSING_EVERY_MS = 3000
PAUSE_AFTER_MS = 5000
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
MAX_FILE_BYTES = 3 * 1024 * 1024
#: What can take the focus (filtered further by :func:`_tab_stop` for the panel's Tab trap).
FOCUSABLE = "button, input, select, textarea, a[href], [tabindex]"
ROLE_NAMES = {"CONSUMER": "msg.you", "ASSIGNED_AGENT": "msg.agent", "AGENT": "msg.agent",
              "MANAGER": "msg.agent", "CONTROLLER": "msg.system", "READER": "msg.agent"}


@dataclass
class Hooks:
    """Integrator hooks (parity item 24). Each is optional.

    * ``before_send(text) -> str | None``: edit the text, or return None to veto.
    * ``on_message(view_message)``: every message added to the view.
    * ``on_state_change(conn_state)``: connection banner state changes.
    * ``renderers``: ``{lp_type: fn(element_dict) -> Node | None}`` custom structured-content renderers
      (a Node from :func:`lpweb.widget.vdom.h`, so the allow-lists still apply).
    * ``on_action(action, click)``: actions the widget does not perform itself (addToCart, custom...).
    """

    before_send: Callable[[str], str | None] | None = None
    on_message: Callable[[ViewMessage], Any] | None = None
    on_state_change: Callable[[str], Any] | None = None
    renderers: dict[str, Callable[[dict], Node | None]] = field(default_factory=dict)
    on_action: Callable[[Any, Click], Any] | None = None


@dataclass
class WidgetOptions:
    account_id: str
    csds: str | None
    skill: str | None = None
    theme: Any = None                   # "light" | "dark" | "auto" | {"--lpw-brand": "#0a7", ...}
    locale: str = "en"
    context: dict[str, Any] | None = None
    campaign: dict[str, Any] | None = None
    open: bool = False
    app_id: str = "lpweb_widget"
    image_hosts: tuple[str, ...] = ()
    title: str | None = None
    storage_prefix: str = "lpweb.widget"
    link_hosts: tuple[str, ...] = ()     # the brand's own domains: links there skip the "you're leaving" step


def _now() -> int:
    import js

    return int(js.Date.now())


def _role(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


class Widget:
    def __init__(self, host: Any, options: WidgetOptions, hooks: Hooks | None = None) -> None:
        import js

        self.js = js
        self.host = host
        self.opts = options
        self.hooks = hooks or Hooks()
        self.cat = Catalog(options.locale)
        self.t = self.cat.t
        offset = -int(js.Date.new().getTimezoneOffset())
        self.state = ViewState(tz_offset_min=offset)
        self.limits = Limits(image_hosts=tuple(options.image_hosts))
        self.proxies = dom.Proxies()
        self.announcer = Announcer(self.t)
        from ..transports import default_token_store

        self.store = default_token_store()
        self.outbox = Outbox(self.store, f"{options.storage_prefix}.outbox.{options.account_id}")
        self.blobs = BlobStore(js, f"{options.storage_prefix}.uploads.{options.account_id}")
        self.session: Any = None                 # a ChatSession (lpweb.widget.session), shared by the tabs
        self.conversation_id: str | None = None
        self.role = "none"                       # this tab's role: "leader" | "follower"
        self._boot: list[str] = []
        self.els: dict[str, Any] = {}            # message key -> li
        self.order: list[str] = []
        self.lp_messages: dict[str, tuple[str | None, int | None]] = {}  # view key -> (dialog id, sequence)
        self.clicks: dict[str, tuple[Click, str]] = {}   # action id -> (click, message key)
        self.selected: dict[str, set[str]] = {}  # selectMode name -> selected action ids
        self.uploads: dict[str, asyncio.Task] = {}
        self.files: dict[str, Any] = {}          # client id -> JS File (retry)
        self.qr_for: str | None = None           # message key whose quick replies are shown
        self._qr_shown: str | None = None        # ... and the one whose chips the box holds
        self.is_open = options.open
        self.last_composing = 0
        self.pause_task: asyncio.Task | None = None
        self.tasks: set[asyncio.Task] = set()
        self.survey = SurveyPanel()
        self.leaving: tuple[str, Any] | None = None   # (url, the button that asked) while confirming
        self.closed_view = False
        self._render_handle: asyncio.Handle | None = None   # a render is due (_render)
        self._scroll_next = False                             # ... and scrolls to the bottom
        self._build()

    # ------------------------------------------------------------------ chrome
    def _build(self) -> None:
        js, t = self.js, self.t
        host = self.host
        draft = ""
        boot_input = host.querySelector("input[name=message]")
        if boot_input:
            draft = str(boot_input.value or "")
        dom.clear(host)
        self.root_shadow = host.attachShadow(dom.to_object({"mode": "open"}))
        link = js.document.createElement("link")
        link.setAttribute("rel", "stylesheet")
        link.setAttribute("href", str(js.URL.new("./widget.css", js.document.baseURI).href))
        self.root_shadow.appendChild(link)
        theme = self.opts.theme
        theme_name = theme if theme in ("light", "dark", "auto") else "auto" if theme is None else "light"
        self.tree = chrome_tree(self.cat, self.opts, self.is_open, theme_name)
        self.root = dom.build(self.tree)
        self.root_shadow.appendChild(self.root)
        q = self.root_shadow.querySelector
        self.el = {name: q(f"#{name}") for name in (
            "launcher", "badge", "status", "scroller", "messages", "pill", "typing", "quick-replies", "outbox", "composer",
            "file-input", "attach", "message-input", "send", "announcer", "transcript", "survey", "leave")}
        if draft:
            self.el["message-input"].value = draft
        if isinstance(theme, dict):
            for name, value in theme.items():
                if isinstance(name, str) and re.match(r"^--lpw-[a-z-]{1,30}$", name) and v.color(value):
                    host.style.setProperty(name, v.color(value))
        L = self.proxies.listen
        L(self.root, "click", self._on_click)
        L(self.root, "keydown", self._on_keydown)
        L(self.el["composer"], "submit", self._on_submit)
        L(self.el["message-input"], "input", self._on_input)
        L(self.el["file-input"], "change", self._on_file)
        L(self.el["scroller"], "scroll", lambda e: self._update_pill())
        L(js.document, "visibilitychange", lambda e: self._check_seen())
        L(js.window, "online", lambda e: self._browser_online(True))
        L(js.window, "offline", lambda e: self._browser_online(False))
        self.observer = js.IntersectionObserver.new(self.proxies.proxy(self._on_intersect),
                                                    dom.to_object({"root": self.el["scroller"], "threshold": 0.6}))
        self._set_enabled(False)
        self.host.dataset.pythonMs = str(_now() - int(js.performance.timeOrigin))

    def _set_enabled(self, on: bool) -> None:
        # The composer stays usable while connecting (messages are queued); only a hard failure disables it.
        for name in ("message-input", "send", "attach"):
            self.el[name].disabled = not on

    # ------------------------------------------------------------------ connect
    async def start(self, boot_queue: list[str]) -> None:
        import lpweb

        self._boot = [text.strip() for text in boot_queue if isinstance(text, str) and text.strip()]
        self._set_enabled(True)
        missing = [what for what, value in (("account_id= (or data-account)", self.opts.account_id),
                                            ("csds= (or data-csds: the CSDS domain)", self.opts.csds)) if not value]
        if missing:
            self._on_role("leader")
            raise lpweb.UsageError(f"mount() needs {' and '.join(missing)}; the demo takes ?account=…&csds=<host:port>")
        self._set_conn(Conn.CONNECTING)
        from .tabs_browser import open_session

        self.session = open_session(self.opts, self.store)
        for name, handler in (("role", self._on_role), ("connection", self._on_connection),
                              ("conversation", self._on_conversation), ("message", self._on_message),
                              ("accept-status", self._on_accept_status), ("chat-state", self._on_chat_state),
                              ("participant", self._on_participant), ("system", self._on_system),
                              ("conversation-close", self._on_conv_close)):
            self.session.on(name, handler)
        await self.session.start()           # elects this tab's role; a leader connects
        await self.session.wait_conversation()

    def _on_role(self, role: str) -> None:
        """Only the leader tab drains the durable outbox; a follower keeps what it sends in memory
        until the leader confirms, and hands it over if it becomes the leader."""
        from ..transports.base import MemoryTokenStore

        self.role = role
        self.host.dataset.tabRole = role
        if role == "leader" and self.outbox.store is not self.store:
            durable = Outbox(self.store, self.outbox.key)     # what the previous leader left unsent, plus ours
            for item in self.outbox.items():
                durable.add(item.client_id, item.text, now=item.created, conversation_id=item.conversation_id,
                            metadata=item.metadata)
            self.outbox = durable
        elif role == "follower" and self.outbox.store is self.store:
            self.outbox = Outbox(MemoryTokenStore(), self.outbox.key)
        now = _now()
        for text in self._boot:
            self.outbox.add(self.state.new_client_id(), text, now=now)
        self._boot = []
        for item in self.outbox.items():
            m = self.state.add_outgoing(item.text, client_id=item.client_id, now=item.created or now, queued=True)
            if item.status == "failed":
                self.state.failed(m.client_id, item.error)
        if role == "leader":
            self._spawn(self._restore_uploads())
        self._render()

    def _on_conversation(self, e: dict) -> None:
        first = self.conversation_id is None
        self.conversation_id = e["conversation_id"]
        if first and not e.get("resumed"):
            self.state.system("sys.started", _now())
        self.host.dataset.resumed = "1" if e.get("resumed") else "0"
        self.host.dataset.conversationId = self.conversation_id
        draft = self.outbox.draft(self.conversation_id)
        if draft and not self.el["message-input"].value:
            self.el["message-input"].value = draft
        self._render()

    def _set_conn(self, state: Conn, **kw: Any) -> None:
        now = _now()
        banner = self.state.set_connection(state, now=now, **kw)
        status = self.el["status"]
        dom.set_text(status, self.t(banner.key, **banner.params))
        dom.set_attr(status, "data-conn", state.value)
        dom.set_attr(status, "data-state", "error" if state in (Conn.FAILED, Conn.AUTH_REQUIRED) else "ok")
        dom.set_attr(self.root, "data-state", state.value)
        status.hidden = not banner.visible
        if self.hooks.on_state_change:
            self._safe(self.hooks.on_state_change, state.value)
        if state == Conn.RECONNECTING and self.state.retry_at:
            self._spawn(self._countdown())

    async def _countdown(self) -> None:
        while self.state.conn == Conn.RECONNECTING and self.state.retry_at and self.state.retry_at > _now():
            await asyncio.sleep(1)
            if self.state.conn == Conn.RECONNECTING:
                b = self.state.banner(_now())
                dom.set_text(self.el["status"], self.t(b.key, **b.params))

    def _on_connection(self, e: dict) -> None:
        state = e.get("state")
        if state == "online":
            self._set_conn(Conn.ONLINE)
            self._drain()
        elif state == "catching-up":            # socket back, resyncing by sequence (still queueing)
            self._set_conn(Conn.CATCHING_UP)
        elif state == "reconnecting":
            self._set_conn(Conn.RECONNECTING, attempt=e.get("attempt"), retry_in_ms=e.get("retry_in_ms") or 0)
        elif state == "closed":
            self._set_conn(Conn.CLOSED)
        elif state == "failed":
            self._set_conn(Conn.FAILED, reason=str(e.get("reason") or ""))
        elif state == "connecting":
            self._set_conn(Conn.CONNECTING)

    def _browser_online(self, online: bool) -> None:
        if not online:
            self._set_conn(Conn.OFFLINE)
        elif self.session is not None and self.session.online:
            self._set_conn(Conn.ONLINE)
            self._drain()

    def fail(self, exc: BaseException) -> None:
        self._set_conn(Conn.FAILED, reason=f"{type(exc).__name__}: {exc}")
        self.host.dataset.chatError = f"{type(exc).__name__}: {exc}"
        self._set_enabled(False)

    # ------------------------------------------------------------------ incoming
    def _name(self, role: Any) -> str:
        return self.t(ROLE_NAMES.get(_role(role), "msg.agent"))

    def _on_message(self, m: dict) -> None:
        """A ``message`` event of the session (plain data, see :mod:`lpweb.widget.session`)."""
        role, mine, history = _role(m.get("role")), bool(m.get("mine")), bool(m.get("history"))
        survey = m.get("dialog_type") == "POST_SURVEY"
        if survey and self.survey.start(str(m.get("dialog_id"))):
            self.state.system("sys.survey", (m.get("timestamp") or _now()) - 1)
        vm = self.state.receive(sequence=m.get("sequence"), dialog_id=m.get("dialog_id"), role=role, mine=mine,
                                body=m.get("body"), timestamp=m.get("timestamp") or _now(), kind=m.get("kind") or "text",
                                sender_id=m.get("sender_id"), sender_name=None if mine else self._name(role),
                                quick_replies=m.get("quick_replies"), history=history)
        if vm is None:
            self._render()
            return
        self.lp_messages[vm.key] = (m.get("dialog_id"), m.get("sequence"))
        if survey and not history:
            if not mine and m.get("quick_replies"):
                self.survey.ask(vm.key, vm.body if isinstance(vm.body, str) else "")
            elif mine and self.survey.question_key is not None:   # answered in another tab
                self.survey.answer()
                self.qr_for = None
        if not mine:
            self._spawn(self._receipt(vm.key, "accept"))
            if m.get("quick_replies") and not history:
                self.qr_for = vm.key
            elif not history:
                self.qr_for = None
            if not history:
                self.announcer.add(vm.key, vm.sender_name or "")
                self._spawn(self._announce_soon())
            elif m.get("quick_replies"):
                self.qr_for = vm.key if vm is self._last_other() else self.qr_for
        if self.hooks.on_message:
            self._safe(self.hooks.on_message, vm)
        self._render()

    def _last_other(self) -> ViewMessage | None:
        return next((x for x in reversed(self.state.messages) if not x.mine and not x.is_system), None)

    async def _receipt(self, key: str, what: str) -> None:
        dialog_id, seq = self.lp_messages.get(key, (None, None))
        if not isinstance(seq, int):
            return
        try:
            await (self.session.accept(dialog_id, seq) if what == "accept" else self.session.read(dialog_id, seq))
        except Exception as exc:  # receipts are best effort
            log.info("%s receipt failed: %s", what, exc)

    def _on_accept_status(self, e: dict) -> None:
        seqs = e.get("sequence_list") or []
        if e.get("mine"):
            # This consumer's READ, from any tab: the same messages are read in every tab.
            if str(e.get("status")) == "READ":
                keys = [m.key for m in self.state.messages if not m.mine and m.sequence in seqs]
                if self.state.mark_seen(keys):
                    self._render_badge()
                    self._update_pill()
            return
        changed = self.state.accept_status(str(e.get("status")), seqs)
        for m in changed:
            self._update_meta(m)

    def _on_chat_state(self, e: dict) -> None:
        if e.get("mine") or not e.get("participant_id"):
            return
        self.state.chat_state(e["participant_id"], str(e.get("chat_state")), _now(), self._name(e.get("role")))
        self._render_typing()
        if str(e.get("chat_state")) == "COMPOSING":
            self._spawn(self._typing_watchdog())

    async def _typing_watchdog(self) -> None:
        expiry = self.state.next_typing_expiry()
        if expiry is None:
            return
        await asyncio.sleep(max(0.05, (expiry - _now()) / 1000 + 0.05))
        self._render_typing()

    def _on_participant(self, e: dict) -> None:
        """Agents joining or leaving; ``history`` ones (already there when this view started)
        are only noted, so that their leaving shows; the survey's bot swaps (``survey``) are hidden."""
        if e.get("survey"):
            return
        pid, role = str(e.get("id")), _role(e.get("role"))
        if e.get("added") and e.get("history"):
            if role in ("ASSIGNED_AGENT", "AGENT"):
                self.state.participants[pid] = role
            return
        fn = self.state.participant_added if e.get("added") else self.state.participant_removed
        if fn(pid, role, self._name(role), _now()) is not None:
            self._render()

    def _on_system(self, e: dict) -> None:
        if not e.get("survey"):      # transfers inside the post-conversation survey are not news
            self._system(str(e.get("key")))

    def _system(self, key: str) -> None:
        self.state.system(key, _now())
        self._render()

    def _on_conv_close(self, *_: Any) -> None:
        self.state.conversation_closed(_now())
        self.qr_for = None
        if self.survey.active:
            self.survey.finish()
        self._set_conn(self.state.conn)
        self._render()

    # ------------------------------------------------------------------ sending
    def _on_submit(self, event: Any) -> None:
        event.preventDefault()
        inp = self.el["message-input"]
        text = str(inp.value or "").strip()
        if not text:
            return
        if self.hooks.before_send:
            out = self._safe(self.hooks.before_send, text)
            if out is None:
                return
            text = str(out)
        inp.value = ""
        if self.conversation_id is not None:
            self.outbox.set_draft(self.conversation_id, "")
        self.qr_for = None
        self.send_text(text)
        if self.conversation_id is not None and self.last_composing:
            self.last_composing = 0
            self._spawn(self._chat_state("ACTIVE"))

    def send_text(self, text: str, metadata: Any = None) -> ViewMessage:
        now = _now()
        m = self.state.add_outgoing(text, now=now)
        self.outbox.add(m.client_id, text, now=now, metadata=metadata,
                        conversation_id=self.conversation_id)
        if self.hooks.on_message:
            self._safe(self.hooks.on_message, m)
        self._render(scroll=True)
        self._drain()
        return m

    def _drain(self) -> None:
        if self.conversation_id is None or not self.state.can_send_now:
            return
        for item in self.outbox.due(_now()):
            self.outbox.started(item.client_id)
            self.state.sending(item.client_id)
            self._spawn(self._send(item.client_id, item.text, item.metadata))
        nxt = self.outbox.next_due()
        if nxt is not None:
            self._spawn(self._drain_later(nxt))
        self._render_outbox()

    async def _drain_later(self, at: int) -> None:
        await asyncio.sleep(max(0.0, (at - _now()) / 1000))
        self._drain()

    async def _send(self, client_id: str, text: str, metadata: Any) -> None:
        try:
            resp = await self.session.send_message(text, metadata=metadata, client_id=client_id)
        except (LeaderChanged, RelayClosed):
            # The leader tab went away mid-request: send again through the next leader (or this tab).
            self.outbox.interrupted(client_id)
            self._spawn(self._drain_later(_now() + 200))
        except Exception as exc:
            if is_already_exists(exc):
                self.outbox.succeeded(client_id)
                self.state.acked(client_id, None)
            else:
                from lpweb.errors import ConversationClosed

                item = self.outbox.attempt_failed(client_id, f"{type(exc).__name__}", now=_now(),
                                                  retryable=not isinstance(exc, ConversationClosed))
                if item is not None and item.status == "failed":
                    self.state.failed(client_id, item.error)
                else:
                    self._spawn(self._drain_later(item.next_at if item else _now()))
        else:
            self.outbox.succeeded(client_id)
            resp = resp if isinstance(resp, dict) else {}
            self.state.acked(client_id, resp.get("sequence"), resp.get("dialog_id"))
        m = self.state.get(client_id)
        if m is not None:
            self._update_meta(m)
        self._render_outbox()

    def _on_input(self, _event: Any) -> None:
        if self.qr_for is not None:       # typing instead of tapping dismisses the quick replies
            self.qr_for = None
            self._render_qr()
        if self.conversation_id is not None:
            self.outbox.set_draft(self.conversation_id, str(self.el["message-input"].value or ""))
        if self.conversation_id is None or not self.state.can_send_now:
            return
        now = _now()
        if now - self.last_composing >= COMPOSING_EVERY_MS:
            self.last_composing = now
            self._spawn(self._chat_state("COMPOSING"))
        if self.pause_task is not None:
            self.pause_task.cancel()
        self.pause_task = self._spawn(self._pause_later())

    async def _pause_later(self) -> None:
        await asyncio.sleep(PAUSE_AFTER_MS / 1000)
        self.last_composing = 0
        await self._chat_state("PAUSE")

    async def _chat_state(self, state: str) -> None:
        try:
            await self.session.set_chat_state(state)
        except Exception as exc:
            log.info("chat state %s failed: %s", state, exc)

    # ------------------------------------------------------------------ files
    def _on_file(self, _event: Any) -> None:
        inp = self.el["file-input"]
        files = inp.files
        if not files or files.length == 0:
            return
        file = files.item(0)
        inp.value = ""
        self.upload(file)

    def upload(self, file: Any) -> None:
        name = v.clean_text(str(file.name), 120)
        ftype = str(file.type)
        now = _now()
        if ftype not in IMAGE_TYPES:
            self._system_text(self.t("file.bad_type"))
            return
        if int(file.size) > MAX_FILE_BYTES:
            self._system_text(self.t("file.too_big", max=MAX_FILE_BYTES // (1024 * 1024)))
            return
        preview = str(self.js.URL.createObjectURL(file))
        m = self.state.add_outgoing({"name": name, "preview": preview, "type": ftype}, now=now, kind="file")
        m.progress = 0.0
        self.files[m.client_id] = file
        if self.role == "leader":     # a follower's uploads stay in memory (see _restore_uploads)
            self._spawn(self.blobs.put(m.client_id, file, name, now))
        self.uploads[m.client_id] = self._spawn(self._upload(m.client_id, file))
        self._render(scroll=True)

    async def _restore_uploads(self) -> None:
        """The leader tab uploads what IndexedDB keeps (left by a reload, or by a previous leader
        tab); as a follower this tab kept its uploads in memory: they are kept durably now."""
        for cid in list(self.uploads):
            m = self.state.get(cid)
            if m is not None and cid in self.files:
                name = m.body.get("name") if isinstance(m.body, dict) else None
                await self.blobs.put(cid, self.files[cid], str(name or ""), m.timestamp)
        for record in await self.blobs.all():
            if record["id"] not in self.files:
                self._restore_upload(record)
        self._render()

    def _restore_upload(self, record: dict[str, Any]) -> None:
        """A kept upload (blobstore): shown again; queued ones are sent once connected."""
        file, cid = record["file"], record["id"]
        preview = str(self.js.URL.createObjectURL(file))
        m = self.state.add_outgoing({"name": record["name"], "preview": preview, "type": str(file.type)},
                                    client_id=cid, now=record["created"], kind="file", queued=True)
        m.progress = 0.0
        self.files[cid] = file
        if record["status"] == "failed":
            self.state.failed(cid, "cancelled")
        else:
            self.uploads[cid] = self._spawn(self._upload(cid, file))

    async def _upload(self, client_id: str, file: Any) -> None:
        m = self.state.get(client_id)

        def progress(sent: int, total: int | None) -> None:
            if total:
                self.state.progress(client_id, sent / total)
                self._update_meta(self.state.get(client_id))

        try:
            from .preview import make_preview

            preview = await make_preview(self.js, file)
            self.state.sharing(client_id, preview)
            while True:
                while self.conversation_id is None or not self.state.can_send_now:
                    await asyncio.sleep(0.5)
                self.state.sending(client_id)
                self._update_meta(m)
                try:
                    resp = await self.session.upload_file(file, None, progress=progress, preview=preview,
                                                          client_id=client_id)
                    break
                except (LeaderChanged, RelayClosed):
                    # The leader tab went away mid-upload: upload again through the next leader (or this tab).
                    await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            self.state.failed(client_id, "cancelled")
            self._spawn(self.blobs.set_status(client_id, "failed"))
        except Exception as exc:
            self.state.failed(client_id, f"{type(exc).__name__}: {exc}")
            self._spawn(self.blobs.set_status(client_id, "failed"))
        else:
            self._spawn(self.blobs.delete(client_id))
            self.state.progress(client_id, 1.0)
            resp = resp if isinstance(resp, dict) else {}
            self.state.acked(client_id, resp.get("sequence"), resp.get("dialog_id"))
        finally:
            self.uploads.pop(client_id, None)
        if m is not None:
            self._render()          # the echo may have come first (a follower tab hears it before the answer)
            self._update_meta(m)

    def _system_text(self, text: str) -> None:
        self.state.system("sys.text", _now(), text=text)
        self._render(scroll=True)

    async def _download(self, key: str) -> None:
        dialog_id, seq = self.lp_messages.get(key, (None, None))
        if not isinstance(seq, int):
            return
        data, filename = await self.session.download_file(dialog_id, seq)
        from pyodide.ffi import to_js

        blob = self.js.Blob.new(to_js([self.js.Uint8Array.new(to_js(data))]),
                                dom.to_object({"type": "application/octet-stream"}))
        self._save_blob(blob, filename or "file")

    def _save_blob(self, blob: Any, filename: str) -> None:
        url = str(self.js.URL.createObjectURL(blob))
        a = self.js.document.createElement("a")
        a.setAttribute("download", filename)
        a.href = url
        a.hidden = True
        self.root_shadow.appendChild(a)
        a.click()
        a.remove()
        self.js.setTimeout(self.proxies.once(lambda: self.js.URL.revokeObjectURL(url)), 10_000)

    def download_transcript(self) -> str:
        text = self.state.transcript(self.t)
        from pyodide.ffi import to_js

        blob = self.js.Blob.new(to_js([text]), dom.to_object({"type": "text/plain;charset=utf-8"}))
        self._save_blob(blob, "transcript.txt")
        return text

    # ------------------------------------------------------------------ clicks
    def _on_click(self, event: Any) -> None:
        link = event.target.closest(".lpw-md a[href]")
        if link:                       # links in agent text pass the same "leaving" step
            event.preventDefault()
            self._open_link(str(link.href), link)
            return
        target = event.target.closest("[data-action]")
        if not target:
            return
        action = str(target.dataset.action)
        if action == "ui:toggle":
            self.set_open(not self.is_open)
        elif action == "ui:transcript":
            self.download_transcript()
        elif action == "ui:attach":
            self.el["file-input"].click()
        elif action == "ui:bottom":
            self._scroll_bottom()
        elif action == "ui:skip":
            self.el["message-input"].focus()
        elif action == "ui:survey-skip":
            self._skip_survey()
        elif action in ("ui:leave-go", "ui:leave-stay"):
            self._end_leave(action == "ui:leave-go")
        elif action.startswith("msg:"):
            _, verb, key = action.split(":", 2)
            self._message_action(verb, key)
        elif action in ("carousel:prev", "carousel:next"):
            track = target.parentElement.querySelector(".sc-track")
            if track:
                step = -1 if action.endswith("prev") else 1
                if self.cat.rtl:
                    step = -step
                track.scrollBy(dom.to_object({"left": step * int(track.clientWidth or 200), "behavior": "smooth"}))
        elif action == "tabs:select":
            self._select_tab(target)
        elif action in self.clicks:
            if str(target.tagName).lower() == "input":
                return
            event.preventDefault()
            self._run_click(action, target)

    def _on_keydown(self, event: Any) -> None:
        key = str(event.key)
        target = event.target
        if key == "Escape" and self.is_open:
            self.set_open(False)
            self.el["launcher"].focus()
        elif key in (" ", "Enter") and target.getAttribute("role") == "checkbox" and target.dataset.action:
            event.preventDefault()
            self._run_click(str(target.dataset.action), target)
        elif key == "Tab" and self.is_open and not (event.altKey or event.ctrlKey or event.metaKey):
            self._trap_tab(event, target)
        elif key in keys.NAV_KEYS and not (event.altKey or event.ctrlKey or event.metaKey or event.shiftKey) \
                and str(target.tagName).lower() not in ("input", "textarea", "select"):
            self._navigate(event, key, target)

    def _trap_tab(self, event: Any, target: Any) -> None:
        """widget.md 20, a focus-trapped dialog when expanded: Tab on the open widget's last stop
        goes back to the launcher, Shift+Tab on the launcher to the last stop (keys.trap_move)."""
        stops = [el for el in self.root.querySelectorAll(FOCUSABLE) if _tab_stop(el)]
        i = keys.trap_move(len(stops), _index(stops, target), bool(event.shiftKey))
        if i is not None:
            event.preventDefault()
            stops[i].focus()

    def _navigate(self, event: Any, key: str, target: Any) -> None:
        """Arrows, Home and End (lpweb.widget.keys): tabs, carousel cards, the quick-reply group
        (one Tab stop, widget.md 15) and the messages of the log (widget.md 20). Controls inside
        a message keep their keys: the log moves only from the log itself or from a message."""
        rtl = self.cat.rtl
        items: list[Any] = []
        i: int | None = None
        carousel = target.closest(".sc-carousel")
        if target.getAttribute("role") == "tab":
            items = list(target.parentElement.querySelectorAll("[role=tab]"))
            i = keys.tabs_move(key, len(items), _index(items, target), rtl)
            if i is not None:
                self._select_tab(items[i])
        elif carousel:
            items = list(carousel.querySelectorAll(":scope > .sc-track > .sc-card"))
            i = keys.carousel_move(key, len(items), _index(items, target.closest(".sc-card")), rtl)
        elif target.classList.contains("qr-chip"):
            items = list(target.parentElement.querySelectorAll(".qr-chip"))
            i = keys.group_move(key, len(items), _index(items, target), rtl)
            if i is not None:
                _rove(items, i)
        elif target.id == "scroller" or target.matches("#messages > li[tabindex]"):
            items = list(self.el["messages"].querySelectorAll(":scope > li[tabindex]"))
            i = keys.log_move(key, len(items), _index(items, target))
        if i is not None:
            event.preventDefault()
            items[i].focus()

    def _select_tab(self, tab: Any) -> None:
        tablist = tab.parentElement
        for tb in tablist.querySelectorAll("[role=tab]"):
            sel = tb.id == tab.id
            tb.setAttribute("aria-selected", "true" if sel else "false")
            tb.setAttribute("tabindex", "0" if sel else "-1")
            panel = self.root_shadow.getElementById(tb.getAttribute("aria-controls"))
            if panel:
                panel.hidden = not sel

    def _run_click(self, action_id: str, target: Any) -> None:
        click, key = self.clicks[action_id]
        if click.element == "select":
            group = self.selected.setdefault(click.ref or "", set())
            on = action_id not in group
            (group.add if on else group.discard)(action_id)
            target.setAttribute("aria-checked", "true" if on else "false")
            return
        if click.element == "list":
            return
        if click.used and click.element not in ("checkbox",) and not click.is_link:
            return
        metadata = list(click.metadata or [])
        if click.ref:
            for sid in sorted(self.selected.get(click.ref, ())):
                metadata.extend(self.clicks[sid][0].metadata or [])
        click.used = True
        if key == self.survey.question_key:
            self.survey.answer()
        if str(target.tagName).lower() == "button" and not click.is_link:
            target.disabled = True
        for a in click.actions:
            if a.type == "publishText" and a.text:
                self.qr_for = None
                self.send_text(a.text, metadata=metadata or None)
            elif a.type in ("link", "navigate") and a.url:
                self._open_link(a.url, target)
            elif self.hooks.on_action:
                self._safe(self.hooks.on_action, a, click)
        self._render_qr()
        # A chosen quick reply is gone: keep the focus (in the survey panel, or the composer).
        if not target.isConnected and self.leaving is None \
                and not self.el["survey"].contains(self.root_shadow.activeElement):
            self.el["message-input"].focus()

    # ------------------------------------------------------------------ links and survey
    def _open_link(self, url: str, origin: Any) -> None:
        """Links to the brand's own hosts open at once; others pass through a "You're leaving
        for host" step (widget.md 3.3), which names the real destination host."""
        host = str(self.js.URL.new(url).hostname) or url.split(":", 1)[0]
        if any(host == d or host.endswith("." + d) for d in self.opts.link_hosts):
            self.js.window.open(url, "_blank", "noopener,noreferrer")
            return
        self.leaving = (url, origin)
        box = self.el["leave"]
        dom.clear(box)
        box.appendChild(dom.build(h(
            "div", {"class": "lpw-leave-inner"},
            h("p", {"id": "lpw-leave-text"}, self.t("link.leaving", host=host)),
            h("button", {"type": "button", "class": "lpw-send", "data-action": "ui:leave-go"},
              self.t("link.continue", host=host)),
            h("button", {"type": "button", "class": "lpw-link", "data-action": "ui:leave-stay"},
              self.t("link.stay")))))
        box.hidden = False
        box.querySelector("[data-action='ui:leave-go']").focus()

    def _end_leave(self, go: bool) -> None:
        if self.leaving is None:
            return
        url, origin = self.leaving
        self.leaving = None
        self.el["leave"].hidden = True
        dom.clear(self.el["leave"])
        if go:
            self.js.window.open(url, "_blank", "noopener,noreferrer")
        elif origin is not None and origin.isConnected:
            origin.focus()

    def _skip_survey(self) -> None:
        """Skip: end the conversation (and with it the survey) without answering."""
        self.survey.finish(skipped=True)
        self.qr_for = None
        self._render_qr()
        if self.conversation_id is not None and not self.state.closed:
            self._spawn(self._close_conversation())

    async def _close_conversation(self) -> None:
        try:
            await self.session.close_conversation()
        except Exception as exc:
            log.info("closing the conversation failed: %s", exc)

    def _message_action(self, verb: str, key: str) -> None:
        m = self.state.get(key)
        if m is None:
            return
        if verb == "retry":
            if m.kind == "file" and key in self.files:
                m.progress = 0.0
                self.state.sending(key)
                self._spawn(self.blobs.set_status(key, "queued"))
                self.uploads[key] = self._spawn(self._upload(key, self.files[key]))
            else:
                self.outbox.retry(key, now=_now())
                self.state.sending(key)
                self._drain()
            self._update_meta(m)
        elif verb == "delete":
            self.outbox.cancel(key)
            if self.files.pop(key, None) is not None:
                self._spawn(self.blobs.delete(key))
            if self.state.delete(key):
                self._render()
        elif verb == "cancel":
            task = self.uploads.get(key)
            if task is not None:
                task.cancel()
        elif verb == "download":
            self._spawn(self._download(key))

    def set_open(self, open_: bool) -> None:
        self.is_open = open_
        self.root.classList.toggle("lpw-open", open_)
        dom.set_attr(self.el["launcher"], "aria-expanded", "true" if open_ else "false")
        if open_:
            self.el["message-input"].focus()
            self._check_seen()
        self._render_badge()

    # ------------------------------------------------------------------ rendering
    def _render(self, scroll: bool = False) -> None:
        """Render the view state once this pass of the event loop is over: a burst of events
        (a resumed history, a notification with several changes) is drawn once, and requests
        the connection started meanwhile (a new dialog's messages) go out before the drawing."""
        self._scroll_next = self._scroll_next or scroll
        if self._render_handle is None:
            self._render_handle = asyncio.get_event_loop().call_soon(self._render_now)

    def _render_now(self) -> None:
        scroll, self._scroll_next, self._render_handle = self._scroll_next, False, None
        log_el = self.el["messages"]
        at_bottom = self._at_bottom()
        items = list(self.state.items())
        keys = []
        for item in items:
            key = item.key if isinstance(item, (Divider, ViewMessage)) else str(item)
            keys.append(key)
            if key not in self.els:
                li = self._build_item(item)
                self.els[key] = li
                if isinstance(item, ViewMessage) and not item.mine and not item.is_system:
                    self.observer.observe(li)
        for key in [k for k in self.els if k not in set(keys)]:
            li = self.els.pop(key)
            self.observer.unobserve(li)
            li.remove()
        if keys != self.order:
            # Move nodes into order (existing nodes are moved, not rebuilt).
            for key in keys:
                log_el.appendChild(self.els[key])
            self.order = keys
        self._render_qr()          # these change the log's height: scroll after them
        self._render_typing()
        self._render_outbox()
        self._render_badge()
        if scroll or at_bottom:
            self._scroll_bottom()
        self._update_pill()
        self._check_seen()

    def _build_item(self, item: ViewMessage | Divider) -> Any:
        if isinstance(item, Divider):
            label = self._date_label(item.date) if item.kind == "date" else self.t("divider.new")
            return dom.build(h("li", {"class": f"lpw-divider lpw-divider-{item.kind}", "data-kind": item.kind,
                                      "data-key": item.key}, h("span", {}, label)))
        m = item
        if m.is_system:
            text = m.params.get("text") if m.body == "sys.text" else self.t(m.body, **m.params)
            return dom.build(h("li", {"class": "lpw-system", "data-role": "SYSTEM", "data-key": m.key,
                                      "data-kind": "system"}, h("span", {"class": "body"}, text)))
        time_text = self._time(m.timestamp)
        who = self.t("msg.you_sent", time=time_text) if m.mine else \
            self.t("msg.sender_sent", name=m.sender_name or "", time=time_text)
        li = h("li", {"class": "message mine" if m.mine else "message", "data-role": m.role,
                      "data-sequence": str(m.sequence), "data-key": m.key, "data-kind": m.kind,
                      "data-state": m.state.value if m.state else None, "tabindex": "-1"},
               h("span", {"class": "who lpw-sr"}, who),
               h("span", {"class": "lpw-name", "aria-hidden": "true"}, "" if m.mine else (m.sender_name or "")),
               self._body(m),
               h("span", {"class": "lpw-meta"}, h("time", {"class": "lpw-time"}, time_text),
                 h("span", {"class": "lpw-state"}), h("span", {"class": "lpw-controls"})))
        el = dom.build(li)
        self._fill_meta(el, m)
        return el

    def _body(self, m: ViewMessage) -> Node:
        if m.kind == "rich":
            res = render_content(m.body, limits=self.limits, t=self.t, prefix=_prefix(m.key),
                                 renderers=self.hooks.renderers)
            for cid, click in res.actions.clicks.items():
                self.clicks[cid] = (click, m.key)
            if res.unsupported or res.errors:
                log.info("structured content fallback: types=%s errors=%s", res.unsupported, res.errors)
            return h("div", {"class": "body lpw-rich"}, res.node)
        if m.kind == "file":
            body = m.body if isinstance(m.body, dict) else {}
            if m.mine and isinstance(body.get("preview"), str) and body["preview"].startswith("blob:"):
                img = h("img", {"src": body["preview"], "alt": body.get("name") or self.t("file.image"),
                                "class": "lpw-thumb"}, local_url=True)
                return h("div", {"class": "body lpw-file"}, img,
                         h("span", {"class": "lpw-file-name"}, body.get("name") or ""),
                         h("progress", {"class": "lpw-progress", "max": "100", "value": "0",
                                        "aria-label": body.get("name") or self.t("file.image")}))
            caption = v.clean_text(body.get("caption"), 300) if isinstance(body.get("caption"), str) else ""
            preview = body.get("preview")
            thumb = None
            if isinstance(preview, str) and preview.startswith("data:image/"):
                thumb = h("img", {"src": preview, "alt": caption or self.t("file.image"), "class": "lpw-thumb"},
                          local_url=True)
            return h("div", {"class": "body lpw-file"}, thumb, h("span", {"class": "lpw-file-name"}, caption),
                     h("button", {"type": "button", "class": "lpw-link", "data-action": f"msg:download:{m.key}"},
                       self.t("file.download", name=caption or self.t("file.image"))))
        text = m.body if isinstance(m.body, str) else ""
        if m.mine:
            return h("div", {"class": "body"}, *markdown.plain(text))
        return h("div", {"class": "body lpw-md"}, *markdown.render(text))

    def _fill_meta(self, li: Any, m: ViewMessage) -> None:
        if not m.mine:
            return
        state_el = li.querySelector(".lpw-state")
        controls = li.querySelector(".lpw-controls")
        label = self.t(f"status.{m.state.value}") if m.state else ""
        dom.set_text(state_el, label)
        dom.clear(controls)
        buttons = []
        if m.state == MsgState.FAILED:
            buttons = [("retry", "action.retry"), ("delete", "action.delete")]
        elif m.kind == "file" and m.client_id in self.uploads:
            buttons = [("cancel", "action.cancel")]
        for verb, key in buttons:
            controls.appendChild(dom.build(h("button", {"type": "button", "class": "lpw-link",
                                                        "data-action": f"msg:{verb}:{m.key}"}, self.t(key))))

    def _update_meta(self, m: ViewMessage | None) -> None:
        if m is None:
            return
        li = self.els.get(m.key)
        if li is None:
            self._render()
            return
        dom.set_attr(li, "data-state", m.state.value if m.state else None)
        dom.set_attr(li, "data-sequence", str(m.sequence))
        bar = li.querySelector("progress")
        if bar and m.progress is not None:
            bar.value = round(m.progress * 100)
            dom.set_attr(li, "data-progress", None)
        self._fill_meta(li, m)

    def _date_label(self, d: Any) -> str:
        """"Today", "Yesterday", else the date in the widget's locale (Intl), year when not this one."""
        today = self.state.local_date(_now())
        if (today - d).days in (0, 1):
            return self.state.date_label(d, _now(), self.t)
        fmt = {"day": "numeric", "month": "short", **({} if d.year == today.year else {"year": "numeric"})}
        try:
            return str(self.js.Date.new(d.year, d.month - 1, d.day).toLocaleDateString(
                self.cat.lang, dom.to_object(fmt)))
        except Exception:
            return d.isoformat()

    def _time(self, ms: int) -> str:
        try:
            return str(self.js.Date.new(ms).toLocaleTimeString(self.cat.lang, dom.to_object(
                {"hour": "2-digit", "minute": "2-digit"})))
        except Exception:
            return ""

    def _render_qr(self) -> None:
        """The quick replies of ``qr_for`` under the log (the survey's go into its panel). The box
        is drawn again only when what it shows changes, so a focused chip, and the group's
        roving Tab stop, survive every other render."""
        m = self.state.get(self.qr_for) if self.qr_for is not None and not self.state.closed else None
        in_survey = m is not None and m.key == self.survey.question_key
        shown = m.key if m is not None and not in_survey else None
        node = None
        if m is not None and m.quick_replies and (in_survey or shown != self._qr_shown):
            res = render_quick_replies(m.quick_replies, limits=self.limits, t=self.t, prefix=_prefix(m.key) + "q")
            if res is not None:
                for cid, click in res.actions.clicks.items():
                    self.clicks[cid] = (click, m.key)
                node = res.node
        if shown != self._qr_shown:
            box = self.el["quick-replies"]
            dom.clear(box)
            if node is not None:
                box.appendChild(dom.build(node))
            self._qr_shown = shown
        self._render_survey(node if in_survey else None)

    def _render_survey(self, answers: Node | None) -> None:
        """The CSAT panel: the survey question's answers go there, with Skip (parity item 17)."""
        panel = self.el["survey"]
        content = self.survey.node(self.t, answers)
        had_focus = panel.contains(self.root_shadow.activeElement)
        dom.clear(panel)
        panel.hidden = content is None
        if content is not None:
            panel.appendChild(dom.build(content))
            dom.set_attr(panel, "data-state", "done" if self.survey.done else "active")
            if had_focus:         # keyboard users stay in the panel from one question to the next
                first = panel.querySelector("button")
                (first or panel).focus()

    def _render_typing(self) -> None:
        names = self.state.typing_names(_now())
        text = "" if not names else self.t("typing.one", name=names[0]) if len(names) == 1 else self.t("typing.many")
        dom.set_text(self.el["typing"], text)

    def _render_outbox(self) -> None:
        n = len([m for m in self.state.messages if m.mine and m.state == MsgState.QUEUED])
        el = self.el["outbox"]
        el.hidden = n == 0
        dom.set_text(el, self.t("outbox.waiting", count=n) if n else "")

    def _render_badge(self) -> None:
        n = self.state.unread_count
        badge = self.el["badge"]
        dom.set_text(badge, str(n))
        badge.hidden = n == 0 or self.is_open
        dom.set_attr(self.el["launcher"], "aria-label",
                     self.t("launcher.open") + (". " + self.t("launcher.unread", count=n) if n else ""))

    def _at_bottom(self) -> bool:
        el = self.el["scroller"]
        return int(el.scrollHeight) - int(el.scrollTop) - int(el.clientHeight) < 40

    def _scroll_bottom(self) -> None:
        el = self.el["scroller"]
        el.scrollTop = el.scrollHeight

    def _update_pill(self) -> None:
        pill = self.el["pill"]
        n = self.state.unread_count
        show = n > 0 and not self._at_bottom()
        pill.hidden = not show
        if show:
            dom.set_text(pill, self.t("pill.new", count=n) + " ↓")

    # ------------------------------------------------------------------ receipts
    def _on_intersect(self, entries: Any, _observer: Any = None) -> None:
        self._visible = getattr(self, "_visible", set())
        for entry in entries:
            key = str(entry.target.dataset.key)
            if entry.isIntersecting:
                self._visible.add(key)
            else:
                self._visible.discard(key)
        self._check_seen()

    def _check_seen(self) -> None:
        visible = getattr(self, "_visible", set())
        if not visible or not self.is_open or str(self.js.document.visibilityState) != "visible":
            return
        seen = self.state.mark_seen(sorted(visible))
        for m in seen:
            self._spawn(self._receipt(m.key, "read"))
        if seen:
            self._render_badge()
            self._update_pill()

    async def _announce_soon(self) -> None:
        """Flush the announcer once its throttle allows, until nothing is pending (another
        task's flush may reset the window meanwhile: wait again rather than drop a message)."""
        await asyncio.sleep(0.05)
        while (wait := self.announcer.wait_ms(_now())) is not None:
            if wait:
                await asyncio.sleep(wait / 1000)
                continue
            text = self.announcer.flush(_now())
            if text:
                dom.set_text(self.el["announcer"], text)

    # ------------------------------------------------------------------ plumbing
    def _spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("widget task failed: %r", task.exception())

    def _safe(self, fn: Callable, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            log.warning("widget hook %r failed: %s", fn, exc)
            return None

    async def unmount(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        try:
            self.observer.disconnect()
        except Exception:
            pass
        self.proxies.destroy_all()
        if self.session is not None:
            try:
                await self.session.close()
            except Exception:
                pass
        dom.clear(self.root_shadow)


def chrome_tree(cat: Catalog, opts: WidgetOptions, is_open: bool, theme_name: str) -> Node:
    """The widget's fixed structure (launcher, panel, banner, log, composer) as node descriptions."""
    t = cat.t
    ids = {"title": "lpw-title", "log": "messages", "input": "message-input"}
    return h(
        "div", {"class": f"lpw lpw-theme-{theme_name}" + (" lpw-open" if is_open else ""),
                "dir": cat.dir, "lang": cat.lang, "data-state": "connecting"},
        h("button", {"type": "button", "class": "lpw-launcher", "id": "launcher", "aria-expanded":
                     "true" if is_open else "false", "aria-controls": "lpw-panel",
                     "data-action": "ui:toggle"},
          h("span", {"class": "lpw-launcher-label"}, t("launcher.open")),
          h("span", {"class": "lpw-badge", "id": "badge", "hidden": True, "aria-hidden": "true"}, "0")),
        h("section", {"class": "lpw-panel", "id": "lpw-panel", "role": "dialog", "aria-labelledby": ids["title"],
                      "aria-modal": "false"},
          h("button", {"type": "button", "class": "lpw-skip", "data-action": "ui:skip"}, t("composer.skip")),
          h("header", {"class": "lpw-header"},
            h("h2", {"id": ids["title"], "class": "lpw-title"}, opts.title or t("title")),
            h("button", {"type": "button", "class": "lpw-icon", "data-action": "ui:transcript",
                         "id": "transcript", "aria-label": t("transcript.download"),
                         "title": t("transcript.download")}, "⤓"),
            h("button", {"type": "button", "class": "lpw-icon", "data-action": "ui:toggle",
                         "aria-label": t("launcher.close"), "title": t("launcher.close")}, "×")),
          h("p", {"id": "status", "class": "lpw-banner", "role": "status", "data-state": "ok",
                  "data-conn": "connecting"}, t("state.connecting")),
          # The scrolling region is the log; the messages inside it stay a real list.
          # One Tab stop; the arrow keys walk its messages (keys.log_move), as the description says.
          h("div", {"id": "scroller", "class": "lpw-log", "role": "log", "aria-live": "off",
                    "aria-relevant": "additions", "aria-label": t("log.label"), "tabindex": "0",
                    "aria-describedby": "lpw-log-keys"},
            h("ol", {"id": ids["log"], "class": "lpw-list"})),
          h("p", {"id": "lpw-log-keys", "hidden": True}, t("log.keys")),
          h("button", {"type": "button", "class": "lpw-pill", "id": "pill", "hidden": True,
                       "data-action": "ui:bottom"}, t("pill.new", count=0)),
          h("p", {"class": "lpw-typing", "id": "typing", "aria-hidden": "true"}),
          h("div", {"class": "lpw-qr", "id": "quick-replies"}),
          h("section", {"class": "lpw-survey", "id": "survey", "hidden": True, "aria-labelledby": "lpw-survey-title",
                        "tabindex": "-1"}),
          h("div", {"class": "lpw-leave", "id": "leave", "hidden": True, "role": "alertdialog",
                    "aria-labelledby": "lpw-leave-text"}),
          h("p", {"class": "lpw-outbox", "id": "outbox", "hidden": True}),
          h("form", {"class": "lpw-composer", "id": "composer", "autocomplete": "off", "novalidate": True},
            h("input", {"type": "file", "id": "file-input", "class": "lpw-file", "accept": ",".join(sorted(IMAGE_TYPES)),
                        "tabindex": "-1", "aria-hidden": "true"}),
            h("button", {"type": "button", "class": "lpw-icon lpw-attach", "id": "attach", "data-action": "ui:attach",
                         "aria-label": t("composer.attach"), "title": t("composer.attach")}, "+"),
            h("label", {"for": ids["input"], "class": "lpw-sr"}, t("composer.label")),
            h("input", {"id": ids["input"], "name": "message", "type": "text", "placeholder": t("composer.placeholder"),
                        "maxlength": "10000", "enterkeyhint": "send"}),
            h("button", {"type": "submit", "id": "send", "class": "lpw-send"}, t("composer.send"))),
          h("div", {"class": "lpw-sr", "id": "announcer", "role": "status", "aria-live": "polite",
                    "aria-atomic": "true"})))


def _index(items: list[Any], el: Any) -> int | None:
    """The position of DOM node ``el`` in ``items`` (None when absent or null)."""
    if not el:
        return None
    return next((n for n, x in enumerate(items) if x.isSameNode(el)), None)


def _rove(items: list[Any], i: int) -> None:
    """Roving tabindex: item ``i`` is the group's one Tab stop."""
    for n, el in enumerate(items):
        el.setAttribute("tabindex", "0" if n == i else "-1")


def _tab_stop(el: Any) -> bool:
    """A sequential focus stop now: tabindex >= 0, enabled, and rendered (has a box)."""
    return int(el.tabIndex) >= 0 and not el.matches(":disabled") and int(el.getClientRects().length) > 0


def _prefix(key: str) -> str:
    return "m" + re.sub(r"[^A-Za-z0-9]", "", key)[-24:] + "-"


def boot_queue(js: Any) -> list[str]:
    """Messages typed in the pre-Python composer (web/widget-boot.js), taken once."""
    boot = getattr(js.window, "lpwebBoot", None)
    if not boot:
        return []
    try:
        raw = boot.take()
        items = json.loads(str(raw)) if raw else []
    except Exception:
        return []
    return [x for x in items if isinstance(x, str)][:50]
