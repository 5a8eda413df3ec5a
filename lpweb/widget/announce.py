"""Throttled live announcements (widget.md parity item 20, Stream's pattern [S8]).

Pure policy: :meth:`Announcer.add` collects incoming messages (never the consumer's own,
never failed or sending ones); :meth:`Announcer.flush` returns at most one sentence per
``interval_ms`` — "New message from Anna" or "3 new messages" — and each message id is
announced at most once.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["Announcer"]


class Announcer:
    def __init__(self, t: Callable[..., str], interval_ms: int = 1000) -> None:
        self.t = t
        self.interval_ms = interval_ms
        self._pending: list[tuple[str, str]] = []
        self._done: set[str] = set()
        self._last = -10**12

    def add(self, key: str, sender: str, *, mine: bool = False, failed: bool = False) -> None:
        if mine or failed or key in self._done:
            return
        self._done.add(key)
        self._pending.append((key, sender))

    def due(self, now: int) -> bool:
        return bool(self._pending) and now - self._last >= self.interval_ms

    def wait_ms(self, now: int) -> int | None:
        """Milliseconds until :meth:`flush` has something to say (None: nothing pending)."""
        if not self._pending:
            return None
        return max(0, self._last + self.interval_ms - now)

    def flush(self, now: int) -> str | None:
        if not self.due(now):
            return None
        pending, self._pending = self._pending, []
        self._last = now
        if len(pending) == 1:
            return self.t("announce.new_from", name=pending[0][1])
        return self.t("announce.new_many", count=len(pending))

    def message(self, text: str, now: int) -> str:
        """A direct announcement (state changes): resets the throttle window."""
        self._last = now
        return text


