"""One brand connection receiving 10,000 open conversations: time and memory.

    python bench/brand_ingest.py [--quick] [--conversations 10000] [--json]

Set-up (not timed): a fresh emulator process (:mod:`seeding_emulator`: the emulator plus a
``seed N`` command on stdin) with a MANAGER brand user and 10 agents, and one brand
connection in this process:

* **lpweb**: ``lpweb.create_connection(user_type=BRAND, auth_data={username, password})``,
  ``open()``: login, the brand websocket, the default subscription ``{"stage": ["OPEN"]}``.
* **raw**: a plain ``websockets`` client that logs in the same way, opens the same URL with
  the same options and sends the same ``.ams.aam.SubscribeExConversations`` request; then it
  ``json.loads`` every frame and keeps each ``conversationDetails`` dict in a dict by id:
  the least a client can do, so its time is the floor that the emulator, the socket and
  JSON decoding set.

The emulator opens N conversations (``seed N``, not timed) and announces each as a live
``.ams.aam.ExConversationChangeNotification`` UPSERT (the initial dump of a subscription is
capped at 1,000, protocol.md §5.5, so 10,000 open conversations reach a brand connection as
changes); it holds those frames until ``release``, so that the time measured is the
client's and not the time the emulator takes to make them (reported apart as
``brand_10k_emulator_s``). Measured: from ``release`` until the client has all N
conversations: for lpweb, until ``connection.conversations`` holds N and ``'conversation'``
was emitted N times; for raw, until its dict holds N. The client process's CPU time over the
same span is reported too (``brand_10k_client_cpu_s``, ``brand_10k_raw_client_cpu_s``): on a
machine shared with other work it is steadier than the wall time. ``repetitions`` runs of each, raw
then lpweb, each against a fresh emulator; medians. Then memory, in separate runs (``tracemalloc`` slows everything down): traced
bytes held after the ingest (after a full collection) minus before the seed, per
conversation, for lpweb and for raw (the decoded JSON alone); the figure varies by a few
bytes between runs, so ``--quick`` takes one memory run of each instead of five.

Keys: ``brand_10k_ingest_s`` (goal <= 1 s), ``brand_10k_bytes_per_conversation`` (goal <=
3,000), ``brand_10k_raw_ingest_s``, ``brand_10k_ingest_ratio``,
``brand_10k_raw_bytes_per_conversation``, ``brand_10k_emulator_s`` (the emulator's own time
to make and queue the notifications). ``run(quick)`` is what ``bench/run.py`` calls.

What the profiles say (cProfile, gc callbacks, tracemalloc, November 2026; per 10,000 conversations)
    * Before issue #8's changes, lpweb spent ~0.85 s of CPU (raw: ~0.33 s), half of it in the
      cyclic garbage collector (480 young / 4 full collections against the raw client's
      182 / 2): a task per announced conversation, and ~20 tracked containers kept per
      conversation (the decoded ``conversationDetails`` as ``Conversation.details``, the
      dialog's sequence sets). It held 5,949 bytes per conversation, 3.6 kB of them the
      decoded platform view.
    * Now: ~0.45 s of CPU (gc ~0.09 s, 176 / 2 collections). One callback per pass of the
      event loop announces every conversation queued meanwhile; ``Conversation.details`` is
      a compact read-only mapping (``lpweb/model/details.py``: no second copy of the
      participants and dialogs, one shared key list, interned strings, shared ``ttr``-like
      objects); sets and dicts a conversation may never need are made on first use.
      Of the CPU left, building the model (participants, dialogs, details) is ~40 %,
      websocket framing and inflating ~20 %, decoding and parsing ~20 %.
    * Memory: ~1,735 bytes per conversation: four Participants and their lists ~0.6 kB, the
      Conversation ~0.3 kB, decoded values kept (ids, timestamps) ~0.27 kB, the Dialog and
      ``dialogs`` ~0.23 kB, the details ~0.2 kB, skill and message list ~0.1 kB. The raw
      client keeps the standard library's dicts: 5,632 bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
import websockets  # noqa: E402

import lpweb  # noqa: E402
from emulator_load import _load_avg  # noqa: E402
from native_rtt import APP_ID, CONNECT  # noqa: E402
from seeding_emulator import SeedingEmulator  # noqa: E402

MANAGER, PASSWORD = "bench-manager", "pw"
USERS = {MANAGER: PASSWORD, **{f"agent{i}": PASSWORD for i in range(10)}}
Row = dict[str, Any]


class _Memory:
    """Traced bytes allocated between ``start()`` and ``stop()`` and still held."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.held = enabled, 0

    def start(self) -> None:
        if self.enabled:
            gc.collect()
            tracemalloc.start()
            self.base = tracemalloc.get_traced_memory()[0]

    def stop(self) -> None:
        if self.enabled:
            gc.collect()
            self.held = tracemalloc.get_traced_memory()[0] - self.base
            tracemalloc.stop()


