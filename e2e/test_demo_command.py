"""The README's first path, "run the demo", as a new user runs it (issue #9).

``python build.py demo`` (free ports here: ``--port 0 --emulator-port 0`` go on to
demo/run.py) must print a URL; opening it in Chromium gives a chat in which the demo bot
answers (SCN-01, SCN-02 browser variant), and Ctrl-C stops everything with exit code 0.
``python build.py demo --check`` must do its own headless round trip and exit 0.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

from playwright.sync_api import Page, expect

from support import ROOT
from test_demo_chat import AGENT, HOST, READY, TIMEOUT_MS, send

STARTUP_TIMEOUT_S = 600     # build.py demo may rebuild the wheel and the site first


def build_demo(*args: str) -> subprocess.Popen:
    """``python build.py demo ARGS`` in its own session (so Ctrl-C can reach build.py and run.py)."""
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "demo", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def test_build_demo_prints_a_url_that_chats_with_the_bot(page: Page, outside_traffic):
    demo = build_demo("--port", "0", "--emulator-port", "0")
    output: list[str] = []
    # reading stdout blocks: if the demo never prints its URL nor exits, stop it (the loop then ends)
    watchdog = threading.Timer(STARTUP_TIMEOUT_S, lambda: demo.poll() is None and os.killpg(demo.pid, signal.SIGKILL))
    watchdog.start()
    try:
        for line in demo.stdout:                       # ends if the demo exits before printing the URL
            output.append(line)
            if line.startswith("Open http://"):
                break
        watchdog.cancel()
        url = re.match(r"Open (http://\S+)", output[-1] if output else "")
        assert url, "python build.py demo printed no URL:\n" + "".join(output)

        page.goto(url.group(1))
        page.wait_for_function(READY, timeout=TIMEOUT_MS)
        assert not page.evaluate(f"{HOST}.dataset.chatError || ''")
        text = f"hello demo {int(time.time() * 1000)}"
        send(page, text)
        expect(page.locator(AGENT, has_text=text).first).to_be_visible(timeout=TIMEOUT_MS)
        assert outside_traffic == []
    finally:
        watchdog.cancel()
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)        # Ctrl-C in the terminal: build.py and run.py get it
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, "".join(output) + rest
    assert "stopped" in rest


def test_build_demo_check_exits_zero():
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "demo", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "demo check OK" in result.stdout
