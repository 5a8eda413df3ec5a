"""Chaos suite (issue #6): seeded, reproducible random faults during a full conversation,
natively over the in-process emulator. The run itself (:class:`lpweb.testing.chaos.ChaosRun`)
is shared with the browser suite (e2e/test_browser_chaos.py).

Checks per run: 0 lost, 0 duplicated, order kept per dialog on both sides, every awaited
call completes or raises an lpweb error within its timeout. Replay one run:
``pytest tests/chaos --chaos-runs 1 --chaos-seed N``. Totals are printed at the end of the
session (``chaos totals: ...``).
"""

from __future__ import annotations

from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.testing.chaos import CHAOS_CONFIG, ChaosRun, LocalFaults

from .conftest import TOTALS


async def test_chaos_run(chaos_seed: int) -> None:
    emu = InProcessEmulator(config=CHAOS_CONFIG, seed=chaos_seed)
    run = ChaosRun(chaos_seed, csds_domain=emu.csds_domain, faults=LocalFaults(emu.faults), transport=emu.transport)
    result = await run.run()
    TOTALS.update(result)
    assert not run.problems, f"seed {chaos_seed}: {run.problems}"
    assert result["lost"] == result["duplicated"] == result["out_of_order"] == 0