async def _raw(emu: SeedingEmulator, n: int, memory: _Memory) -> tuple[float, float, float]:
    acc = emu.account_id
    async with httpx.AsyncClient() as http:
        login = (await http.post(f"{emu.url}/api/account/{acc}/login",
                                 json={"username": MANAGER, "password": PASSWORD})).json()
    ws = await websockets.connect(f"ws://{emu.host_port}/ws_api/account/{acc}/messaging/brand/{login['bearer']}?v=2.1",
                                  **CONNECT)
    try:
        await ws.send(json.dumps({"kind": "req", "id": "1", "type": ".ams.aam.SubscribeExConversations",
                                  "body": {"stage": ["OPEN"]}}, separators=(",", ":")))
        conversations: dict[str, Any] = {}
        emulator_s = await emu.seed(n)
        memory.start()
        t0, cpu0 = time.perf_counter(), time.process_time()
        releasing = asyncio.ensure_future(emu.release())
        while len(conversations) < n:
            frame = json.loads(await ws.recv())
            if frame.get("kind") == "notification":
                for change in frame["body"].get("changes", ()):
                    result = change["result"]
                    conversations[result["convId"]] = result["conversationDetails"]
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        await releasing
        memory.stop()
        return elapsed, cpu, emulator_s
    finally:
        await ws.close()


async def _lpweb(emu: SeedingEmulator, n: int, memory: _Memory) -> tuple[float, float, float]:
    conn = lpweb.create_connection(app_id=APP_ID, account_id=emu.account_id, user_type=lpweb.UserType.BRAND,
                                   csds_domain=emu.host_port, auth_data={"username": MANAGER, "password": PASSWORD})
    await conn.open()
    try:
        done: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
        announced = 0

        def on_conversation(_: Any) -> None:
            nonlocal announced
            announced += 1
            if announced == n and not done.done():
                done.set_result((time.perf_counter(), time.process_time()))
        conn.on("conversation", on_conversation)
        emulator_s = await emu.seed(n)
        memory.start()
        t0, cpu0 = time.perf_counter(), time.process_time()
        await emu.release()
        t1, cpu1 = await asyncio.wait_for(done, 300)
        if len(conn.conversations) != n:
            raise RuntimeError(f"{len(conn.conversations)} conversations in the cache, expected {n}")
        for _ in range(3):                  # let finished announce tasks be released
            await asyncio.sleep(0)
        memory.stop()
        return t1 - t0, cpu1 - cpu0, emulator_s
    finally:
        await conn.close()


async def _one(client: Any, n: int, memory: bool = False) -> tuple[float, float, float, int]:
    """(seconds, client CPU seconds, emulator seconds, bytes held) of one run."""
    async with SeedingEmulator(USERS) as emu:
        mem = _Memory(memory)
        elapsed, cpu, emulator_s = await client(emu, n, mem)
        return elapsed, cpu, emulator_s, mem.held


