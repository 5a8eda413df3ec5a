"""Tab election and relay protocol of the widget's shared connection (widget.md, "Beyond the
anchors" 1: one connection per browser; section 4 "Multi-tab"), with an in-memory channel and
lock (tabs_fakes) and a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from lpweb.errors import ConversationClosed
from lpweb.widget.tabs import (BroadcastElection, Hub, LeaderChanged, Relay, RelayClosed, RelayTimeout, RemoteError,
                               TabProtocolError, UnknownOperation, error_from_wire, error_to_wire, message, parse)
from tabs_fakes import MemoryBus, MemoryLockManager


# -- wire format -------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, why", [
    ("text", "must be an object"),
    ({"t": "hello", "from": "a"}, "version"),
    ({"v": 1, "t": "shout", "from": "a"}, "unknown tab message type"),
    ({"v": 1, "t": "hello"}, "sender"),
    ({"v": 1, "t": "req", "from": "a", "id": "1", "op": "format_disk"}, "unknown operation"),
    ({"v": 1, "t": "res", "from": "a"}, "string id"),
    ({"v": 1, "t": "event", "from": "a"}, "event needs a name"),
])
def test_bad_messages_get_a_typed_error(raw, why):
    with pytest.raises(TabProtocolError, match=why):
        parse(raw)


def test_errors_keep_their_type_across_tabs():
    again = error_from_wire(error_to_wire(ConversationClosed("conversation c1 is closed")))
    assert type(again) is ConversationClosed and "c1 is closed" in str(again)
    other = error_from_wire(error_to_wire(KeyError("x")))
    assert isinstance(other, RemoteError) and other.remote_type == "KeyError"
    assert isinstance(error_from_wire("garbage"), RemoteError)


# -- election without Web Locks --------------------------------------------------------------------
class Tabs:
    """BroadcastElections wired by a synchronous fake channel, on a fake clock."""

    def __init__(self, ids):
        self.now = 0
        self.tabs = {i: BroadcastElection(i) for i in ids}
        self.alive = set(ids)

    def post(self, sender, msgs):
        queue = [(sender, m) for m in msgs]
        while queue:
            src, m = queue.pop(0)
            for tid in sorted(self.alive - {src}):
                queue += [(tid, out) for out in self.tabs[tid].receive(parse(m), self.now)]

    def start(self, tid):
        self.alive.add(tid)
        self.post(tid, self.tabs[tid].start(self.now))

    def run(self, ms, step=100):
        for _ in range(ms // step):
            self.now += step
            for tid in sorted(self.alive):
                self.post(tid, self.tabs[tid].tick(self.now))

    def leaders(self):
        return sorted(t for t in self.alive if self.tabs[t].role == "leader")


def test_tabs_starting_together_elect_the_lowest_id():
    t = Tabs(["b", "a", "c"])
    for tid in ("b", "a", "c"):
        t.start(tid)
    t.run(1000)
    assert t.leaders() == ["a"]
    assert {t.tabs[x].leader_id for x in "abc"} == {"a"}
    assert t.tabs["b"].role == t.tabs["c"].role == "follower"


def test_a_late_tab_follows_the_running_leader_even_with_a_lower_id():
    t = Tabs(["m"])
    t.start("m")
    t.run(1000)
    t.tabs["a"] = BroadcastElection("a")
    t.start("a")
    t.run(3000)
    assert t.leaders() == ["m"] and t.tabs["a"].leader_id == "m"


def test_leader_leaving_hands_over_at_once_and_a_crash_after_the_timeout():
    t = Tabs(["a", "b", "c"])
    for tid in "abc":
        t.start(tid)
    t.run(1000)
    t.alive.discard("a")
    t.post("a", t.tabs["a"].leave())          # pagehide: bye
    t.run(500)                                 # claim window, well under the heartbeat timeout
    assert t.leaders() == ["b"]
    t.alive.discard("b")                       # a crash: no bye
    t.run(2000)
    assert t.leaders() == []                   # still within the timeout: c waits
    t.run(1500)
    assert t.leaders() == ["c"]


def test_two_leaders_resolve_to_the_lower_id():
    t = Tabs(["a", "b"])
    for tid in "ab":                           # partitioned: each elects itself
        t.tabs[tid].start(0)
        t.tabs[tid].tick(500)
    assert t.leaders() == ["a", "b"]
    t.post("b", [message("hb", "b")])
    assert t.leaders() == ["a"] and t.tabs["b"].leader_id == "a"


# -- relay and hub -------------------------------------------------------------------------------------
def relay_pair(handler, snapshot=lambda: {"events": []}):
    bus = MemoryBus()
    lead, follow = bus.channel(), bus.channel()
    hub = Hub("L", lead.post, handler, snapshot)
    lead.listen(lambda m: hub.receive(parse(m)))
    events, snaps = [], []
    relay = Relay("F", follow.post, timeout=2, on_event=lambda n, d: events.append((n, d)), on_snapshot=snaps.append)
    follow.listen(lambda m: relay.receive(parse(m)))
    return bus, hub, relay, events, snaps


async def test_requests_are_answered_by_id_with_results_errors_and_progress():
    calls = []

    async def handler(op, args, progress):
        calls.append((op, args))
        if op == "chat_state":
            raise ConversationClosed("conversation x is closed")
        if op == "upload":
            progress(5, 10)
            progress(10, 10)
            return {"sequence": 9}
        n = len(calls)
        await asyncio.sleep(0.01 if args.get("text") == "slow" else 0)
        return {"sequence": n}

    bus, hub, relay, events, snaps = relay_pair(handler)
    slow = asyncio.ensure_future(relay.request("send", {"text": "slow"}))
    await asyncio.sleep(0)                     # the slow request goes first
    fast = await relay.request("send", {"text": "fast"})
    assert fast == {"sequence": 2} and await slow == {"sequence": 1}     # answers matched by id, not order
    with pytest.raises(ConversationClosed, match="x is closed"):
        await relay.request("chat_state", {"state": "COMPOSING"})
    seen = []
    assert await relay.request("upload", {"caption": "c"}, progress=lambda s, t: seen.append((s, t))) == {"sequence": 9}
    assert seen == [(5, 10), (10, 10)]
    with pytest.raises(UnknownOperation):
        await relay.request("reboot")
    hub.event("message", {"sequence": 1})
    relay.hello()
    await asyncio.sleep(0.01)
    assert events == [("message", {"sequence": 1})] and snaps == [{"events": []}]
    assert relay.leader_id == "L" and relay.pending == 0


async def test_pending_requests_fail_typed_when_the_leader_changes_times_out_or_closes():
    never = asyncio.Event()

    async def handler(op, args, progress):
        await never.wait()

    bus, hub, relay, _, _ = relay_pair(handler)
    with pytest.raises(RelayTimeout):
        await relay.request("read", {"dialog_id": "d", "sequence": 1}, timeout=0.05)
    pending = asyncio.ensure_future(relay.request("send", {"text": "x"}))
    await asyncio.sleep(0.01)
    relay.receive(message("leader", "L2"))
    with pytest.raises(LeaderChanged):
        await pending
    pending = asyncio.ensure_future(relay.request("send", {"text": "y"}))
    await asyncio.sleep(0.01)
    relay.close()
    with pytest.raises(RelayClosed):
        await pending
    with pytest.raises(RelayClosed):
        await relay.request("send", {"text": "z"})
    hub.close()


async def test_memory_lock_is_exclusive_and_queued():
    locks = MemoryLockManager()
    a, b, c = locks.lock(), locks.lock(), locks.lock()
    assert await a.try_acquire() and not await b.try_acquire()
    wb, wc = asyncio.ensure_future(b.acquire()), asyncio.ensure_future(c.acquire())
    await asyncio.sleep(0)
    a.release()
    await wb
    assert locks.holder is b and not wc.done()
    b.release()
    await wc
    assert locks.holder is c


class GatedConversation:
    """A stand-in for the leader's conversation whose uploads finish when ``done`` is set."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.uploads: list[bytes] = []
        self.open_dialog = type("Dialog", (), {"dialog_id": "d1"})()

    async def upload_file(self, file, caption=None, *, progress=None, preview=None):
        self.uploads.append(bytes(file))
        await self.done.wait()
        return {"sequence": 13 + len(self.uploads)}


