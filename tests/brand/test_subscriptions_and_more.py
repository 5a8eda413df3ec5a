"""Subscriptions, agent states, agent-requested conversations, statistics, send(), REST publish,
proxies, response timeout (SUB-*, NYS-01, NYS-04, STAT-*, CONN-09/10/16, REST-*, PRX-*, OPT-17..22)."""

from __future__ import annotations

import asyncio

import pytest

import lpweb
from lpweb import AgentState, SubscriptionState, UserType
from lpweb.emulator import Emulator

from .conftest import ACCOUNT, CONFIG, Factory, consumer_conversation, known, settle
from .test_conversations import joined, until


async def test_default_subscription_and_notifications(make: Factory) -> None:
    """SUB-01/02/05, CONN-16, CEVT-02/04: the brand default query is {stage: [OPEN]}; its
    'notification' events and the connection's 'conversation' event fire."""
    bot = make.brand()
    notes: list = []
    convs: list = []
    bot.on("conversation", convs.append)
    await bot.open()
    sub = bot.default_subscription
    assert sub.query == {"stage": ["OPEN"]} and sub.state == SubscriptionState.SUBSCRIBED
    sub.on("notification", notes.append)
    _, cconv = await consumer_conversation(make, "10")
    await until(lambda: convs)
    assert convs[0].conversation_id == cconv.conversation_id and notes


async def test_no_default_subscription_and_custom_query(make: Factory) -> None:
    """SUB-03/04, OPT-17/18, A-03: create_default_subscription=False leaves none; a custom
    default query replaces the default one (dialogTypes is sent as dialogType)."""
    none = make.brand(create_default_subscription=False)
    await none.open()
    assert none.default_subscription is None and none.subscriptions == []
    custom = make.brand(default_subscription_query={"state": ["OPEN"], "dialogTypes": ["MAIN"]})
    await custom.open()
    assert custom.default_subscription.query == {"state": ["OPEN"], "dialogTypes": ["MAIN"]}
    from lpweb.protocol.requests import subscribe_conversations_body
    assert subscribe_conversations_body(custom.default_subscription.query) == {"convState": ["OPEN"],
                                                                               "dialogType": ["MAIN"]}
    with pytest.raises(lpweb.UsageError):
        make.brand(default_subscription_query={"skillId": "10"})


async def test_manual_subscription_query_properties(make: Factory) -> None:
    """CONN-09, SUB-06/07/09..17/23/24: each query property filters (agentId, consumerId,
    conversationId, state, stage, lastUpdateBefore/After); wait_for_ready loads the initial
    conversations; subscriptions share Conversation objects; unsubscribe stops notifications."""
    bot, conv, cons, cconv = await joined(make)
    _, other = await consumer_conversation(make, "20")
    watcher = make.brand({"username": "boss", "password": "boss-pw"}, create_default_subscription=False)
    await watcher.open()
    now = make.vt.manual.now()
    a, b = conv.conversation_id, other.conversation_id
    sub = await watcher.create_conversation_subscription({"agentId": [bot.agent_old_id]}, wait_for_ready=True)
    assert set(watcher.conversations) == {a}
    notes: list = []
    sub.on("notification", notes.append)
    await sub.unsubscribe()
    assert sub.state == SubscriptionState.UNSUBSCRIBED
    await conv.transfer(skill_id="20")                       # a change the query would match
    await settle()
    assert notes == []                                       # SUB-24: nothing after unsubscribe
    for query, expected in [({"consumerId": other.consumer.id}, {b}), ({"conversationId": a}, {a}),
                            ({"state": ["OPEN"], "accountId": ACCOUNT}, {a, b}), ({"stage": ["CLOSE"]}, set()),
                            ({"lastUpdateBefore": now - 10}, set()), ({"lastUpdateAfter": now - 10**6}, {a, b})]:
        probe = make.brand({"username": "boss", "password": "boss-pw"}, create_default_subscription=False)
        await probe.open()
        await probe.create_conversation_subscription(query, wait_for_ready=True)
        assert set(probe.conversations) == expected, query
        await probe.close()
    shared = await watcher.create_conversation_subscription({"stage": ["OPEN"]}, wait_for_ready=True)
    again = await watcher.create_conversation_subscription({"conversationId": a}, wait_for_ready=True)
    assert watcher.conversations[a] is watcher.conversations[a]          # one object per id (SUB-06)
    await conv.close()                                                   # SUB-23: CLOSE needs a query
    closed = await watcher.create_conversation_subscription({"stage": ["CLOSE"]}, wait_for_ready=True)
    await until(lambda: not watcher.conversations[a].is_open)
    assert closed.state == shared.state == again.state == SubscriptionState.SUBSCRIBED
    with pytest.raises(lpweb.UsageError):
        await watcher.create_conversation_subscription({"skillId": "10"})


