"""Run the project's benchmarks, print a table, merge the figures into ``bench/results.json``.

    python bench/run.py [--quick] [--only NAME ...] [--output FILE]
    python build.py bench [--quick]          # the same, through the build script

Benchmarks (:data:`BENCHMARKS`; each returns ``(rows, keys)``: table rows and result keys):

* ``native_rtt``: :mod:`native_rtt` — lpweb's publish round trip and pipelined publishes
  (32 in flight) against a raw ``websockets`` client in the same run: keys
  ``native_rtt_overhead_ratio``, ``native_pipelined_msgs_per_s``,
  ``native_client_cpu_us_per_msg`` and the raw figures (``native_rtt_raw_us``, ...).
* ``brand_ingest``: :mod:`brand_ingest` — one brand connection receiving 10,000 open
  conversations against a raw client: ``brand_10k_ingest_s``,
  ``brand_10k_bytes_per_conversation`` and the raw floor (``brand_10k_raw_*``).
* ``emulator``: :mod:`emulator_load` — 1,000 consumer websockets at one message per 2 s
  each, echoed by 10 agents, against a 10-consumer baseline measured in the same run.
  Keys ``emulator_1k_p99_ms``, ``emulator_1k_lost`` (and ``_p50_ms``, ``_max_ms``,
  ``_p99_ratio``, ``_baseline_p99_ms``, ``_load_avg``: the machine's 1-minute load average
  after the run; figures taken while other work ran on the same cores are not comparable;
  ``_round_trips``: how many were measured). ``--quick`` runs the same 1,000 consumers at the
  same rate over a shorter window (2 messages each instead of 5).
* ``wheel``: :mod:`wheel_size` — ``wheel_bytes``, the size of the core wheel ``dist/lpweb-*.whl``;
  ``wheel_bytes_widget``, ``wheel_bytes_emulator``: the add-ons' wheels.
* ``browser``: :mod:`browser_boot` — the demo widget page vs a bare Pyodide page in Chromium,
  cold and warm: ``browser_ready_ratio_cold``/``_warm``, ``browser_launcher_interactive_ms``,
  ``browser_page_bytes_ratio``, and the floor every PyScript page pays, an empty PyScript page
  vs the same bare page (``browser_pyscript_ratio_*``; ``browser_widget_over_pyscript_*`` is
  the widget against that floor). Prints its own table.

``results.json`` is merged: keys written by other benchmarks (or by runs of other
benchmarks) are kept; only the keys a run produces are replaced. ``bench_last_run`` records
when and how (``quick``) the file was last written. Exit status 1 if a benchmark lost messages.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import browser_boot  # noqa: E402
import emulator_load  # noqa: E402
import wheel_size  # noqa: E402

Row = dict[str, Any]
RESULTS = HERE / "results.json"
COLUMNS = (("benchmark", "benchmark"), ("consumers", "consumers"), ("msg/s", "rate_per_s"),
           ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"), ("max ms", "max_ms"), ("lost", "lost"),
           ("p99 ratio", "p99_ratio"), ("cpu srv %", "server_cpu_pct"), ("cpu cli %", "client_cpu_pct"),
           ("load avg", "load_avg_1m"))
COLUMNS += (("p50 us", "p50_us"), ("cpu us/msg", "cpu_us_per_msg"), ("s", "seconds"), ("cpu s", "cpu_s"),
            ("bytes/conv", "bytes_per_conv"), ("ratio", "ratio"))


def bench_emulator(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    # Both modes run the 1,000 consumers at the same rate (one message per 2 s each, 500/s);
    # --quick measures a shorter window (2 messages each: 2,000 round trips, not 5,000).
    messages = 2 if quick else 5
    result = asyncio.run(emulator_load.run_pair(1000, 10, messages=messages, interval=2.0))
    base, full = result["baseline"], result["full"]
    rows = [{"benchmark": "emulator baseline", **base},
            {"benchmark": "emulator 1000", **full, "p99_ratio": result["p99_ratio"]}]
    prefix = "emulator_1k"
    keys = {f"{prefix}_p99_ms": full["p99_ms"], f"{prefix}_lost": full["lost"], f"{prefix}_p50_ms": full["p50_ms"],
            f"{prefix}_max_ms": full["max_ms"], f"{prefix}_p99_ratio": result["p99_ratio"],
            f"{prefix}_baseline_p99_ms": base["p99_ms"], f"{prefix}_load_avg": full["load_avg_1m"],
            f"{prefix}_round_trips": full["messages"]}
    return rows, keys


BENCHMARKS: dict[str, Callable[[bool], tuple[list[Row], dict[str, Any]]]] = {
    "emulator": bench_emulator,
    "wheel": wheel_size.benchmark,
    "browser": browser_boot.benchmark,
}

# The native SDK against raw websockets clients (issue #8).
import native_rtt  # noqa: E402
import brand_ingest  # noqa: E402

BENCHMARKS["native_rtt"] = native_rtt.run
BENCHMARKS["brand_ingest"] = brand_ingest.run


def table(rows: list[Row]) -> str:
    cells = [[title for title, _ in COLUMNS]]
    cells += [["" if row.get(key) is None else str(row.get(key)) for _, key in COLUMNS] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def merge_results(path: Path, keys: dict[str, Any]) -> dict[str, Any]:
    """Update ``path`` with ``keys``, keeping every other key; written atomically."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data.update(keys)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (under a minute)")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file (default bench/results.json)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    keys: dict[str, Any] = {}
    for name in args.only or list(BENCHMARKS):
        print(f"running {name}{' (quick)' if args.quick else ''} ...", flush=True)
        more_rows, more_keys = BENCHMARKS[name](args.quick)
        rows += more_rows
        keys.update(more_keys)
    keys["bench_last_run"] = {"at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                              "quick": args.quick, "benchmarks": args.only or list(BENCHMARKS)}
    if rows:
        print(table(rows))
    merge_results(args.output, keys)
    print(f"wrote {args.output}")
    return 1 if any(row.get("lost") for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
