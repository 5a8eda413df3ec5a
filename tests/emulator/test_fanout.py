"""Notices reach only the sessions that can receive them (state.listen_keys), so the cost of
one event does not grow with the number of open connections (bench/emulator_load.py).

Spy listeners count every callback; the platform runs on ManualTime, no server.
"""

from __future__ import annotations

from typing import Any

from lpweb.emulator import engine
from lpweb.emulator.state import Platform, listen_keys
from lpweb.emulator.timeutil import ManualTime

ACC = "1234567"


class Spy:
    """A listener that records which callbacks reached it."""

    def __init__(self, account_id: str | None, consumer_id: str | None = None, user: Any = None) -> None:
        self.account_id, self.consumer_id, self.user = account_id, consumer_id, user
        self.calls: list[str] = []
        self.routing_subscription = "sub" if user is not None else None

    def on_conversation(self, conv: Any) -> None:
        self.calls.append("conversation")

    def on_event(self, conv: Any, record: Any) -> None:
        self.calls.append("event")

    def on_ring(self, account_id: str, agent: str, result: Any) -> None:
        self.calls.append("ring")

    def on_agent_state(self, account_id: str, agent: str, state: Any) -> None:
        self.calls.append("agent_state")


def platform() -> Platform:
    t = ManualTime()
    p = Platform(ACC, {"ann": "pw", "bob": "pw"}, clock=t.now, scheduler=t)
    p.add_account("999", {"zed": "pw"})
    return p


def test_events_reach_the_consumer_and_the_participants_only() -> None:
    p = platform()
    ann, bob = p.accounts[ACC].users["ann"], p.accounts[ACC].users["bob"]
    crowd = [Spy(ACC, f"c{i}") for i in range(1000)]
    me = Spy(ACC, "me")
    ann_s, bob_s = Spy(ACC, user=ann), Spy(ACC, user=bob)
    other_account = Spy("999", user=p.accounts["999"].users["zed"])
    for spy in [*crowd, me, ann_s, bob_s, other_account]:
        p.add_listener(spy)

    conv = p.create_conversation(ACC, "me")
    p.flush()
    assert me.calls == ["conversation"]
    assert "conversation" in ann_s.calls and "conversation" in bob_s.calls   # brand sessions of the account
    assert other_account.calls == [] and all(not s.calls for s in crowd)

    p.add_participant(conv, ann, "ASSIGNED_AGENT")
    p.flush()
    for spy in (me, ann_s, bob_s):
        spy.calls.clear()
    p.publish(conv, conv.main_dialog, conv.participants[0], {"type": "ContentEvent", "message": "hi"})
    p.flush()
    assert me.calls == ["event"] and ann_s.calls == ["event"]
    assert bob_s.calls == [] and other_account.calls == []         # bob is no participant
    assert all(not s.calls for s in crowd)


def test_rings_and_agent_states_are_targeted() -> None:
    p = platform()
    ann, bob = p.accounts[ACC].users["ann"], p.accounts[ACC].users["bob"]
    ann_s, bob_s, consumer = Spy(ACC, user=ann), Spy(ACC, user=bob), Spy(ACC, "c1")
    for spy in (ann_s, bob_s, consumer):
        p.add_listener(spy)
    p.set_agent_state(ACC, ann.old_id, {"availability": "ONLINE"})
    p.flush()
    assert ann_s.calls == bob_s.calls == ["agent_state"] and consumer.calls == []
    p.create_conversation(ACC, "c1")
    p.flush()
    assert ann_s.calls.count("ring") == 1 and "ring" not in bob_s.calls and "ring" not in consumer.calls


def test_catch_all_listener_and_removal() -> None:
    p = platform()
    everything = Spy(None)                     # no account: receives every notice
    assert listen_keys(everything) == (("*",),)
    gone = Spy(ACC, "c1")
    p.add_listener(everything)
    p.add_listener(gone)
    p.remove_listener(gone)
    p.create_conversation(ACC, "c1")
    p.flush()
    assert everything.calls == ["conversation"] and gone.calls == []
    assert p.listeners == [everything]
    assert not any(key[0] == "consumer" for key in p._index)      # no empty groups are left behind


def test_a_consumer_authenticated_by_init_connection_is_reindexed() -> None:
    """A browser-style consumer opens without a token (indexed under nothing), then sends
    InitConnection: it must start receiving its conversation's notifications."""
    p = platform()
    sub = "consumer-x"
    jwt = p.tokens.issue_consumer_jwt(ACC, "https://idp", sub)
    out: list[str] = []
    session = engine.connect(p, f"/ws_api/account/{ACC}/messaging/consumer", {"v": "3"}, {}, out.append,
                             lambda code, reason: None)
    assert isinstance(session, engine.Session)
    session.start()
    assert listen_keys(session) == ()
    session.receive('{"kind":"req","id":"1","type":"InitConnection","headers":[{"type":".ams.headers.ConsumerAuthentication","jwt":"%s"}]}' % jwt)
    assert listen_keys(session) == (("consumer", ACC, sub),)
    session.receive('{"kind":"req","id":"2","type":"cqm.SubscribeExConversations","body":{}}')
    session.receive('{"kind":"req","id":"3","type":"cm.ConsumerRequestConversation","body":{}}')
    assert any('"cqm.ExConversationChangeNotification"' in f and '"UPSERT"' in f and '"convId"' in f for f in out)


def test_dialog_and_consumer_indexes() -> None:
    p = platform()
    conv = p.create_conversation(ACC, "c1")
    assert p.conversation_of_dialog(ACC, conv.conversation_id) is conv
    assert p.open_conversations_of(ACC, "c1") == [conv]
    p.close_conversation(conv, "CONSUMER")
    assert p.open_conversations_of(ACC, "c1") == []
    second = p.create_conversation(ACC, "c1")
    assert p.conversations_of_consumer(ACC, "c1") == [conv, second]
    p.accounts[ACC].skills["-1"].survey = [{"question": "OK?", "answers": ["Yes"]}]
    p.close_dialog(second, second.main_dialog, "AGENT")             # opens the survey dialog
    survey = second.dialogs[-1]
    assert survey.dialog_type == "POST_SURVEY" and p.conversation_of_dialog(ACC, survey.dialog_id) is second