async def test_subscription_states_and_resubscribe(make: Factory, emu, vt) -> None:
    """SUB-19/20, MNT-03 groundwork: INITIAL -> SUBSCRIBED; a dropped socket leaves subscriptions
    DISCONNECTED; a failed subscribe is FAILED_TO_SUBSCRIBE; resubscribe() re-creates from the
    kept query. OPT-19 default."""
    bot = make.brand()
    assert bot.options.unsubscribe_from_outdated_conversations_on_reconnect is True
    await bot.open()
    routing = await bot.create_routing_task_subscription()
    conv_sub = bot.default_subscription
    emu.faults.drop_connection("brand", after_frames=0)
    with pytest.raises(lpweb.LPError):
        await bot.send({"type": ".GetClock"})
    await until(lambda: bot.state == lpweb.ConnectionState.DISCONNECTED)
    assert conv_sub.state == SubscriptionState.DISCONNECTED and routing.state == SubscriptionState.DISCONNECTED
    old_ids = conv_sub.subscription_id, routing.subscription_id
    await vt.advance(7)                                  # MNT-01/03: the reconnect re-creates both
    await until(lambda: bot.state == lpweb.ConnectionState.CONNECTED)
    assert conv_sub.state == SubscriptionState.SUBSCRIBED and routing.state == SubscriptionState.SUBSCRIBED
    assert (conv_sub.subscription_id, routing.subscription_id) != old_ids
    await bot.close()
    with pytest.raises(lpweb.LPError):
        await conv_sub.resubscribe()
    assert conv_sub.state == SubscriptionState.FAILED_TO_SUBSCRIBE
    fresh = make.brand()
    await fresh.open()
    old_id = fresh.default_subscription.subscription_id
    await fresh.default_subscription.resubscribe()
    assert fresh.default_subscription.state == SubscriptionState.SUBSCRIBED
    assert fresh.default_subscription.subscription_id != old_id and fresh.default_subscription.query == {"stage": ["OPEN"]}


async def test_agent_state_subscription(make: Factory) -> None:
    """NYS-01, LEG-50: 'agent-state' with the current state, then every change."""
    bot = make.brand({"username": "agent1", "password": "a1-pw"})
    await bot.open()
    await bot.set_agent_state(AgentState.AWAY)
    seen: list = []
    bot.on("agent-state", lambda s: seen.append(s["availability"]))
    sub = await bot.create_agent_state_subscription()
    via_sub: list = []
    sub.on("agent-state", lambda s: via_sub.append(s["availability"]))
    await bot.set_agent_state(AgentState.ONLINE)
    await until(lambda: seen == ["AWAY", "ONLINE"])
    assert via_sub[-1] == "ONLINE" and sub.state == SubscriptionState.SUBSCRIBED
    boss = make.brand({"username": "boss", "password": "boss-pw"})
    await boss.open()
    everyone: list = []
    boss.on("agent-state", everyone.append)
    await boss.create_agent_state_subscription(all_agents=True)
    await until(lambda: any(s["agent_id"] == bot.agent_old_id for s in everyone))


async def test_request_conversation(make: Factory) -> None:
    """NYS-04, LEG-24: an agent starts a conversation with a known consumer (proactive, with
    the origin conversation) and is its assigned agent."""
    bot, conv, cons, cconv = await joined(make)
    await conv.close()
    agent = make.brand({"username": "agent1", "password": "a1-pw"})
    await agent.open()
    new = await agent.request_conversation(cconv.consumer.id, origin_conversation_id=conv.conversation_id,
                                           skill_id="10")
    assert new.conversation_id != conv.conversation_id and new.is_open
    assert new.context["originConversationId"] == conv.conversation_id
    await until(lambda: new.assigned_agent is not None)
    assert new.assigned_agent.old_id == agent.agent_old_id
    with pytest.raises(lpweb.RequestFailed):
        await agent.request_conversation("nobody")


async def test_message_statistics(make: Factory) -> None:
    """STAT-01/02/03: counters for the user and the brand, as attributes and dict keys."""
    bot, conv, _, _ = await joined(make)
    await consumer_conversation(make, "20")
    await settle()
    user = await bot.get_message_statistics_for_user()
    brand = await bot.get_message_statistics_for_brand()
    assert (user.active, user.unassigned) == (1, 0)
    assert (brand.active, brand.unassigned, brand["soonToOverdue"]) == (1, 1, 0)
    assert set(brand.as_dict()) == {"active", "pending", "unassigned", "overdue", "soonToOverdue"}
    with pytest.raises(lpweb.InvalidState):
        await make.brand().get_message_statistics_for_user()
    cons = make.consumer()
    with pytest.raises(lpweb.UsageError):
        await cons.get_message_statistics_for_user()        # CONN-19


async def test_send_arbitrary_request(make: Factory) -> None:
    """CONN-10, MSG-17: send() of a raw PublishEvent is the same as send_message."""
    bot, conv, cons, cconv = await joined(make)
    got: list = []
    cconv.on("message", got.append)
    resp = await bot.send({"type": ".ams.ms.PublishEvent", "body": {"dialogId": conv.conversation_id, "event": {
        "type": "ContentEvent", "contentType": "text/plain", "message": "hello world!"}}})
    assert resp.code == 200 and isinstance(resp.body["sequence"], int)
    await until(lambda: got)
    assert got[0].body == "hello world!"


