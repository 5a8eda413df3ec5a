"""Typing: py.typed ships, the public API passes ``mypy --strict``, and event payloads are typed.

The checked files are ``[tool.mypy] files`` in pyproject.toml: the public API (lpweb/__init__.py,
errors, enums, options, model, transports, auth, builders, endpoints, files, proxy, rest),
the sans-I/O core (lpweb/protocol), lpweb/debug.py, the test helpers (lpweb/testing) and the
CLI. Event payloads: a sample program is type-checked and mypy must infer each payload type
from the event name (lpweb/model/typed_events.py, generated from lpweb.model.events.EVENTS).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_is_package_data():
    assert (ROOT / "lpweb" / "py.typed").exists()
    assert '"lpweb/py.typed"' in (ROOT / "pyproject.toml").read_text()   # [tool.lpweb] package-data


def test_mypy_strict():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_events_module_is_generated_from_the_table():
    """typed_events.py is exactly what ``python -m lpweb.model.events`` writes."""
    from lpweb.model import events

    assert events.TARGET.read_text(encoding="utf-8") == events.render(), \
        "lpweb/model/typed_events.py is stale: run python -m lpweb.model.events"


def test_every_emitted_event_is_in_the_table():
    """Each ``emit("name"`` / ``_broadcast("name"`` in the SDK names an event of the table."""
    from lpweb.model.events import EVENTS

    known = {name for events in EVENTS.values() for name in events}
    emitted = set()
    for path in [*(ROOT / "lpweb" / "model").glob("*.py"), ROOT / "lpweb" / "auth" / "maintainer.py"]:
        emitted |= set(re.findall(r'(?:\.emit|_broadcast)\("([^"]+)"', path.read_text(encoding="utf-8")))
    assert emitted and emitted <= known, \
        f"{sorted(emitted - known)}: add to lpweb.model.events.EVENTS, then run python -m lpweb.model.events"


SAMPLE = textwrap.dedent('''
    import lpweb

    async def main() -> None:
        connection = lpweb.create_connection(app_id="t", account_id="1", user_type=lpweb.UserType.CONSUMER)
        reveal_type(connection)
        conversation = await connection.create_conversation()
        reveal_type(conversation)
        conversation.on("message", lambda message: print(message.body))
        reveal_type(await conversation.wait_for("message", check=lambda m: m.sent_by_current_user()))
        reveal_type(await conversation.wait_for("participant-added"))
        reveal_type(await conversation.wait_for("close"))
        reveal_type(await connection.wait_for("close"))
        reveal_type(await connection.wait_for("conversation"))
        async for message in conversation.events("message"):
            reveal_type(message)

        @connection.on("conversation")
        async def on_conversation(conversation: lpweb.Conversation) -> None: ...
        reveal_type(on_conversation)

        brand = lpweb.create_connection(app_id="t", account_id="1", user_type=lpweb.UserType.BRAND)
        reveal_type(await brand.wait_for("ring"))
        routing = await brand.create_routing_task_subscription()
        reveal_type(await routing.wait_for("ring"))

        def wants_int(x: int) -> None: ...
        conversation.on("message", wants_int)                       # error: a Message is not an int
        conversation.on("mesage", lambda m: None)                   # error: no such event
        conversation.on("message", lambda m: m.no_such_attribute)   # error: Message has no such attribute
''')

REVEALED = [
    "lpweb.model.consumer.ConsumerConnection",
    "lpweb.model.conversation.Conversation",
    "lpweb.model.message.Message",
    "lpweb.model.events.ParticipantChange",
    "None",
    "lpweb.model.events.CloseInfo",
    "lpweb.model.conversation.Conversation",
    "lpweb.model.message.Message",
    "def (conversation: lpweb.model.conversation.Conversation) -> typing.Coroutine[Any, Any, None]",
    "lpweb.model.ring.Ring",
    "lpweb.model.ring.Ring",
]


def test_event_payload_types_are_inferred(tmp_path):
    """CEVT-*, CVEV-*, SUB-05: mypy infers the payload type from the event name (on, wait_for, events, decorators),
    and flags a handler of the wrong type, an unknown event and a wrong attribute."""
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    sample = tmp_path / "sample.py"
    sample.write_text(SAMPLE, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                             "--cache-dir", str(tmp_path / "cache"), str(sample)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [line.split(":", 2)[2].strip() for line in result.stdout.splitlines() if line.startswith(str(sample))]
    revealed = [re.sub(r"^note: Revealed type is ", "", line).strip('"') for line in lines
                if line.startswith("note: Revealed type")]
    revealed = [re.sub(r"^TypedDict\('?([\w.]+)'?, .*\)$", r"\1", r) for r in revealed]   # TypedDict(Name, {...})
    assert revealed == REVEALED, result.stdout
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 3, result.stdout
