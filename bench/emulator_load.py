"""Load test of the emulator: N concurrent consumer websockets exchanging messages with agents.

    python bench/emulator_load.py [--consumers 1000] [--baseline 10] [--agents 10]
                                  [--messages 5] [--interval 2.0] [--json]

What is measured
    Each consumer opens a websocket, creates a conversation, subscribes to its conversations
    (``cqm.SubscribeExConversations``, as the SDK does) and to its messages; ``--agents``
    brand users (MANAGER on every skill) join the conversations round robin as ASSIGNED_AGENT
    and echo every consumer message. That is setup and is not timed. Then every consumer
    sends ``--messages`` messages, one every ``--interval`` seconds, starting at a random
    phase in ``[0, interval)`` (a seeded RNG), so 1,000 consumers at 2 s make a steady
    500 messages/s (1,000 round trips/s of frames through the agents). A round trip is
    consumer publish -> agent echo received by the consumer, timed on the client's
    ``perf_counter``; an echo not received ``--timeout`` seconds after the last send is lost.
    The latency reported is therefore per-message latency at a fixed per-consumer rate,
    which is what grows when each event costs work proportional to the number of open
    connections (the rate is fixed, so any p99 growth over the baseline is the server
    doing more work per event, not a longer queue of simultaneous requests).

    A baseline with ``--baseline`` consumers (default 10) runs first, against a fresh
    emulator, in the same invocation, over the same measured window; so that its p99 rests
    on enough samples it sends at least 200 messages (10 consumers: 20 each, one every
    0.5 s, 20 messages/s). The result line gives the p99 ratio full/baseline. Each
    consumer first makes one unmeasured warm-up round trip (during setup).

How the benchmark keeps itself out of the measurement
    * The emulator runs in its own process (``python -m lpweb.emulator --port 0``, the
      real port read from its ready line), so on a 2-core machine it has a core of its own
      and the client the other; a fresh emulator per run.
    * The client is one asyncio process: one sender task walks a precomputed schedule of
      every message (no task per consumer sleeping in a loop); each socket's reader only
      JSON-decodes frames that can matter (a cheap substring test first, orjson when
      installed). The send timestamp is taken just before the frame is written, so a late
      sender shifts a message, not its measured latency.
    * The client collects and freezes its setup objects and collects rarely while measuring,
      so its own GC pauses do not show up as latency (the emulator CLI tunes its GC the
      same way, see ``lpweb.emulator.__main__.tune_gc``).
    * It reports its own health: client event-loop lag (p99 of a 10 ms ticker's
      oversleep) and the CPU share of the client and of the emulator process during the
      measured phase (``/proc``, Linux). A client lag far below the round-trip p99 and a
      client CPU well under 100 % mean the client is not the bottleneck. The load average
      is printed too: other processes on the same cores (a test suite running alongside)
      inflate the tail, so compare figures taken on a quiet machine.

``--emulator-src DIR`` runs the emulator from another checkout (its ``lpweb`` package),
e.g. an export of an older commit, for before/after comparisons with the same client.
``run_pair()`` is the entry point ``bench/run.py`` uses.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import heapq
import itertools
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402

try:
    import orjson

    def loads(text: str | bytes) -> Any:
        return orjson.loads(text)
except ImportError:             # pragma: no cover - orjson is optional
    loads = json.loads

TEXT = "text/plain"
ECHO = "echo:"
READY = re.compile(r"ready at (https?://[^\s]+) \(account ([^)]+)\)")


# ---- the emulator process -----------------------------------------------------------------
class EmulatorProcess:
    """``python -m lpweb.emulator --port 0`` with ``users``, as an async context manager."""

    def __init__(self, users: dict[str, str], src: Path | None = None) -> None:
        self.users, self.src = users, (src or ROOT)
        self.proc: asyncio.subprocess.Process | None = None
        self.url = self.account_id = ""

    #: stdin of the process (``asyncio.subprocess.PIPE`` to send it commands)
    stdin: int | None = None

    def command(self) -> list[str]:
        """The command line (a subclass may run another entry point with the same CLI)."""
        args = [sys.executable, "-m", "lpweb.emulator", "--port", "0"]
        for name, password in self.users.items():
            args += ["--user", f"{name}:{password}"]
        return args

    async def __aenter__(self) -> "EmulatorProcess":
        env = {**os.environ, "PYTHONPATH": str(self.src)}
        self.proc = await asyncio.create_subprocess_exec(*self.command(), cwd=str(self.src), env=env,
                                                         stdin=self.stdin, stdout=asyncio.subprocess.PIPE)
        assert self.proc.stdout is not None
        line = (await asyncio.wait_for(self.proc.stdout.readline(), 30)).decode()
        m = READY.search(line)
        if m is None:
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url, self.account_id = m.group(1), m.group(2)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    @property
    def host_port(self) -> str:
        return self.url.split("://", 1)[1]

    def cpu_seconds(self) -> float | None:
        return _proc_cpu_seconds(self.proc.pid) if self.proc else None


def _proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# ---- client sockets -----------------------------------------------------------------------
class Socket:
    """A websocket with request/response correlation; ``on_text(text)`` sees every other frame
    (raw text: the callback decides whether decoding is worth it)."""

    def __init__(self, ws: Any, on_text: Callable[[str], Any] | None = None) -> None:
        self.ws, self.ids, self.waiting = ws, itertools.count(1), {}
        self.on_text = on_text
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                if text.startswith('{"kind":"resp"'):
                    if self.waiting:
                        frame = loads(text)
                        fut = self.waiting.pop(frame.get("reqId"), None)
                        if fut is not None and not fut.done():
                            fut.set_result(frame)
                    continue
                if self.on_text is not None:
                    result = self.on_text(text)
                    if result is not None:
                        await result
        except websockets.ConnectionClosed:
            pass

    async def request(self, type_: str, body: Any = None) -> dict[str, Any]:
        rid = str(next(self.ids))
        fut = asyncio.get_running_loop().create_future()
        self.waiting[rid] = fut
        await self.send(type_, body, rid)
        frame = await asyncio.wait_for(fut, 60)
        if frame.get("code", 200) >= 400:
            raise RuntimeError(f"{type_} failed: {frame}")
        return frame

    async def send(self, type_: str, body: Any = None, rid: str | None = None) -> None:
        frame: dict[str, Any] = {"kind": "req", "id": rid or f"x{next(self.ids)}", "type": type_}
        if body is not None:
            frame["body"] = body
        await self.ws.send(json.dumps(frame, separators=(",", ":")))

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


async def _gather_limited(n: int, coros: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(n)

    async def one(c: Any) -> Any:
        async with sem:
            return await c
    return await asyncio.gather(*[one(c) for c in coros])


# ---- one run --------------------------------------------------------------------------------
def _echo(text: str, sock: Socket) -> Any:
    """The agent: echo a consumer's ContentEvent (its own echoes are not even decoded)."""
    if '"role":"CONSUMER"' not in text or ".ams.ms.OnlineEventDistribution" not in text:
        return None
    body = loads(text).get("body") or {}
    event = body.get("event") or {}
    if event.get("type") != "ContentEvent":
        return None
    return sock.send(".ams.ms.PublishEvent", {"dialogId": body["dialogId"], "event": {
        "type": "ContentEvent", "contentType": TEXT, "message": ECHO + event["message"]}})


