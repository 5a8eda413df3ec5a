"""Packaging: ``python build.py wheel`` gives a py3-none-any wheel that ships py.typed, the
pytest11 entry point and the ``lpweb`` script, installs with ``[native]`` into a fresh
virtualenv, and there the README's consumer quick start runs against the emulator (which
runs from this repository)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from lpweb.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel() -> Path:
    """``python build.py wheel`` (rebuilds dist/lpweb-*.whl only when lpweb/ changed)."""
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "wheel"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(result.stdout + result.stderr)
    [whl] = (ROOT / "dist").glob("lpweb-*.whl")
    return whl


def test_wheel_contents(wheel):
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        text = zf.read(entry_points).decode()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(metadata).decode()
    assert {"lpweb/py.typed", "lpweb/testing/pytest_plugin.py", "lpweb/cli/chat.py", "lpweb/__main__.py"} <= names
    assert re.search(r"\[pytest11\]\s*\nlpweb = lpweb.testing.pytest_plugin", text)
    assert "lpweb = lpweb.__main__:main" in text
    assert "Requires-Dist: websockets" in meta and "extra == \"native\"" in meta
    assert not [line for line in meta.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line], "the core must have no dependency"


async def test_fresh_venv_runs_the_quick_start(wheel, tmp_path):
    """``pip install lpweb-*.whl[native]`` in a new virtualenv, then the README consumer quick start."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              f"{wheel}[native]"], capture_output=True, text=True, timeout=600)
    if install.returncode != 0 and "Could not find a version" in install.stderr + install.stdout:
        pytest.skip("PyPI is not reachable for websockets/httpx: " + install.stderr[-300:])
    assert install.returncode == 0, install.stdout + install.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start: a consumer conversation", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    async with Emulator(port=0, account_id="12345678") as emu:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["LPWEB_CSDS_DOMAIN"] = emu.csds_domain
        proc = await asyncio.create_subprocess_exec(str(python), "-c", code, env=env, cwd=str(tmp_path),
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "test" in out.decode().split()
    where = subprocess.run([str(python), "-c", "import lpweb; print(lpweb.__file__)"], capture_output=True,
                           text=True, cwd=str(tmp_path), env=env)
    assert str(env_dir) in where.stdout                # the installed wheel, not this checkout
