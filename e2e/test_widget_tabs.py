"""Two tabs of the demo page share ONE consumer connection (widget.md, "Beyond the anchors" 1;
section 4 "Multi-tab": exactly 1 socket per browser and origin, read state in every tab).

Both tabs live in one browser context (same origin, same localStorage, same BroadcastChannel
and Web Locks). Tab A opens first and leads; tab B follows: it gets the conversation so far
from A and sends through A (messages, and a file with its preview). Then A closes and B takes over: its own websocket, the same
consumer and conversation, nothing lost or shown twice. Run with the Web Locks API and
without it (navigator.locks removed: the BroadcastChannel claim-and-confirm election).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from demo.agent_bot import demo_png
from test_demo_chat import AGENT, CONSUMER, HOST, READY, TIMEOUT_MS, send, shown

NO_LOCKS = "Object.defineProperty(Navigator.prototype, 'locks', {get: () => undefined, configurable: true});"


# Records (Date.now()) when the tab first shows the own message containing `text` as read.
WATCH_READ = """(text) => {
    const root = document.querySelector('[data-lpweb-widget]').shadowRoot;
    window.__readAt = null;
    const check = () => {
        for (const li of root.querySelectorAll('#messages li.message.mine'))
            if (!window.__readAt && li.dataset.state === 'read' && li.textContent.includes(text)) window.__readAt = Date.now();
    };
    new MutationObserver(check).observe(root, {subtree: true, childList: true, attributes: true});
}"""


def consumer_sockets(emulator, conversation_id: str) -> int:
    """Open consumer websocket sessions of the conversation's consumer, as the emulator sees them."""
    platform = emulator.platform
    consumer = next(c.consumer_id for a in platform.accounts.values() for c in a.conversations.values()
                    if c.conversation_id == conversation_id)
    return sum(1 for s in platform.listeners if not getattr(s, "brand", True) and s.consumer_id == consumer)


def shared_previews(emulator, conversation_id: str) -> list:
    """The preview of each file the consumer shared in the conversation (stored events)."""
    conv = next(c for a in emulator.platform.accounts.values() for c in a.conversations.values()
                if c.conversation_id == conversation_id)
    return [r.event["message"].get("preview") for d in conv.dialogs for r in d.events
            if r.event.get("contentType") == "hosted/file"]


