"""What lpweb costs on top of a bare websocket: publish round trips and pipelined publishes.

    python bench/native_rtt.py [--quick] [--json]

Set-up (not timed): one emulator process (``python -m lpweb.emulator --port 0``, so its CPU
is not the client's) and, in this process, two consumers of the same account, each with an
open conversation whose messages it follows:

* **lpweb**: ``lpweb.create_connection(user_type=CONSUMER)``, ``open()``,
  ``create_conversation()`` (anonymous signup, ``Authorization`` and ``Client-Properties``
  handshake headers, a ``cqm.SubscribeExConversations`` and a ``ms.SubscribeMessagingEvents``).
* **raw**: a plain ``websockets`` client that does the same by hand: the same signup, the same
  URL and handshake headers, the same connect options (so the same permessage-deflate), the
  same subscriptions, then sends frames that are byte for byte what lpweb sends for
  ``send_message(text)`` (``{"kind":"req","id":…,"type":"ms.PublishEvent","body":{"dialogId",
  "conversationId","event":{"type":"ContentEvent","contentType":"text/plain","message"}}}``).
  It decodes every frame it reads with ``json.loads`` (the least any client does) and does
  nothing else: it is the floor a Python client on ``websockets`` cannot go under.

The emulator answers each publish, then sends the message back as a
``ms.MessagingEventNotification`` to the consumer that follows the dialog; both clients read
both frames.

Measured
    * Round trip: ``await conversation.send_message(text)`` until it returns (lpweb); send the
      frame, read until its response (raw). ``repetitions`` times ``n`` round trips each, in
      blocks of ten, raw then lpweb in turn (so a change of machine load hits both); each
      repetition gives a median per client; the figures are the medians of those. ``native_rtt_overhead_ratio`` =
      lpweb / raw (goal <= 1.5).
    * Pipelined: ``messages`` publishes on one connection with 32 in flight (lpweb: 32 tasks
      calling ``send_message`` in a loop; raw: one loop keeping 32 frames outstanding), wall
      time and the client process's CPU time (``time.process_time()``) per message; median of
      ``repetitions``. Keys ``native_pipelined_msgs_per_s``, ``native_client_cpu_us_per_msg``
      and the raw client's figures (``native_pipelined_raw_*``) measured in the same run.

``run(quick)`` is what ``bench/run.py`` calls.

What the profiles say (cProfile on CPU time, py-spy, November 2026)
    The websockets library (framing, permessage-deflate, its receive queue) and the socket
    calls are the floor both clients share: ~50 us of client CPU per pipelined message.
    lpweb adds ~25-30 us: encoding the request and decoding two frames into typed events,
    the pending-request table and a future the caller wakes from, and for the echoed
    message a ``Message`` in the dialog and its events. The round trip also carries one
    more task switch than the raw loop (the reader task resolves the caller's future).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
import websockets  # noqa: E402

import lpweb  # noqa: E402
from emulator_load import EmulatorProcess, _load_avg  # noqa: E402

APP_ID = "lpweb-bench"
WINDOW = 32
BLOCK = 10          # round trips measured in turn, raw then lpweb
# the websocket options of lpweb's NativeTransport (lpweb/transports/native.py)
CONNECT = dict(open_timeout=15, max_size=16 * 1024 * 1024, ping_interval=30, ping_timeout=30)
Row = dict[str, Any]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class RawConsumer:
    """A consumer on a bare ``websockets`` connection, set up as lpweb's consumer is."""

    def __init__(self, ws: Any, conversation_id: str) -> None:
        self.ws, self.conversation_id = ws, conversation_id
        self.ids = itertools.count(1)

    @classmethod
    async def open(cls, http_url: str, host_port: str, account_id: str) -> "RawConsumer":
        async with httpx.AsyncClient() as http:
            jwt = (await http.post(f"{http_url}/api/account/{account_id}/signup")).json()["jwt"]
        ws = await websockets.connect(
            f"ws://{host_port}/ws_api/account/{account_id}/messaging/consumer?v=3",
            additional_headers={"Authorization": f"jwt {jwt}",
                                "Client-Properties": json.dumps({"type": ".ClientProperties", "appId": APP_ID})},
            **CONNECT)
        self = cls(ws, "")
        await self.request("cqm.SubscribeExConversations", {"stage": ["OPEN", "CLOSE"]})
        resp = await self.request("cm.ConsumerRequestConversation",
                                  {"channelType": "MESSAGING", "brandId": account_id, "skillId": "-1"})
        self.conversation_id = resp["body"]["conversationId"]
        await self.request("ms.SubscribeMessagingEvents", {"dialogId": self.conversation_id,
                                                           "conversationId": self.conversation_id, "fromSeq": 0})
        return self

    def frame(self, type_: str, body: Any) -> tuple[str, str]:
        req_id = str(next(self.ids))
        return req_id, _dumps({"kind": "req", "id": req_id, "type": type_, "body": body})

    def publish_frame(self, text: str) -> tuple[str, str]:
        """What lpweb sends for ``send_message(text)``."""
        return self.frame("ms.PublishEvent", {
            "dialogId": self.conversation_id, "conversationId": self.conversation_id,
            "event": {"type": "ContentEvent", "contentType": "text/plain", "message": text}})

    async def request(self, type_: str, body: Any) -> dict[str, Any]:
        req_id, text = self.frame(type_, body)
        await self.ws.send(text)
        return await self.response(req_id)

    async def response(self, req_id: str) -> dict[str, Any]:
        while True:
            frame = json.loads(await self.ws.recv())
            if frame.get("kind") == "resp" and frame.get("reqId") == req_id:
                return frame

    async def round_trip(self, text: str) -> None:
        req_id, frame = self.publish_frame(text)
        await self.ws.send(frame)
        await self.response(req_id)

    async def pipelined(self, total: int, window: int = WINDOW) -> None:
        outstanding: set[str] = set()
        sent = done = 0

        async def send_one() -> None:
            nonlocal sent
            req_id, frame = self.publish_frame(f"p{sent}")
            outstanding.add(req_id)
            sent += 1
            await self.ws.send(frame)

        for _ in range(min(window, total)):
            await send_one()
        while done < total:
            frame = json.loads(await self.ws.recv())
            if frame.get("kind") == "resp" and frame.get("reqId") in outstanding:
                outstanding.discard(frame["reqId"])
                done += 1
                if sent < total:
                    await send_one()

    async def close(self) -> None:
        await self.ws.close()


