"""``python -m lpweb bot``: run a bot against an account until Ctrl-C (or SIGTERM).

MODULE is a dotted module name or a ``.py`` file defining ``async def main(connection)``:
it gets an unopened brand connection, registers its handlers and opens it (if it returns
without opening it, the command does). Without MODULE the echo bot
(:mod:`lpweb.cli.echo_bot`) runs. Credentials: ``--user``/``--password`` (or
``LPWEB_USER``/``LPWEB_PASSWORD``; the emulator's default user is ``bot``/``bot-password``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import os
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import lpweb
from lpweb import ConnectionState, UserType

from .common import add_connection_arguments, connection_options, run_command

__all__ = ["add_arguments", "run", "load_bot"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_arguments(parser)
    parser.add_argument("--user", default=os.environ.get("LPWEB_USER", "bot"), help="brand user (default bot)")
    parser.add_argument("--password", default=os.environ.get("LPWEB_PASSWORD", "bot-password"),
                        help="the user's password (better: $LPWEB_PASSWORD)")
    parser.add_argument("module", nargs="?", default="lpweb.cli.echo_bot", metavar="MODULE",
                        help="module or .py file with `async def main(connection)` (default: the echo bot)")


def load_bot(spec: str) -> Any:
    """The ``main`` coroutine function of a module name or ``.py`` path."""
    module: ModuleType
    if spec.endswith(".py") or os.sep in spec:
        path = Path(spec).resolve()
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise SystemExit(f"lpweb bot: cannot load {spec}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        module_spec.loader.exec_module(module)
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        module = importlib.import_module(spec)
    main = getattr(module, "main", None)
    if not callable(main):
        raise SystemExit(f"lpweb bot: {spec} has no `async def main(connection)`")
    return main


async def serve(args: argparse.Namespace) -> int:
    bot_main = load_bot(args.module)
    connection = lpweb.create_connection(user_type=UserType.BRAND,
                                         auth_data={"username": args.user, "password": args.password},
                                         **connection_options(args))
    connection.on("error", lambda err: print(f"error: {err}", file=sys.stderr, flush=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    task = asyncio.ensure_future(bot_main(connection))
    try:
        while connection.state != ConnectionState.CONNECTED and not task.done() and not stop.is_set():
            await asyncio.sleep(0.02)
        if stop.is_set():
            return 0
        if task.done():
            task.result()                   # raise the bot's own error
            if connection.state != ConnectionState.CONNECTED:
                await connection.open()
        print(f"lpweb bot ready: {args.module} as {args.user} on account {args.account}", flush=True)
        waiter = asyncio.ensure_future(stop.wait())
        pending: set[asyncio.Future[Any]] = {waiter} if task.done() else {waiter, task}
        while not stop.is_set():
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()               # main() returned: keep serving; or it failed: raise
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await connection.close()
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command("bot", serve, args, interrupted=0)
