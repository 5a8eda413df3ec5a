"""The chaos suite in the browser (issue #6): 20 seeded fault-injection conversations run
by lpweb inside Pyodide in Chromium, through the browser transport (``js.WebSocket``,
``fetch``), against a loopback emulator of their own (so the faults touch no other test).

Each run is :class:`lpweb.testing.chaos.ChaosRun`, the native suite's run (tests/chaos; the page
unpacks the lpweb-emulator wheel, which has it, from dist/):
drops at random frames, close codes, delays, reorders, duplicate notifications, token
expiry / revocation, 5xx / 429 on logins; the faults are asked of the emulator over its
``/_emulator/faults`` endpoint. Checks: 0 lost, 0 duplicated, order kept per dialog, every
awaited call completes or raises a typed error within its timeout. Prints the totals.

A browser sees a refused websocket upgrade (HTTP 401 for a stale bearer) only as code 1006;
the reconnect loop regenerates the credentials when that repeats (``HandshakeFailed``), as
a native 401 does at once: without it a brand reconnect retried a dead bearer forever.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from playwright.sync_api import Page

from conftest import _LoopThread
from test_browser_consumer import ROOT, open_harness, run

from lpweb.testing.chaos import CHAOS_CONFIG, format_totals

BROWSER_RUNS = int(os.environ.get("LPWEB_BROWSER_CHAOS_RUNS", 20))
FIRST_SEED = int(os.environ.get("LPWEB_BROWSER_CHAOS_SEED", 0))


@pytest.fixture(scope="module")
def chaos_emulator():
    from lpweb.emulator import Emulator

    runner = _LoopThread()
    emu = Emulator(host="127.0.0.1", port=0, config=CHAOS_CONFIG)
    runner.run(emu.start())
    try:
        yield emu
    finally:
        try:
            runner.run(emu.stop())
        finally:
            runner.close()


def test_chaos_runs_in_pyodide(page: Page, chaos_emulator, outside_traffic):
    # ChaosRun is a test helper of lpweb-emulator; the site serves only lpweb and lpweb-widget.
    [wheel] = (ROOT / "dist").glob("lpweb_emulator-*.whl")
    page.route(f"**/test-wheels/{wheel.name}", lambda r: r.fulfill(
        status=200, content_type="application/zip", body=wheel.read_bytes()))
    open_harness(page)
    run(page, "install_wheel", url=f"/test-wheels/{wheel.name}")
    totals: Counter[str] = Counter()
    problems: list[str] = []
    for seed in range(FIRST_SEED, FIRST_SEED + BROWSER_RUNS):
        outcome = run(page, "chaos_run", seed=seed, csds=chaos_emulator.csds_domain)
        totals.update(outcome["result"])
        problems += [f"seed {seed}: {p}" for p in outcome["problems"]]
        if outcome["problems"]:
            print(f"seed {seed}: problems {outcome['problems']}; 'error' events {outcome['reported']}")
    print(f"\nbrowser {format_totals(totals)}")
    assert totals["runs"] == BROWSER_RUNS and not problems, problems
    assert totals["lost"] == totals["duplicated"] == totals["out_of_order"] == 0
    assert totals["stuck"] == totals["untyped"] == 0 and totals["messages"] == BROWSER_RUNS * 10
    assert totals["faults"] > 0 and totals["reconnects"] > 0
