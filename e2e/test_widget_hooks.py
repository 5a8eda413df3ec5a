"""Hooks for integrators (parity item 24) in Chromium against the emulator and the demo bot:
before-send edits or vetoes, on-message sees every message, on-state-change sees the
connection states, a brand colour given as a CSS custom property themes the Shadow DOM
(parity item 21), a custom renderer replaces an element type (its output still built
through the allow-listed node builder). The page (e2e/harness/widget_hooks.html) runs under
the strict CSP with Trusted Types.
"""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from support import SITE, wheel_files

from demo.agent_bot import echo_reply

HOST = "document.querySelector('[data-lpweb-widget]')"
READY = f"{HOST}.dataset.chatReady === '1' || !!{HOST}.dataset.chatError"
T_MS = 30_000
AGENT = '#messages li.message[data-role="ASSIGNED_AGENT"], #messages li.message[data-role="AGENT"]'
MINE = '#messages li.message[data-role="CONSUMER"]'


def test_integrator_hooks(page: Page, emulator, outside_traffic):
    config = {"interpreter": "/vendor/pyodide/pyodide.mjs", "files": wheel_files()}
    page.route("**/harness/widget-hooks.json", lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(config)))
    page.route("**/harness/widget.css", lambda r: r.fulfill(
        status=200, content_type="text/css", body=(SITE / "widget.css").read_text()))
    violations: list[str] = []
    page.on("console", lambda m: ("Content Security Policy" in m.text or "Trusted Type" in m.text)
            and violations.append(m.text))
    page.goto(f"/harness/widget_hooks.html?csds={emulator.csds_domain}&account={emulator.account_id}")
    page.wait_for_selector("[data-lpweb-widget][data-chat-ready], [data-lpweb-widget][data-chat-error]",
                           state="attached", timeout=60_000)
    assert not page.evaluate(f"{HOST}.dataset.chatError || ''")
    expect(page.locator(AGENT).first).to_be_visible(timeout=T_MS)           # the greeting
    box = page.get_by_role("textbox", name="Message")
    # theme={"--lpw-brand": ...}: the custom property set on the host reaches the shadow tree
    assert page.evaluate(f"{HOST}.style.getPropertyValue('--lpw-brand')") == "#7a1fa2"
    expect(page.locator("#send")).to_have_css("background-color", "rgb(122, 31, 162)")

    box.fill("veto")
    box.press("Enter")
    box.fill("my secret")
    box.press("Enter")
    expect(page.locator(AGENT, has_text=echo_reply("my ******"))).to_have_count(1, timeout=T_MS)
    expect(page.locator(MINE, has_text="my ******")).to_have_count(1)
    assert page.locator(MINE, has_text="veto").count() == 0
    assert page.locator(MINE, has_text="secret").count() == 0

    box.fill("card")
    box.press("Enter")
    card = page.locator("#messages li.message[data-kind='rich']").last
    expect(card.locator("p.custom-text").first).to_have_text("custom: lpweb demo card", timeout=T_MS)
    expect(card.get_by_role("button", name="Say thanks")).to_be_visible()   # other types: built in

    seen = page.evaluate("document.body.dataset.onMessage").split()
    assert seen.count("rich:theirs") == 1 and "text:theirs" in seen and "text:mine" in seen, seen
    states = page.evaluate("document.body.dataset.states").split()
    assert states[0] == "connecting" and "online" in states, states
    assert violations == []
    assert outside_traffic == []
