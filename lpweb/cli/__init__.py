"""``python -m lpweb``: the command line (``lpweb`` once installed).

    python -m lpweb emulator [--port 8081 ...]     # the local platform emulator (python -m lpweb.emulator,
                                                   # in the lpweb-emulator package: pip install 'lpweb[emulator]')
    python -m lpweb chat --csds HOST[:PORT] --account ID [--skill S]
    python -m lpweb bot --csds HOST[:PORT] --account ID [--user U --password P] [MODULE]

``chat`` is a terminal consumer: it prints what the brand side writes and sends each line
you type (``/quit`` or end of input closes the conversation). ``bot`` runs the echo bot
(:mod:`lpweb.cli.echo_bot`) or a module of yours that defines ``async def main(connection)``.
Without ``--csds``, ``LPWEB_CSDS_DOMAIN`` or LivePerson's production CSDS is used.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    from . import bot, chat

    parser = argparse.ArgumentParser(prog="python -m lpweb", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="{emulator,chat,bot}", required=True)
    sub.add_parser("emulator", help="run the local platform emulator (same as python -m lpweb.emulator)",
                   add_help=False)
    chat.add_arguments(sub.add_parser("chat", help="chat as a consumer from the terminal"))
    bot.add_arguments(sub.add_parser("bot", help="run the echo bot or your bot module against an account"))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "emulator":
        try:
            from lpweb.emulator.__main__ import main as emulator_main
        except ModuleNotFoundError as exc:
            if exc.name not in ("lpweb.emulator", "lpweb.emulator.__main__"):
                raise
            print("lpweb emulator: the emulator is in the lpweb-emulator package, which is not installed: "
                  "pip install 'lpweb[emulator]'", file=sys.stderr)
            return 2
        return emulator_main(argv[1:])
    args = build_parser().parse_args(argv)
    from . import bot, chat

    runner = {"chat": chat.run, "bot": bot.run}[args.command]
    return runner(args)
