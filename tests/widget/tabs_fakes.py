"""In-memory stand-ins for the browser's BroadcastChannel and Web Locks (tests of lpweb.widget.tabs/shared).

``MemoryBus.channel()`` behaves like ``new BroadcastChannel(name)``: a message posted on one
channel is delivered asynchronously, as a copy (JSON round trip, like a structured clone), to
every *other* open channel of the bus; a request's ``file`` (bytes here) travels beside the
JSON, as :class:`~lpweb.widget.tabs_browser.BrowserChannel` sends a File beside it. ``MemoryLockManager.lock()`` behaves like one exclusive
``navigator.locks`` name: granted in request order, released explicitly (a closed tab).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable


class MemoryBus:
    def __init__(self) -> None:
        self.channels: list[MemoryChannel] = []
        self.log: list[dict[str, Any]] = []

    def channel(self) -> "MemoryChannel":
        ch = MemoryChannel(self)
        self.channels.append(ch)
        return ch


class MemoryChannel:
    def __init__(self, bus: MemoryBus) -> None:
        self.bus = bus
        self.fn: Callable[[dict[str, Any]], None] | None = None
        self.closed = False

    def listen(self, fn: Callable[[dict[str, Any]], None]) -> None:
        self.fn = fn

    def post(self, msg: dict[str, Any]) -> None:
        if self.closed:
            return
        file = None
        args = msg.get("args")
        if isinstance(args, dict) and args.get("file") is not None:
            file = bytes(args["file"])
            msg = {**msg, "args": {k: v for k, v in args.items() if k != "file"}}
        text = json.dumps(msg)
        self.bus.log.append(json.loads(text))
        loop = asyncio.get_running_loop()
        for other in self.bus.channels:
            if other is not self and not other.closed:
                copy = json.loads(text)
                if file is not None:
                    copy["args"]["file"] = file
                loop.call_soon(other._deliver, copy)

    def _deliver(self, msg: dict[str, Any]) -> None:
        if not self.closed and self.fn is not None:
            self.fn(msg)

    def close(self) -> None:
        self.closed = True


class MemoryLockManager:
    def __init__(self) -> None:
        self.holder: MemoryLock | None = None
        self.queue: list[tuple[MemoryLock, asyncio.Future[None]]] = []

    def lock(self) -> "MemoryLock":
        return MemoryLock(self)

    def _grant_next(self) -> None:
        while self.holder is None and self.queue:
            lock, fut = self.queue.pop(0)
            if not fut.done():
                self.holder = lock
                fut.set_result(None)


class MemoryLock:
    def __init__(self, manager: MemoryLockManager) -> None:
        self.m = manager

    async def try_acquire(self) -> bool:
        if self.m.holder is None and not self.m.queue:
            self.m.holder = self
            return True
        return False

    async def acquire(self) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.m.queue.append((self, fut))
        self.m._grant_next()
        await fut

    def release(self) -> None:
        if self.m.holder is self:
            self.m.holder = None
        self.m.queue = [(lk, f) for lk, f in self.m.queue if lk is not self]
        self.m._grant_next()
