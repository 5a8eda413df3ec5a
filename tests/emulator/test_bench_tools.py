"""The benchmark tooling works (bench/run.py, bench/emulator_load.py). Nothing here is timed:
a tiny load run must complete without losses and the results file must merge."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import emulator_load  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
assert _spec is not None and _spec.loader is not None
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)


def test_results_file_is_merged_not_clobbered(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"sdk_frames_per_s": 123, "emulator_1k_p99_ms": 999}))
    bench_run.merge_results(path, {"emulator_1k_p99_ms": 7.5, "emulator_1k_lost": 0})
    assert json.loads(path.read_text()) == {"sdk_frames_per_s": 123, "emulator_1k_p99_ms": 7.5, "emulator_1k_lost": 0}
    path.write_text("not json")
    bench_run.merge_results(path, {"emulator_1k_lost": 0})
    assert json.loads(path.read_text()) == {"emulator_1k_lost": 0}


def test_table_lists_every_row() -> None:
    text = bench_run.table([{"benchmark": "emulator 1000", "consumers": 1000, "p99_ms": 7.8, "lost": 0}])
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["benchmark", "consumers"] and "emulator 1000" in lines[2] and "7.8" in lines[2]


async def test_a_tiny_load_run_completes() -> None:
    result = await emulator_load.measure(3, agents=2, messages=2, interval=0.05, timeout=5)
    assert result["lost"] == 0 and result["round_trips"] == 6 and result["p99_ms"] is not None
    assert "p99 ratio" in emulator_load.describe({"baseline": result, "full": result, "p99_ratio": 1.0})
