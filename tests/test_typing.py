"""Typing: py.typed ships, and the strictly typed surface passes ``mypy --strict``.

The checked files are ``[tool.mypy] files`` in pyproject.toml: the public facade
(lpweb/__init__.py, errors, enums), the sans-I/O core (lpweb/protocol), lpweb/debug.py and
the test helpers (lpweb/testing).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_is_package_data():
    assert (ROOT / "lpweb" / "py.typed").exists()
    assert '"py.typed"' in (ROOT / "pyproject.toml").read_text()   # [tool.setuptools.package-data]


def test_mypy_strict():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
