"""Chaos suite plumbing: one test item per seed (``--chaos-runs``, ``--chaos-seed``) and the
totals printed at the end of the session."""

from __future__ import annotations

from collections import Counter

from lpweb.testing.chaos import format_totals

TOTALS: Counter[str] = Counter()


def pytest_generate_tests(metafunc):
    if "chaos_seed" in metafunc.fixturenames:
        first = metafunc.config.getoption("--chaos-seed")
        runs = metafunc.config.getoption("--chaos-runs")
        metafunc.parametrize("chaos_seed", range(first, first + runs))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if TOTALS["runs"]:
        terminalreporter.write_line(format_totals(TOTALS))
