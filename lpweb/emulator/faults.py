"""Fault injection for chaos tests: ``emu.faults`` (also ``platform.faults``).

Targets are a connection id (``"ws-3"``, ``"mem-1"``), ``"*"`` (every connection),
``"consumer"`` / ``"brand"`` (every connection of that side) or a predicate
``fn(session) -> bool``. Randomness comes from ``random.Random(seed)`` (``Emulator(seed=...)``
or :meth:`Faults.seed`), so a failing chaos run can be replayed::

    emu.faults.drop_connection("consumer", after_frames=3)   # abort (1006) after 3 more frames
    emu.faults.close_with("ws-4", 4401)
    emu.faults.delay_notifications(0.5)        # seconds, on the platform scheduler
    emu.faults.duplicate_notifications(0.2)    # probability
    emu.faults.reorder_notifications(4)        # shuffle notifications in windows of 4
    emu.faults.expire_token(jwt); emu.faults.revoke_token(bearer)
    emu.faults.http_error(r"/login$", 503, times=2)
    emu.faults.clear_drops()                   # pending frame-count drops only
    emu.faults.clear()

Only notifications are delayed, duplicated or reordered; responses go out at once. Frame
counting for ``drop_connection`` includes responses.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union

from .tokens import EXPIRY_CLOSE_CODES

if TYPE_CHECKING:
    from .state import Platform

__all__ = ["Faults", "Target", "ABORT_CODE", "REVOKED_BRAND_CLOSE_CODE"]

Target = Union[str, Callable[[Any], bool]]
ABORT_CODE = 1006                 # "close" code meaning: drop the TCP connection, no close frame
REVOKED_BRAND_CLOSE_CODE = 4401   # [INF] a brand socket whose bearer is revoked
REORDER_FLUSH_MS = 50             # a partial reorder window is sent after this long


@dataclass
class _Drop:
    target: Target
    after_frames: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _HttpFault:
    pattern: re.Pattern[str]
    status: int
    times: int


def matches(target: Target, session: Any) -> bool:
    if callable(target):
        return bool(target(session))
    if target == "*":
        return True
    if target == "consumer":
        return not session.brand
    if target == "brand":
        return session.brand
    return session.connection_id == target


class Faults:
    def __init__(self, platform: "Platform", seed: int | None = None) -> None:
        self.platform = platform
        self.random = random.Random(seed)
        self.clear()

    def seed(self, seed: int) -> None:
        self.random.seed(seed)

    def clear(self) -> None:
        """Remove every fault (buffered notifications are sent)."""
        self._drops: list[_Drop] = []
        self._http: list[_HttpFault] = []
        self.delay_s = 0.0
        self.duplicate_p = 0.0
        self.reorder_window = 0
        for session, frames in list(getattr(self, "_buffers", {}).items()):
            for text in frames:
                session.deliver(text)
        self._buffers: dict[Any, list[str]] = {}

    def clear_drops(self) -> None:
        """Remove the pending ``drop_connection(after_frames=...)`` faults only."""
        self._drops = []

    # ---- configuring --------------------------------------------------------------------
    def sessions(self, target: Target) -> list[Any]:
        return [s for s in self.platform.listeners if hasattr(s, "connection_id") and matches(target, s)]

    def drop_connection(self, target: Target, after_frames: int = 0) -> int:
        """Abort matching connections (now, or after ``after_frames`` more frames each)."""
        if after_frames <= 0:
            found = self.sessions(target)
            for session in found:
                session.close(ABORT_CODE, "fault: connection dropped")
            return len(found)
        self._drops.append(_Drop(target, after_frames))
        return 0

    def close_with(self, target: Target, code: int, reason: str = "fault injected") -> int:
        found = self.sessions(target)
        for session in found:
            session.close(code, reason)
        return len(found)

    def delay_notifications(self, seconds: float) -> None:
        self.delay_s = max(0.0, float(seconds))

    def duplicate_notifications(self, p: float) -> None:
        self.duplicate_p = min(1.0, max(0.0, float(p)))

    def reorder_notifications(self, window: int) -> None:
        self.reorder_window = max(0, int(window))

    def expire_token(self, token: str) -> int:
        """Expire a consumer JWT or bearer now; consumer sockets using it close (4401/4407)."""
        return self._end_token(token, self.platform.tokens.expire(token), brand_too=False)

    def revoke_token(self, token: str) -> int:
        """Revoke a consumer JWT or bearer; sockets using it close."""
        return self._end_token(token, self.platform.tokens.revoke(token), brand_too=True)

    def _end_token(self, token: str, known: bool, brand_too: bool) -> int:
        if not known:
            return 0
        closed = 0
        for session in self.sessions("*"):
            if session.token != token:
                continue
            if not session.brand:
                session.close(EXPIRY_CLOSE_CODES[self.platform.tokens.token_kind(token)], "token expired")
                closed += 1
            elif brand_too:
                session.close(REVOKED_BRAND_CLOSE_CODE, "token revoked")
                closed += 1
        return closed

    def http_error(self, path_pattern: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` HTTP requests whose path matches (``re.search``) with ``status``."""
        self._http.append(_HttpFault(re.compile(path_pattern), int(status), int(times)))

    # ---- hooks --------------------------------------------------------------------------
    def http_status(self, path: str) -> int | None:
        for fault in self._http:
            if fault.times > 0 and fault.pattern.search(path):
                fault.times -= 1
                if fault.times == 0:
                    self._http.remove(fault)
                return fault.status
        return None

    def outgoing(self, session: Any, text: str, notification: bool) -> None:
        """Send one frame of ``session`` through the active faults."""
        if notification and (self.delay_s or self.duplicate_p or self.reorder_window):
            copies = 2 if self.duplicate_p and self.random.random() < self.duplicate_p else 1
            for _ in range(copies):
                self._notification(session, text)
        else:
            self._emit(session, text)

    def _notification(self, session: Any, text: str) -> None:
        if self.delay_s:
            self.platform.scheduler.call_later(int(self.delay_s * 1000), lambda: self._reorder(session, text))
        else:
            self._reorder(session, text)

    def _reorder(self, session: Any, text: str) -> None:
        if self.reorder_window <= 1:
            self._emit(session, text)
            return
        buffer = self._buffers.setdefault(session, [])
        buffer.append(text)
        if len(buffer) == 1:
            self.platform.scheduler.call_later(REORDER_FLUSH_MS, lambda: self._release(session))
        if len(buffer) >= self.reorder_window:
            self._release(session)

    def _release(self, session: Any) -> None:
        frames = self._buffers.pop(session, [])
        self.random.shuffle(frames)
        for text in frames:
            self._emit(session, text)

    def _emit(self, session: Any, text: str) -> None:
        session.deliver(text)
        for drop in self._drops:
            if matches(drop.target, session):
                left = drop.counts.get(session.connection_id, drop.after_frames) - 1
                drop.counts[session.connection_id] = left
                if left == 0:
                    session.close(ABORT_CODE, "fault: connection dropped")

    def describe(self) -> dict[str, Any]:
        return {"delay_s": self.delay_s, "duplicate_p": self.duplicate_p, "reorder_window": self.reorder_window,
                "drops": [{"target": d.target if isinstance(d.target, str) else "<predicate>",
                           "after_frames": d.after_frames} for d in self._drops],
                "http": [{"pattern": f.pattern.pattern, "status": f.status, "times": f.times} for f in self._http]}