async def measure(consumers: int, agents: int = 10, messages: int = 5, interval: float = 2.0,
                  timeout: float = 10.0, seed: int = 1, src: Path | None = None) -> dict[str, Any]:
    """One run against a fresh emulator process; returns the figures."""
    users = {f"agent{i}": "pw" for i in range(agents)}
    rng = random.Random(seed)
    setup_started = time.perf_counter()
    async with EmulatorProcess(users, src) as emu:
        acc = emu.account_id
        base = f"ws://{emu.host_port}/ws_api/account/{acc}/messaging"
        connect = dict(ping_interval=None, max_size=None, open_timeout=60)
        sent_at: dict[str, float] = {}
        rtts: list[float] = []
        async with httpx.AsyncClient(base_url=emu.url, timeout=60, limits=httpx.Limits(max_connections=20)) as http:
            brand: list[tuple[Socket, str]] = []
            for name in users:
                login = (await http.post(f"/api/account/{acc}/login",
                                         json={"username": name, "password": "pw"})).json()

                ref: list[Socket] = []
                sock = Socket(await websockets.connect(f"{base}/brand/{login['bearer']}?v=2.1", **connect),
                              lambda text, ref=ref: _echo(text, ref[0]))
                ref.append(sock)
                brand.append((sock, f"{acc}.{login['config']['userId']}"))

            def on_consumer_text(text: str) -> None:
                if ECHO not in text:
                    return
                now = time.perf_counter()
                for change in loads(text)["body"].get("changes", ()):
                    msg = (change.get("event") or {}).get("message")
                    if isinstance(msg, str) and msg.startswith(ECHO):
                        key = msg[len(ECHO):]
                        start = sent_at.pop(key, None)
                        if start is not None and not key.startswith("w"):     # not a warm-up
                            rtts.append((now - start) * 1000)

            jwts = await _gather_limited(20, [http.post(f"/api/account/{acc}/signup") for _ in range(consumers)])

            async def open_consumer(i: int, jwt: str) -> tuple[Socket, str]:
                sock = Socket(await websockets.connect(f"{base}/consumer?v=3", additional_headers={
                    "Authorization": f"jwt {jwt}"}, **connect), on_consumer_text)
                await sock.request("cqm.SubscribeExConversations", {"convState": ["OPEN"]})
                conv_id = (await sock.request("cm.ConsumerRequestConversation"))["body"]["conversationId"]
                agent_sock, old_id = brand[i % len(brand)]
                await agent_sock.request(".ams.cm.UpdateConversationField", {
                    "conversationId": conv_id, "conversationField": [
                        {"field": "ParticipantsChange", "type": "ADD", "role": "ASSIGNED_AGENT", "userId": old_id}]})
                await sock.request("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "fromSeq": 0})
                sent_at[f"w{i}"] = time.perf_counter()          # one unmeasured warm-up round trip
                await sock.send("ms.PublishEvent", {"dialogId": conv_id, "event": {
                    "type": "ContentEvent", "contentType": TEXT, "message": f"w{i}"}})
                return sock, conv_id

            socks = await _gather_limited(50, [open_consumer(i, r.json()["jwt"]) for i, r in enumerate(jwts)])
            deadline = time.perf_counter() + timeout
            while sent_at and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
            if sent_at:
                raise RuntimeError(f"{len(sent_at)} warm-up round trips never came back")
            setup_s = time.perf_counter() - setup_started

            # the schedule: (due offset, consumer, message index), every message of the run
            schedule = [(rng.uniform(0, interval) + m * interval, i, m)
                        for i in range(consumers) for m in range(messages)]
            heapq.heapify(schedule)
            lags: list[float] = []
            measuring = True

            async def ticker() -> None:
                while measuring:
                    t = time.perf_counter()
                    await asyncio.sleep(0.01)
                    lags.append((time.perf_counter() - t - 0.01) * 1000)

            # the client's own GC pauses would count as latency: collect and freeze the setup's
            # objects, then collect rarely while measuring (as the emulator process does)
            thresholds = gc.get_threshold()
            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 20, 100)
            tick = asyncio.create_task(ticker())
            client_cpu0, server_cpu0 = time.process_time(), emu.cpu_seconds()
            started = time.perf_counter()
            try:
                while schedule:
                    due, i, m = heapq.heappop(schedule)
                    delay = started + due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    sock, conv_id = socks[i]
                    text = f"c{i}m{m}"
                    sent_at[text] = time.perf_counter()
                    await sock.send("ms.PublishEvent", {"dialogId": conv_id, "event": {
                        "type": "ContentEvent", "contentType": TEXT, "message": text}})
                deadline = time.perf_counter() + timeout
                while sent_at and time.perf_counter() < deadline:
                    await asyncio.sleep(0.02)
                elapsed = time.perf_counter() - started
                client_cpu, server_cpu1 = time.process_time() - client_cpu0, emu.cpu_seconds()
            finally:
                measuring = False
                await tick
                gc.set_threshold(*thresholds)
                gc.unfreeze()
            lost = len(sent_at)
            await _gather_limited(100, [s.close() for s, _ in socks])
            for sock, _ in brand:
                await sock.close()
    rtts.sort()
    lags.sort()

    def pct(values: list[float], p: float) -> float | None:
        return round(values[min(len(values) - 1, int(len(values) * p))], 2) if values else None
    server_cpu = None if server_cpu0 is None or server_cpu1 is None else server_cpu1 - server_cpu0
    return {"consumers": consumers, "agents": agents, "messages": consumers * messages,
            "rate_per_s": round(consumers / interval, 1), "round_trips": len(rtts), "lost": lost,
            "p50_ms": round(statistics.median(rtts), 2) if rtts else None, "p99_ms": pct(rtts, 0.99),
            "max_ms": round(rtts[-1], 2) if rtts else None,
            "client_lag_p99_ms": pct(lags, 0.99), "client_cpu_pct": round(100 * client_cpu / elapsed, 1),
            "server_cpu_pct": None if server_cpu is None else round(100 * server_cpu / elapsed, 1),
            "setup_s": round(setup_s, 2), "measured_s": round(elapsed, 2), "load_avg_1m": _load_avg()}


