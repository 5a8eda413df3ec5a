"""The demo page end to end: PyScript + lpweb in Chromium <-> emulator <-> native demo bot.

Scenarios (shared/spec/features.md): SCN-01 (consumer quick start: open, create
conversation, send, 'message' events incl. the echo of one's own message), SCN-02 (brand
listener bot replying to every consumer message), SCN-06 browser variant (session resume:
the consumer token survives a reload through localStorage; CAUTH-05, CAUTH-07, OPT-10,
OPT-16 wait_for_ready). Every test also checks that the page never leaves loopback.
"""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import Page, expect

from support import SITE

# The widget (lpweb.widget.mount) lives in the open Shadow DOM of its host element; Playwright
# CSS/role locators pierce it, page.evaluate reads the host's light-DOM data attributes.
HOST = "document.querySelector('[data-lpweb-widget]')"
READY = f"{HOST}.dataset.chatReady === '1' || !!{HOST}.dataset.chatError"
TIMEOUT_MS = 60_000
AGENT = '#messages li[data-role="ASSIGNED_AGENT"], #messages li[data-role="AGENT"]'
CONSUMER = '#messages li[data-role="CONSUMER"]'


def open_chat(page: Page, emulator) -> str:
    """Open the demo page against the emulator; wait until the chat is ready; return the conversation id."""
    page.goto(f"/index.html?csds={emulator.csds_domain}&account={emulator.account_id}")
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    error = page.evaluate(f"{HOST}.dataset.chatError || ''")
    assert not error, f"the page reported an error: {error}"
    expect(page.locator("#status")).to_have_attribute("data-state", "ok")
    conversation_id = page.evaluate(f"{HOST}.dataset.conversationId")
    assert conversation_id
    return conversation_id


def send(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send").click()


def shown(page: Page) -> list[tuple[str, str, str]]:
    """(role, sequence, text) of every message element (not dividers or system lines), in page order."""
    return [(li.get_attribute("data-role"), li.get_attribute("data-sequence"), li.locator(".body").text_content())
            for li in page.locator("#messages li.message").all()]


def test_chat_with_bot_and_resume_after_reload(page: Page, emulator, outside_traffic):
    """SCN-01 + SCN-02 + SCN-06 (browser variant; CAUTH-05, CAUTH-07, OPT-10, OPT-16).

    Type a message, see it and the bot's echo; reload: the token kept in localStorage
    resumes the same consumer, the same conversation is shown with its history (no
    duplicates), and it still works live.
    """
    stamp = int(time.time() * 1000)
    first = f"hello bot {stamp}"
    conversation_id = open_chat(page, emulator)
    expect(page.get_by_role("log")).to_be_visible()
    assert page.evaluate(f"{HOST}.dataset.resumed") == "0"

    send(page, first)
    expect(page.locator(CONSUMER, has_text=first)).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator(AGENT, has_text=first).first).to_be_visible(timeout=TIMEOUT_MS)  # the echo
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")
    before = shown(page)
    assert all(seq and seq != "None" for _, seq, _ in before), before

    page.reload()
    assert open_chat(page, emulator) == conversation_id, "the reload did not resume the same conversation"
    assert page.evaluate(f"{HOST}.dataset.resumed") == "1"
    expect(page.locator(CONSUMER, has_text=first)).to_have_count(1)
    expect(page.locator(AGENT, has_text=first).first).to_be_visible(timeout=TIMEOUT_MS)
    after = shown(page)
    for item in before:
        assert item in after, f"{item} missing after the reload: {after}"
    keys = [(role, seq) for role, seq, _ in after]
    assert len(keys) == len(set(keys)), f"a message is shown twice: {after}"

    second = f"still there? {stamp}"
    send(page, second)
    expect(page.locator(AGENT, has_text=second).first).to_be_visible(timeout=TIMEOUT_MS)
    assert page.evaluate(f"{HOST}.dataset.conversationId") == conversation_id
    assert outside_traffic == []


def test_missing_query_is_reported(page: Page, outside_traffic):
    """Without ?csds=... the page says what to do in its status line instead of failing silently."""
    page.goto("/index.html")
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    expect(page.locator("#status")).to_have_attribute("data-state", "error")
    expect(page.locator("#status")).to_contain_text("csds")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    assert outside_traffic == []


# Run in the page's interpreter (lpweb-runtime.mjs hands out the one it booted): the lpweb
# modules loaded so far whose code came from source, not from the bundle's bytecode.
FROM_SOURCE = """async () => {
  const runtime = await import('./lpweb-runtime.mjs');
  const py = await runtime.loadPyodide();
  return py.runPython(`
import json, sys
json.dumps(sorted(name for name, m in list(sys.modules.items()) if name.startswith("lpweb")
                  and str(getattr(getattr(m, "__spec__", None), "origin", "") or "").endswith(".py")))
`);
}"""


def test_start_up_runs_on_the_bundles_bytecode(page: Page, emulator, outside_traffic):
    """Every lpweb module the page imports to become chat-ready has bytecode in the browser bundle
    (build.py's STARTUP): a module left as source is compiled in the page, several ms each."""
    if not list((SITE / "wheels").glob("lpweb-*-browser.tar.gz")):
        pytest.skip("the site was built without Node: its bundle is the wheels' source files")
    open_chat(page, emulator)
    expect(page.locator(AGENT).first).to_be_visible(timeout=TIMEOUT_MS)   # the greeting is rendered
    assert json.loads(page.evaluate(FROM_SOURCE)) == []
    assert outside_traffic == []


# Installed before the page's scripts: every fetch of CSDS by this document (widget-boot.js's or
# the transport's), with when it started.
COUNT_CSDS = """(() => {
  const fetch = window.fetch;
  window.__csds = [];
  window.fetch = function (url) {
    if (String(url).includes('/service/baseURI.json')) window.__csds.push([String(url), performance.now()]);
    return fetch.apply(this, arguments);
  };
})()"""


def test_csds_is_asked_once_while_python_boots(page: Page, emulator, outside_traffic):
    """The page's element names its account and CSDS domain (data-account, data-csds):
    widget-boot.js asks CSDS before Pyodide is up and the connection takes that answer, so
    each load asks CSDS once, and early (CONN-02; widget.md 25, Pyodide-aware start-up)."""
    page.add_init_script(COUNT_CSDS)
    url = f"http://{emulator.csds_domain}/api/account/{emulator.account_id}/service/baseURI.json?version=1.0"
    for load in ("first", "after a reload (stored token)"):
        if load != "first":
            page.reload()
        open_chat(page, emulator)
        asked = page.evaluate("window.__csds")
        assert [u for u, _ in asked] == [url], load
        python_ready = page.evaluate("performance.getEntriesByName('lpweb:pyodide-ready')[0].startTime")
        assert asked[0][1] < python_ready, load
    assert outside_traffic == []
