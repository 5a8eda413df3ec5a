"""Chaos suite plumbing: one test item per seed (``--chaos-runs``, ``--chaos-seed``) and the
totals printed at the end of the session."""

from __future__ import annotations

from collections import Counter

TOTALS: Counter[str] = Counter()


def pytest_generate_tests(metafunc):
    if "chaos_seed" in metafunc.fixturenames:
        first = metafunc.config.getoption("--chaos-seed")
        runs = metafunc.config.getoption("--chaos-runs")
        metafunc.parametrize("chaos_seed", range(first, first + runs))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if TOTALS["runs"]:
        t = TOTALS
        terminalreporter.write_line(
            f"chaos totals: runs={t['runs']} messages={t['messages']} lost={t['lost']} duplicated={t['duplicated']} "
            f"out_of_order={t['out_of_order']} stuck_calls={t['stuck']} untyped_errors={t['untyped']} "
            f"typed_errors={t['typed_errors']} faults={t['faults']} reconnects={t['reconnects']} "
            f"resent={t['resent']}")
