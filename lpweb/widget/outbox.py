"""Durable outbox and per-conversation drafts (widget.md parity item 7).

Unsent messages are kept, with their client ids, in a :class:`~lpweb.transports.base.TokenStore`
(``localStorage`` in the browser), so they survive a reload or a closed tab, and are
replayed once after the next connect. Policy, not I/O: the controller asks :meth:`Outbox.due`
what to (re)send now, reports each attempt's outcome, and shows :meth:`Outbox.items`
("2 messages waiting to send", each cancellable).

Rules: a message is attempted at most ``max_attempts`` times automatically, with
exponential backoff between attempts; then it stays as ``failed`` until the consumer
retries or deletes it. "Already exists" from the server counts as success (the server
has it). Every mutation is written through at once; a corrupt or foreign stored value is
ignored, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Protocol

__all__ = ["Outbox", "OutboxItem", "Store"]

VERSION = 1


class Store(Protocol):  # the TokenStore protocol of lpweb.transports.base
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


@dataclass
class OutboxItem:
    client_id: str
    text: str
    created: int                       # epoch ms
    conversation_id: str | None = None
    attempts: int = 0
    next_at: int = 0                   # epoch ms of the next automatic attempt
    status: str = "queued"             # queued | sending | failed
    error: str = ""
    metadata: Any = None


class Outbox:
    def __init__(self, store: Store, key: str = "lpweb.widget.outbox", *, max_items: int = 50,
                 max_attempts: int = 5, base_delay_ms: int = 1000, max_delay_ms: int = 30_000,
                 max_text: int = 10_000) -> None:
        self.store = store
        self.key = key
        self.max_items = max_items
        self.max_attempts = max_attempts
        self.base_delay_ms = base_delay_ms
        self.max_delay_ms = max_delay_ms
        self.max_text = max_text
        self._items: list[OutboxItem] = []
        self._drafts: dict[str, str] = {}
        self.load()

    # -- persistence ------------------------------------------------------------------------
    def load(self) -> None:
        raw = self.store.get(self.key)
        self._items, self._drafts = [], {}
        if not raw:
            return
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("v") != VERSION:
                return
            for entry in data.get("items", [])[: self.max_items]:
                if isinstance(entry, dict) and isinstance(entry.get("client_id"), str) \
                        and isinstance(entry.get("text"), str):
                    item = OutboxItem(**{k: entry[k] for k in OutboxItem.__dataclass_fields__ if k in entry})
                    if item.status == "sending":   # the tab died mid-send: replay (dedupe by client id)
                        item.status = "queued"
                    self._items.append(item)
            drafts = data.get("drafts", {})
            if isinstance(drafts, dict):
                self._drafts = {str(k): v for k, v in drafts.items() if isinstance(v, str)}
        except (ValueError, TypeError):
            self._items, self._drafts = [], {}

    def save(self) -> None:
        if not self._items and not self._drafts:
            self.store.delete(self.key)
            return
        self.store.set(self.key, json.dumps({"v": VERSION, "items": [asdict(i) for i in self._items],
                                             "drafts": self._drafts}, separators=(",", ":")))

    # -- queue ------------------------------------------------------------------------------
    def add(self, client_id: str, text: str, *, now: int, conversation_id: str | None = None,
            metadata: Any = None) -> OutboxItem:
        for item in self._items:
            if item.client_id == client_id:
                return item
        if len(self._items) >= self.max_items:
            raise OverflowError("the outbox is full")
        item = OutboxItem(client_id, text[: self.max_text], now, conversation_id, metadata=metadata)
        self._items.append(item)
        self.save()
        return item

    def items(self) -> list[OutboxItem]:
        return list(self._items)

    def get(self, client_id: str) -> OutboxItem | None:
        return next((i for i in self._items if i.client_id == client_id), None)

    def __len__(self) -> int:
        return len(self._items)

    def due(self, now: int) -> list[OutboxItem]:
        """Items to attempt now, oldest first (failed ones wait for a manual retry)."""
        return [i for i in self._items if i.status == "queued" and i.next_at <= now]

    def next_due(self) -> int | None:
        return min((i.next_at for i in self._items if i.status == "queued"), default=None)

    def started(self, client_id: str) -> None:
        item = self.get(client_id)
        if item is not None:
            item.status = "sending"
            item.attempts += 1
            self.save()

    def succeeded(self, client_id: str) -> None:
        """Sent (or the server said it already exists): drop it."""
        self._items = [i for i in self._items if i.client_id != client_id]
        self.save()

    def attempt_failed(self, client_id: str, reason: str, *, now: int, retryable: bool = True) -> OutboxItem | None:
        item = self.get(client_id)
        if item is None:
            return None
        item.error = reason
        if retryable and item.attempts < self.max_attempts:
            item.status = "queued"
            item.next_at = now + self.delay(item.attempts)
        else:
            item.status = "failed"
        self.save()
        return item

    def interrupted(self, client_id: str) -> None:
        """The connection dropped during the attempt: queue again without using up the budget."""
        item = self.get(client_id)
        if item is not None:
            item.status = "queued"
            item.attempts = max(0, item.attempts - 1)
            self.save()

    def retry(self, client_id: str, *, now: int) -> OutboxItem | None:
        """Manual retry: a fresh automatic budget."""
        item = self.get(client_id)
        if item is not None:
            item.status, item.attempts, item.next_at, item.error = "queued", 0, now, ""
            self.save()
        return item

    def cancel(self, client_id: str) -> bool:
        before = len(self._items)
        self._items = [i for i in self._items if i.client_id != client_id]
        self.save()
        return len(self._items) != before

    def delay(self, attempts: int) -> int:
        return min(self.max_delay_ms, self.base_delay_ms * (2 ** max(0, attempts - 1)))

    # -- drafts -----------------------------------------------------------------------------
    def set_draft(self, conversation_id: str, text: str) -> None:
        if text:
            self._drafts[conversation_id] = text[: self.max_text]
        else:
            self._drafts.pop(conversation_id, None)
        self.save()

    def draft(self, conversation_id: str) -> str:
        return self._drafts.get(conversation_id, "")


def is_already_exists(exc: BaseException) -> bool:
    """"Already exists" answers count as success (failure mode 2)."""
    text = f"{exc} {getattr(exc, 'body', '')}".lower()
    return "already exist" in text or "duplicate" in text
