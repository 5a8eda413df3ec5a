"""Priority 3: agent states, routing-task subscriptions and rings, transfers, joins and proactive
conversations (protocol.md §5.6-§5.8, §6.4). Time is a ManualTime, so ring expiry is instant."""

from __future__ import annotations

from typing import Any

from lpweb.emulator.timeutil import ManualTime

from conftest import Clients, Trace, WsClient, validate_trace
from helpers import ACC
from schema_check import schemas_available

RTN = ".ams.routing.RoutingTaskNotification"
EXN = ".ams.aam.ExConversationChangeNotification"


class Agent:
    def __init__(self, ws: WsClient, old_id: str, pid: str) -> None:
        self.ws, self.old_id, self.pid = ws, old_id, pid

    async def ring(self, state: str = "WAITING", conv_id: str | None = None) -> dict[str, Any]:
        def ok(f: dict[str, Any]) -> bool:
            changes = f["body"]["changes"]
            return bool(changes) and changes[0]["result"]["ringsDetails"][0]["ringState"] == state and \
                (conv_id is None or changes[0]["result"]["conversationId"] == conv_id)
        n = await self.ws.notification(RTN, ok)
        return n["body"]["changes"][0]["result"]

    async def answer(self, ring_id: str, state: str) -> dict[str, Any]:
        return await self.ws.request(".ams.routing.UpdateRingState", {"ringId": ring_id, "ringState": state})


async def agent(clients: Clients, name: str, password: str, online: bool = True, version: str = "2.1") -> Agent:
    login = await clients.login(name, password)
    ws = await clients.brand(login["bearer"], version)
    old_id = f"{ACC}.{login['config']['userId']}"
    if online:
        resp = await ws.request(".ams.routing.SetAgentState", {"channels": ["MESSAGING"], "agentUserId": old_id,
                                                               "availability": "ONLINE"})
        assert resp["code"] == 202
        sub = await ws.request(".ams.routing.SubscribeRoutingTasks", {"brandId": ACC, "agentId": old_id,
                                                                      "channelType": "MESSAGING"})
        assert sub["code"] == 200 and sub["type"] == ".ams.GenericSubscribe$Response"
        first = await ws.notification(RTN)
        assert first["body"] == {"subscriptionId": sub["body"]["subscriptionId"], "changes": []}
    return Agent(ws, old_id, login["config"]["userPid"])


async def new_conversation(clients: Clients, skill: str = "10") -> tuple[WsClient, str]:
    ws = await clients.consumer(await clients.signup())
    resp = await ws.request("cm.ConsumerRequestConversation", {"skillId": skill})
    assert resp["code"] == 200
    return ws, resp["body"]["conversationId"]


def field(conv_id: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"conversationId": conv_id, "conversationField": list(fields)}


async def test_ring_accept(cclients: Clients, mtime: ManualTime, trace: Trace) -> None:
    """RING-01/02/05/06, SCN-03: WAITING ring with id/expiry; ACCEPTED -> ASSIGNED_AGENT, ring re-sent
    ACCEPTED with taskCompleted, ExConversation shows the assignment."""
    a1 = await agent(cclients, "a1", "p1")
    await a1.ws.request(".ams.aam.SubscribeExConversations", {"agentIds": [a1.old_id], "convState": ["OPEN"]})
    await a1.ws.notification(EXN)
    _, conv_id = await new_conversation(cclients)
    ring = await a1.ring()
    detail = ring["ringsDetails"][0]
    assert ring["conversationId"] == conv_id and ring["skillId"] == "10" and ring["taskCompleted"] is False
    assert detail["ringId"] == f"{conv_id}_{ACC}_{mtime.now()}"
    assert detail["ringExpiration"] == 10_000 and detail["ringExpirationTs"] == mtime.now() + 10_000
    resp = await a1.answer(detail["ringId"], "ACCEPTED")
    assert (resp["code"], resp["body"]) == (202, "Ring state updated successfully")
    done = await a1.ring("ACCEPTED")
    assert done["taskCompleted"] is True and done["assignedAgentId"] == a1.old_id
    n = await a1.ws.notification(EXN)
    assert n["body"]["changes"][0]["result"]["conversationDetails"]["participants"]["ASSIGNED_AGENT"] == [a1.old_id]
    assert (await a1.answer(detail["ringId"], "ACCEPTED"))["code"] == 400        # RING-07 single use
    assert (await a1.answer("nope", "ACCEPTED"))["code"] == 404
    if schemas_available():
        validated, _ = validate_trace(trace)
        assert {RTN, ".ams.routing.UpdateRingState", ".ams.routing.SubscribeRoutingTasks"} <= validated