def _load_avg() -> float | None:
    """The 1-minute load average after the run: other work on the machine's cores shows up
    as latency (above ~2 on 2 cores, the figures are not the emulator's alone)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


async def run_pair(consumers: int = 1000, baseline: int = 10, messages: int = 5, interval: float = 2.0,
                   min_baseline_samples: int = 200, **kw: Any) -> dict[str, Any]:
    """The baseline run, then the full run; ``p99_ratio`` is p99 full / p99 baseline.

    So that its p99 rests on enough samples, the baseline sends at least
    ``min_baseline_samples`` messages over the same measured window as the full run
    (10 consumers x 5 messages at 2 s becomes 10 x 20 at 0.5 s: 20 messages/s)."""
    b_messages = max(messages, -(-min_baseline_samples // max(1, baseline)))
    base = await measure(baseline, messages=b_messages, interval=interval * messages / b_messages, **kw)
    full = await measure(consumers, messages=messages, interval=interval, **kw)
    ratio = (full["p99_ms"] / base["p99_ms"]) if full["p99_ms"] and base["p99_ms"] else None
    return {"baseline": base, "full": full, "p99_ratio": None if ratio is None else round(ratio, 2)}


def describe(result: dict[str, Any]) -> str:
    lines = []
    for name in ("baseline", "full"):
        r = result[name]
        lines.append(f"{name:8} {r['consumers']:5} consumers {r['rate_per_s']:6} msg/s: p50 {r['p50_ms']} ms, "
                     f"p99 {r['p99_ms']} ms, max {r['max_ms']} ms, lost {r['lost']}/{r['messages']}; "
                     f"client lag p99 {r['client_lag_p99_ms']} ms, cpu client {r['client_cpu_pct']}% "
                     f"server {r['server_cpu_pct']}%; setup {r['setup_s']} s; load avg {r['load_avg_1m']}")
    lines.append(f"p99 ratio full/baseline: {result['p99_ratio']}x; lost {result['full']['lost']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--messages", type=int, default=5, help="messages per consumer")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between a consumer's messages")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a round trip counts as lost")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--emulator-src", type=Path, default=None, help="run the emulator from this checkout")
    parser.add_argument("--json", action="store_true", help="print the result as JSON too")
    args = parser.parse_args(argv)
    result = asyncio.run(run_pair(args.consumers, args.baseline, messages=args.messages, agents=args.agents,
                                  interval=args.interval, timeout=args.timeout, seed=args.seed,
                                  src=args.emulator_src))
    print(describe(result), flush=True)
    if args.json:
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
