"""The pure reconnect policy (MNT-01, LEG-51 spirit, protocol.md §4.6/§9): no asyncio, no clock."""

from __future__ import annotations

import ast
import itertools
import pathlib
import random

import pytest

import lpweb.protocol as protocol_pkg
from lpweb.errors import (AuthError, ConnectionLost, HttpError, InvalidState, RequestFailed, TokenExpired,
                          TransportError, UsageError)
from lpweb.protocol.policy import Action, ReconnectPolicy, classify, is_rate_limited


def test_schedule_without_jitter() -> None:
    p = ReconnectPolicy(jitter=0)
    assert [p.delay(n) for n in range(1, 9)] == [5, 10, 15, 30, 60, 120, 240, 480]
    assert p.delay(50) == 480                       # capped at minutes
    assert list(ReconnectPolicy(jitter=0, max_attempts=4).delays()) == [5, 10, 15, 30]


def test_jitter_comes_from_the_injected_source() -> None:
    p = ReconnectPolicy(jitter=0.2)
    assert p.delay(1, lambda: 0.0) == pytest.approx(4.0)
    assert p.delay(1, lambda: 0.999999) == pytest.approx(6.0, rel=1e-4)
    a = list(itertools.islice(p.delays(random.Random(7).random), 10))
    b = list(itertools.islice(p.delays(random.Random(7).random), 10))
    assert a == b and all(x > 0 for x in a)


def test_rate_limited_waits_at_least_one_second() -> None:
    p = ReconnectPolicy(first_delays=(0.1,), jitter=0)
    assert p.delay(1, rate_limited=True) == 1.0
    assert is_rate_limited(HttpError(429, "https://x/y")) and not is_rate_limited(500)


@pytest.mark.parametrize("failure, action", [
    (4401, Action.REAUTH), (4407, Action.REAUTH), (1011, Action.REAUTH), (401, Action.REAUTH),
    (ConnectionLost(4401, "expired"), Action.REAUTH), (HttpError(401, "u"), Action.REAUTH),
    (RequestFailed(401, "no"), Action.REAUTH), (TokenExpired("x"), Action.REAUTH), (AuthError("x"), Action.REAUTH),
    (1006, Action.RETRY), (1000, Action.RETRY), (ConnectionLost(1006, ""), Action.RETRY),
    (HttpError(503, "u"), Action.RETRY), (HttpError(429, "u"), Action.RETRY), (TransportError("x"), Action.RETRY),
    (InvalidState("x"), Action.RETRY), (UsageError("x"), Action.FATAL), (ValueError("x"), Action.RETRY),
])
def test_classify(failure, action) -> None:
    assert classify(failure) is action


def test_classify_handshake_4xx_is_fatal() -> None:
    assert classify(HttpError(403, "u"), handshake=True) is Action.FATAL
    assert classify(HttpError(404, "u"), handshake=True) is Action.FATAL
    assert classify(HttpError(429, "u"), handshake=True) is Action.RETRY
    assert classify(HttpError(401, "u"), handshake=True) is Action.REAUTH
    assert classify(HttpError(403, "u")) is Action.RETRY
    assert classify(ConnectionLost(4000, ""), handshake=True) is Action.RETRY


def test_policy_validation() -> None:
    for bad in (dict(first_delays=()), dict(jitter=1.0), dict(factor=0.5), dict(max_attempts=0)):
        with pytest.raises(UsageError):
            ReconnectPolicy(**bad)


def test_protocol_package_stays_pure() -> None:
    """L3/L8: no asyncio, time, random or uuid imports anywhere in lpweb/protocol."""
    root = pathlib.Path(protocol_pkg.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in {"asyncio", "time", "random", "uuid"}, (path.name, name)


def test_long_outage_delays_stay_at_the_cap() -> None:
    """MNT-01: thousands of failed attempts (a fault that drops every new socket) keep the
    schedule at max_delay instead of overflowing (seen in the browser chaos suite)."""
    policy = ReconnectPolicy(factor=1e6)
    assert [policy.base_delay(n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 15.0, 480.0]
    assert policy.base_delay(5000) == ReconnectPolicy().base_delay(100_000) == 480.0
    assert ReconnectPolicy().base_delay(5) == 60.0
    assert ReconnectPolicy(first_delays=(0.0,)).base_delay(3000) == 0.0
