"""Accessibility scan (widget.md section 4 "Accessibility", parity items 20-22): axe-core,
vendored and sha512-checked by build.py (PINS["axe-core"], test-only), is injected into the
demo page and run over the page and the widget's Shadow DOM in its main states: closed
launcher, open chat with messages, structured content with quick replies, the CSAT survey,
the dark theme and the right-to-left locale. 0 serious or critical violations.

The same module checks that the dark theme's custom properties and ``dir="rtl"`` are applied
and saves the dark and RTL screenshots (support.SHOTS), and drives the widget keyboard-only:
the quick-reply group (widget.md 15, LTR and RTL), the open panel's focus trap and the log's
arrow keys (widget.md 20), and the carousel's arrow keys (section 6; lpweb/widget/keys.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from scripted_agent import ScriptedAgent
from support import SHOTS, ROOT, is_outside

from demo.agent_bot import GREETING, OPTIONS_TEXT

AXE = ROOT / "web" / "vendor" / "axe-core" / "axe.min.js"
HOST = "document.querySelector('[data-lpweb-widget]')"
READY = f"{HOST}.dataset.chatReady === '1' || !!{HOST}.dataset.chatError"
T_MS = 30_000
AGENT = '#messages li.message[data-role="ASSIGNED_AGENT"], #messages li.message[data-role="AGENT"]'
#: What has the focus inside the widget: id, class, aria-label, data-key and text of the shadow root's activeElement.
FOCUS = f"""() => {{ const a = {HOST}.shadowRoot.activeElement;
    return a ? {{id: a.id, cls: a.className, label: a.getAttribute('aria-label'), key: a.dataset.key || null,
                 text: a.textContent, inWidget: document.activeElement === {HOST}}} : null; }}"""
#: A carousel of three cards, each with a button (section 6, sent by the scripted agent).
CAROUSEL = {"type": "carousel", "padding": 10, "elements": [
    {"type": "vertical", "elements": [
        {"type": "text", "text": f"Plan {name}"},
        {"type": "button", "title": f"Choose {name}", "click": {"actions": [{"type": "publishText", "text": name}]}}]}
    for name in ("A", "B", "C")]}


@pytest.fixture(scope="module")
def page_(browser, base_url, emulator):
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `python build.py web` (it vendors axe-core)")
    context = browser.new_context(base_url=base_url, viewport={"width": 520, "height": 760})
    page = context.new_page()
    outside: list[str] = []
    context.on("request", lambda r: is_outside(r.url) and outside.append(r.url))
    page.on("pageerror", lambda e: print(f"[pageerror] {e}"))
    page.base = f"/index.html?csds={emulator.csds_domain}&account={emulator.account_id}"
    yield page
    context.close()
    assert outside == [], outside


def load(page: Page, query: str = "") -> None:
    page.goto(page.base + query)
    page.wait_for_function(READY, timeout=60_000)
    assert not page.evaluate(f"{HOST}.dataset.chatError || ''")
    expect(page.locator(AGENT, has_text=GREETING).first).to_be_visible(timeout=T_MS)


def scan(page: Page, state: str) -> None:
    """Run axe-core over the whole page (shadow roots included); fail on serious/critical."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' > '))}));
    }""")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    print(f"axe [{state}]: {len(result)} violations, {len(bad)} serious/critical: "
          f"{[(v['id'], v['impact']) for v in result]}")
    assert bad == [], f"axe-core, state {state!r}: {bad}"


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def focus(page: Page) -> dict:
    return page.evaluate(FOCUS) or {}


def tab_to(page: Page, element_id: str, limit: int = 20) -> None:
    """Press Tab until the widget's element ``element_id`` has the focus (keyboard only)."""
    for _ in range(limit):
        if focus(page).get("id") == element_id:
            return
        page.keyboard.press("Tab")
    assert focus(page).get("id") == element_id, focus(page)


