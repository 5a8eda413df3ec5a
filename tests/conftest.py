"""Shared fixtures: an emulator on a free loopback port per test."""

from __future__ import annotations

import pytest

from lpweb.emulator import Emulator


@pytest.fixture
async def emulator():
    async with Emulator(port=0) as emu:
        yield emu