async def test_reject_and_expiry_round_robin(cclients: Clients, mtime: ManualTime) -> None:
    """RING-03/08/09: REJECTED -> next agent; expiry -> next; after the last, the first again."""
    a1 = await agent(cclients, "a1", "p1")
    a2 = await agent(cclients, "a2", "p2")
    boss = await agent(cclients, "boss", "pb")            # MANAGER on every skill: routable too
    _, conv_id = await new_conversation(cclients)
    r1 = await a1.ring()
    assert (await a2.answer(r1["ringsDetails"][0]["ringId"], "ACCEPTED"))["code"] == 403   # not a2's ring
    assert (await a1.answer(r1["ringsDetails"][0]["ringId"], "REJECTED"))["code"] == 202
    assert (await a1.ring("REJECTED"))["taskCompleted"] is False
    r2 = await a2.ring()
    assert r2["ringsDetails"][0]["ringId"] != r1["ringsDetails"][0]["ringId"]
    mtime.advance(10_000)
    await a2.ring("EXPIRED")
    r3 = await boss.ring()
    await boss.answer(r3["ringsDetails"][0]["ringId"], "REJECTED")
    r4 = await a1.ring()                                    # round robin back to the first
    assert r4["conversationId"] == conv_id
    await a1.answer(r4["ringsDetails"][0]["ringId"], "ACCEPTED")
    conv = cclients.emu.platform.conversation(ACC, conv_id)
    assert conv.assigned_agent().old_id == a1.old_id


async def test_only_online_subscribed_skilled_agents_are_rung(cclients: Clients, mtime: ManualTime) -> None:
    """RING-06: no ring without ONLINE + subscription; the waiting task rings when an agent comes online;
    agents without the skill are skipped."""
    a3 = await agent(cclients, "a3", "p3")                 # skill 20 only
    a1 = await agent(cclients, "a1", "p1", online=False)
    _, conv_id = await new_conversation(cclients)
    await a3.ws.no_notification(RTN, 0.1)
    await a1.ws.request(".ams.routing.SubscribeRoutingTasks", {})
    await a1.ws.notification(RTN)
    await a1.ws.no_notification(RTN, 0.1)                  # subscribed but not ONLINE
    await a1.ws.request(".ams.routing.SetAgentState", {"availability": "AWAY"})
    await a1.ws.no_notification(RTN, 0.05)
    await a1.ws.request(".ams.routing.SetAgentState", {"availability": "ONLINE"})
    assert (await a1.ring())["conversationId"] == conv_id


async def test_transfer_to_skill_with_remove_requeues(cclients: Clients) -> None:
    """CVEV-03 transfer-skill: Skill UPDATE + REMOVE of the assignee in one request rings the new skill."""
    a1 = await agent(cclients, "a1", "p1")
    a3 = await agent(cclients, "a3", "p3")
    _, conv_id = await new_conversation(cclients, "10")
    await a1.answer((await a1.ring())["ringsDetails"][0]["ringId"], "ACCEPTED")
    resp = await a1.ws.request(".ams.cm.UpdateConversationField", field(
        conv_id, {"field": "ParticipantsChange", "type": "REMOVE", "role": "ASSIGNED_AGENT", "userId": a1.old_id},
        {"field": "Skill", "type": "UPDATE", "skill": "20"}))
    assert resp["code"] == 200
    ring = await a1.ring()                                # a1 also has skill 20: first in user order
    assert ring["skillId"] == "20"
    await a1.answer(ring["ringsDetails"][0]["ringId"], "REJECTED")
    assert (await a3.ring())["skillId"] == "20"


async def test_back_to_queue(cclients: Clients) -> None:
    """CVEV-05: REMOVE ASSIGNED_AGENT without a new skill puts the conversation back in the queue."""
    a1 = await agent(cclients, "a1", "p1")
    a2 = await agent(cclients, "a2", "p2")
    _, conv_id = await new_conversation(cclients)
    await a1.answer((await a1.ring())["ringsDetails"][0]["ringId"], "ACCEPTED")
    await a1.ws.request(".ams.cm.UpdateConversationField", field(
        conv_id, {"field": "ParticipantsChange", "type": "REMOVE", "role": "ASSIGNED_AGENT"}))
    ring = await a2.ring()                                # round robin continues after a1
    assert ring["conversationId"] == conv_id


