"""The pytest plugin (lpweb.testing.pytest_plugin, entry point pytest11 ``lpweb``).

Each test writes a small project with ``pytester`` and runs pytest on it in a subprocess,
so the plugin is loaded exactly as a user gets it: through the installed entry point.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"
AUTO_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def readme_block(heading: str) -> str:
    section = README.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"<!-- runnable: pytest -->\n```python\n(.*?)```", section, re.S)
    assert match, f"no runnable pytest block under {heading!r}"
    return match.group(1)


def test_entry_point_registered():
    """pyproject registers the plugin as pytest11 'lpweb' (it ships in the wheel)."""
    points = {e.name: e.value for e in importlib.metadata.entry_points(group="pytest11")}
    assert points.get("lpweb") == "lpweb.testing.pytest_plugin"


@pytest.mark.parametrize("ini", ["strict", "auto"])
def test_readme_bot_test_passes(pytester, ini):
    """The README's ten-line bot test passes as written, with pytest-asyncio in strict mode
    (the plugin marks its async tests itself) and in auto mode."""
    if ini == "auto":
        pytester.makeini(AUTO_INI)
    pytester.makepyfile(test_bot=readme_block("Testing a bot with the pytest plugin"))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)


def test_fixtures_agent_marker_and_session_scope(pytester):
    """lp_agent scripts replies, lp_chat sees them; the lpweb marker configures the
    emulator; faults are reachable; lp_consumer/lp_brand are open; session scope shares one
    emulator between tests."""
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(test_more='''
import re
import pytest

seen = set()

@pytest.mark.lpweb(config={"accounts": [{"id": "555", "skills": [{"id": "7", "name": "Sales"}]}]})
async def test_agent_script(lp_emulator, lp_agent, lp_chat):
    assert lp_emulator.account_id == "555"
    agent = await lp_agent(greeting="welcome", replies={"hi": "hello"}, reply=lambda m: m.body.upper())
    agent.reply_to(re.compile("order"), "Which order?")
    chat = await lp_chat(skill_id="7")
    assert (await chat.expect("welcome")).body == "welcome"
    assert (await chat.say("hi")).body == "hello"
    assert (await chat.say("my order 12")).body == "Which order?"
    assert (await chat.say("abc")).body == "ABC"
    assert [m.body for m in agent.received] == ["hi", "my order 12", "abc"]
    assert (await agent.next_conversation()).conversation_id == chat.conversation.conversation_id
    assert lp_emulator.faults.sessions("*")

async def test_open_connections(lp_emulator, lp_consumer, lp_brand, lp_credentials):
    assert lp_consumer.state == "CONNECTED" and lp_brand.state == "CONNECTED"
    assert lp_credentials.username == "lpweb-test-bot"
    seen.add(lp_emulator.csds_domain)

test_open_connections_again = test_open_connections

def test_scope(request):
    session = request.config.getoption("lpweb_emulator_scope") == "session"
    assert len(seen) == (1 if session else 2)
''')
    per_test = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", timeout=120)
    per_test.assert_outcomes(passed=4)
    session = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--lpweb-emulator-scope=session",
                                            "-k", "open_connections or scope", timeout=120)
    session.assert_outcomes(passed=3)


def test_lp_bot_opens_for_a_bot_that_does_not_and_raises_a_bot_failure(pytester):
    """lp_bot returns once main() opened the connection; opens it if main() returned without
    doing so; re-raises the error of a bot that fails before opening."""
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(test_bots='''
import pytest

async def test_main_without_open(lp_bot):
    async def main(connection):
        connection.on("conversation", lambda conversation: None)
    connection = await lp_bot(main)
    assert connection.state == "CONNECTED"

async def test_failing_bot(lp_bot):
    async def main(connection):
        raise ValueError("broken bot")
    with pytest.raises(ValueError, match="broken bot"):
        await lp_bot(main)
''')
    pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", timeout=120).assert_outcomes(passed=2)


def test_without_pytest_asyncio_pytest_still_runs(pytester, monkeypatch):
    """The plugin is loaded in every pytest run of an environment with lpweb: without
    pytest-asyncio (lpweb installed without the test extra) other tests still run, and a test
    asking for an lp_* fixture gets an error that says what to install."""
    shadow = pytester.mkdir("shadow")
    (shadow / "pytest_asyncio.py").write_text('raise ImportError("no pytest-asyncio here")\n')
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(shadow), os.environ.get("PYTHONPATH")])))
    pytester.makepyfile(test_other='''
def test_unrelated():
    assert True

def test_emulator(lp_emulator):
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio", timeout=120)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*pytest-asyncio, which is not installed: pip install pytest-asyncio*"])
