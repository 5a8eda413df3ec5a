"""Load test of the emulator: N concurrent consumer websockets exchanging messages with agents.

    python bench/emulator_load.py [--consumers 1000] [--agents 10] [--messages 3]

Each consumer opens a conversation; agent sockets (``--agents`` brand users, MANAGER on every
skill) join conversations round robin as ASSIGNED_AGENT and echo every consumer message.
A round trip is consumer publish -> agent echo received by the consumer. Prints p50/p99 round
trip and the lost count, first for a baseline run (``--baseline`` consumers, default 10) and
then for the full run, and the p99 ratio full/baseline, all in the same process.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import websockets  # noqa: E402

from lpweb.emulator import Emulator  # noqa: E402

TEXT = "text/plain"


class Socket:
    def __init__(self, ws: Any) -> None:
        self.ws, self.ids, self.waiting = ws, itertools.count(1), {}
        self.on_notification = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = json.loads(text)
                if frame.get("kind") == "resp":
                    fut = self.waiting.pop(frame.get("reqId"), None)
                    if fut and not fut.done():
                        fut.set_result(frame)
                elif self.on_notification:
                    self.on_notification(frame)
        except websockets.ConnectionClosed:
            pass

    async def request(self, type_: str, body: Any = None) -> dict[str, Any]:
        rid = str(next(self.ids))
        fut = asyncio.get_running_loop().create_future()
        self.waiting[rid] = fut
        frame = {"kind": "req", "id": rid, "type": type_}
        if body is not None:
            frame["body"] = body
        await self.ws.send(json.dumps(frame))
        return await asyncio.wait_for(fut, 30)


async def run(consumers: int, agents: int, messages: int, timeout: float) -> dict[str, Any]:
    users = {f"agent{i}": "pw" for i in range(agents)}
    async with Emulator(users=users, heartbeat=None) as emu:
        base = f"ws://{emu.csds_domain}/ws_api/account/{emu.account_id}/messaging"
        async with httpx.AsyncClient(base_url=emu.url, timeout=30, limits=httpx.Limits(max_connections=50)) as http:
            brand: list[tuple[Socket, str]] = []
            for name in users:
                login = (await http.post(f"/api/account/{emu.account_id}/login", json={"username": name, "password": "pw"})).json()
                sock = Socket(await websockets.connect(f"{base}/brand/{login['bearer']}?v=2.1", max_size=None))
                brand.append((sock, f"{emu.account_id}.{login['config']['userId']}"))

            def echo_agent(sock: Socket, old_id: str):
                def on(frame: dict[str, Any]) -> None:
                    body = frame.get("body") or {}
                    event = body.get("event") or {}
                    if frame["type"] == ".ams.ms.OnlineEventDistribution" and event.get("type") == "ContentEvent" \
                            and body.get("originatorMetadata", {}).get("role") == "CONSUMER":
                        asyncio.ensure_future(sock.request(".ams.ms.PublishEvent", {
                            "dialogId": body["dialogId"], "event": {"type": "ContentEvent", "contentType": TEXT,
                                                                    "message": "echo:" + event["message"]}}))
                return on
            for sock, old_id in brand:
                sock.on_notification = echo_agent(sock, old_id)

            jwts = await asyncio.gather(*[http.post(f"/api/account/{emu.account_id}/signup") for _ in range(consumers)])
            rtts: list[float] = []
            lost = 0

            async def consumer(i: int, jwt: str) -> None:
                nonlocal lost
                sock = Socket(await websockets.connect(f"{base}/consumer?v=3", additional_headers={"Authorization": f"jwt {jwt}"}))
                pending: dict[str, tuple[float, asyncio.Future]] = {}

                def on(frame: dict[str, Any]) -> None:
                    if frame["type"] != "ms.MessagingEventNotification":
                        return
                    for change in frame["body"]["changes"]:
                        msg = change.get("event", {}).get("message")
                        if isinstance(msg, str) and msg in pending:
                            sent, fut = pending.pop(msg)
                            rtts.append((time.perf_counter() - sent) * 1000)
                            fut.set_result(None)
                sock.on_notification = on
                conv_id = (await sock.request("cm.ConsumerRequestConversation"))["body"]["conversationId"]
                agent_sock, old_id = brand[i % len(brand)]
                await agent_sock.request(".ams.cm.UpdateConversationField", {"conversationId": conv_id, "conversationField": [
                    {"field": "ParticipantsChange", "type": "ADD", "role": "ASSIGNED_AGENT", "userId": old_id}]})
                await sock.request("ms.SubscribeMessagingEvents", {"dialogId": conv_id, "fromSeq": 0})
                for m in range(messages):
                    text = f"c{i}m{m}"
                    fut = asyncio.get_running_loop().create_future()
                    pending["echo:" + text] = (time.perf_counter(), fut)
                    await sock.request("ms.PublishEvent", {"dialogId": conv_id, "event": {
                        "type": "ContentEvent", "contentType": TEXT, "message": text}})
                    try:
                        await asyncio.wait_for(fut, timeout)
                    except asyncio.TimeoutError:
                        lost += 1
                await sock.ws.close()

            started = time.perf_counter()
            await asyncio.gather(*[consumer(i, r.json()["jwt"]) for i, r in enumerate(jwts)])
            elapsed = time.perf_counter() - started
            for sock, _ in brand:
                await sock.ws.close()
    rtts.sort()
    p99 = rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))] if rtts else float("nan")
    return {"consumers": consumers, "round_trips": len(rtts), "lost": lost, "seconds": round(elapsed, 2),
            "p50_ms": round(statistics.median(rtts), 2) if rtts else None, "p99_ms": round(p99, 2)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a round trip counts as lost")
    args = parser.parse_args()
    baseline = await run(args.baseline, args.agents, args.messages, args.timeout)
    print("baseline:", json.dumps(baseline), flush=True)
    full = await run(args.consumers, args.agents, args.messages, args.timeout)
    print("full:    ", json.dumps(full), flush=True)
    print(f"p99 ratio full/baseline: {full['p99_ms'] / baseline['p99_ms']:.1f}x; lost {full['lost']}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