async def measure(n: int = 10_000, repetitions: int = 5, memory_repetitions: int = 5) -> dict[str, Any]:
    raw, lp, raw_cpu, lp_cpu, emu_s = [], [], [], [], []
    for _ in range(repetitions):
        for client, out, cpu_out in ((_raw, raw, raw_cpu), (_lpweb, lp, lp_cpu)):
            elapsed, cpu, emulator_s, _ = await _one(client, n)
            out.append(elapsed)
            cpu_out.append(cpu)
            emu_s.append(emulator_s)
    raw_mem = [(await _one(_raw, n, memory=True))[3] / n for _ in range(memory_repetitions)]
    lp_mem = [(await _one(_lpweb, n, memory=True))[3] / n for _ in range(memory_repetitions)]
    raw_s, lp_s = statistics.median(raw), statistics.median(lp)
    return {"conversations": n, "repetitions": repetitions, "memory_repetitions": memory_repetitions,
            "raw_s": round(raw_s, 3), "lpweb_s": round(lp_s, 3), "ratio": round(lp_s / raw_s, 3),
            "raw_reps_s": [round(x, 3) for x in raw], "lpweb_reps_s": [round(x, 3) for x in lp],
            "raw_cpu_s": round(statistics.median(raw_cpu), 3), "lpweb_cpu_s": round(statistics.median(lp_cpu), 3),
            "emulator_s": round(statistics.median(emu_s), 3),
            "lpweb_bytes_reps": [round(x) for x in lp_mem],
            "raw_bytes_per_conversation": round(statistics.median(raw_mem)),
            "lpweb_bytes_per_conversation": round(statistics.median(lp_mem)), "load_avg_1m": _load_avg()}


def _measure_for(quick: bool, n: int = 10_000) -> Any:
    return measure(n, repetitions=5, memory_repetitions=1) if quick else measure(n)


def run(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    """``(table rows, result keys)`` for ``bench/run.py``."""
    r = asyncio.run(_measure_for(quick))
    label = f"brand ingest {r['conversations']:,}"
    rows = [{"benchmark": f"{label} raw websockets", "seconds": r["raw_s"], "cpu_s": r["raw_cpu_s"],
             "bytes_per_conv": r["raw_bytes_per_conversation"], "load_avg_1m": r["load_avg_1m"]},
            {"benchmark": f"{label} lpweb", "seconds": r["lpweb_s"], "cpu_s": r["lpweb_cpu_s"], "ratio": r["ratio"],
             "bytes_per_conv": r["lpweb_bytes_per_conversation"], "load_avg_1m": r["load_avg_1m"]}]
    keys = {"brand_10k_ingest_s": r["lpweb_s"], "brand_10k_bytes_per_conversation": r["lpweb_bytes_per_conversation"],
            "brand_10k_raw_ingest_s": r["raw_s"], "brand_10k_ingest_ratio": r["ratio"],
            "brand_10k_raw_bytes_per_conversation": r["raw_bytes_per_conversation"],
            "brand_10k_client_cpu_s": r["lpweb_cpu_s"], "brand_10k_raw_client_cpu_s": r["raw_cpu_s"],
            "brand_10k_emulator_s": r["emulator_s"], "brand_10k_load_avg": r["load_avg_1m"]}
    return rows, keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args(argv)
    r = asyncio.run(_measure_for(args.quick, args.conversations))
    print(json.dumps(r, indent=2) if args.json else
          f"{r['conversations']} conversations: raw {r['raw_s']} s (cpu {r['raw_cpu_s']}), lpweb {r['lpweb_s']} s "
          f"(cpu {r['lpweb_cpu_s']}, x{r['ratio']}); "
          f"bytes/conversation raw {r['raw_bytes_per_conversation']}, lpweb {r['lpweb_bytes_per_conversation']}; "
          f"emulator {r['emulator_s']} s; load avg {r['load_avg_1m']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
