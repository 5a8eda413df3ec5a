"""``python -m lpweb``: the emulator, chat and bot commands, run as subprocesses against an
in-test emulator (or, for ``emulator``, as the emulator itself)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

import lpweb
from lpweb.emulator import Emulator
from lpweb.testing import ScriptedAgent, ScriptedChat, seed_user

ROOT = Path(__file__).resolve().parents[1]
T = 20
ACCOUNT = "4242"


async def spawn(*args: str, stdin: bool = False) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("LPWEB_CSDS_DOMAIN", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lpweb", *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL)


async def read_until(proc: asyncio.subprocess.Process, needle: str, timeout: float = T) -> list[str]:
    """Lines of stdout up to and including the first one containing ``needle``."""
    lines: list[str] = []

    async def read() -> list[str]:
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                err = (await proc.stderr.read()).decode()
                raise AssertionError(f"exited before {needle!r}; stdout {lines!r}; stderr {err}")
            lines.append(raw.decode().rstrip("\n"))
            if needle in lines[-1]:
                return lines

    return await asyncio.wait_for(read(), timeout)


async def stop(proc: asyncio.subprocess.Process, *, terminate: bool = True) -> tuple[int, str]:
    """Terminate ``proc`` (or, with ``terminate=False``, wait for it to exit by itself)."""
    if terminate and proc.returncode is None:
        proc.terminate()
    out, err = await asyncio.wait_for(proc.communicate(), T)
    return proc.returncode, err.decode()


@pytest.fixture
async def emu():
    async with Emulator(port=0, account_id=ACCOUNT) as emulator:   # default user bot:bot-password
        yield emulator


def test_help_lists_commands():
    import subprocess
    out = subprocess.run([sys.executable, "-m", "lpweb", "--help"], capture_output=True, text=True, cwd=ROOT,
                         timeout=T)
    assert out.returncode == 0
    for command in ("emulator", "chat", "bot"):
        assert command in out.stdout


async def test_emulator_command():
    """``python -m lpweb emulator`` is ``python -m lpweb.emulator``: one ready line, SIGTERM stops it."""
    proc = await spawn("emulator", "--port", "0", "--account", "999")
    try:
        [line] = await read_until(proc, "ready at")
        assert "(account 999)" in line
    finally:
        code, err = await stop(proc)
    assert code == 0, err


async def test_chat_with_the_echo_bot(emu):
    """``bot`` (the default echo bot) and ``chat`` talk through the emulator: a typed line comes
    back echoed, ``/quit`` closes the conversation and exits 0."""
    bot = await spawn("bot", "--csds", emu.csds_domain, "--account", ACCOUNT)
    try:
        await read_until(bot, "lpweb bot ready")
        chat = await spawn("chat", "--csds", emu.csds_domain, "--account", ACCOUNT, "--name", "Ann", stdin=True)
        try:
            await read_until(chat, "connected: conversation")
            await read_until(chat, "I'm the lpweb echo bot")          # the greeting
            chat.stdin.write(b"hello there\n")
            await chat.stdin.drain()
            lines = await read_until(chat, "You said: hello there")
            assert lines[-1] == "assigned agent: You said: hello there"
            chat.stdin.write(b"/quit\n")
            await chat.stdin.drain()
            await read_until(chat, "bye")
            code, err = await stop(chat, terminate=False)
            assert code == 0, err
        finally:
            if chat.returncode is None:
                await stop(chat)
    finally:
        code, err = await stop(bot)
    assert code == 0, err
    [conversation] = emu.platform.account(ACCOUNT).conversations.values()
    assert conversation.stage == "CLOSE"


async def test_chat_against_a_scripted_agent_until_closed(emu):
    """``chat`` prints the agent's lines and exits when the agent closes the conversation."""
    agent = await ScriptedAgent.start(emu, seed_user(emu), replies={"ping": "pong"})
    chat = await spawn("chat", "--csds", emu.csds_domain, "--account", ACCOUNT, stdin=True)
    try:
        await read_until(chat, "connected: conversation")
        conversation = await agent.next_conversation()
        chat.stdin.write(b"ping\n")
        await chat.stdin.drain()
        await read_until(chat, "pong")
        await conversation.close()
        await read_until(chat, "the conversation was closed")
        code, err = await stop(chat, terminate=False)
        assert code == 0, err
    finally:
        if chat.returncode is None:
            await stop(chat)
        await agent.stop()


async def test_bot_runs_a_user_module(emu, tmp_path):
    """``bot path/to/mybot.py`` runs the module's ``async def main(connection)``."""
    module = tmp_path / "mybot.py"
    module.write_text('''
from lpweb import ParticipantRole

async def main(connection):
    @connection.on("conversation")
    async def joined(conversation):
        @conversation.on("message")
        async def answer(message):
            if message.participant.role == ParticipantRole.CONSUMER:
                await conversation.send_message(message.body[::-1])

        await conversation.join(ParticipantRole.ASSIGNED_AGENT)
''')
    bot = await spawn("bot", "--csds", emu.csds_domain, "--account", ACCOUNT, "--user", "bot",
                      "--password", "bot-password", str(module))
    try:
        await read_until(bot, "lpweb bot ready")
        chat = await ScriptedChat.start(emu)
        assert (await chat.say("stressed")).body == "desserts"
        await chat.stop()
    finally:
        code, err = await stop(bot)
    assert code == 0, err


async def test_bot_bad_password_fails(emu):
    bot = await spawn("bot", "--csds", emu.csds_domain, "--account", ACCOUNT, "--password", "wrong")
    out, err = await asyncio.wait_for(bot.communicate(), T)
    assert bot.returncode == 1
    assert "wrong" not in err.decode()
