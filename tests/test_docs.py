"""Docs: the README's runnable examples run against the emulator, its sections follow the
lp-messaging-sdk table of contents, and ``python build.py docs`` writes the API reference."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lpweb.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
T = 30
SECTIONS = ["Quick start: a consumer conversation", "Quick start: an agent bot", "Application tracking",
            "Conversations", "Rings", "Conversation events", "Messages", "File sharing", "Subscriptions",
            "Connection maintenance", "Brand authentication", "Continuing a session", "Client properties",
            "Consumer auth", "User profiles", "Browser guide", "Command line",
            "Testing a bot with the pytest plugin"]


def runnable_blocks() -> list[tuple[str, str]]:
    """(heading, code) of every ```python block preceded by ``<!-- runnable -->``."""
    blocks, heading = [], ""
    text = README.read_text(encoding="utf-8")
    for match in re.finditer(r"^(#{2,4}) ([^\n]+)$|<!-- runnable -->\n```python\n(.*?)```", text, re.M | re.S):
        if match.group(2):
            heading = match.group(2).strip()
        else:
            blocks.append((heading, match.group(3)))
    return blocks


def test_readme_sections_follow_the_sdk_contents():
    headings = re.findall(r"^#{2,3} (.+)$", README.read_text(encoding="utf-8"), re.M)
    positions = [headings.index(s) for s in SECTIONS]
    assert positions == sorted(positions), "README sections out of order"
    assert README.read_text(encoding="utf-8").startswith("# lpweb\n")
    assert "python build.py demo" in README.read_text(encoding="utf-8").split("\n## ")[0]


BLOCKS = runnable_blocks()


def test_there_are_runnable_blocks():
    assert len(BLOCKS) >= 11


@pytest.mark.parametrize("heading,code", BLOCKS, ids=[h for h, _ in BLOCKS])
async def test_readme_example_runs(heading, code):
    """Each runnable README block runs as a script against an emulator on account 12345678
    (SCN-01 consumer examples; SCN-03 rings, CONN-07/08, CEVT-03, RING-01/02; CVEV-02/07;
    SUB-04/05, CEVT-02; MNT-01 reconnect after a dropped socket; BAUTH-01 brand login)."""
    async with Emulator(port=0, account_id="12345678") as emu:
        env = {**os.environ, "LPWEB_CSDS_DOMAIN": emu.csds_domain, "PYTHONPATH": str(ROOT),
               "LP_PASSWORD": "bot-password"}      # the emulator's default brand user, as the README says
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, env=env, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), T)
    assert proc.returncode == 0, f"{heading}: {err.decode()}"
    assert out.strip(), heading


def test_build_docs_writes_the_api_reference(tmp_path):
    """``python build.py docs`` (here: docs/apidoc.py, which it runs) lists the public API."""
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "apidoc.py"), str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    api = (tmp_path / "api.md").read_text(encoding="utf-8")
    for needle in ("`create_connection(", "class `Connection`", "class `Conversation`", "class `Message`",
                   "class `LPError`", "class `RequestTimeout`", "class `ConnectionLost`", "enum `UserType`",
                   "enum `ParticipantRole`", "| `CONSUMER` |", "async Conversation.send_message(",
                   "lpweb.testing.ScriptedChat", "lp_emulator", "python -m lpweb", "## Events",
                   "| `message` | `Message` |", "| `close` | `CloseInfo` |", "`CloseInfo`: `code`: `int | None`"):
        assert needle in api, needle
    assert "cmd_docs" in (ROOT / "build.py").read_text() and '"docs": cmd_docs' in (ROOT / "build.py").read_text()


FRAGMENT = """import os
import lpweb


async def fragment({params}) -> None:
{body}
"""


def python_blocks() -> list[str]:
    """Every ```python block of the README as a module mypy can check: complete scripts as
    they are, fragments inside an ``async def`` that receives the ``connection`` (a brand
    connection) and ``conversation`` they use."""
    modules = []
    for code in re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        if re.match(r"(import|from) ", code):
            modules.append(code)
            continue
        params = [f"{name}: lpweb.{kind}" for name, kind in (("connection", "BrandConnection"),
                                                              ("conversation", "Conversation"))
                  if re.search(rf"\b{name}\.", code) and not re.search(rf"^{name} =", code, re.M)]
        modules.append(FRAGMENT.format(params=", ".join(params), body=textwrap.indent(code, "    ")))
    return modules


def test_readme_python_blocks_type_check(tmp_path):
    """Every README example passes mypy (bodies checked): event names exist on the object they
    are used on and handlers use their payloads as typed (lpweb.model.events)."""
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    blocks = python_blocks()
    assert len(blocks) >= 12
    for i, code in enumerate(blocks):
        (tmp_path / f"readme_block_{i}.py").write_text(code, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text("[mypy]\ncheck_untyped_defs = True\nfollow_imports = silent\n")
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini"),
                             "--cache-dir", str(tmp_path / "cache"), *sorted(map(str, tmp_path.glob("*.py")))],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