async def test_a_relayed_upload_asked_again_after_a_lost_answer_is_shared_once():
    """The follower's upload is under way on the leader when a heartbeat from another tab makes the
    relay fail it (LeaderChanged: "it may or may not have run"); the widget asks again with the same
    client id (app._upload) and gets the first upload's answer: the file is not shared twice, and
    the follower's bubble is acknowledged with the echo's sequence instead of waiting forever."""
    from lpweb.widget.session import LocalSession, serve

    local = LocalSession(lambda: None)
    conv = local.conv = GatedConversation()
    bus, hub, relay, _, _ = relay_pair(lambda op, args, progress: serve(local, op, args, progress))
    relay.leader_id = "L"
    args = {"file": b"png", "caption": None, "preview": None, "client_id": "c-1"}
    first = asyncio.ensure_future(relay.request("upload", args))
    await asyncio.sleep(0.01)
    assert conv.uploads == [b"png"]
    relay.receive(message("hb", "L2"))             # another tab claims to lead ...
    with pytest.raises(LeaderChanged):
        await first
    relay.receive(message("hb", "L"))              # ... and L keeps leading: the widget asks again
    again = asyncio.ensure_future(relay.request("upload", args))
    await asyncio.sleep(0.01)
    conv.done.set()
    assert await again == {"sequence": 14, "dialog_id": "d1"}
    assert conv.uploads == [b"png"]
    other = await relay.request("upload", {**args, "client_id": "c-2"})
    assert other == {"sequence": 15, "dialog_id": "d1"} and len(conv.uploads) == 2
    hub.close()
