"""The widget's feature flows (issue #7, widget.md section 2 "Parity features") in Chromium,
against the emulator, the demo bot and a scripted agent (scripted_agent.py).

One browser context and page for the whole module (one consumer, one conversation); the
tests run in file order and build on each other, ending with the survey, which closes the
conversation. Parity items covered: 1 (connection states), 6 (optimistic send, states),
7 (durable outbox), 8 (ACCEPT/READ when seen), 9 (typing both ways), 10 (unread),
11 (history, date dividers), 12 (system messages), 14-15 (structured content, quick
replies), 16 (files: progress, cancel, retry), 17 (CSAT), 19 (transcript), 20 (keyboard),
25 (start-up queue), section 3.3 (leaving for an external link).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from scripted_agent import ScriptedAgent
from support import SHOTS, is_outside

from demo.agent_bot import CARD, GREETING, OPTIONS_TEXT, TRANSFERRED_REPLY, TYPING_REPLY, demo_png, echo_reply

HOST = "document.querySelector('[data-lpweb-widget]')"
READY = f"{HOST}.dataset.chatReady === '1' || !!{HOST}.dataset.chatError"
T_MS = 30_000
AGENT = '#messages li.message[data-role="ASSIGNED_AGENT"], #messages li.message[data-role="AGENT"]'
MINE = '#messages li.message[data-role="CONSUMER"]'
STAMP = str(int(time.time() * 1000))[-6:]


class Chat:
    def __init__(self, page: Page, agent: ScriptedAgent, url: str) -> None:
        self.page, self.agent, self.url = page, agent, url
        self.cid = ""
        self.outside: list[str] = []
        self.violations: list[str] = []       # CSP / Trusted Types reports in the console

    def ready(self) -> None:
        self.page.wait_for_function(READY, timeout=60_000)

    def send(self, text: str) -> None:
        box = self.page.get_by_role("textbox", name="Message")
        box.fill(text)
        box.press("Enter")

    def agent_says(self, text: str):
        return self.page.locator(AGENT, has_text=text)

    def mine(self, text: str):
        return self.page.locator(MINE, has_text=text)


@pytest.fixture(scope="module")
def chat(browser, base_url, emulator, emulator_loop):
    context = browser.new_context(base_url=base_url, viewport={"width": 520, "height": 760})
    # The demo page runs under a strict CSP with Trusted Types: record every violation.
    context.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));
    """)
    page = context.new_page()
    agent = ScriptedAgent(emulator, emulator_loop).start()
    c = Chat(page, agent, f"/index.html?csds={emulator.csds_domain}&account={emulator.account_id}")
    c.base_url = base_url
    context.on("request", lambda r: is_outside(r.url) and c.outside.append(r.url))
    page.on("websocket", lambda ws: is_outside(ws.url) and c.outside.append(ws.url))
    page.on("console", lambda m: print(f"[console.{m.type}] {m.text}"))
    page.on("console", lambda m: ("Content Security Policy" in m.text or "Trusted Type" in m.text)
            and c.violations.append(m.text))
    page.on("pageerror", lambda e: print(f"[pageerror] {e}"))
    yield c
    agent.stop()
    context.close()
    assert c.outside == [], f"the page contacted hosts other than loopback: {c.outside}"
    assert c.violations == [], f"CSP / Trusted Types violations on the demo page: {c.violations}"


def shared_files(chat: Chat) -> int:
    """How many files the consumer has shared in the conversation (stored events)."""
    return sum(1 for e in chat.agent.events(chat.cid)
               if e["role"] == "CONSUMER" and e["event"].get("contentType") == "hosted/file")


