"""``python -m lpweb chat``: a consumer conversation in the terminal.

Prints ``connected: conversation <id>``, then one line per message from the brand side
(``agent: text``); each line typed is sent. ``/quit`` (or end of input) closes the
conversation and exits 0; so does the agent closing the conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from typing import Any

import lpweb
from lpweb import ParticipantRole, UserType

from .common import add_connection_arguments, connection_options, run_command

__all__ = ["add_arguments", "run", "chat"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_arguments(parser)
    parser.add_argument("--skill", default=None, metavar="ID", help="skill of the new conversation")
    parser.add_argument("--name", default=None, help="your first name, shown to the agent")


def _print(text: str) -> None:
    print(text, flush=True)


def _describe(message: Any) -> str:
    body = message.body
    if not isinstance(body, str):
        body = "[file]" if message.is_downloadable else "[rich content]"
    role = message.participant.role.lower().replace("_", " ") if message.participant is not None else "brand"
    return f"{role}: {body}"


def _stdin_lines() -> "asyncio.Queue[str]":
    """Lines of stdin ("" at the end), read on a daemon thread so exiting never waits for input."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = sys.stdin.readline()
            loop.call_soon_threadsafe(queue.put_nowait, line)
            if not line:
                return

    threading.Thread(target=read, name="lpweb-chat-stdin", daemon=True).start()
    return queue


async def chat(args: argparse.Namespace) -> int:
    connection: lpweb.ConsumerConnection = lpweb.create_connection(user_type=UserType.CONSUMER,
                                                                   **connection_options(args))
    connection.on("error", lambda err: print(f"error: {err}", file=sys.stderr, flush=True))
    await connection.open()
    if args.name:
        await connection.set_user_profile({"firstName": args.name})
    conversation = await connection.create_conversation(args.skill)
    closed = asyncio.Event()

    @conversation.on("message")
    def on_message(message: lpweb.Message) -> None:
        if message.participant is not None and message.participant.role != ParticipantRole.CONSUMER:
            _print(_describe(message))

    conversation.on("close", lambda *_: closed.set())
    _print(f"connected: conversation {conversation.conversation_id} (type /quit to leave)")
    lines = _stdin_lines()
    try:
        while not closed.is_set():
            reader = asyncio.ensure_future(lines.get())
            closer = asyncio.ensure_future(closed.wait())
            done, _ = await asyncio.wait({reader, closer}, return_when=asyncio.FIRST_COMPLETED)
            closer.cancel()
            if reader not in done:
                reader.cancel()
                break
            line = reader.result()
            if not line or line.strip() == "/quit":
                break
            if line.strip():
                await conversation.send_message(line.rstrip("\n"))
        if closed.is_set():
            _print("the conversation was closed")
        elif conversation.is_open:
            await conversation.close()
    finally:
        await connection.close()
    _print("bye")
    return 0


def run(args: argparse.Namespace) -> int:
    return run_command("chat", chat, args, interrupted=130)
