"""The emulator's routing service: routing tasks and rings (protocol.md §5.8, §6.4).

A conversation that is open, has an open MAIN dialog and no active ASSIGNED_AGENT has one
:class:`Task`. The task rings one agent at a time (:class:`Ring`, ringState ``WAITING``,
expiring after the account's ``ring_expiration_ms``). ACCEPTED makes the agent the
ASSIGNED_AGENT; REJECTED or expiry rings the next routable agent of the skill, round robin
in user order and back to the first; the round-robin position is kept per account and skill,
so a re-queued conversation goes to the agent after the last one rung. A transfer-to-agent (a SUGGESTED participant) rings
only the suggested agent; if that ring fails the suggestion is removed and the task goes
back to the skill.

:meth:`Router.reconsider` is the single entry point for conversation changes: the platform
calls it at every flush for each conversation that changed, so creation, transfers,
back-to-queue, joins and closes all route through the same decision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .timeutil import Timer

if TYPE_CHECKING:
    from .state import BrandUser, Conversation, Platform

__all__ = ["Router", "Task", "Ring", "ring_id"]


def ring_id(conversation_id: str, brand_id: str, epoch_ms: int) -> str:
    """``{conversationId}_{brandId}_{epochMs}`` (protocol.md §6.4)."""
    return f"{conversation_id}_{brand_id}_{epoch_ms}"


@dataclass
class Ring:
    ring_id: str
    agent: str                   # old id "{account}.{userId}"
    created_ts: int
    expiration_ms: int
    state: str = "WAITING"
    timer: Timer | None = None

    @property
    def expires_ts(self) -> int:
        return self.created_ts + self.expiration_ms


@dataclass
class Task:
    task_id: str
    conv: "Conversation"
    skill_id: str
    target: str | None           # old id of a SUGGESTED agent (transfer to agent)
    ring: Ring | None = None
    rings: list[Ring] = field(default_factory=list)


class Router:
    def __init__(self, platform: "Platform") -> None:
        self.platform = platform
        self.tasks: dict[str, Task] = {}           # conversation id -> task
        self._last_ring_ms: dict[str, int] = {}
        self.rings: dict[str, tuple[Task, Ring]] = {}   # every ring ever made, by id
        self._last_agent: dict[tuple[str, str], str] = {}  # (account, skill) -> old id last rung

    # ---- decisions ----------------------------------------------------------------------
    def reconsider(self, conv: "Conversation") -> None:
        """Create, keep, replace or drop the task of ``conv`` after a change."""
        task = self.tasks.get(conv.conversation_id)
        if conv.stage != "OPEN" or conv.main_dialog.state != "OPEN" or conv.assigned_agent() is not None:
            if task is not None:
                self._drop(task)
            return
        suggested = conv.suggested_agent()
        target = suggested.old_id if suggested else None
        if task is not None and task.skill_id == conv.skill_id and task.target == target:
            return
        if task is not None:
            self._drop(task)
        task = Task(str(uuid.uuid4()), conv, conv.skill_id, target)
        self.tasks[conv.conversation_id] = task
        self._ring_next(task)

    def dispatch_waiting(self, account_id: str) -> None:
        """Ring for every task of ``account_id`` that has no WAITING ring (an agent became available)."""
        for task in list(self.tasks.values()):
            if task.conv.account_id == account_id and (task.ring is None or task.ring.state != "WAITING"):
                self._ring_next(task)

    def listener_gone(self, listener: Any) -> None:
        """A session closed; its WAITING rings simply run to expiry."""

    # ---- agents -------------------------------------------------------------------------
    def routable(self, user: "BrandUser", skill_id: str) -> bool:
        """[INF] ONLINE, allowed to be ASSIGNED_AGENT on the skill, and subscribed to routing tasks
        on an open connection (RING-06: rings need both SetAgentState ONLINE and the subscription)."""
        state = self.platform.accounts[user.account_id].agent_states.get(user.old_id, {})
        return (state.get("availability") == "ONLINE" and user.can_join("ASSIGNED_AGENT", skill_id)
                and self._subscribed(user))

    def _subscribed(self, user: "BrandUser") -> bool:
        return any(getattr(listener, "routing_subscription", None) and getattr(listener, "user", None) is user
                   for listener in self.platform.listeners_for(("agent", user.account_id, user.old_id)))

    def _next_agent(self, task: Task) -> "BrandUser | None":
        account = self.platform.accounts[task.conv.account_id]
        users = list(account.users.values())
        if task.target is not None:
            user = account.user_by_id(task.target)
            return user if user is not None and self._subscribed(user) else None
        order = [u.old_id for u in users]
        last = self._last_agent.get((task.conv.account_id, task.skill_id))
        start = order.index(last) + 1 if last in order else 0
        for i in range(len(users)):
            user = users[(start + i) % len(users)]
            if self.routable(user, task.skill_id):
                return user
        return None

    # ---- rings --------------------------------------------------------------------------
    def _ring_next(self, task: Task) -> None:
        if task.ring is not None and task.ring.state == "WAITING":
            return
        user = self._next_agent(task)
        if user is None:
            task.ring = None                         # wait in the queue for an agent
            return
        conv_id = task.conv.conversation_id
        now = max(self.platform.clock(), self._last_ring_ms.get(conv_id, 0) + 1)
        self._last_ring_ms[conv_id] = now
        expiration = self.platform.accounts[task.conv.account_id].ring_expiration_ms
        ring = Ring(ring_id(conv_id, task.conv.account_id, now), user.old_id, now, expiration)
        ring.timer = self.platform.call_later(expiration, lambda: self._expire(task, ring))
        task.ring = ring
        if task.target is None:
            self._last_agent[(task.conv.account_id, task.skill_id)] = user.old_id
        task.rings.append(ring)
        self.rings[ring.ring_id] = (task, ring)
        self._notify(task, ring, completed=False)

    def _expire(self, task: Task, ring: Ring) -> None:
        if ring.state == "WAITING" and self.tasks.get(task.conv.conversation_id) is task:
            self._fail(task, ring, "EXPIRED")

    def _fail(self, task: Task, ring: Ring, state: str) -> None:
        ring.state = state
        self._cancel_timer(ring)
        self._notify(task, ring, completed=False)
        if task.target is not None:                 # the suggested agent declined: back to the skill
            suggested = task.conv.suggested_agent()
            if suggested is not None:
                self.platform.remove_participant(task.conv, suggested.id, suggested.role)
            return                                   # reconsider() makes the skill task
        self._ring_next(task)

    def _drop(self, task: Task) -> None:
        self.tasks.pop(task.conv.conversation_id, None)
        ring = task.ring
        if ring is not None and ring.state == "WAITING":
            ring.state = "CANCELLED"
            self._cancel_timer(ring)
            self._notify(task, ring, completed=True)

    @staticmethod
    def _cancel_timer(ring: Ring) -> None:
        if ring.timer is not None:
            ring.timer.cancel()
            ring.timer = None

    def update_ring(self, user: "BrandUser", ring_id_: str, state: str) -> None:
        """``.ams.routing.UpdateRingState`` (ACCEPTED / REJECTED) by ``user``."""
        from .state import PlatformError
        found = self.rings.get(ring_id_)
        if found is None:
            raise PlatformError(404, "Unknown ring")
        task, ring = found
        if ring.agent != user.old_id:
            raise PlatformError(403, "The ring belongs to another agent")
        if ring.state != "WAITING" or self.tasks.get(task.conv.conversation_id) is not task:
            raise PlatformError(400, f"The ring is {ring.state}, not WAITING")
        if state == "REJECTED":
            self._fail(task, ring, "REJECTED")
            return
        ring.state = "ACCEPTED"
        self._cancel_timer(ring)
        self.tasks.pop(task.conv.conversation_id, None)
        self._notify(task, ring, completed=True)
        self.platform.add_participant(task.conv, user, "ASSIGNED_AGENT")

    # ---- notifications ------------------------------------------------------------------
    def _notify(self, task: Task, ring: Ring, completed: bool) -> None:
        result = task_result(task, ring, completed)
        agent, account = ring.agent, task.conv.account_id
        self.platform.notify(lambda listener: getattr(listener, "on_ring", _ignore)(account, agent, result),
                             lambda: [("agent", account, agent)])

    def snapshot(self) -> list[dict[str, Any]]:
        return [task_result(t, t.ring, False) if t.ring else {"conversationId": t.conv.conversation_id,
                                                              "skillId": t.skill_id, "queued": True}
                for t in self.tasks.values()]


def task_result(task: Task, ring: Ring, completed: bool) -> dict[str, Any]:
    """The ``result`` of a RoutingTaskNotification change (protocol.md §6.4)."""
    conv = task.conv
    return {
        "routingTaskId": task.task_id,
        "brandId": conv.account_id,
        "assignedAgentId": ring.agent if ring.state == "ACCEPTED" else "",
        "taskCompleted": completed,
        "conversationId": conv.conversation_id,
        "consumerId": conv.consumer_id,
        "skillId": task.skill_id,
        "ringsDetails": [{
            "ringId": ring.ring_id, "ringExpiration": ring.expiration_ms, "ringExpirationTs": ring.expires_ts,
            "ringState": ring.state, "weight": ring.created_ts, "convId": conv.conversation_id,
            "consumerId": conv.consumer_id, "skillId": task.skill_id, "brandId": conv.account_id}],
    }


def _ignore(*_: Any) -> None:
    pass