def test_axe_light_states(page_: Page):
    page = page_
    load(page)
    # The scan reaches into the widget's Shadow DOM: a nameless button planted there is found.
    page.evaluate(f"{HOST}.shadowRoot.querySelector('.lpw-header').append(document.createElement('button'))")
    with pytest.raises(AssertionError, match="button-name"):
        scan(page, "self-check: a nameless button in the shadow root")
    page.evaluate(f"{HOST}.shadowRoot.querySelector('.lpw-header > button:last-child').remove()")
    expect(page.get_by_role("log", name="Messages")).to_have_attribute("aria-relevant", "additions")
    scan(page, "open chat with messages")
    send(page, "card")
    expect(page.locator("#messages li.message[data-kind='rich']").last.get_by_text("lpweb demo card")).to_be_visible(
        timeout=T_MS)
    send(page, "options")
    expect(page.get_by_role("toolbar", name="Suggested replies").get_by_role("button", name="Tea")).to_be_visible(
        timeout=T_MS)
    assert page.locator(AGENT, has_text=OPTIONS_TEXT).count() == 1
    scan(page, "structured content and quick replies")
    page.get_by_role("textbox", name="Message").press("Escape")
    expect(page.locator("#launcher")).to_have_attribute("aria-expanded", "false")
    scan(page, "closed launcher")
    page.locator("#launcher").press("Enter")
    send(page, "bye")
    expect(page.locator("#survey")).to_contain_text("How would you rate", timeout=T_MS)
    scan(page, "survey")
    page.locator("#survey").get_by_role("button", name="Skip").click()     # ends the conversation
    expect(page.locator("#survey")).to_contain_text("Survey skipped")
    expect(page.locator("#status")).to_have_text("This conversation has ended.", timeout=T_MS)


def test_keyboard_only_flow(page_: Page):
    """Parity 20: skip to the composer, send, pick a quick reply in its one-Tab-stop group with
    the arrow keys (widget.md 15), close and reopen, keys only."""
    page = page_
    load(page)                     # the previous conversation ended: a new one, greeted again
    focused = "() => { const h = document.querySelector('[data-lpweb-widget]'); " \
              "const a = h.shadowRoot.activeElement; return a ? (a.id || a.textContent) : null; }"
    page.locator("body").focus()
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "launcher"
    page.keyboard.press("Tab")                         # the open panel starts with a skip link
    skip = page.get_by_role("button", name="Skip to the message box")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate(focused) == "message-input"
    page.keyboard.type("options")
    page.keyboard.press("Enter")
    # widget.md 15: the quick replies are one keyboard group (a toolbar with a roving tabindex).
    toolbar = page.get_by_role("toolbar", name="Suggested replies")
    tea, coffee, water = (toolbar.get_by_role("button", name=name) for name in ("Tea", "Coffee", "Water"))
    expect(water).to_be_visible(timeout=T_MS)
    page.keyboard.press("Shift+Tab")                   # composer -> attach -> the group's one Tab stop
    page.keyboard.press("Shift+Tab")
    expect(tea).to_be_focused()
    for key, chip in (("ArrowRight", coffee), ("ArrowDown", water), ("ArrowRight", tea),   # next, wrapping
                      ("ArrowLeft", water), ("ArrowUp", coffee), ("Home", tea), ("End", water)):
        page.keyboard.press(key)
        expect(chip).to_be_focused()
    expect(toolbar.locator("[tabindex='0']")).to_have_count(1)
    expect(water).to_have_attribute("tabindex", "0")   # the Tab stop follows the focus
    page.keyboard.press("Tab")                         # one Tab leaves the whole group
    expect(page.locator("#attach")).to_be_focused()
    page.keyboard.press("Shift+Tab")                   # and comes back to the chip last used
    expect(water).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator('#messages li.message[data-role="CONSUMER"]', has_text="Water")).to_have_count(1,
                                                                                                      timeout=T_MS)
    expect(water).to_be_hidden()                       # chips go once one is chosen
    page.keyboard.press("Escape")                      # close: focus returns to the launcher
    expect(page.locator("#launcher")).to_have_attribute("aria-expanded", "false")
    assert page.evaluate(focused) == "launcher"
    page.keyboard.press("Enter")                       # open again: focus lands in the composer
    expect(page.locator("#launcher")).to_have_attribute("aria-expanded", "true")
    assert page.evaluate(focused) == "message-input"


