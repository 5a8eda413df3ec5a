"""Injectable time for the emulator: a clock (epoch ms) and a scheduler of delayed calls.

``Platform`` takes ``clock=`` (a callable returning epoch milliseconds) and ``scheduler=``
(anything with ``call_later(delay_ms, fn) -> Timer``). By default the clock is the wall
clock and :class:`AsyncioScheduler` uses the running event loop. Tests use
:class:`ManualTime`, which is both: ``now()`` is its clock and ``advance(ms)`` runs every
callback that falls due, in order, so ring and token expiry take no real time::

    t = ManualTime()
    platform = Platform(clock=t.now, scheduler=t)
    t.advance(72_000)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Any, Callable, Protocol

__all__ = ["Timer", "Scheduler", "AsyncioScheduler", "ManualTime", "wall_clock_ms"]


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class Timer(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    def call_later(self, delay_ms: int, fn: Callable[[], Any]) -> Timer: ...


class _NoTimer:
    def cancel(self) -> None:
        pass


class AsyncioScheduler:
    """Delayed calls on the running asyncio loop; without a running loop nothing fires."""

    def call_later(self, delay_ms: int, fn: Callable[[], Any]) -> Timer:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return _NoTimer()
        return loop.call_later(max(0, delay_ms) / 1000, fn)


class _ManualTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualTime:
    """A clock that only moves when told to, and the scheduler that goes with it."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms
        self._queue: list[tuple[int, int, _ManualTimer, Callable[[], Any]]] = []
        self._seq = itertools.count()

    def now(self) -> int:
        return self._now

    def call_later(self, delay_ms: int, fn: Callable[[], Any]) -> Timer:
        timer = _ManualTimer()
        heapq.heappush(self._queue, (self._now + max(0, delay_ms), next(self._seq), timer, fn))
        return timer

    def advance(self, ms: int) -> None:
        """Move the clock ``ms`` forward, running due callbacks at their own due time."""
        target = self._now + ms
        while self._queue and self._queue[0][0] <= target:
            due, _, timer, fn = heapq.heappop(self._queue)
            self._now = max(self._now, due)
            if not timer.cancelled:
                fn()
        self._now = target

    @property
    def pending(self) -> int:
        return sum(1 for _, _, t, _ in self._queue if not t.cancelled)