def test_message_typed_before_python_is_queued_then_sent(chat: Chat):
    """Parity 25: the plain-HTML launcher works before Python; a message typed then is queued
    (shown as waiting) and sent once the widget is connected. Parity 12: "joined"; 6: states."""
    page = chat.page
    first = f"typed early {STAMP}"
    # Hold Pyodide's loader until the message is typed, so "before Python" is certain on a busy
    # machine (the first load's wasm compile can otherwise race the typing).
    held: list = []
    page.route("**/vendor/pyodide/pyodide.mjs", lambda route: held.append(route))
    page.goto(chat.url)
    page.wait_for_function("!!window.lpwebBoot")       # web/widget-boot.js (deferred) is listening
    boot = page.locator("#lpw-boot-input")
    boot.fill(first)
    boot.press("Enter")
    # Still the pre-Python composer: the message waits in its visible queue.
    expect(page.locator(".lpw-boot-queue li", has_text=first)).to_have_count(1)
    assert page.evaluate(f"{HOST}.shadowRoot === null"), "Python was already up: the boot path was not exercised"
    deadline = time.monotonic() + 30
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    held[0].continue_()
    page.unroute("**/vendor/pyodide/pyodide.mjs")
    chat.ready()
    assert not page.evaluate(f"{HOST}.dataset.chatError || ''")
    chat.cid = page.evaluate(f"{HOST}.dataset.conversationId")
    chat.agent.watch(chat.cid)
    csp = page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content")
    assert "require-trusted-types-for 'script'" in csp and "'unsafe-inline'" not in csp, csp
    expect(chat.mine(first)).to_have_count(1, timeout=T_MS)
    expect(chat.agent_says(echo_reply(first))).to_have_count(1, timeout=T_MS)
    expect(chat.agent_says(GREETING)).to_have_count(1)
    # The bot ACCEPTs and READs what it answers: the own message reaches "read".
    expect(chat.mine(first)).to_have_attribute("data-state", "read", timeout=T_MS)
    expect(chat.mine(first).locator(".lpw-state")).to_have_text("Read")
    expect(page.locator("#messages li.lpw-system", has_text="Agent joined the conversation")).to_have_count(1)
    expect(page.locator("#messages li.lpw-system", has_text="Chat started")).to_have_count(1)
    texts = [e["event"].get("message") for e in chat.agent.events(chat.cid) if e["role"] == "CONSUMER"]
    assert texts.count(first) == 1, texts
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("[data-lpweb-widget]").screenshot(path=str(SHOTS / "light.png"))


