"""The browser glue of the shared session: a BroadcastChannel and a Web Lock through Pyodide's
FFI, and :func:`open_session`, which the widget calls. Browser-only (imports ``js`` lazily).

Feature detection: ``navigator.locks`` and ``BroadcastChannel`` -> lock election;
``BroadcastChannel`` alone -> claim-and-confirm over the channel
(:class:`~lpweb.widget.tabs.BroadcastElection`); neither -> the tab is its own leader.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any, Callable

from .session import LocalSession
from .shared import SharedSession
from .tabs import channel_name, lock_name

log = logging.getLogger("lpweb.widget.tabs")

__all__ = ["BrowserChannel", "BrowserLocks", "open_session"]


class BrowserChannel:
    """A BroadcastChannel carrying tab messages as JSON text; a request's ``file`` (a JS
    File/Blob) travels beside the text as a structured clone. ``on_pagehide`` runs when the
    page goes away (the shared session's goodbye)."""

    def __init__(self, name: str) -> None:
        import js
        from pyodide.ffi import create_proxy

        self.js = js
        self.channel = js.BroadcastChannel.new(name)
        self._fn: Callable[[dict[str, Any]], None] | None = None
        self.on_pagehide: Callable[[], Any] | None = None
        self._listener = create_proxy(self._on_message)
        self._pagehide = create_proxy(lambda _e: self.on_pagehide and self.on_pagehide())
        self.channel.addEventListener("message", self._listener)
        js.window.addEventListener("pagehide", self._pagehide)

    def listen(self, fn: Callable[[dict[str, Any]], None]) -> None:
        self._fn = fn

    def post(self, msg: dict[str, Any]) -> None:
        file = None
        args = msg.get("args")
        if isinstance(args, dict) and args.get("file") is not None:
            file = args["file"]
            msg = {**msg, "args": {k: v for k, v in args.items() if k != "file"}}
        payload = self.js.Object.new()
        payload.json = json.dumps(msg, separators=(",", ":"))
        if file is not None:
            payload.file = file
        self.channel.postMessage(payload)

    def _on_message(self, event: Any) -> None:
        try:
            data = event.data
            raw = json.loads(str(data.json))
            file = getattr(data, "file", None)
            if file is not None and isinstance(raw, dict) and isinstance(raw.get("args"), dict):
                raw["args"]["file"] = file
        except Exception as exc:
            log.info("dropped an unreadable tab message: %s", type(exc).__name__)
            return
        if self._fn is not None:
            self._fn(raw)

    def close(self) -> None:
        try:
            self.channel.removeEventListener("message", self._listener)
            self.js.window.removeEventListener("pagehide", self._pagehide)
            self.channel.close()
        finally:
            self._listener.destroy()
            self._pagehide.destroy()


class BrowserLocks:
    """One exclusive Web Lock, held until :meth:`release` or until the tab goes away."""

    def __init__(self, name: str) -> None:
        import js

        self.js = js
        self.name = name
        self._release: Any = None

    async def try_acquire(self) -> bool:
        return await self._request(if_available=True)

    async def acquire(self) -> None:
        await self._request(if_available=False)

    async def _request(self, *, if_available: bool) -> bool:
        from pyodide.ffi import create_once_callable, to_js

        js = self.js
        got: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def hold(resolve: Any, _reject: Any) -> None:
            self._release = resolve

        def granted(lock: Any) -> Any:
            if getattr(lock, "name", None) is None:   # ifAvailable and someone holds it (JS null)
                if not got.done():
                    got.set_result(False)
                return None
            if not got.done():
                got.set_result(True)
            return js.Promise.new(create_once_callable(hold))   # held until released

        options = to_js({"mode": "exclusive", "ifAvailable": if_available}, dict_converter=js.Object.fromEntries)
        promise = js.navigator.locks.request(self.name, options, create_once_callable(granted))
        promise.catch(create_once_callable(lambda err: got.done() or got.set_exception(
            RuntimeError(f"Web Lock request failed: {err}"))))
        return await got

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None


def open_session(opts: Any, store: Any) -> SharedSession:
    """The widget's :class:`SharedSession` for ``opts`` (a WidgetOptions), not started yet."""
    import js

    import lpweb
    from lpweb import UserType

    def connect() -> Any:
        conn = lpweb.create_connection(app_id=opts.app_id, account_id=opts.account_id, user_type=UserType.CONSUMER,
                                       csds_domain=opts.csds, token_store=store, wait_for_ready=True)
        conn.on("error", lambda err: log.warning("connection error: %s", err))
        return conn

    create: dict[str, Any] = {}
    if opts.skill:
        create["skill_id"] = opts.skill
    if opts.context:
        create["context"] = opts.context
    channel = locks = None
    if getattr(js, "BroadcastChannel", None) is not None:
        channel = BrowserChannel(channel_name(opts.storage_prefix, opts.account_id))
        if getattr(js.navigator, "locks", None) is not None:
            locks = BrowserLocks(lock_name(opts.storage_prefix, opts.account_id))
    session = SharedSession(tab_id=os.urandom(8).hex(), channel=channel, locks=locks,
                            open_local=lambda: LocalSession(connect, create), now=lambda: int(js.Date.now()))
    if channel is not None:
        channel.on_pagehide = session.leave
    return session