def test_keyboard_focus_trap_and_log(page_: Page):
    """Parity 20: while open, Tab and Shift+Tab cycle inside the widget (launcher and panel, a
    named dialog); the arrow keys walk the messages of the log, Home/End jump to either end;
    arrows in the composer and on a button inside a message are left alone. Keys only."""
    page = page_
    load(page)
    expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()
    send(page, "walk the log")
    expect(page.locator(AGENT, has_text="You said: walk the log")).to_have_count(1, timeout=T_MS)
    assert focus(page)["id"] == "message-input"
    page.keyboard.press("Tab")
    assert focus(page)["id"] == "send"
    page.keyboard.press("Tab")                         # the last stop wraps to the first (the launcher)
    assert focus(page)["id"] == "launcher"
    page.keyboard.press("Shift+Tab")                   # and back
    assert focus(page)["id"] == "send"
    page.keyboard.press("Tab")
    seen = []
    for _ in range(30):                                # a whole cycle of Tab never leaves the widget
        page.keyboard.press("Tab")
        now = focus(page)
        assert now and now["inWidget"], (seen, now)
        if now["id"] == "launcher":
            break
        seen.append(now["id"] or now["cls"])
    assert now["id"] == "launcher", seen
    assert seen[0] == "lpw-skip" and "scroller" in seen and seen[-3:] == ["attach", "message-input", "send"], seen
    assert sum(1 for x in seen if x == "qr-chip") <= 1, seen     # the welcome's replies: one stop at most
    # The log: one Tab stop; Up from it goes to the newest message, then back through the history.
    tab_to(page, "scroller")
    keys = page.evaluate(f"[...{HOST}.shadowRoot.querySelectorAll('#messages > li.message')].map(li => li.dataset.key)")
    assert len(keys) >= 3, keys
    page.keyboard.press("ArrowUp")
    assert focus(page)["key"] == keys[-1] and "You said: walk the log" in focus(page)["text"]
    page.keyboard.press("ArrowUp")
    assert focus(page)["key"] == keys[-2]
    page.keyboard.press("ArrowDown")
    assert focus(page)["key"] == keys[-1]
    page.keyboard.press("ArrowDown")                   # the newest message is an end: it holds
    assert focus(page)["key"] == keys[-1]
    page.keyboard.press("Home")
    assert focus(page)["key"] == keys[0]
    page.keyboard.press("ArrowUp")
    assert focus(page)["key"] == keys[0]
    page.keyboard.press("End")
    assert focus(page)["key"] == keys[-1]
    # The composer keeps its arrows (caret movement), and so do controls inside messages.
    tab_to(page, "message-input")
    page.keyboard.type("card")
    for key in ("ArrowUp", "Home", "ArrowDown", "End"):
        page.keyboard.press(key)
        assert focus(page)["id"] == "message-input", key
    page.keyboard.press("Enter")
    card = page.locator("#messages li.message[data-kind='rich']").last
    expect(card.get_by_text("lpweb demo card")).to_be_visible(timeout=T_MS)
    tab_to(page, "scroller")
    page.keyboard.press("End")
    assert focus(page)["key"] == card.get_attribute("data-key")
    page.keyboard.press("Tab")                         # into the message: its first button
    docs = card.get_by_role("button", name=re.compile("Open the docs"))
    expect(docs).to_be_focused()
    for key in ("ArrowDown", "ArrowUp", "Home", "End"):
        page.keyboard.press(key)
        expect(docs).to_be_focused()
    page.keyboard.press("Escape")                      # closed: no trap, Tab leaves the widget
    assert focus(page)["id"] == "launcher"
    page.keyboard.press("Tab")
    assert not page.evaluate(f"document.activeElement === {HOST}")


