"""Shared fixtures: an emulator on a free loopback port per test."""

from __future__ import annotations

import pytest

from lpweb.emulator import Emulator


@pytest.fixture
async def emulator():
    async with Emulator(port=0) as emu:
        yield emu


def pytest_addoption(parser):
    """Issue #6: the chaos suite's and the fuzzer's sizes (CI defaults are small and fast)."""
    group = parser.getgroup("lpweb reliability")
    group.addoption("--chaos-runs", type=int, default=100, help="seeded chaos runs (tests/chaos), default 100")
    group.addoption("--chaos-seed", type=int, default=0, help="first chaos seed (replay: --chaos-runs 1 --chaos-seed N)")
    group.addoption("--fuzz-examples", type=int, default=300, help="hypothesis examples per fuzz test (tests/fuzz)")
