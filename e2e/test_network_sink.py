"""Browser-level outside-traffic check (browser.md section 8, "How to check").

The page-level guard in conftest.py sees what pages request, not what Chromium does on
its own (component updates, account checks, autofill predictions). Here Chromium runs
with ``--proxy-server`` pointing at a local sink that logs every request line and
answers 403; loopback bypasses the proxy, so anything reaching the sink is outside
traffic. A full demo chat (SCN-01/SCN-02) must leave the sink empty.
"""

from __future__ import annotations

import socket
import threading

import pytest
from playwright.sync_api import expect

from test_demo_chat import AGENT, TIMEOUT_MS, open_chat, send


@pytest.fixture
def proxy_sink():
    """A tiny TCP server recording the first line of every connection it receives."""
    lines: list[str] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    lines.append(conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace"))
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, name="proxy-sink", daemon=True)
    thread.start()
    yield server.getsockname()[1], lines
    stop.set()
    thread.join(5)
    server.close()


def test_chromium_makes_no_outside_connections(browser_type, browser_type_launch_args, base_url,
                                               emulator, proxy_sink):
    """Whole-browser check over a chat with the bot: zero connection attempts off loopback."""
    port, lines = proxy_sink
    args = {**browser_type_launch_args,
            "args": [*browser_type_launch_args["args"], f"--proxy-server=http://127.0.0.1:{port}"]}
    browser = browser_type.launch(**args)
    try:
        page = browser.new_context(base_url=base_url).new_page()
        open_chat(page, emulator)
        send(page, "sink check")
        expect(page.locator(AGENT, has_text="sink check").first).to_be_visible(timeout=TIMEOUT_MS)
        page.reload()
        open_chat(page, emulator)
        page.wait_for_timeout(1500)  # let late background requests surface
    finally:
        browser.close()
    assert lines == [], f"Chromium tried to reach outside hosts: {lines}"
