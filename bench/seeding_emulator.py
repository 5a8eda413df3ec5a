"""An emulator process that opens many conversations on command (for ``brand_ingest``).

    python bench/seeding_emulator.py --port 0 --user NAME:PASSWORD ...   (lpweb.emulator's CLI)

It serves exactly what ``python -m lpweb.emulator`` serves and prints the same ready line;
then it reads commands on stdin, one per line:

``seed N``
    Open N conversations at once, each for a new consumer and with an ASSIGNED_AGENT (the
    brand users whose name starts with ``agent``, round robin), by writing the platform's
    state directly instead of N signups and N websockets. Each new conversation is
    announced the way the platform announces any change: one
    ExConversationChangeNotification UPSERT per conversation to every matching
    subscription (``Platform.flush``). The frames for brand sockets are held back (not
    yet handed to their socket writers). Answers ``seeded N in S s``: the emulator's own
    time to make the conversations and their notifications.
``release``
    Hand every held frame to its socket writer at once; answers ``released``. The clients
    then receive the frames back to back, as fast as the socket and the emulator's writer
    (framing, permessage-deflate) go, so the time they take is the client's, not the time
    the emulator needed to produce them.

:class:`SeedingEmulator` runs it from a benchmark (an ``EmulatorProcess`` with a stdin).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from emulator_load import EmulatorProcess  # noqa: E402

class SeedingEmulator(EmulatorProcess):
    """This script as a subprocess: ``await seed(n)`` (returns the emulator's seconds),
    then ``await release()``."""

    stdin = asyncio.subprocess.PIPE

    def command(self) -> list[str]:
        return [sys.executable, str(Path(__file__).resolve()), *super().command()[3:]]

    async def _say(self, command: str) -> str:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        return (await self.proc.stdout.readline()).decode()

    async def seed(self, n: int) -> float:
        line = await self._say(f"seed {n}")
        if not line.startswith("seeded"):
            raise RuntimeError(f"the emulator did not seed: {line!r}")
        return float(line.split()[3])

    async def release(self) -> None:
        line = await self._say("release")
        if not line.startswith("released"):
            raise RuntimeError(f"the emulator did not release: {line!r}")


def seed(platform: Any, n: int, first: int) -> list[tuple[Any, list[str]]]:
    """Open ``n`` conversations; returns the brand sessions' held frames."""
    from lpweb.emulator.state import Participant

    account = platform.accounts[platform.default_account_id]
    agents = [u for name, u in account.users.items() if name.startswith("agent")]
    held: list[tuple[Any, list[str]]] = []
    sessions = [s for s in platform.listeners if getattr(s, "brand", False)]
    for session in sessions:            # hold the brand sockets' frames (see ``release``)
        frames: list[str] = []
        held.append((session, frames))
        session._send_fn, session.held_send = frames.append, session._send_fn
    try:
        for i in range(first, first + n):
            conv = platform.create_conversation(account.account_id, f"bench-consumer-{i}")
            if agents:
                agent = agents[i % len(agents)]
                conv.participants.append(Participant(agent.pid, agent.old_id, "ASSIGNED_AGENT"))
            platform.flush()
    finally:
        for session in sessions:
            session._send_fn = session.held_send
    return held


async def serve(argv: list[str]) -> None:
    from lpweb.emulator.__main__ import parse_args, tune_gc
    from lpweb.emulator.server import Emulator

    args = parse_args(argv)
    users = dict(u.split(":", 1) for u in args.user) if args.user else None
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with Emulator(args.host, args.port, args.account, users) as emu:
        tune_gc()
        print(f"lpweb emulator ready at {emu.url} (account {emu.account_id})", flush=True)
        made, held = 0, []
        while line := (await reader.readline()).decode().split():
            if line[0] == "seed":
                t0 = time.perf_counter()
                held += seed(emu.platform, int(line[1]), made)
                made += int(line[1])
                print(f"seeded {line[1]} in {time.perf_counter() - t0:.4f} s", flush=True)
            elif line[0] == "release":
                for session, frames in held:
                    for text in frames:
                        session.deliver(text)
                held.clear()
                print("released", flush=True)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1:]))