def receipt_within(chat: Chat, seq: int, status: str, seconds: float = 10) -> bool:
    """True once the scripted agent has ``status`` (ACCEPT / READ) for ``seq``, waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while seq not in chat.agent.receipts(chat.cid, status) and time.monotonic() < deadline:
        chat.page.wait_for_timeout(100)
    return seq in chat.agent.receipts(chat.cid, status)


def test_read_receipts_only_when_seen(chat: Chat):
    """Parity 8 and 10: a message arriving while the widget is closed is ACCEPTed at once but
    READ only when the widget is opened and it is in view; the launcher shows the unread count."""
    page = chat.page
    greeting_seq = next(e["sequence"] for e in chat.agent.events(chat.cid)
                        if e["event"].get("message") == GREETING)
    assert receipt_within(chat, greeting_seq, "READ"), "the greeting, shown in the open widget, was never marked READ"
    page.get_by_role("textbox", name="Message").press("Escape")            # close the panel
    launcher = page.locator("#launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()
    seq = chat.agent.send(chat.cid, f"while you were away {STAMP}")
    expect(page.locator("#badge")).to_have_text("1", timeout=T_MS)
    expect(launcher).to_have_attribute("aria-label", re.compile("1 unread message"))
    assert receipt_within(chat, seq, "ACCEPT")
    page.wait_for_timeout(300)
    assert seq not in chat.agent.receipts(chat.cid, "READ"), "READ sent for a message nobody could see"
    launcher.press("Enter")                                                  # keyboard: open again
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    assert receipt_within(chat, seq, "READ")
    expect(page.locator("#badge")).to_be_hidden()


def test_typing_both_ways(chat: Chat):
    """Parity 9: real keystrokes publish COMPOSING (seen by the agent); the agent's COMPOSING
    shows "Agent is typing…", cleared by its message."""
    page = chat.page
    box = page.get_by_role("textbox", name="Message")
    box.press_sequentially("typ", delay=30)
    deadline = time.monotonic() + 10
    while (chat.cid, "COMPOSING") not in chat.agent.chat_states and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert (chat.cid, "COMPOSING") in chat.agent.chat_states
    box.press_sequentially("ing", delay=30)
    box.press("Enter")
    expect(page.locator("#typing")).to_have_text("Agent is typing…", timeout=T_MS)
    expect(chat.agent_says(TYPING_REPLY)).to_have_count(1, timeout=T_MS)
    expect(page.locator("#typing")).to_have_text("")


def test_quick_replies(chat: Chat):
    """Parity 15: quick replies are one labelled toolbar of buttons; the choice is sent as the
    consumer's message with the reply's metadata, and the chips go away."""
    page = chat.page
    chat.send("options")
    group = page.get_by_role("toolbar", name="Suggested replies")
    expect(group.get_by_role("button", name="Coffee")).to_be_visible(timeout=T_MS)
    expect(group.get_by_role("button")).to_have_count(3)
    group.get_by_role("button", name="Coffee").click()
    expect(chat.mine("Coffee")).to_have_count(1, timeout=T_MS)
    expect(page.locator("#quick-replies button")).to_have_count(0)
    expect(chat.agent_says(echo_reply("Coffee"))).to_have_count(1, timeout=T_MS)
    sent = [e for e in chat.agent.events(chat.cid) if e["role"] == "CONSUMER" and e["event"].get("message") == "Coffee"]
    assert len(sent) == 1 and {"type": "ExternalId", "id": "choice-coffee"} in (sent[0]["metadata"] or []), sent
    assert OPTIONS_TEXT in page.locator(AGENT).all_text_contents()[-2]


def test_card_postback_and_leaving_link(chat: Chat):
    """Parity 14 and widget.md 3.3: a card's publishText button sends its text once; its link
    button names the real destination host and asks before leaving; "Stay here" returns focus."""
    page = chat.page
    chat.send("card")
    card = page.locator("#messages li.message[data-kind='rich']").last
    expect(card.get_by_text("lpweb demo card")).to_be_visible(timeout=T_MS)
    page.locator("[data-lpweb-widget]").screenshot(path=str(SHOTS / "structured-content.png"))
    thanks = card.get_by_role("button", name="Say thanks")
    thanks.click()
    expect(chat.mine("thanks")).to_have_count(1, timeout=T_MS)
    expect(thanks).to_be_disabled()
    expect(chat.agent_says(echo_reply("thanks"))).to_have_count(1, timeout=T_MS)
    popups: list = []
    page.context.on("page", lambda p: popups.append(p))
    link = card.get_by_role("button", name=re.compile("Open the docs"))
    link.click()
    leave = page.get_by_role("alertdialog")
    expect(leave).to_contain_text("You're leaving for developers.liveperson.com")
    expect(leave.get_by_role("button", name="Continue to developers.liveperson.com")).to_be_focused()
    leave.get_by_role("button", name="Stay here").press("Enter")
    expect(leave).to_be_hidden()
    expect(link).to_be_focused()
    assert popups == []
    assert CARD["elements"][0]["text"] == "lpweb demo card"


def test_upload_progress_cancel_and_retry(chat: Chat):
    """Parity 16: a photo shows a local preview and a progress bar while uploading; Cancel stops
    it (state "Not sent", Retry offered); Retry uploads it again and the agent gets the file."""
    page = chat.page
    held: list = []
    page.route("**/AUTH_async-images/**", lambda route: held.append(route) if route.request.method == "PUT"
               else route.continue_())
    png = demo_png(160, 120)
    page.locator("#file-input").set_input_files(files=[{"name": "photo.png", "mimeType": "image/png", "buffer": png}])
    item = page.locator("#messages li.message.mine[data-kind='file']").last
    expect(item.locator("img.lpw-thumb")).to_have_attribute("src", re.compile("^blob:"))
    expect(item).to_have_attribute("data-state", "sending", timeout=T_MS)
    expect(item.locator("progress")).to_be_visible()
    deadline = time.monotonic() + 20
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the upload never reached the file storage"
    item.scroll_into_view_if_needed()
    page.locator("[data-lpweb-widget]").screenshot(path=str(SHOTS / "upload-in-progress.png"))
    item.get_by_role("button", name="Cancel").click()
    expect(item).to_have_attribute("data-state", "failed", timeout=T_MS)
    expect(item.locator(".lpw-state")).to_have_text("Not sent")
    try:
        held.pop().abort()
    except Exception:
        pass        # the browser already gave the request up
    page.unroute("**/AUTH_async-images/**")
    item.get_by_role("button", name="Retry").click()
    expect(item).to_have_attribute("data-state", re.compile("sent|delivered|read"), timeout=T_MS)
    expect(chat.agent_says("Got your file")).to_have_count(1, timeout=T_MS)
    expect(chat.agent_says(f"({len(png)} bytes)")).to_have_count(1)
    files = [e["event"]["message"] for e in chat.agent.events(chat.cid)
             if e["role"] == "CONSUMER" and e["event"].get("contentType") == "hosted/file"]
    assert len(files) == 1, files           # the cancelled attempt published nothing
    preview = files[0].get("preview", "")
    assert preview.startswith("data:image/jpeg;base64,") and len(preview) < 30 * 1024, preview[:60]


def test_file_checks_and_received_picture(chat: Chat):
    """Parity 16: files are checked before upload (type, size) with a clear line; a picture from
    the agent shows its preview and downloads through a fresh URL."""
    page = chat.page
    page.locator("#file-input").set_input_files(files=[{"name": "notes.txt", "mimeType": "text/plain",
                                                        "buffer": b"plain text"}])
    expect(page.locator("#messages li.lpw-system", has_text="Only JPG, PNG and GIF images can be sent")).to_have_count(1)
    page.locator("#file-input").set_input_files(files=[{"name": "huge.png", "mimeType": "image/png",
                                                        "buffer": b"\x89PNG" + bytes(3 * 1024 * 1024)}])
    expect(page.locator("#messages li.lpw-system", has_text="The file is too big (up to 3 MB)")).to_have_count(1)
    chat.send("picture")
    picture = page.locator("#messages li.message[data-kind='file']:not(.mine)").last
    expect(picture.locator("img.lpw-thumb")).to_have_attribute("src", re.compile("^data:image/"), timeout=T_MS)
    with page.expect_download() as info:
        picture.get_by_role("button", name=re.compile("Download")).click()
    assert Path(info.value.path()).read_bytes() == demo_png()


def test_browser_offline_and_back(chat: Chat):
    """Parity 1: the browser going offline is shown at once; back online, the chat is usable."""
    page = chat.page
    page.context.set_offline(True)
    try:
        expect(page.locator("#status")).to_have_attribute("data-conn", "offline", timeout=T_MS)
        expect(page.locator("#status")).to_have_text("You're offline. Messages will be sent when you're back online.")
    finally:
        page.context.set_offline(False)
    expect(page.locator("#status")).to_have_attribute("data-conn", "online", timeout=T_MS)
    chat.send(f"back online {STAMP}")
    expect(chat.agent_says(echo_reply(f"back online {STAMP}"))).to_have_count(1, timeout=T_MS)


def test_reconnecting_countdown_then_catching_up(chat: Chat):
    """Parity 1 and 3: a dropped socket shows "Retrying in N s (attempt 1)", then "Catching
    up…" while the gap is fetched, then online; what the agent sent meanwhile shows once."""
    page = chat.page
    page.evaluate("""() => {
        const status = document.querySelector('[data-lpweb-widget]').shadowRoot.getElementById('status');
        window.__states = [[status.dataset.conn, status.textContent]];
        new MutationObserver(() => window.__states.push([status.dataset.conn, status.textContent]))
            .observe(status, {attributes: true, childList: true, characterData: true, subtree: true});
    }""")
    assert chat.agent.drop_consumer() == 1
    expect(page.locator("#status")).to_contain_text("Retrying in", timeout=T_MS)
    missed = f"sent while you were offline {STAMP}"
    chat.agent.send(chat.cid, missed)
    expect(page.locator("#status")).to_have_attribute("data-conn", "online", timeout=T_MS)
    expect(page.locator("#status")).to_be_hidden()
    expect(chat.agent_says(missed)).to_have_count(1, timeout=T_MS)
    states = [s for s, _ in page.evaluate("window.__states")]
    compact = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
    assert compact[-3:] == ["reconnecting", "catching-up", "online"], compact
    texts = [t for s, t in page.evaluate("window.__states") if s == "reconnecting"]
    assert any(re.search(r"Retrying in \d+ s \(attempt 1\)", t) for t in texts), texts


