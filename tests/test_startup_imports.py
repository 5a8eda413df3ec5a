"""What the browser widget's start-up imports (the modules build.py compiles into the page's
bundle, STARTUP) must not pull in: standard-library modules that cost tens of milliseconds in
Pyodide and that the page does not need before it is chat-ready. urllib.parse and ipaddress
alone measured ~58 ms there (lpweb.proxy imported them once). Modules the interpreter has
loaded anyway (asyncio and what a PyScript page already imported) are not counted."""

from __future__ import annotations

import json
import subprocess
import sys

# The start-up set (build.py STARTUP) and what Pyodide + PyScript have imported before it runs.
STARTUP = ("lpweb.widget.app", "lpweb.widget.tabs_browser", "lpweb.transports.browser", "lpweb.model.consumer",
           "lpweb.auth.consumer")
ALREADY_LOADED = "asyncio, base64, dataclasses, datetime, enum, json, logging, os, random, re, typing"
EXPENSIVE = {"urllib.parse", "ipaddress", "secrets", "hmac", "hashlib", "html", "html.entities", "uuid", "email",
             "http", "http.client", "inspect", "httpx", "websockets", "aiohttp", "ssl", "zipfile", "tarfile"}


def test_the_widget_start_up_imports_nothing_expensive():
    # orjson (a native speed-up lpweb uses when installed) is not in the page: blocked, as there.
    code = (f"import sys, json; import {ALREADY_LOADED}; sys.modules['orjson'] = None; before = set(sys.modules)\n"
            f"import {', '.join(STARTUP)}\n"
            f"print(json.dumps(sorted(set(sys.modules) - before)))")
    added = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout))
    assert {name for name in added if name.startswith("lpweb.")}, added   # the check imports what it claims to
    assert sorted(added & EXPENSIVE) == []


def test_build_compiles_the_same_start_up_set():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "build.py").read_text()
    line = next(line for line in text.splitlines() if line.startswith("STARTUP = "))
    assert tuple(json.loads(line.split("=", 1)[1])) == STARTUP