def test_keyboard_carousel(page_: Page, emulator, emulator_loop):
    """Section 6, carousel: Left/Right move the focus from card to card ("Item i of n"), the
    ends hold, Home/End jump; Up/Down on a card stay with it. Keys only; axe stays clean."""
    page = page_
    load(page)
    cid = page.evaluate(f"{HOST}.dataset.conversationId")
    agent = ScriptedAgent(emulator, emulator_loop).start()
    try:
        agent.watch(cid)
        agent.send_rich(cid, CAROUSEL)
    finally:
        agent.stop()
    carousel = page.locator("#messages li.message[data-kind='rich'] section.sc-carousel").last
    expect(carousel.get_by_text("Plan C")).to_be_attached(timeout=T_MS)
    page.locator("body").focus()
    page.keyboard.press("Tab")
    tab_to(page, "scroller")
    page.keyboard.press("End")                         # the carousel's message
    page.keyboard.press("Tab")                         # its first control: "Previous"
    expect(carousel.get_by_role("button", name="Previous")).to_be_focused()
    cards = [carousel.get_by_role("listitem", name=f"Item {i} of 3") for i in (1, 2, 3)]
    for key, i in (("ArrowRight", 0), ("ArrowRight", 1), ("ArrowRight", 2), ("ArrowRight", 2),
                   ("ArrowLeft", 1), ("Home", 0), ("ArrowLeft", 0), ("End", 2)):
        page.keyboard.press(key)
        expect(cards[i]).to_be_focused()
    expect(cards[2]).to_be_in_viewport()               # focus follows the card: scrolled into view
    for key in ("ArrowUp", "ArrowDown"):               # the log does not take arrows from a card
        page.keyboard.press(key)
        expect(cards[2]).to_be_focused()
    page.keyboard.press("Tab")                         # the card's own button comes next
    expect(cards[2].get_by_role("button", name="Choose C")).to_be_focused()
    page.keyboard.press("ArrowLeft")                   # from a control inside a card, too
    expect(cards[1]).to_be_focused()
    scan(page, "carousel with a focused card")


def test_dark_theme(page_: Page):
    """Parity 21: theme=dark sets the dark custom properties inside the Shadow DOM."""
    page = page_
    load(page, "&theme=dark")
    root = page.locator(".lpw")
    expect(root).to_have_class("lpw lpw-theme-dark lpw-open")
    colours = page.evaluate("""() => {
        const root = document.querySelector('[data-lpweb-widget]').shadowRoot.querySelector('.lpw');
        const panel = root.querySelector('.lpw-panel');
        const s = getComputedStyle(root);
        return {bg: s.getPropertyValue('--_bg').trim(), fg: s.getPropertyValue('--_fg').trim(),
                panel: getComputedStyle(panel).backgroundColor};
    }""")
    assert colours == {"bg": "#15191f", "fg": "#e9edf2", "panel": "rgb(21, 25, 31)"}, colours
    send(page, "card")
    expect(page.locator("#messages li.message[data-kind='rich']").last.get_by_text("lpweb demo card")).to_be_visible(
        timeout=T_MS)
    scan(page, "dark theme")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("[data-lpweb-widget]").screenshot(path=str(SHOTS / "dark.png"))


def test_right_to_left_locale(page_: Page):
    """Parity 22: locale=ar lays the widget out right to left with the Arabic catalog."""
    page = page_
    load(page, "&locale=ar")
    root = page.locator(".lpw")
    expect(root).to_have_attribute("dir", "rtl")
    expect(root).to_have_attribute("lang", "ar")
    expect(page.locator("#send")).to_have_text("إرسال")
    direction = page.evaluate(f"getComputedStyle({HOST}.shadowRoot.querySelector('.lpw-log')).direction")
    assert direction == "rtl"
    # An agent's bubble starts on the right in RTL (flex-start), the consumer's on the left.
    gaps = page.evaluate(f"""() => {{
        const shadow = {HOST}.shadowRoot, log = shadow.querySelector('#messages').getBoundingClientRect();
        const li = shadow.querySelector('#messages li.message:not(.mine)').getBoundingClientRect();
        return {{right: log.right - li.right, left: li.left - log.left}};
    }}""")
    assert gaps["right"] < 30 < gaps["left"], gaps
    scan(page, "right-to-left")
    page.locator("[data-lpweb-widget]").screenshot(path=str(SHOTS / "rtl.png"))
    # widget.md 15 in RTL: Left goes to the next quick reply, Right to the previous (wrapping).
    box = page.locator("#message-input")
    box.fill("options")
    box.press("Enter")
    toolbar = page.get_by_role("toolbar", name="ردود مقترحة")
    tea, coffee, water = (toolbar.get_by_role("button", name=name) for name in ("Tea", "Coffee", "Water"))
    expect(water).to_be_visible(timeout=T_MS)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(tea).to_be_focused()
    for key, chip in (("ArrowLeft", coffee), ("ArrowLeft", water), ("ArrowLeft", tea), ("ArrowRight", water),
                      ("ArrowDown", tea), ("End", water)):
        page.keyboard.press(key)
        expect(chip).to_be_focused()
