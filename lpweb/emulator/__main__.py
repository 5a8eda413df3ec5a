"""Command line: ``python -m lpweb.emulator --port N [--host H] [--account ID]
[--user NAME:PASSWORD ...] [--config FILE] [--tls CERT KEY] [--seed N]
[--advertise HOST:PORT] [--trace FILE]``.

``--config`` reads a TOML or JSON configuration (:mod:`.config`); ``--user`` adds a brand user
with MANAGER permission on every skill to the default account (the ``--account``, else the
first configured account, else 1234567). ``--tls`` serves HTTPS/WSS with a PEM certificate
and key; ``--advertise`` is the host:port CSDS hands out (e.g. a public name behind a proxy).

Runs until SIGINT/SIGTERM. Prints exactly one ready line, e.g.
``lpweb emulator ready at http://127.0.0.1:8081 (account 1234567)``; with ``--port 0`` the
line has the port the system picked. ``--trace FILE`` writes one JSON line per websocket
frame / HTTP exchange: ``{direction, connection, payload}``.

The process tunes the cyclic garbage collector for latency (:func:`tune_gc`): it owns the
process, unlike an ``Emulator`` embedded in a test, which leaves the GC alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
from typing import Any

from .config import ConfigError, cli_user, load_config
from .server import Emulator

__all__ = ["main", "parse_args", "tune_gc", "GC_THRESHOLDS"]

# Collect the young generation after 50,000 net container allocations instead of 700, and
# the old ones less often: with 1,000 open websockets the heap holds ~10^5 tracked objects
# and a full collection pauses every connection for ~0.1 s (bench/emulator_load.py).
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Freeze what startup allocated (it lives as long as the process) and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lpweb.emulator",
                                     description="Local LivePerson Messaging Platform emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--account", default=None, help="default account id (default: first configured, else 1234567)")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD",
                        help="brand user (repeatable; default bot:bot-password)")
    parser.add_argument("--advertise", default=None, metavar="HOST:PORT",
                        help="address CSDS hands out (default the bound address)")
    parser.add_argument("--trace", default=None, metavar="FILE", help="write a JSON-lines frame trace")
    parser.add_argument("--config", default=None, metavar="FILE", help="TOML or JSON configuration")
    parser.add_argument("--tls", nargs=2, default=None, metavar=("CERT", "KEY"), help="serve TLS (PEM files)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault-injection randomness")
    args = parser.parse_args(argv)
    for item in args.user:
        try:
            cli_user(item)
        except ConfigError as exc:
            parser.error(str(exc))
    if args.config:
        try:
            args.config = load_config(args.config)
        except (OSError, ValueError) as exc:
            parser.error(f"--config: {exc}")
    return args


async def _run(args: argparse.Namespace) -> None:
    users = dict(u.split(":", 1) for u in args.user) if args.user else None
    trace_file = open(args.trace, "a", encoding="utf-8") if args.trace else None

    def trace(direction: str, connection: str, payload: Any) -> None:
        assert trace_file is not None
        trace_file.write(json.dumps({"direction": direction, "connection": connection, "payload": payload},
                                    ensure_ascii=False) + "\n")
        trace_file.flush()

    emu = Emulator(args.host, args.port, args.account, users, args.advertise, trace if trace_file else None,
                   config=args.config, tls=tuple(args.tls) if args.tls else None, seed=args.seed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):     # e.g. Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    try:
        async with emu:
            tune_gc()
            print(f"lpweb emulator ready at {emu.url} (account {emu.account_id})", flush=True)
            await stop.wait()
    finally:
        if trace_file is not None:
            trace_file.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(_run(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"lpweb emulator: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
