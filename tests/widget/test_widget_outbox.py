"""Durable outbox policy (parity item 7) over the TokenStore protocol."""

from __future__ import annotations

import json

from lpweb.transports.base import MemoryTokenStore
from lpweb.widget.outbox import Outbox, is_already_exists


def test_survives_a_reload_and_replays_interrupted_sends():
    store = MemoryTokenStore()
    box = Outbox(store)
    box.add("c1", "first", now=0, conversation_id="conv")
    box.add("c2", "second", now=1)
    box.started("c1")
    again = Outbox(store)                  # "reload": a new outbox over the same storage
    assert [(i.client_id, i.status) for i in again.items()] == [("c1", "queued"), ("c2", "queued")]
    assert [i.client_id for i in again.due(0)] == ["c1", "c2"]
    assert again.add("c1", "dup", now=5).text == "first"   # same client id: no second copy


def test_success_backoff_budget_and_manual_retry():
    store = MemoryTokenStore()
    box = Outbox(store, max_attempts=3, base_delay_ms=1000)
    box.add("c", "x", now=0)
    for n, expected_delay in ((1, 1000), (2, 2000)):
        box.started("c")
        item = box.attempt_failed("c", "timeout", now=10_000)
        assert item.status == "queued" and item.next_at == 10_000 + expected_delay and item.attempts == n
        assert box.due(10_000) == [] and box.due(10_000 + expected_delay)
    box.started("c")
    assert box.attempt_failed("c", "timeout", now=0).status == "failed"
    assert box.due(10**9) == []
    box.retry("c", now=50)
    assert box.due(50)[0].attempts == 0
    box.started("c")
    box.interrupted("c")
    assert box.get("c").attempts == 0
    box.succeeded("c")
    assert len(box) == 0 and store.get(box.key) is None


def test_non_retryable_and_cancel():
    box = Outbox(MemoryTokenStore())
    box.add("a", "x", now=0)
    box.started("a")
    assert box.attempt_failed("a", "conversation closed", now=0, retryable=False).status == "failed"
    assert box.cancel("a") and not box.cancel("a")


def test_drafts_per_conversation():
    store = MemoryTokenStore()
    box = Outbox(store)
    box.set_draft("conv1", "half typed")
    box.set_draft("conv2", "other")
    assert Outbox(store).draft("conv1") == "half typed"
    box.set_draft("conv1", "")
    assert Outbox(store).draft("conv1") == "" and Outbox(store).draft("conv2") == "other"


def test_corrupt_storage_is_ignored():
    store = MemoryTokenStore()
    for junk in ("{not json", json.dumps([1, 2]), json.dumps({"v": 99, "items": []}),
                 json.dumps({"v": 1, "items": [{"client_id": 5}, "x", {"client_id": "ok", "text": "t", "bogus": 1}]})):
        store.set("lpweb.widget.outbox", junk)
        box = Outbox(store)
        assert all(i.client_id == "ok" for i in box.items())


def test_bounded():
    box = Outbox(MemoryTokenStore(), max_items=2)
    box.add("a", "x", now=0)
    box.add("b", "x", now=0)
    try:
        box.add("c", "x", now=0)
    except OverflowError:
        pass
    else:
        raise AssertionError("the outbox must be bounded")


def test_already_exists_counts_as_success():
    assert is_already_exists(RuntimeError("Message already exists"))
    assert not is_already_exists(RuntimeError("timeout"))