def test_outbox_survives_reload(chat: Chat):
    """Parity 7 and 6: a message and a photo sent while the connection is down wait (shown,
    counted), survive a reload (the file in IndexedDB), and are sent exactly once when the
    connection comes back."""
    page = chat.page
    files_before = shared_files(chat)
    blocked = {"on": True}

    def socket(ws):
        if blocked["on"]:
            ws.close()
        else:
            ws.connect_to_server()
    page.route_web_socket(re.compile(r"^wss?://"), socket)
    chat.agent.drop_consumer()
    expect(page.locator("#status")).to_have_attribute("data-conn", "reconnecting", timeout=T_MS)
    text = f"kept across a reload {STAMP}"
    chat.send(text)
    expect(chat.mine(text)).to_have_attribute("data-state", "queued")
    png = demo_png(40, 30)
    page.locator("#file-input").set_input_files(files=[{"name": "queued.png", "mimeType": "image/png", "buffer": png}])
    photo = page.locator("#messages li.message.mine[data-kind='file']", has_text="queued.png")
    expect(photo).to_have_attribute("data-state", "queued")
    expect(page.locator("#outbox")).to_have_text("2 messages waiting to send")
    page.reload()
    chat.ready()                                       # it cannot connect: the error is shown
    expect(chat.mine(text)).to_have_attribute("data-state", "queued")
    expect(photo).to_have_attribute("data-state", "queued")          # the file came back from IndexedDB
    expect(photo.locator("img.lpw-thumb")).to_have_attribute("src", re.compile("^blob:"))
    expect(page.locator("#outbox")).to_have_text("2 messages waiting to send")
    blocked["on"] = False
    page.reload()
    chat.ready()
    assert not page.evaluate(f"{HOST}.dataset.chatError || ''")
    assert page.evaluate(f"{HOST}.dataset.conversationId") == chat.cid
    expect(chat.agent_says(echo_reply(text))).to_have_count(1, timeout=T_MS)
    expect(chat.agent_says(f"({len(png)} bytes)")).to_have_count(1, timeout=T_MS)
    expect(chat.mine(text)).to_have_count(1)
    expect(page.locator("#outbox")).to_be_hidden()
    sent = [e for e in chat.agent.events(chat.cid) if e["role"] == "CONSUMER" and e["event"].get("message") == text]
    assert len(sent) == 1, sent
    page.reload()                                      # nothing is left to replay
    chat.ready()
    expect(chat.agent_says(f"({len(png)} bytes)")).to_have_count(1)
    # a kept upload would be shown (queued) at start-up, before connecting: there is none
    expect(page.locator("#messages li.message.mine:not([data-state='sent']):not([data-state='delivered'])"
                        ":not([data-state='read'])")).to_have_count(0)
    assert shared_files(chat) == files_before + 1      # this photo, once


