"""``ConversationSubscription``: a conversation-metadata subscription (SUB-*).

Created by :meth:`Connection.create_conversation_subscription`; the connection routes
each ExConversationChange notification to the subscription with its id, which emits it
on ``'notification'``. ``ready`` completes with the first notification (the initial dump
of matching conversations), which is what ``wait_for_ready`` waits on.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..enums import SubscriptionState
from ..protocol import requests as rq
from .typed_events import ConversationSubscriptionEvents

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["ConversationSubscription"]


class ConversationSubscription(ConversationSubscriptionEvents):
    def __init__(self, connection: Connection, query: dict[str, Any]) -> None:
        super().__init__()
        self.connection = connection
        self.query = dict(query)
        self.state = SubscriptionState.INITIAL
        self.subscription_id: str | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def _subscribe(self) -> None:
        try:
            resp = await self.connection.request(rq.SUBSCRIBE_EX_CONVERSATIONS,
                                                 rq.subscribe_conversations_body(self.query))
        except BaseException:
            self.state = SubscriptionState.FAILED_TO_SUBSCRIBE
            raise
        body = resp.body if isinstance(resp.body, dict) else {}
        self.subscription_id = str(body.get("subscriptionId", ""))
        self.state = SubscriptionState.SUBSCRIBED

    def _disconnected(self) -> None:
        if self.state == SubscriptionState.SUBSCRIBED:
            self.state = SubscriptionState.DISCONNECTED

    async def resubscribe(self) -> None:
        """Re-create this subscription with the same query on the current socket (MNT-03):
        ``RESUBSCRIBING``, then ``SUBSCRIBED`` under a new id. Raises like
        :meth:`Connection.create_conversation_subscription`."""
        self.state = SubscriptionState.RESUBSCRIBING
        old = self.subscription_id or ""
        self.ready = asyncio.get_running_loop().create_future()
        await self._subscribe()
        conn = self.connection
        if conn._subscriptions.get(old) is self:
            del conn._subscriptions[old]
        conn._subscriptions[self.subscription_id or ""] = self
        if self.subscription_id in conn._unclaimed_dumps:
            conn._unclaimed_dumps.discard(self.subscription_id)
            self._initial_dump_received()

    def _initial_dump_received(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    async def unsubscribe(self) -> None:
        """End the subscription (SUB-24); no notifications arrive for it afterwards."""
        if self.state != SubscriptionState.SUBSCRIBED:
            return
        self.state = SubscriptionState.UNSUBSCRIBING
        await self.connection.request(rq.UNSUBSCRIBE_EX_CONVERSATIONS, {"subscriptionId": self.subscription_id})
        self.state = SubscriptionState.UNSUBSCRIBED
        self.connection._subscriptions.pop(self.subscription_id or "", None)

    def __repr__(self) -> str:
        return f"ConversationSubscription(id={self.subscription_id!r}, state={self.state!s}, query={self.query})"
