"""Pure reconnect policy (design.md L3, protocol.md §4.6 and §9): how long to wait, and what a
failure means. No asyncio, no clock and no ``random`` here; jitter comes from an injected
``rand() -> float in [0, 1)``, so the same schedule runs in CPython, Pyodide and tests.

* :func:`classify` turns a close code, HTTP status or lpweb error into an :class:`Action`:
  ``REAUTH`` (4401, 4407, 1011, HTTP 401: regenerate the credentials, then reconnect),
  ``FATAL`` (another 4xx at the handshake or a usage error: retrying cannot help) or
  ``RETRY`` (everything else: transport trouble, 5xx, 429, ordinary close codes).
* :class:`ReconnectPolicy` holds the schedule: 5 s, 10 s, 15 s (the documented 5xx retry
  pauses), then exponential (x2) up to ``max_delay`` (8 minutes), each with +-``jitter``;
  a rate-limited failure (429) waits at least ``rate_limited_delay`` (1 s).
  :meth:`ReconnectPolicy.delays` is the generator form (``backoff()`` in L3).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..errors import (AuthError, ConnectionLost, HttpError, InvalidState, ProtocolError, RequestFailed,
                      UsageError)

__all__ = ["Action", "ReconnectPolicy", "classify", "is_rate_limited", "REAUTH_CLOSE_CODES"]

#: Close codes (and the HTTP status) after which the token must be regenerated (§4.6, §9).
REAUTH_CLOSE_CODES = frozenset({4401, 4407, 1011, 401})
RATE_LIMITED = 429


class Action(str, enum.Enum):
    RETRY = "RETRY"
    REAUTH = "REAUTH"
    FATAL = "FATAL"

    def __str__(self) -> str:
        return self.value


def _code_of(failure: Any) -> int | None:
    if isinstance(failure, bool):
        return None
    if isinstance(failure, int):
        return failure
    if isinstance(failure, ConnectionLost):
        return failure.code
    if isinstance(failure, HttpError):
        return failure.status
    if isinstance(failure, RequestFailed):
        return failure.code
    return None


def classify(failure: Any, *, handshake: bool = False) -> Action:
    """What to do after ``failure``: a close code or HTTP status (int) or an exception.

    ``handshake`` says the failure happened while (re)connecting: a refused handshake or
    login with a 4xx other than 401 / 429 cannot be fixed by retrying (``FATAL``)."""
    if isinstance(failure, AuthError):
        return Action.REAUTH
    if isinstance(failure, UsageError) and not isinstance(failure, InvalidState):
        return Action.FATAL
    code = _code_of(failure)
    if code is None:
        return Action.RETRY
    if code in REAUTH_CLOSE_CODES:
        return Action.REAUTH
    if code == RATE_LIMITED:
        return Action.RETRY
    if handshake and 400 <= code < 500 and not isinstance(failure, (ConnectionLost, ProtocolError)):
        return Action.FATAL
    return Action.RETRY


def is_rate_limited(failure: Any) -> bool:
    return _code_of(failure) == RATE_LIMITED


@dataclass(frozen=True)
class ReconnectPolicy:
    """The reconnect schedule (option ``reconnect_policy=``; ``auto_reconnect=False`` turns
    reconnecting off). Delays are in seconds.

    ``first_delays``: the first pauses (§9: 5xx -> 5 s, 10 s, 15 s). Then
    ``last first delay * factor ** n`` up to ``max_delay``. ``jitter`` is the relative
    spread (0.2 -> +-20 %). ``max_attempts`` (None: forever) ends reconnecting with
    'error' and 'close'. ``rate_limited_delay`` is the minimum after HTTP 429."""

    first_delays: tuple[float, ...] = (5.0, 10.0, 15.0)
    factor: float = 2.0
    max_delay: float = 480.0
    jitter: float = 0.2
    rate_limited_delay: float = 1.0
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if not self.first_delays or any(d < 0 for d in self.first_delays):
            raise UsageError("reconnect_policy.first_delays must be non-negative seconds")
        if self.factor < 1 or self.max_delay < 0 or not 0 <= self.jitter < 1:
            raise UsageError("reconnect_policy: factor >= 1, max_delay >= 0 and 0 <= jitter < 1")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise UsageError("reconnect_policy.max_attempts must be None or at least 1")

    def base_delay(self, attempt: int) -> float:
        """The delay before ``attempt`` (1-based), without jitter."""
        n = max(1, attempt)
        if n <= len(self.first_delays):
            return self.first_delays[n - 1]
        grown = self.first_delays[-1]
        for _ in range(n - len(self.first_delays)):     # grown stepwise: never overflows
            if grown >= self.max_delay or grown == 0 or self.factor == 1:
                break
            grown *= self.factor
        return max(self.first_delays[-1], min(grown, self.max_delay))

    def delay(self, attempt: int, rand: Callable[[], float] | None = None, *, rate_limited: bool = False) -> float:
        """The (jittered) delay before ``attempt``; ``rand`` returns floats in [0, 1)."""
        base = self.base_delay(attempt)
        if rand is not None and self.jitter:
            base *= 1 - self.jitter + 2 * self.jitter * rand()
        if rate_limited:
            base = max(base, self.rate_limited_delay)
        return base

    def delays(self, rand: Callable[[], float] | None = None) -> Iterator[float]:
        """The schedule as a generator; finite when ``max_attempts`` is set."""
        attempt = 0
        while self.max_attempts is None or attempt < self.max_attempts:
            attempt += 1
            yield self.delay(attempt, rand)
