"""``EventEmitter``: the one event mechanism of lpweb (design.md §5).

* ``on(event, handler)`` registers a handler and returns the emitter (chaining, as in the
  JS SDK); ``@emitter.on(event)`` registers the decorated function and returns it
  unchanged. Any number of handlers per event; plain functions and coroutine functions.
* ``once``, ``off``, ``listeners``.
* ``await wait_for(event, check=None, timeout=None)`` returns the next matching payload or
  raises :class:`~lpweb.errors.RequestTimeout`. The waiter is registered at call time.
* ``events(*names)`` is an async iterator over payloads, backed by a queue registered at
  call time.
* ``"*"`` handlers receive every event as ``(event, payload)``.

Ordering: handlers run in registration order. Synchronous handlers run inside ``emit``;
coroutine handlers of one emitter are run one after another from a per-emitter queue, so
chat events keep their order. An exception in a handler is emitted as ``'error'``; with no
``'error'`` listener it is logged with its traceback. It never stops the caller.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

from ..errors import RequestTimeout

__all__ = ["EventEmitter", "HandlerError"]

log = logging.getLogger("lpweb")
F = TypeVar("F", bound=Callable[..., Any])
_NO_ARG = object()


class HandlerError(Exception):
    """Wraps an exception raised by an application handler; emitted on ``'error'``."""

    def __init__(self, event: str, error: BaseException) -> None:
        self.event = event
        self.error = error
        super().__init__(f"handler for {event!r} raised {type(error).__name__}: {error}")


class EventEmitter:
    # The containers are made on first use: a brand connection may cache 10,000
    # conversations, each an emitter that most applications never listen to
    # (bench/brand_ingest.py: ~1.1 kB per conversation).
    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[..., Any]]] | None = None
        self._once: set[int] | None = None
        self._waiters: list[tuple[str, Callable[[Any], bool] | None, asyncio.Future[Any]]] | None = None
        self._queues: list[tuple[frozenset[str], asyncio.Queue[Any]]] | None = None
        self._async_backlog: deque[Awaitable[Any]] | None = None
        self._runner: asyncio.Task[None] | None = None

    # -- registration ---------------------------------------------------------------------
    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """Register ``handler`` for ``event``; without a handler, act as a decorator."""
        if handler is None:
            def decorator(fn: F) -> F:
                self._add_handler(event, fn)
                return fn
            return decorator
        self._add_handler(event, handler)
        return self

    def _add_handler(self, event: str, handler: Callable[..., Any]) -> None:
        if self._handlers is None:
            self._handlers = {}
        self._handlers.setdefault(event, []).append(handler)

    def once(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        if handler is None:
            def decorator(fn: F) -> F:
                self.once(event, fn)
                return fn
            return decorator
        if self._once is None:
            self._once = set()
        self._once.add(id(handler))
        return self.on(event, handler)

    def off(self, event: str, handler: Callable[..., Any] | None = None) -> EventEmitter:
        """Remove one handler, or every handler of ``event`` when none is given."""
        if self._handlers is None:
            return self
        if handler is None:
            self._handlers.pop(event, None)
        else:
            handlers = self._handlers.get(event, [])
            if handler in handlers:
                handlers.remove(handler)
        return self

    def listeners(self, event: str) -> list[Callable[..., Any]]:
        return list(self._handlers.get(event, [])) if self._handlers else []

    def has_listeners(self, event: str) -> bool:
        handlers = self._handlers
        return handlers is not None and (bool(handlers.get(event)) or bool(handlers.get("*")))

    # -- emitting -------------------------------------------------------------------------
    def emit(self, event: str, payload: Any = _NO_ARG) -> None:
        """Deliver ``payload`` to handlers, waiters and iterators of ``event``."""
        value = None if payload is _NO_ARG else payload
        if self._waiters:
            for waiter in list(self._waiters):
                name, check, fut = waiter
                if name != event or fut.done():
                    continue
                try:
                    matched = check is None or check(value)
                except Exception as exc:  # a bad check fails its waiter, not the emitter
                    fut.set_exception(exc)
                    self._waiters.remove(waiter)
                    continue
                if matched:
                    fut.set_result(value)
                    self._waiters.remove(waiter)
        if self._queues:
            for names, queue in self._queues:
                if event in names:
                    queue.put_nowait((event, value))
        handlers = self._handlers
        if not handlers:
            return
        named = handlers.get(event)
        if named:
            args = () if payload is _NO_ARG else (payload,)
            for handler in list(named):
                if self._once and id(handler) in self._once:
                    self._once.discard(id(handler))
                    self.off(event, handler)
                self._call(event, handler, args)
        everything = handlers.get("*")
        if everything:
            for handler in list(everything):
                self._call(event, handler, (event, value))

    def _call(self, event: str, handler: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            result = handler(*args)
        except Exception as exc:
            self._handler_failed(event, exc)
            return
        if inspect.isawaitable(result):
            if self._async_backlog is None:
                self._async_backlog = deque()
            self._async_backlog.append(self._guard(event, result))
            if self._runner is None or self._runner.done():
                self._runner = asyncio.get_running_loop().create_task(self._run_backlog())

    async def _guard(self, event: str, awaitable: Awaitable[Any]) -> None:
        try:
            await awaitable
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._handler_failed(event, exc)

    async def _run_backlog(self) -> None:
        while self._async_backlog:
            await self._async_backlog.popleft()

    def _handler_failed(self, event: str, exc: Exception) -> None:
        if event == "error" or not (self._handlers and self._handlers.get("error")):
            log.error("unhandled exception in %r handler", event, exc_info=exc)
            return
        self.emit("error", HandlerError(event, exc))

    def report_error(self, error: BaseException) -> None:
        """Emit ``error`` on ``'error'``, or log it when nobody listens."""
        if (self._handlers and self._handlers.get("error")) or any(w[0] == "error" for w in self._waiters or ()):
            self.emit("error", error)
        else:
            log.error("lpweb error: %s", error, exc_info=error if error.__traceback__ else None)

    # -- awaiting -------------------------------------------------------------------------
    async def wait_for(self, event: str, check: Callable[[Any], bool] | None = None,
                       timeout: float | None = None) -> Any:
        """The next payload of ``event`` that satisfies ``check``; timeout in seconds."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiter = (event, check, fut)
        if self._waiters is None:
            self._waiters = []
        waiters = self._waiters
        waiters.append(waiter)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise RequestTimeout(f"no {event!r} event within {timeout} s") from None
        finally:
            if waiter in waiters:
                waiters.remove(waiter)

    async def events(self, *names: str, maxsize: int = 1000) -> AsyncIterator[Any]:
        """Iterate over payloads of the given events (all of them if none are named as
        ``"*"``); yields ``(event, payload)`` pairs when several names are given."""
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        entry = (frozenset(names), queue)
        if self._queues is None:
            self._queues = []
        queues = self._queues
        queues.append(entry)
        try:
            while True:
                event, value = await queue.get()
                yield value if len(names) == 1 else (event, value)
        finally:
            queues.remove(entry)

    async def drain(self) -> None:
        """Wait until the coroutine handlers queued so far have finished."""
        while self._runner is not None and not self._runner.done():
            await asyncio.shield(self._runner)

    def cancel_handlers(self) -> None:
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
        while self._async_backlog:
            pending = self._async_backlog.popleft()
            close = getattr(pending, "close", None)
            if close is not None:
                close()  # never started: close it so it is not reported as never awaited