def test_history_with_date_dividers(chat: Chat):
    """Parity 11 and 22: after a reload the history is shown in order, under date dividers; seen
    a day later the same history sits under "Yesterday", days later under a locale-made date."""
    page = chat.page
    dividers = page.locator("#messages li.lpw-divider-date")
    expect(dividers).to_have_count(1)
    expect(dividers.first).to_have_text("Today")
    assert page.locator("#messages li").first.get_attribute("data-kind") == "date"
    seqs = [int(s) for s in page.locator(AGENT).evaluate_all("els => els.map(e => e.dataset.sequence)")]
    assert seqs == sorted(seqs), seqs
    # Other contexts with the same storage (the same consumer) whose clocks are ahead (a
    # context's clock is shared by its pages, so not this module's context): one day later the
    # history is "Yesterday"; three days later it is dated in the locale (ar: Arabic month name).
    for days, query, want in ((1, "", "^Yesterday$"), (3, "&locale=ar", r"^\S+ [^\x00-\x7f]+$")):
        later_context = page.context.browser.new_context(base_url=chat.base_url,
                                                         storage_state=page.context.storage_state())
        try:
            later_context.clock.set_fixed_time(time.time() + days * 86_400)
            later = later_context.new_page()
            later.goto(chat.url + query)
            later.wait_for_function(READY, timeout=60_000)
            assert later.evaluate(f"{HOST}.dataset.conversationId") == chat.cid
            expect(later.locator("#messages li.lpw-divider-date").first).to_have_text(re.compile(want))
        finally:
            later_context.close()


def test_transfer_system_messages(chat: Chat):
    """Parity 12: a transfer shows "left", "transferred" and "joined" lines, then the next agent."""
    page = chat.page
    system = page.locator("#messages li.lpw-system")
    chat.send("transfer")
    expect(chat.agent_says(TRANSFERRED_REPLY)).to_have_count(1, timeout=T_MS)
    expect(system.filter(has_text="You're being transferred to another agent")).to_have_count(1)
    expect(system.filter(has_text="Agent left the conversation")).to_have_count(1)
    expect(system.filter(has_text="Agent joined the conversation").last).to_be_visible()