async def test_publish_message_rest_helper(make: Factory, emu) -> None:
    """REST-01..04: publish_message with only a bearer; private audience hides it from the consumer."""
    bot, conv, cons, cconv = await joined(make)
    got: list = []
    cconv.on("message", got.append)
    token = await bot.get_token()
    kw = dict(csds_domain=emu.csds_domain, transport=emu.transport())
    resp = await lpweb.publish_message(ACCOUNT, token, conv.conversation_id, conv.conversation_id, "rest hi",
                                       metadata={"type": "ExternalId", "id": "r1"}, **kw)
    assert resp.status == 200 and isinstance(resp.json()["sequence"], int)
    await lpweb.publish_message(ACCOUNT, token, conv.conversation_id, conv.conversation_id, "secret",
                                message_audience="AGENTS_AND_MANAGERS", originator_role="ASSIGNED_AGENT", **kw)
    await until(lambda: got)
    await settle()
    assert [m.body for m in got] == ["rest hi"]
    with pytest.raises(lpweb.UsageError):
        await lpweb.publish_message(ACCOUNT, token, conv.conversation_id, "", "x", **kw)
    with pytest.raises(lpweb.UsageError):
        await lpweb.publish_message(ACCOUNT, token, conv.conversation_id, "d", "x", originator_role="BOSS", **kw)
    with pytest.raises(lpweb.errors.HttpError) as info:
        await lpweb.publish_message(ACCOUNT, "not-a-bearer", conv.conversation_id, conv.conversation_id, "x", **kw)
    assert "not-a-bearer" not in str(info.value)


def test_configure_and_remove_proxy(monkeypatch) -> None:
    """PRX-01..09: validation, the proxy URL, removal (and the reset_proxy alias); in the browser
    a clear UnsupportedInBrowser."""
    from lpweb import proxy
    try:
        cfg = lpweb.configure_proxy({"host": "proxy.example", "port": 8080, "path": "user/1",
                                     "auth": {"username": "u", "password": 1234}})
        assert cfg.url == "http://u:1234@proxy.example:8080/user/1" and "1234" not in repr(cfg)
        assert proxy.current_proxy() is cfg
        transport = proxy.proxied_default_transport()
        assert transport._proxy == cfg.url
        assert lpweb.configure_proxy(host="h", port="3128", protocol="https").url == "https://h:3128"
        for bad in ({"host": "h/", "port": 1}, {"host": "h", "port": 1, "path": "p/"}, {"host": "h"},
                    {"host": "h", "port": 1, "protocol": "socks"}, {"port": 1}, {"host": "h", "port": 1, "x": 1}):
            with pytest.raises(lpweb.UsageError):
                lpweb.configure_proxy(bad)
        lpweb.reset_proxy()
        assert proxy.current_proxy() is None
        monkeypatch.setattr("sys.platform", "emscripten")
        with pytest.raises(lpweb.UnsupportedInBrowser, match="browser"):
            lpweb.configure_proxy(host="h", port=1)
        with pytest.raises(lpweb.UnsupportedInBrowser):
            lpweb.remove_proxy()
    finally:
        monkeypatch.undo()
        lpweb.remove_proxy()


async def test_response_timeout(make: Factory, emu) -> None:
    """OPT-22, PROTO-02: a request without an answer fails after response_timeout ms; bad values
    are refused."""
    bot = make.brand(response_timeout="200")
    await bot.open()
    session = next(s for s in emu.platform.listeners if getattr(s, "user", None) is not None
                   and s.user.name == "bot")
    session.receive = lambda text: None                        # the server stops answering
    with pytest.raises(lpweb.RequestTimeout):
        await bot.send({"type": ".GetClock"})
    for bad in ("1e3", -5, 1.5, True):
        with pytest.raises(lpweb.UsageError):
            make.brand(response_timeout=bad)


async def test_brand_over_loopback_emulator() -> None:
    """BAUTH-01 and RING-02 over real sockets: OAuth1 login, websocket, a ring accepted."""
    async with Emulator(port=0, config=CONFIG) as real:
        agent = lpweb.create_connection(app_id="brand_suite", account_id=ACCOUNT, user_type=UserType.BRAND,
                                        csds_domain=real.csds_domain,
                                        auth_data={"username": "agent1", "password": "a1-pw"})
        rings: list = []
        agent.on("ring", rings.append)
        cons = lpweb.create_connection(app_id="brand_suite", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                       csds_domain=real.csds_domain)
        try:
            await agent.open()
            await agent.set_agent_state("ONLINE")
            await agent.create_routing_task_subscription()
            await cons.open()
            cconv = await cons.create_conversation(skill_id="10")
            await until(lambda: any(r.ring_state == "WAITING" for r in rings), rounds=10**6)
            ring = next(r for r in rings if r.ring_state == "WAITING")
            await ring.accept()
            conv = await ring.conversation()
            assert conv.conversation_id == cconv.conversation_id
        finally:
            await cons.close()
            await agent.close()
