"""The README's "load the widget in your own page" path, followed literally (issue #9).

A user's page, not the demo: the widget snippet is read from README.md's Browser guide at
run time (the ```html block that calls ``lpweb.widget.mount``), pasted into a page of
their own (other title, layout and content around it), with their account id and CSDS
host put where the README says (the widget element's ``data-account``/``data-csds``). Next
to it goes exactly the list of files the README tells a user to copy from ``dist/site/``,
nothing else, and the folder is
served by ``python -m http.server`` (the server the README names) on its own origin.
In Chromium the widget must mount, connect to the emulator and get the demo bot's answer
to a message (SCN-01, SCN-02 browser variant); the page never leaves loopback. The README's
"SDK directly" snippet gets the same treatment.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from support import ROOT, SITE, require_site
from test_demo_chat import AGENT, CONSUMER, HOST, READY, TIMEOUT_MS, send

README = ROOT / "README.md"


def browser_guide() -> str:
    return README.read_text(encoding="utf-8").split("\n## Browser guide\n", 1)[1].split("\n## ", 1)[0]


def html_snippet(needle: str) -> str:
    """The README Browser guide's ```html block containing ``needle``, verbatim."""
    blocks = [b for b in re.findall(r"```html\n(.*?)```", browser_guide(), re.S) if needle in b]
    assert len(blocks) == 1, f"the Browser guide should have one ```html block with {needle!r}"
    return blocks[0]


def files_to_copy() -> list[str]:
    """The names in the README's "copy these from `dist/site/` ..." sentence."""
    match = re.search(r"copy\s+these\s+from\s+`dist/site/`.*?:(.*?)\.\s", browser_guide(), re.S)
    assert match, "the Browser guide no longer says which files to copy from dist/site/"
    names = re.findall(r"`([^`]+)`", match.group(1))
    assert names, match.group(0)
    return names


def personalise(snippet: str, account_id: str, csds: str, csds_argument: str = "csds") -> str:
    """Put the user's account and CSDS host into the snippet, as the README tells them to: as
    ``mount()``/``create_connection()`` arguments or as the widget element's data attributes."""
    snippet, accounts = re.subn(r'\b(account_id|data-account)="[^"]*"', rf'\1="{account_id}"', snippet)
    snippet, hosts = re.subn(rf'\b({csds_argument}|data-csds)="[^"]*"', rf'\1="{csds}"', snippet)
    assert (accounts, hosts) == (1, 1), f"the README snippet lost its account and {csds_argument} settings"
    return snippet


OWN_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Acme Garden Tools: help centre</title>
  <link rel="icon" href="data:,">
  <style>
    body {{ font-family: Georgia, serif; margin: 0; display: grid; grid-template-columns: 14rem 1fr; }}
    nav {{ background: #234; color: #fff; min-height: 100vh; padding: 1rem; }}
    article {{ padding: 2rem; max-width: 40rem; }}
  </style>
</head>
<body>
  <nav><p>Acme</p><ul><li>Rakes</li><li>Hoses</li><li>Orders</li></ul></nav>
  <article>
    <h1 id="shop-title">Where is my order?</h1>
    <p>Most orders arrive within three days. Still waiting? Ask us below.</p>
{snippet}
  </article>
</body>
</html>
"""


@pytest.fixture
def own_site(tmp_path):
    """The user's folder, served by ``python -m http.server`` on a free port; yields its URL."""
    require_site()
    for name in files_to_copy():
        source = SITE / name.rstrip("/")
        assert source.exists(), f"the README says to copy {name} from dist/site/, which has no such file"
        if source.is_dir():
            shutil.copytree(source, tmp_path / source.name)
        else:
            shutil.copy2(source, tmp_path / source.name)
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()              # "Serving HTTP on 127.0.0.1 port 43121 (http://...) ..."
        port = re.search(r" port (\d+)", line)
        assert port, f"python -m http.server did not start: {line!r}"
        yield tmp_path, f"http://127.0.0.1:{port.group(1)}"
    finally:
        server.terminate()
        server.wait(10)


def test_widget_in_own_page(page: Page, emulator, own_site, site_server, outside_traffic):
    """SCN-01 + SCN-02 (browser): README snippet in the user's own page on its own origin ->
    mounted, connected to the emulator, the demo bot answers a message."""
    folder, origin = own_site
    assert origin != f"http://{site_server.server_address[0]}:{site_server.server_address[1]}"
    snippet = personalise(html_snippet("lpweb.widget.mount"), emulator.account_id, emulator.csds_domain)
    (folder / "help.html").write_text(OWN_PAGE.format(snippet=snippet), encoding="utf-8")

    page.goto(f"{origin}/help.html")
    expect(page).to_have_title("Acme Garden Tools: help centre")
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    error = page.evaluate(f"{HOST}.dataset.chatError || ''")
    assert not error, f"the widget reported an error: {error}"
    assert page.evaluate(f"{HOST}.shadowRoot !== null"), "the widget did not mount into its host"
    assert page.evaluate(f"{HOST}.dataset.conversationId"), "no conversation was opened"

    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_have_attribute("aria-expanded", "false")   # closed until the visitor opens it
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    text = f"where is order {int(time.time() * 1000)}?"
    send(page, text)
    expect(page.locator(CONSUMER, has_text=text)).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator(AGENT, has_text=text).first).to_be_visible(timeout=TIMEOUT_MS)   # the bot's echo
    expect(page.locator("#shop-title")).to_have_text("Where is my order?")          # the page is still theirs
    assert outside_traffic == []


def test_sdk_snippet_in_own_page(page: Page, emulator, own_site, outside_traffic):
    """SCN-01 (browser): the README's "SDK directly" snippet in the user's own page connects,
    sends its message and shows the message events: its own message and the demo bot's echo."""
    folder, origin = own_site
    snippet = personalise(html_snippet("lpweb.create_connection"), emulator.account_id, emulator.csds_domain,
                          csds_argument="csds_domain")
    sent = re.search(r'send_message\("([^"]+)"\)', snippet)
    assert sent, "the SDK snippet no longer sends a message"
    (folder / "sdk.html").write_text(OWN_PAGE.format(snippet=snippet), encoding="utf-8")

    page.goto(f"{origin}/sdk.html")
    # the snippet appends each message body to <body> as a text node (the <script> text does not count)
    shown = ("[...document.body.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)"
             ".map(n => n.textContent).join('\\n').split(%r).length - 1" % sent.group(1))
    page.wait_for_function(f"{shown} >= 2", timeout=TIMEOUT_MS)   # the consumer's own message + the bot's echo
    expect(page.locator("#shop-title")).to_have_text("Where is my order?")
    assert outside_traffic == []