async def _lpweb_pipelined(conversation: Any, total: int, window: int = WINDOW) -> None:
    counter = itertools.count()

    async def worker() -> None:
        while (i := next(counter)) < total:
            await conversation.send_message(f"p{i}")
    await asyncio.gather(*(worker() for _ in range(min(window, total))))


async def _timed(fn: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """(wall seconds, client CPU seconds) of one call."""
    cpu0, t0 = time.process_time(), time.perf_counter()
    await fn()
    return time.perf_counter() - t0, time.process_time() - cpu0


async def _round_trips(one: Callable[[str], Awaitable[Any]], n: int, tag: str) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        await one(f"{tag}{i}")
        out.append((time.perf_counter() - t0) * 1e6)
    return out


async def measure(n: int = 500, repetitions: int = 7, messages: int = 4000,
                  pipelined_repetitions: int = 5) -> dict[str, Any]:
    async with EmulatorProcess({"bench-agent": "pw"}) as emu:
        conn = lpweb.create_connection(app_id=APP_ID, account_id=emu.account_id,
                                       user_type=lpweb.UserType.CONSUMER, csds_domain=emu.host_port)
        await conn.open()
        raw: RawConsumer | None = None
        try:
            conv = await conn.create_conversation()
            raw = await RawConsumer.open(emu.url, emu.host_port, emu.account_id)
            for i in range(50):                                   # warm-up, not measured
                await raw.round_trip(f"w{i}")
                await conv.send_message(f"w{i}")
            raw_rtt, lp_rtt = [], []
            for rep in range(repetitions):
                raw_rep: list[float] = []
                lp_rep: list[float] = []
                for block in range(0, n, BLOCK):       # in turn, so that load changes hit both
                    raw_rep += await _round_trips(raw.round_trip, BLOCK, f"r{rep}.{block}.")
                    lp_rep += await _round_trips(conv.send_message, BLOCK, f"l{rep}.{block}.")
                raw_rtt.append(statistics.median(raw_rep))
                lp_rtt.append(statistics.median(lp_rep))
            raw_pipe, lp_pipe = [], []
            for rep in range(pipelined_repetitions):
                raw_pipe.append(await _timed(lambda: raw.pipelined(messages)))
                lp_pipe.append(await _timed(lambda: _lpweb_pipelined(conv, messages)))
        finally:
            if raw is not None:
                await raw.close()
            await conn.close()

    def pipe(results: list[tuple[float, float]]) -> tuple[float, float]:
        return (round(statistics.median(messages / wall for wall, _ in results), 1),
                round(statistics.median(cpu / messages * 1e6 for _, cpu in results), 1))
    raw_rate, raw_cpu = pipe(raw_pipe)
    lp_rate, lp_cpu = pipe(lp_pipe)
    raw_us, lp_us = statistics.median(raw_rtt), statistics.median(lp_rtt)
    return {"n": n, "repetitions": repetitions, "messages": messages, "pipelined_repetitions": pipelined_repetitions,
            "raw_rtt_us": round(raw_us, 1), "lpweb_rtt_us": round(lp_us, 1), "rtt_ratio": round(lp_us / raw_us, 3),
            "raw_rtt_reps_us": [round(x, 1) for x in raw_rtt], "lpweb_rtt_reps_us": [round(x, 1) for x in lp_rtt],
            "raw_msgs_per_s": raw_rate, "raw_cpu_us_per_msg": raw_cpu,
            "lpweb_msgs_per_s": lp_rate, "lpweb_cpu_us_per_msg": lp_cpu,
            "cpu_ratio": round(lp_cpu / raw_cpu, 3), "load_avg_1m": _load_avg()}


def _measure_for(quick: bool) -> Any:
    return measure(n=200, repetitions=5, messages=2000) if quick else measure()


def run(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    """``(table rows, result keys)`` for ``bench/run.py``."""
    r = asyncio.run(_measure_for(quick))
    rows = [
        {"benchmark": "publish rtt raw websockets", "p50_us": r["raw_rtt_us"], "load_avg_1m": r["load_avg_1m"]},
        {"benchmark": "publish rtt lpweb", "p50_us": r["lpweb_rtt_us"], "ratio": r["rtt_ratio"],
         "load_avg_1m": r["load_avg_1m"]},
        {"benchmark": f"pipelined x{WINDOW} raw websockets", "rate_per_s": r["raw_msgs_per_s"],
         "cpu_us_per_msg": r["raw_cpu_us_per_msg"], "load_avg_1m": r["load_avg_1m"]},
        {"benchmark": f"pipelined x{WINDOW} lpweb", "rate_per_s": r["lpweb_msgs_per_s"],
         "cpu_us_per_msg": r["lpweb_cpu_us_per_msg"], "ratio": r["cpu_ratio"], "load_avg_1m": r["load_avg_1m"]},
    ]
    keys = {"native_rtt_overhead_ratio": r["rtt_ratio"], "native_rtt_raw_us": r["raw_rtt_us"],
            "native_rtt_lpweb_us": r["lpweb_rtt_us"],
            "native_pipelined_msgs_per_s": r["lpweb_msgs_per_s"], "native_client_cpu_us_per_msg": r["lpweb_cpu_us_per_msg"],
            "native_pipelined_raw_msgs_per_s": r["raw_msgs_per_s"],
            "native_pipelined_raw_cpu_us_per_msg": r["raw_cpu_us_per_msg"],
            "native_client_cpu_ratio": r["cpu_ratio"], "native_load_avg": r["load_avg_1m"]}
    return rows, keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args(argv)
    r = asyncio.run(_measure_for(args.quick))
    print(json.dumps(r, indent=2) if args.json else
          f"rtt raw {r['raw_rtt_us']} us, lpweb {r['lpweb_rtt_us']} us, ratio {r['rtt_ratio']}; pipelined x{WINDOW}: "
          f"raw {r['raw_msgs_per_s']}/s {r['raw_cpu_us_per_msg']} us cpu/msg, lpweb {r['lpweb_msgs_per_s']}/s "
          f"{r['lpweb_cpu_us_per_msg']} us cpu/msg (x{r['cpu_ratio']}); load avg {r['load_avg_1m']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
