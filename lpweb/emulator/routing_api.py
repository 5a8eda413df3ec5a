"""Brand routing requests (protocol.md §5.7, §5.8, §6.4), answered with :mod:`.routing`.

* ``.ams.routing.SetAgentState`` -> 202; stored per agent, announced to agent-state subscribers.
* ``.ams.routing.SubscribeRoutingTasks`` -> ``{subscriptionId}`` then an empty
  RoutingTaskNotification; rings follow as ``.ams.routing.RoutingTaskNotification``.
* ``.ams.routing.UpdateRingState`` ``{ringId, ringState: ACCEPTED|REJECTED}`` -> 202.
* ``.ams.routing.SubscribeAgentsState`` ``{brandId, agentId?}`` -> ``{subscriptionId}`` then
  one AgentStateNotification with the current state(s).
* ``.ams.cm.AgentRequestConversation`` (proactive) -> ``{conversationId}``; [INF] the caller
  becomes the ASSIGNED_AGENT of the new conversation.

Notification types follow the family the client used: ``.ams.routing.*`` after an
``.ams.``-qualified request, ``routing.*`` after a short one.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Callable

from .replies import RESPONSE_TYPES, Reject, Reply, ok

if TYPE_CHECKING:
    from ..protocol.frames import Request
    from .engine import Session

__all__ = ["HANDLERS", "AVAILABILITIES", "agent_state_result"]

AVAILABILITIES = ("ONLINE", "AWAY", "BACK_SOON", "OFFLINE", "OCCUPIED")


def _prefix(req: "Request") -> str:
    return ".ams." if req.type.startswith(".ams.") else ""


def agent_state_result(agent: str, state: dict[str, Any]) -> dict[str, Any]:
    """The ``result`` of an AgentStateNotification change (protocol.md §6.4)."""
    return {"agentUserId": agent, "channels": state.get("channels") or ["MESSAGING"],
            "availability": state.get("availability", "OFFLINE"), "description": state.get("description", "")}


def _own_agent(session: "Session", value: Any, what: str) -> str:
    """``value`` (an old id) must be the caller's own unless the caller has MANAGER permission [INF]."""
    user = session.require_brand()
    if value in (None, "", user.old_id, user.pid):
        return user.old_id
    if "MANAGER" not in user.permissions:
        raise Reject(403, f"{what} of another agent needs MANAGER permission")
    other = session.platform.accounts[session.account_id].user_by_id(str(value))
    if other is None:
        raise Reject(400, f"Unknown agent {value}"[:128])
    return other.old_id


def set_agent_state(session: "Session", req: "Request") -> Reply:
    session.require_brand()
    body = session.body(req)
    if body.get("availability") not in AVAILABILITIES:
        raise Reject(400, f"Bad availability {body.get('availability')!r}"[:128])
    agent = _own_agent(session, body.get("agentUserId"), "SetAgentState")
    session.platform.set_agent_state(session.account_id, agent, dict(body))
    return ok("Agent state updated successfully", 202)


def subscribe_routing_tasks(session: "Session", req: "Request") -> Reply:
    _own_agent(session, session.body(req, required=False).get("agentId"), "SubscribeRoutingTasks")
    session.routing_subscription = sub_id = str(uuid.uuid4())
    session.routing_prefix = _prefix(req)

    def initial() -> None:
        session.notify(session.routing_prefix + "routing.RoutingTaskNotification",
                       {"subscriptionId": sub_id, "changes": []})
        session.platform.router.dispatch_waiting(session.account_id)

    return Reply(200, RESPONSE_TYPES["routing.Subscribe"], {"subscriptionId": sub_id}, initial)


def update_ring_state(session: "Session", req: "Request") -> Reply:
    user = session.require_brand()
    body = session.body(req)
    ring_id, state = body.get("ringId"), body.get("ringState")
    if not isinstance(ring_id, str) or state not in ("ACCEPTED", "REJECTED"):
        raise Reject(400, "ringId and ringState ACCEPTED or REJECTED are required")
    session.platform.router.update_ring(user, ring_id, state)
    return ok("Ring state updated successfully", 202)


def subscribe_agents_state(session: "Session", req: "Request") -> Reply:
    session.require_brand()
    agent_id = session.body(req, required=False).get("agentId")
    wanted = None if agent_id in (None, "") else str(agent_id)
    sub_id = str(uuid.uuid4())
    type_ = _prefix(req) + "routing.AgentStateNotification"
    session.agent_state_subscriptions[sub_id] = (wanted, type_)
    states = session.platform.accounts[session.account_id].agent_states

    def initial() -> None:
        changes = [{"type": "UPSERT", "result": agent_state_result(a, s)}
                   for a, s in states.items() if wanted in (None, a)]
        session.notify(type_, {"subscriptionId": sub_id, "changes": changes})

    return Reply(200, RESPONSE_TYPES["routing.Subscribe"], {"subscriptionId": sub_id}, initial)


def agent_request_conversation(session: "Session", req: "Request") -> Reply:
    user = session.require_brand()
    body = session.body(req)
    consumer_id = body.get("consumerId")
    account = session.platform.accounts[session.account_id]
    if not isinstance(consumer_id, str) or consumer_id not in account.consumers:
        raise Reject(404, "Unknown consumer")
    skill = body.get("skillId")
    skill_id = "-1" if skill in (None, "") else str(skill)
    if not user.can_join("ASSIGNED_AGENT", skill_id):
        raise Reject(403, "Not allowed to take conversations of this skill")
    context = body.get("conversationContext")
    conv = session.platform.create_conversation(session.account_id, consumer_id, skill_id,
                                                context if isinstance(context, dict) else None)
    session.platform.add_participant(conv, user, "ASSIGNED_AGENT")
    return Reply(200, RESPONSE_TYPES["cm.AgentRequestConversation"], {"conversationId": conv.conversation_id})


HANDLERS: dict[str, Callable[["Session", "Request"], Reply]] = {
    "routing.SetAgentState": set_agent_state,
    "routing.SubscribeRoutingTasks": subscribe_routing_tasks,
    "routing.UpdateRingState": update_ring_state,
    "routing.SubscribeAgentsState": subscribe_agents_state,
    "cm.AgentRequestConversation": agent_request_conversation,
}
