"""The README's two quick starts run exactly as written against the emulator.

The code blocks under "Quick start: a consumer conversation" and "Quick start: an agent
bot" are run as scripts in subprocesses with ``LPWEB_CSDS_DOMAIN`` pointing at an
emulator configured with the README's account and bot credentials. Covers SCN-01 and
SCN-02 (features.md §28), OPT-05 (OAuth1 auth_data), CONN-12 (set_user_profile).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

import lpweb
from lpweb import ParticipantRole, UserType
from lpweb.emulator import Emulator

README = Path(__file__).resolve().parents[1] / "README.md"
T = 30


def snippet(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under {heading!r}"
    return match.group(1)


def readme_config(code: str) -> dict:
    """An emulator account and bot user taken from the bot snippet's own values."""
    account = re.search(r'account_id = "(\d+)"', code).group(1)
    auth = dict(re.findall(r'"(username|appKey|secret|accessToken|accessTokenSecret)": "([^"]+)"', code))
    return {"accounts": [{"id": account, "users": [{
        "name": auth["username"], "password": "unused-password", "app_keys": [
            {k: auth[k] for k in ("appKey", "secret", "accessToken", "accessTokenSecret")}]}]}]}


async def run_script(code: str, env: dict, timeout: float | None = T) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-c", code, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@pytest.fixture
async def readme_emulator():
    config = readme_config(snippet("Quick start: an agent bot"))
    async with Emulator(port=0, config=config) as emu:
        env = {**os.environ, "LPWEB_CSDS_DOMAIN": emu.csds_domain, "PYTHONPATH": str(README.parent)}
        yield emu, config["accounts"][0]["id"], env


async def test_consumer_quick_start(readme_emulator):
    """SCN-01: the consumer quick start completes, prints its own message, and leaves a closed
    conversation and the consumer's profile on the platform."""
    emu, account_id, env = readme_emulator
    proc = await run_script(snippet("Quick start: a consumer conversation"), env)
    out, err = await asyncio.wait_for(proc.communicate(), T)
    assert proc.returncode == 0, err.decode()
    assert "test" in out.decode().split()
    account = emu.platform.account(account_id)
    [conversation] = account.conversations.values()
    assert conversation.stage == "CLOSE"
    assert [p["firstName"] for p in account.profiles.values()] == ["firstName"]


async def test_agent_bot_quick_start(readme_emulator):
    """SCN-02: the bot quick start (OAuth1 app keys) joins a new conversation and answers."""
    emu, account_id, env = readme_emulator
    bot = await run_script(snippet("Quick start: an agent bot"), env, timeout=None)
    try:
        consumer = lpweb.create_connection(app_id="readme_test", account_id=account_id,
                                           user_type=UserType.CONSUMER, csds_domain=emu.csds_domain)
        await consumer.open()
        conversation = await consumer.create_conversation()
        if not any(p.role == ParticipantRole.AGENT for p in conversation.participants):
            await conversation.wait_for("participant-added",
                                        check=lambda added: added["participant"].role == ParticipantRole.AGENT,
                                        timeout=T)
        answer = asyncio.ensure_future(conversation.wait_for(
            "message", check=lambda m: m.participant.role == ParticipantRole.AGENT, timeout=T))
        await conversation.send_message("is anybody there?")
        assert (await answer).body == "hello"
        await conversation.close()
        await consumer.close()
    finally:
        bot.terminate()
        out, err = await asyncio.wait_for(bot.communicate(), T)
    assert "is anybody there?" in out.decode(), err.decode()