async def test_transfer_to_agent_suggested(cclients: Clients, mtime: ManualTime) -> None:
    """Transfer to agent: SUGGEST + REMOVE + Skill UPDATE; SUGGESTED on v=2.1 only, not in participantsPId;
    the target gets the ring; expiry of that ring drops the suggestion and rings the skill."""
    a1 = await agent(cclients, "a1", "p1")
    a2 = await agent(cclients, "a2", "p2")
    watcher21 = await agent(cclients, "boss", "pb", online=False)
    _, conv_id = await new_conversation(cclients)
    await a1.answer((await a1.ring())["ringsDetails"][0]["ringId"], "ACCEPTED")
    login_v2 = await cclients.login("a3", "p3")
    watcher2 = await cclients.brand(login_v2["bearer"], version="2")
    for w in (watcher21.ws, watcher2):
        await w.request(".ams.aam.SubscribeExConversations", {"stage": ["OPEN"]})
        await w.notification(EXN)
    resp = await a1.ws.request(".ams.cm.UpdateConversationField", field(
        conv_id, {"field": "ParticipantsChange", "type": "SUGGEST", "role": "ASSIGNED_AGENT", "userId": a2.old_id},
        {"field": "ParticipantsChange", "type": "REMOVE", "role": "ASSIGNED_AGENT", "userId": a1.old_id},
        {"field": "Skill", "type": "UPDATE", "skill": "10"}))
    assert resp["code"] == 200
    n21 = await watcher21.ws.notification(EXN, lambda f: any(
        p.get("state") == "SUGGESTED" for p in f["body"]["changes"][0]["result"]["conversationDetails"]["dialogs"][0]["participantsDetails"]))
    details = n21["body"]["changes"][0]["result"]["conversationDetails"]
    assert {"id": a2.old_id, "role": "ASSIGNED_AGENT", "state": "SUGGESTED"} in details["dialogs"][0]["participantsDetails"]
    assert a2.pid not in details["participantsPId"].get("ASSIGNED_AGENT", [])
    n2 = await watcher2.notification(EXN)
    assert all(p["id"] != a2.old_id for p in n2["body"]["changes"][0]["result"]["conversationDetails"]["dialogs"][0]["participantsDetails"])
    ring = await a2.ring()
    assert ring["conversationId"] == conv_id
    mtime.advance(10_000)
    await a2.ring("EXPIRED")
    back = await a2.ring()                                # suggestion dropped; the skill's round robin: a2
    assert back["conversationId"] == conv_id
    assert cclients.emu.platform.conversation(ACC, conv_id).suggested_agent() is None


async def test_transfer_to_agent_accepted(cclients: Clients) -> None:
    a1 = await agent(cclients, "a1", "p1")
    a2 = await agent(cclients, "a2", "p2")
    _, conv_id = await new_conversation(cclients)
    await a1.answer((await a1.ring())["ringsDetails"][0]["ringId"], "ACCEPTED")
    await a1.ws.request(".ams.cm.UpdateConversationField", field(
        conv_id, {"field": "ParticipantsChange", "type": "SUGGEST", "role": "ASSIGNED_AGENT", "userId": a2.old_id},
        {"field": "ParticipantsChange", "type": "REMOVE", "role": "ASSIGNED_AGENT", "userId": a1.old_id}))
    ring = await a2.ring()
    await a2.answer(ring["ringsDetails"][0]["ringId"], "ACCEPTED")
    conv = cclients.emu.platform.conversation(ACC, conv_id)
    assert conv.assigned_agent().old_id == a2.old_id and conv.suggested_agent() is None


