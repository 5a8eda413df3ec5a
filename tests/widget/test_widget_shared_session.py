"""SharedSession end to end against the emulator over loopback (widget.md, "Beyond the
anchors" 1): two or three "tabs" (SharedSessions on an in-memory BroadcastChannel and Web
Lock, one shared token store standing in for localStorage) hold exactly one consumer
connection; a follower's actions go through the leader; when the leader leaves, another tab
opens the connection for the same consumer and conversation. Also CONV-10 (send), MSG-04
(read receipts), CONV-05 (close) through the relay; FILE-03 (an upload's preview), the
catching-up state after a reconnect and the post-conversation survey relayed to followers."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

import lpweb
from lpweb import ParticipantRole, UserType
from demo.agent_bot import demo_png
from lpweb.emulator import Emulator
from lpweb.errors import ConversationClosed
from lpweb.transports.base import MemoryTokenStore
from lpweb.widget.session import LocalSession
from lpweb.widget.shared import SharedSession
from tabs_fakes import MemoryBus, MemoryLockManager

ACCOUNT = "7770042"
CONFIG = {"accounts": [{"id": ACCOUNT, "users": [{"name": "agent", "password": "agent-pw",
                                                   "permissions": ["MANAGER"]}]}]}
T = 10


def now() -> int:
    return int(time.monotonic() * 1000)


SURVEY_CONFIG = {"accounts": [{**CONFIG["accounts"][0], "skills": [{"id": "-1", "name": "Demo", "survey": True}]}]}


@pytest.fixture
async def emu(request):
    async with Emulator(port=0, config=getattr(request, "param", CONFIG)) as emulator:
        yield emulator


@pytest.fixture
async def agent(emu):
    """Joins every new conversation, reads each consumer message and echoes it."""
    conn = lpweb.create_connection(app_id="tabs_suite", account_id=ACCOUNT, user_type=UserType.BRAND,
                                   csds_domain=emu.csds_domain, auth_data={"username": "agent", "password": "agent-pw"})

    @conn.on("conversation")
    async def on_conversation(conv):
        if not conv.is_open or conv.assigned_agent is not None:
            return

        @conv.on("message")
        async def echo(message):
            if message.participant.role == ParticipantRole.CONSUMER and isinstance(message.body, str) and conv.is_open:
                await message.read()
                await conv.send_message("echo: " + message.body)

        await conv.join(ParticipantRole.ASSIGNED_AGENT)

    await conn.open()
    yield conn
    await conn.close()


class Browser:
    """What the tabs of one browser share: storage, a channel name, a lock name."""

    def __init__(self, emu, locks: bool = True) -> None:
        self.emu = emu
        self.store = MemoryTokenStore()
        self.bus = MemoryBus()
        self.locks = MemoryLockManager() if locks else None
        self.connections: list[str] = []

    def tab(self, name: str) -> "Tab":
        def connect():
            self.connections.append(name)
            return lpweb.create_connection(app_id="tabs_suite", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                           csds_domain=self.emu.csds_domain, token_store=self.store,
                                           wait_for_ready=True)

        session = SharedSession(tab_id=name, channel=self.bus.channel(),
                                locks=self.locks.lock() if self.locks else None,
                                open_local=lambda: LocalSession(connect), now=now, tick_s=0.05)
        return Tab(session)


class Tab:
    def __init__(self, session: SharedSession) -> None:
        self.s = session
        self.messages: dict[tuple, dict] = {}
        self.read: set[int] = set()
        self.closed = asyncio.Event()
        session.on("message", lambda m: self.messages.setdefault((m["dialog_id"], m["sequence"]), m))
        session.on("accept-status", lambda e: e["status"] == "READ" and not e["mine"] and self.read.update(
            e["sequence_list"]))
        session.on("conversation-close", lambda e: self.closed.set())

    async def start(self) -> "Tab":
        await self.s.start()
        await self.s.wait_conversation(T)
        return self

    def bodies(self) -> list:
        return [m["body"] for _, m in sorted(self.messages.items(), key=lambda kv: kv[0][1])]

    async def until(self, check, what: str) -> None:
        deadline = time.monotonic() + T
        while not check():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)


def consumer_sessions(emu) -> int:
    return sum(1 for s in emu.platform.listeners if not getattr(s, "brand", True) and s.consumer_id)


@pytest.mark.parametrize("locks", [True, False], ids=["web-locks", "broadcast-channel"])
async def test_one_connection_relayed_actions_and_failover(emu, agent, locks):
    browser = Browser(emu, locks=locks)
    a = await browser.tab("a").start()
    b = await browser.tab("b").start()
    assert (a.s.role, b.s.role) == ("leader", "follower")
    assert browser.connections == ["a"] and consumer_sessions(emu) == 1
    assert b.s.conversation_id == a.s.conversation_id

    # A follower's send goes through the leader; both tabs see the message, the reply and the READ.
    sent = await b.s.send_message("from b", client_id="c-1")
    assert isinstance(sent["sequence"], int) and sent["dialog_id"]
    for tab in (a, b):
        await tab.until(lambda t=tab: "echo: from b" in t.bodies(), "the echo in every tab")
        await tab.until(lambda t=tab: sent["sequence"] in t.read, "the agent's READ in every tab")
    assert (await b.s.send_message("from b", client_id="c-1")) == sent     # a retried client id is sent once
    assert b.bodies().count("from b") == 1

    # A third tab joining late gets the conversation so far from the leader's snapshot.
    c = await browser.tab("c").start()
    assert c.s.role == "follower" and c.bodies() == a.bodies()
    assert all(m["history"] for m in c.messages.values())

    # The follower's read receipt is published by the leader and reaches every tab as its own READ.
    echo_seq = next(seq for (_, seq), m in a.messages.items() if m["body"] == "echo: from b")
    mine_read = []
    a.s.on("accept-status", lambda e: e["mine"] and mine_read.extend(e["sequence_list"]))
    await c.s.read(sent["dialog_id"], echo_seq)
    await a.until(lambda: echo_seq in mine_read, "the consumer's READ")
    await b.s.read(sent["dialog_id"], echo_seq)          # every tab sees the message: READ is published once
    await a.s.read(sent["dialog_id"], echo_seq)
    await b.s.send_message("ping", client_id="c-ping")
    await a.until(lambda: "echo: ping" in a.bodies(), "the echo of ping")   # events arrive in order
    assert mine_read.count(echo_seq) == 1

    # A file shared in the leader is downloaded by a follower through the relay (FILE-06).
    png = demo_png(4, 4)
    up = await a.s.upload_file(png, "a picture")
    await c.until(lambda: (up["dialog_id"], up["sequence"]) in c.messages, "the file message in tab c")
    assert c.messages[(up["dialog_id"], up["sequence"])]["kind"] == "file"
    data, _name = await c.s.download_file(up["dialog_id"], up["sequence"])
    assert data == png

    # The leader leaves: one of the followers connects as the same consumer, same conversation.
    conversation = a.s.conversation_id
    a.s.leave()                                # pagehide: goodbye, then silence while the page unloads
    bye_at = len(browser.bus.log)
    if locks:
        await a.s.close()                      # the browser releases a closed tab's lock
    await b.until(lambda: any(t.s.role == "leader" and t.s.inner.online for t in (b, c)), "a new leader online")
    assert [m["t"] for m in browser.bus.log[bye_at:] if m["from"] == "a"] == []
    await a.s.close()
    leader, follower = (b, c) if b.s.role == "leader" else (c, b)
    assert follower.s.role == "follower"
    assert browser.connections[0] == "a" and len(browser.connections) == 2
    assert leader.s.conversation_id == follower.s.conversation_id == conversation
    await leader.until(lambda: consumer_sessions(emu) == 1, "one consumer connection at the emulator")
    again = await follower.s.send_message("after failover", client_id="c-2")
    for tab in (leader, follower):
        await tab.until(lambda t=tab: "echo: after failover" in t.bodies(), "the echo after the failover")
        assert t_count(tab, "from b") == 1 and t_count(tab, "after failover") == 1
    assert again["sequence"] > sent["sequence"]

    # Closing the conversation from a follower; then a send fails with the leader's typed error.
    await follower.s.close_conversation()
    await follower.closed.wait()
    await leader.closed.wait()
    with pytest.raises(ConversationClosed):
        await follower.s.send_message("too late")
    for tab in (leader, follower):
        await tab.s.close()


def t_count(tab: Tab, body: str) -> int:
    return tab.bodies().count(body)


async def test_a_tab_without_a_channel_is_its_own_leader(emu, agent):
    browser = Browser(emu)
    alone = SharedSession(tab_id="x", channel=None, locks=None, now=now,
                          open_local=lambda: LocalSession(lambda: lpweb.create_connection(
                              app_id="tabs_suite", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                              csds_domain=emu.csds_domain, token_store=browser.store, wait_for_ready=True)))
    await alone.start()
    assert alone.role == "leader" and alone.online and alone.conversation_id
    await alone.close()


async def test_a_tab_taking_over_retries_until_its_connection_opens(emu, agent, monkeypatch):
    import lpweb.widget.shared as shared

    monkeypatch.setattr(shared, "RETRY_FIRST", 0.05)
    browser = Browser(emu)
    a = await browser.tab("a").start()
    b = await browser.tab("b").start()
    c = await browser.tab("c").start()
    states = {"b": [], "c": []}
    b.s.on("connection", lambda e: states["b"].append(e["state"]))
    c.s.on("connection", lambda e: states["c"].append(e["state"]))
    emu.faults.http_error(r"baseURI", 404, times=2)     # the next two connection attempts fail at CSDS
    await a.s.close()
    await b.until(lambda: b.s.role == "leader" and b.s.inner.online, "tab b online as the leader")
    assert browser.connections == ["a", "b", "b", "b"]     # two failed attempts, then the connection
    assert states["b"].count("reconnecting") == 2 and states["b"][-1] == "online"
    await c.until(lambda: c.s.online, "tab c told the new leader is online")
    assert "reconnecting" in states["c"]
    assert (await c.s.send_message("still here", client_id="c-x"))["sequence"] is not None
    for tab in (b, c):
        await tab.s.close()


async def test_two_leaders_after_a_partition_keep_one_connection(emu, agent):
    """BroadcastChannel-only election: tabs that could not hear each other both lead; once they
    do, the higher id steps down, closes its connection and follows."""
    browser = Browser(emu, locks=False)
    a = await browser.tab("a").start()
    apart = MemoryBus()
    b_tab = browser.tab("b")
    channel = b_tab.s.channel
    browser.bus.channels.remove(channel)
    apart.channels.append(channel)
    channel.bus = apart
    b = await b_tab.start()
    assert (a.s.role, b.s.role) == ("leader", "leader") and browser.connections == ["a", "b"]
    assert b.s.conversation_id == a.s.conversation_id          # same consumer (shared storage)
    await a.until(lambda: consumer_sessions(emu) == 2, "two consumer connections")

    apart.channels.remove(channel)                              # the partition heals
    browser.bus.channels.append(channel)
    channel.bus = browser.bus
    await b.until(lambda: b.s.role == "follower" and b.s.conversation_id == a.s.conversation_id, "b to follow a")
    await a.until(lambda: consumer_sessions(emu) == 1, "one consumer connection")
    sent = await b.s.send_message("after the merge", client_id="c-m")
    await b.until(lambda: "echo: after the merge" in b.bodies(), "the echo in the merged follower")
    assert isinstance(sent["sequence"], int)
    for tab in (a, b):
        await tab.s.close()


@pytest.mark.parametrize("emu", [SURVEY_CONFIG], indirect=True)
async def test_previews_catching_up_and_the_survey_through_the_relay(emu, agent):
    browser = Browser(emu)
    a = await browser.tab("a").start()
    b = await browser.tab("b").start()
    assert (a.s.role, b.s.role) == ("leader", "follower")
    seen: dict[str, list] = {"connection": [], "participant": [], "system": []}
    for name, events in seen.items():
        b.s.on(name, events.append)

    # A follower's upload carries its preview through the relay to the platform (FILE-03).
    png = demo_png(4, 4)
    preview = "data:image/png;base64," + base64.b64encode(png).decode()
    up = await b.s.upload_file(png, "with a preview", preview=preview)
    await a.until(lambda: (up["dialog_id"], up["sequence"]) in a.messages, "the file message in the leader")
    assert a.messages[(up["dialog_id"], up["sequence"])]["body"]["preview"] == preview
    with pytest.raises(lpweb.UsageError):                 # the leader's typed error reaches the follower
        await b.s.upload_file(png, preview="https://example.com/x.png")

    # The leader's socket drops: every tab hears reconnecting, then catching-up, then online.
    assert emu.faults.drop_connection("consumer") == 1
    await b.until(lambda: [e["state"] for e in seen["connection"]][-1:] == ["online"], "b back online")
    states = [e["state"] for e in seen["connection"]]
    assert states.index("reconnecting") < states.index("catching-up") < len(states) - 1, states

    # The agent ends the conversation: the survey's bot swap is flagged, its questions reach the
    # follower, whose answer (a message in the survey dialog) goes through the leader.
    before = len(seen["participant"])
    brand_conv = agent.conversations[a.s.conversation_id]
    await brand_conv.main_dialog.close()
    question = lambda: next((m for m in b.messages.values() if m["dialog_type"] == "POST_SURVEY"
                             and m["quick_replies"]), None)
    await b.until(lambda: question() is not None, "the first survey question in the follower")
    swaps = seen["participant"][before:]
    assert swaps and all(e["survey"] for e in swaps), swaps
    answer = await b.s.send_message("5", client_id="c-survey")
    assert answer["dialog_id"] == question()["dialog_id"]
    run = emu.platform.conversation(ACCOUNT, a.s.conversation_id).survey
    await b.until(lambda: run.answers == ["5"], "the answer recorded by the platform")

    # The leader leaves: b attaches the resumed conversation and reports the agents already there
    # as history (the view notes them without a "joined" line, so that their leaving can show).
    mark = len(seen["participant"])
    await a.s.close()
    await b.until(lambda: b.s.role == "leader" and b.s.online, "b leading")
    await b.until(lambda: len(seen["participant"]) > mark, "the agents already there")
    assert all(e["added"] and e["history"] for e in seen["participant"][mark:]), seen["participant"][mark:]
    await b.s.close()