def test_markdown_subset_and_new_messages_pill(chat: Chat):
    """Parity 13 and 10: agent text renders the safe markdown subset as elements (its links go
    through the leaving step too); scrolled up, new messages show a "N new ↓" pill that takes
    the consumer back down."""
    page = chat.page
    chat.agent.send(chat.cid, f"**Bold** and _italic_ with `code` {STAMP}\n- one\n- two\n[the docs](https://example.com/docs)")
    msg = page.locator(AGENT).filter(has=page.locator("code"))
    expect(msg.last.locator("strong")).to_have_text("Bold", timeout=T_MS)
    # announced politely with its sender, or counted with others of the same second (throttled);
    # the log itself stays aria-live="off" so the history is never re-read
    expect(page.locator("#announcer")).to_have_text(re.compile(r"^(New message from Agent|\d+ new messages)$"))
    expect(page.locator("#scroller")).to_have_attribute("aria-live", "off")
    expect(msg.last.locator("em")).to_have_text("italic")
    expect(msg.last.locator("code")).to_have_text("code")
    expect(msg.last.locator("li")).to_have_text(["one", "two"])
    msg.last.get_by_role("link", name=re.compile("the docs")).click()
    leave = page.get_by_role("alertdialog")
    expect(leave).to_contain_text("You're leaving for example.com")
    leave.get_by_role("button", name="Stay here").click()
    expect(leave).to_be_hidden()
    scroller = page.locator("#scroller")
    scroller.evaluate("el => el.scrollTop = 0")
    chat.agent.send(chat.cid, f"one more while scrolled up {STAMP}")
    pill = page.locator("#pill")
    expect(pill).to_have_text("1 new message ↓", timeout=T_MS)
    pill.click()
    expect(pill).to_be_hidden()
    assert scroller.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 40


def test_transcript_download(chat: Chat):
    """Parity 19: the transcript is made on the client and downloaded as text."""
    page = chat.page
    with page.expect_download() as info:
        page.get_by_role("button", name="Download transcript").click()
    download = info.value
    assert download.suggested_filename == "transcript.txt"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert f"You: typed early {STAMP}" in text
    assert f"Agent: {echo_reply('Coffee')}" in text
    assert "* Agent joined the conversation" in text
    assert "lpweb demo card" in text


def test_survey_after_the_conversation(chat: Chat):
    """Parity 17 (CSAT) and 12: 'bye' closes the main dialog; the survey panel asks each
    question with its answers as buttons and Skip (answered here with the keyboard); the answers
    reach the platform; the panel thanks the consumer; the conversation is shown as ended."""
    page = chat.page
    chat.send("bye")
    survey = page.locator("#survey")
    expect(survey).to_be_visible(timeout=T_MS)
    expect(survey.get_by_role("heading", name="How did we do?")).to_be_visible()
    expect(survey).to_contain_text("How would you rate the service you received?", timeout=T_MS)
    expect(survey.get_by_role("button", name="Skip")).to_be_visible()
    expect(page.locator("#messages li.lpw-system", has_text="Please tell us how we did")).to_have_count(1)
    five = survey.get_by_role("button", name="5", exact=True)
    five.focus()
    page.keyboard.press("Enter")
    expect(survey).to_contain_text("Was your issue resolved?", timeout=T_MS)
    # keyboard users stay in the panel: the next question's first answer has the focus
    expect(survey.get_by_role("button", name="Yes")).to_be_focused()
    page.locator("[data-lpweb-widget]").screenshot(path=str(SHOTS / "survey.png"))
    survey.get_by_role("button", name="Yes").click()
    expect(survey).to_contain_text("Thank you for your feedback!", timeout=T_MS)
    expect(page.locator("#status")).to_have_text("This conversation has ended.")
    expect(page.locator("#messages li.lpw-system", has_text="The conversation was resolved")).to_have_count(1)
    # the survey's agent swap is not news: no "waiting for an agent" line; one day, one divider
    expect(page.locator("#messages li.lpw-system", has_text="Waiting for the next available agent")).to_have_count(0)
    expect(page.locator("#messages li.lpw-divider-date")).to_have_count(1)
    info = chat.agent.conversation_info(chat.cid)
    assert info["survey_answers"] == ["5", "Yes"] and info["stage"] == "CLOSE", info
    assert page.evaluate("window.__violations") == [], "CSP / Trusted Types violations on the demo page"
