"""Options shared by the ``chat`` and ``bot`` commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any, Callable, Coroutine

import lpweb

__all__ = ["add_connection_arguments", "configure_logging"]


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csds", default=os.environ.get("LPWEB_CSDS_DOMAIN"), metavar="HOST[:PORT]",
                        help="CSDS domain (the emulator's host:port; default $LPWEB_CSDS_DOMAIN, "
                             "else LivePerson's production CSDS)")
    parser.add_argument("--account", required=True, metavar="ID", help="account (site) id")
    parser.add_argument("--app-id", default="lpweb_cli", help="application id sent to the platform")
    parser.add_argument("--debug", action="store_true",
                        help="log at DEBUG, including every websocket frame (secrets masked)")


def run_command(name: str, main: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
                args: argparse.Namespace, interrupted: int) -> int:
    """Run ``main(args)`` on a new event loop: Ctrl-C gives ``interrupted``, an lpweb error
    is printed (it never carries a secret) and gives 1."""
    configure_logging(args.debug)
    try:
        return asyncio.run(main(args))
    except KeyboardInterrupt:
        return interrupted
    except lpweb.LPError as exc:
        print(f"lpweb {name}: {exc}", file=sys.stderr, flush=True)
        return 1


def configure_logging(debug: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if debug:
        os.environ["LPWEB_DEBUG_FRAMES"] = "1"


def connection_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"app_id": args.app_id, "account_id": args.account}
    if args.csds:
        options["csds_domain"] = args.csds
    return options
