"""Rings (routing tasks) and the brand-only subscriptions: routing tasks and agent states.

* :class:`Ring` (RING-*): one entry of ``ringsDetails`` of a ``RoutingTaskNotification``,
  emitted as ``'ring'`` on the connection. ``accept()`` / ``reject()`` send
  ``UpdateRingState``; ``conversation()`` polls the connection's cache every 100 ms for up
  to ``ring_conversation_timeout`` ms (RING-04). Rings that are not ``WAITING`` are emitted
  too (RING-10); the application filters.
* :class:`RoutingTaskSubscription` (CONN-08, SUB-20) and :class:`AgentStateSubscription`
  (NYS-01): created by the connection, with the same states as conversation subscriptions.
  Both keep what they were created with, so a reconnect can re-create them
  (:meth:`resubscribe`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..enums import RingState, SubscriptionState
from ..errors import InvalidState, RequestTimeout
from ..protocol import requests as rq
from .typed_events import BrandSubscriptionEvents

if TYPE_CHECKING:
    from .brand import BrandConnection
    from .conversation import Conversation

__all__ = ["Ring", "RoutingTaskSubscription", "AgentStateSubscription", "RING_POLL_INTERVAL"]

RING_POLL_INTERVAL = 0.1        # seconds between cache checks in ring.conversation() (RING-04)


def _ring_state(value: Any) -> RingState | str:
    try:
        return RingState(value)
    except ValueError:
        return str(value)


class Ring:
    """A routing task offered to this agent. ``ring_state`` is a :class:`RingState`."""

    def __init__(self, connection: BrandConnection, result: dict[str, Any], detail: dict[str, Any]) -> None:
        self.connection = connection
        self.result = result
        self.detail = detail
        self.ring_id: str = str(detail.get("ringId", ""))
        self.ring_state: RingState | str = _ring_state(detail.get("ringState", ""))
        self.conversation_id: str = str(result.get("conversationId") or detail.get("convId") or "")
        self.consumer_id: str | None = result.get("consumerId") or detail.get("consumerId")
        skill = result.get("skillId", detail.get("skillId"))
        self.skill_id: str | None = None if skill is None else str(skill)
        self.ring_expiration_ts: int | None = detail.get("ringExpirationTs")
        self.ring_expiration: int | None = detail.get("ringExpiration")
        self.weight: Any = detail.get("weight")
        self.task_completed: bool = bool(result.get("taskCompleted", False))
        self.routing_task_id: str | None = result.get("routingTaskId")
        self._answered: str | None = None

    @property
    def ringState(self) -> RingState | str:  # noqa: N802 - the JS spelling, for copied snippets
        return self.ring_state

    async def accept(self) -> None:
        """Accept the ring (RING-02): this agent becomes the conversation's ASSIGNED_AGENT.

        With ``combined_conversation_handling`` the callback runs once the conversation is
        known (CCH-02). Raises :class:`~lpweb.errors.InvalidState` when this ring was already
        accepted or rejected here (RING-07), :class:`~lpweb.errors.RequestFailed` when the
        server refuses (expired, someone else's ring)."""
        await self._answer(RingState.ACCEPTED)
        self.connection._ring_accepted(self)

    async def reject(self) -> None:
        """Decline the ring (RING-03): the conversation goes back to the queue.
        Raises like :meth:`accept`."""
        await self._answer(RingState.REJECTED)

    async def _answer(self, state: RingState) -> None:
        if self._answered is not None:
            raise InvalidState(f"ring {self.ring_id} was already {self._answered.lower()}")
        await self.connection.request(rq.UPDATE_RING_STATE, {"ringId": self.ring_id, "ringState": str(state)})
        self._answered = str(state)
        self.ring_state = state

    async def conversation(self) -> Conversation:
        """The conversation of this ring, once the connection knows it (RING-04).

        Checks the cache at once and then every 100 ms for up to ``ring_conversation_timeout``
        ms. Raises :class:`~lpweb.errors.RequestTimeout` (a ``TimeoutError``) when the
        conversation did not arrive in time (A-20)."""
        return await self.connection._await_conversation(
            self.conversation_id, self.connection.options.ring_conversation_timeout, what=f"ring {self.ring_id}")

    def __repr__(self) -> str:
        return (f"Ring(ring_id={self.ring_id!r}, ring_state={self.ring_state!s}, "
                f"conversation_id={self.conversation_id!r}, skill_id={self.skill_id!r})")


class _BrandSubscription(BrandSubscriptionEvents):
    """What routing-task and agent-state subscriptions share."""

    request_name: rq.RequestName

    def __init__(self, connection: BrandConnection, body: dict[str, Any]) -> None:
        super().__init__()
        self.connection = connection
        self.body = dict(body)
        self.state = SubscriptionState.INITIAL
        self.subscription_id: str | None = None

    async def _subscribe(self) -> None:
        try:
            resp = await self.connection.request(self.request_name, self.body)
        except BaseException:
            self.state = SubscriptionState.FAILED_TO_SUBSCRIBE
            raise
        body = resp.body if isinstance(resp.body, dict) else {}
        self.subscription_id = str(body.get("subscriptionId", body.get("subScriptionId", "")))
        self.state = SubscriptionState.SUBSCRIBED

    async def resubscribe(self) -> None:
        """Re-create the subscription on the current socket (after a reconnect, MNT-03).
        Raises like the call that created it."""
        self.state = SubscriptionState.RESUBSCRIBING
        old = self.subscription_id
        await self._subscribe()
        self.connection._rekey_subscription(self, old)

    def _disconnected(self) -> None:
        if self.state == SubscriptionState.SUBSCRIBED:
            self.state = SubscriptionState.DISCONNECTED

    async def unsubscribe(self) -> None:
        """Stop handling this subscription's notifications (SUB-24). The brand API has no
        unsubscribe request for routing or agent states, so the SDK drops them locally."""
        if self.state in (SubscriptionState.UNSUBSCRIBED, SubscriptionState.UNSUBSCRIBING):
            return
        self.state = SubscriptionState.UNSUBSCRIBING
        self.connection._rekey_subscription(self, self.subscription_id, drop=True)
        self.state = SubscriptionState.UNSUBSCRIBED

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.subscription_id!r}, state={self.state!s})"


class RoutingTaskSubscription(_BrandSubscription):
    """Rings for this agent (CONN-08); state as :class:`~lpweb.enums.RoutingSubscriptionState`.
    Every routing notification is emitted on ``'notification'``; rings on ``'ring'``."""

    request_name = rq.SUBSCRIBE_ROUTING_TASKS


class AgentStateSubscription(_BrandSubscription):
    """Agent availability changes (NYS-01): ``'agent-state'`` with a dict
    ``{"agent_id", "availability", "channels", "description"}`` here and on the connection."""

    request_name = rq.SUBSCRIBE_AGENTS_STATE