def wait_until(page: Page, check, what: str, timeout_s: float = 20.0):
    """Poll ``check`` while letting Playwright dispatch the page's events (websocket, console)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


def open_tab(page: Page, emulator, sockets: list, name: str) -> str:
    page.on("websocket", lambda ws: "/messaging/consumer" in ws.url and sockets.append((name, time.monotonic())))
    page.goto(f"/index.html?csds={emulator.csds_domain}&account={emulator.account_id}")
    page.wait_for_function(READY, timeout=TIMEOUT_MS)
    assert not page.evaluate(f"{HOST}.dataset.chatError || ''")
    expect(page.locator("#status")).to_have_attribute("data-conn", "online", timeout=TIMEOUT_MS)
    return page.evaluate(f"{HOST}.dataset.conversationId")


def role(page: Page) -> str:
    return page.evaluate(f"{HOST}.dataset.tabRole || ''")


@pytest.mark.parametrize("election", ["web-locks", "broadcast-channel"])
def test_two_tabs_one_websocket_and_failover(page: Page, emulator, outside_traffic, election):
    context = page.context
    if election == "broadcast-channel":
        context.add_init_script(NO_LOCKS)
    stamp = int(time.time() * 1000)
    sockets: list = []
    conversation = open_tab(page, emulator, sockets, "A")
    assert role(page) == "leader"
    if election == "broadcast-channel":
        assert page.evaluate("navigator.locks === undefined")
    first = f"from the leader {stamp}"
    send(page, first)
    expect(page.locator(AGENT, has_text=first).first).to_be_visible(timeout=TIMEOUT_MS)

    tab_b = context.new_page()
    assert open_tab(tab_b, emulator, sockets, "B") == conversation
    assert role(tab_b) == "follower"
    # The late tab shows the conversation so far (the leader's snapshot).
    expect(tab_b.locator(CONSUMER, has_text=first)).to_have_count(1)
    expect(tab_b.locator(AGENT, has_text=first).first).to_be_visible()
    assert [n for n, _ in sockets] == ["A"], "the follower tab opened its own websocket"
    ready = [tab.evaluate(f"{HOST}.dataset.chatReadyMs") for tab in (page, tab_b)]
    print(f"chat ready ({election}): leader tab {ready[0]} ms, follower tab {ready[1]} ms after navigation")
    assert consumer_sockets(emulator, conversation) == 1

    # Sent from the follower: through the leader's connection, reply and read state in both tabs.
    second = f"from the follower {stamp}"
    for tab in (page, tab_b):
        tab.evaluate(WATCH_READ, second)
    send(tab_b, second)
    for tab in (page, tab_b):
        expect(tab.locator(CONSUMER, has_text=second)).to_have_count(1, timeout=TIMEOUT_MS)
        expect(tab.locator(AGENT, has_text=second).first).to_be_visible(timeout=TIMEOUT_MS)
        expect(tab.locator(CONSUMER, has_text=second)).to_have_attribute("data-state", "read", timeout=TIMEOUT_MS)
    read_at = [tab.evaluate("window.__readAt") for tab in (page, tab_b)]
    print(f"read state ({election}): shown in tab B {read_at[1] - read_at[0]} ms after tab A")
    # A file shared from the follower: the File goes to the leader (structured clone), which uploads it.
    png = demo_png(8, 8)
    tab_b.locator("#file-input").set_input_files({"name": f"pic-{stamp}.png", "mimeType": "image/png", "buffer": png})
    for tab in (page, tab_b):
        expect(tab.locator(AGENT, has_text=f"({len(png)} bytes)").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(tab_b.locator('#messages li.message.mine[data-kind="file"]')).to_have_attribute(
        "data-state", re.compile("sent|delivered|read"), timeout=TIMEOUT_MS)
    assert [n for n, _ in sockets] == ["A"]
    previews = shared_previews(emulator, conversation)          # made by tab B, relayed with the File
    assert len(previews) == 1 and previews[0].startswith("data:image/jpeg;base64,"), previews

    # The leader tab closes: B takes over with its own websocket (same consumer, same conversation).
    closed_at = time.monotonic()
    page.close()
    wait_until(tab_b, lambda: role(tab_b) == "leader", "tab B to become the leader")
    wait_until(tab_b, lambda: len(sockets) == 2, "tab B's websocket")
    assert [n for n, _ in sockets] == ["A", "B"]
    print(f"failover ({election}): tab B's websocket {1000 * (sockets[1][1] - closed_at):.0f} ms after tab A closed")
    expect(tab_b.locator("#status")).to_have_attribute("data-conn", "online", timeout=TIMEOUT_MS)
    assert tab_b.evaluate(f"{HOST}.dataset.conversationId") == conversation
    third = f"after the failover {stamp}"
    send(tab_b, third)
    expect(tab_b.locator(AGENT, has_text=third).first).to_be_visible(timeout=TIMEOUT_MS)
    expect(tab_b.locator(CONSUMER, has_text=third)).to_have_attribute("data-state", "read", timeout=TIMEOUT_MS)
    wait_until(tab_b, lambda: consumer_sockets(emulator, conversation) == 1, "one consumer connection at the emulator")

    # Nothing lost, nothing twice.
    for text in (first, second, third):
        expect(tab_b.locator(CONSUMER, has_text=text)).to_have_count(1)
    items = shown(tab_b)
    keys = [(r, seq) for r, seq, _ in items]
    assert len(keys) == len(set(keys)), f"a message is shown twice: {items}"
    assert all(seq and seq != "None" for _, seq, _ in items), items
    assert outside_traffic == []


def test_unsent_messages_survive_a_leader_tab_that_dies_mid_send(page: Page, emulator, outside_traffic):
    """Failure mode 9 / parity item 7 across tabs: tab A leads but its socket stalls (frames from
    the page are held back, as on a dead link), a message is typed in A (its durable outbox) and
    one in B (relayed to A, unanswered). A closes: B takes over, sends both exactly once."""
    context = page.context
    stamp = int(time.time() * 1000)
    stalled = {"on": False}
    held: list[str] = []            # frames tab A's page sent while its link was stalled

    def route(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda frame: held.append(str(frame)) if stalled["on"] else server.send(frame))

    page.route_web_socket(re.compile(r"/messaging/consumer"), route)
    sockets: list = []
    conversation = open_tab(page, emulator, sockets, "A")
    tab_b = context.new_page()
    assert open_tab(tab_b, emulator, sockets, "B") == conversation
    assert (role(page), role(tab_b)) == ("leader", "follower")

    stalled["on"] = True
    in_a, in_b = f"typed in the leader {stamp}", f"typed in the follower {stamp}"
    send(page, in_a)
    send(tab_b, in_b)
    expect(page.locator(CONSUMER, has_text=in_a)).to_have_attribute("data-state", "sending")
    expect(tab_b.locator(CONSUMER, has_text=in_b)).to_have_attribute("data-state", "sending")
    # Both publishes left tab A's connection (B's through the relay) and are held: A never got an answer.
    wait_until(tab_b, lambda: all(any(text in f for f in held) for text in (in_a, in_b)), "both sends held in A")
    expect(tab_b.locator(AGENT, has_text=in_b)).to_have_count(0)

    page.close()
    wait_until(tab_b, lambda: role(tab_b) == "leader", "tab B to become the leader")
    for text in (in_a, in_b):
        expect(tab_b.locator(AGENT, has_text=f"You said: {text}")).to_have_count(1, timeout=TIMEOUT_MS)
        expect(tab_b.locator(CONSUMER, has_text=text)).to_have_count(1)
        expect(tab_b.locator(CONSUMER, has_text=text)).to_have_attribute("data-state", "read", timeout=TIMEOUT_MS)
    last = f"and one more {stamp}"             # the bot answers in order: a second copy would come first
    send(tab_b, last)
    expect(tab_b.locator(AGENT, has_text=f"You said: {last}")).to_have_count(1, timeout=TIMEOUT_MS)
    for text in (in_a, in_b):
        expect(tab_b.locator(AGENT, has_text=f"You said: {text}")).to_have_count(1)
    assert tab_b.evaluate("localStorage.getItem('lpweb.widget.outbox.' + new URLSearchParams(location.search).get('account'))") is None
    assert outside_traffic == []