async def test_join_permissions(cclients: Clients) -> None:
    """CONV-01 join: MANAGER/AGENT/READER/CONTROLLER checked against permissions and skills."""
    _, conv_id = await new_conversation(cclients, "10")
    a3 = await agent(cclients, "a3", "p3", online=False)      # AGENT on skill 20 only
    a1 = await agent(cclients, "a1", "p1", online=False)      # AGENT on 10 and 20
    boss = await agent(cclients, "boss", "pb", online=False)  # MANAGER everywhere
    bot = Agent(await cclients.brand((await cclients.http.post(
        f"/api/account/{ACC}/login", json={"username": "appbot", "appKey": "k1", "secret": "s1",
                                           "accessToken": "t1", "accessTokenSecret": "ts1"})).json()["bearer"]), "", "")

    async def join(who: Agent, role: str, user_id: str | None = None) -> int:
        f = {"field": "ParticipantsChange", "type": "ADD", "role": role}
        if user_id:
            f["userId"] = user_id
        return (await who.ws.request(".ams.cm.UpdateConversationField", field(conv_id, f)))["code"]

    assert await join(a3, "AGENT") == 403                 # wrong skill
    assert await join(a1, "MANAGER") == 403               # AGENT permission cannot be MANAGER
    assert await join(a1, "CONTROLLER") == 403
    assert await join(a1, "READER") == 200
    assert await join(a1, "AGENT") == 200
    assert await join(boss, "MANAGER") == 200
    assert await join(boss, "CONTROLLER") == 200
    assert await join(bot, "CONTROLLER") == 200
    assert await join(bot, "MANAGER") == 403
    assert await join(a1, "READER", boss.old_id) == 403   # adding someone else needs MANAGER
    assert await join(boss, "READER", a3.old_id) == 403   # a3 lacks the skill
    roles = {(p.old_id, p.role) for p in cclients.emu.platform.conversation(ACC, conv_id).participants}
    assert {(a1.old_id, "READER"), (a1.old_id, "AGENT"), (boss.old_id, "MANAGER")} <= roles


async def test_agent_state_subscription(cclients: Clients, trace: Trace) -> None:
    """SetAgentState stored per agent; SubscribeAgentsState -> current state, then changes."""
    boss = await agent(cclients, "boss", "pb", online=False)
    a1 = await agent(cclients, "a1", "p1")
    sub = await boss.ws.request(".ams.routing.SubscribeAgentsState", {"brandId": ACC, "agentId": a1.old_id})
    assert sub["code"] == 200
    first = await boss.ws.notification(".ams.routing.AgentStateNotification")
    assert first["body"]["changes"][0]["result"]["availability"] == "ONLINE"
    for state in ("AWAY", "BACK_SOON", "OCCUPIED", "OFFLINE"):
        assert (await a1.ws.request(".ams.routing.SetAgentState", {"availability": state}))["code"] == 202
        n = await boss.ws.notification(".ams.routing.AgentStateNotification")
        assert n["body"]["changes"][0]["result"] == {"agentUserId": a1.old_id, "channels": ["MESSAGING"],
                                                      "availability": state, "description": ""}
    assert cclients.emu.platform.accounts[ACC].agent_states[a1.old_id]["availability"] == "OFFLINE"
    # an AGENT may not set another agent's state; a MANAGER may
    assert (await a1.ws.request(".ams.routing.SetAgentState", {"availability": "ONLINE", "agentUserId": boss.old_id}))["code"] == 403
    assert (await boss.ws.request(".ams.routing.SetAgentState", {"availability": "ONLINE", "agentUserId": a1.old_id}))["code"] == 202
    if schemas_available():
        validated, unchecked = validate_trace(trace)
        assert ".ams.routing.SubscribeAgentsState" in validated, unchecked


async def test_agent_request_conversation_proactive(cclients: Clients) -> None:
    """LEG AgentRequestConversation with ProactiveContext: a new conversation for a known consumer."""
    consumer, conv_id = await new_conversation(cclients)
    await consumer.request("cm.UpdateConversationField", field(conv_id, {"field": "ConversationStateField", "conversationState": "CLOSE"}))
    consumer_id = cclients.emu.platform.conversation(ACC, conv_id).consumer_id
    a1 = await agent(cclients, "a1", "p1", online=False)
    resp = await a1.ws.request(".ams.cm.AgentRequestConversation", {
        "channelType": "MESSAGING", "consumerId": consumer_id, "skillId": "10",
        "conversationContext": {"type": "ProactiveContext", "originConversationId": conv_id}})
    assert resp["code"] == 200 and resp["type"] == "cm.RequestConversationResponse"
    conv = cclients.emu.platform.conversation(ACC, resp["body"]["conversationId"])
    assert conv.consumer_id == consumer_id and conv.context["type"] == "ProactiveContext"
    assert conv.assigned_agent().old_id == a1.old_id
    assert (await a1.ws.request(".ams.cm.AgentRequestConversation", {"consumerId": "nobody"}))["code"] == 404
