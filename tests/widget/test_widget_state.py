"""Pure view state (parity items 1, 6, 8-12)."""

from __future__ import annotations

import datetime as dt

from lpweb.widget.state import TYPING_TIMEOUT_MS, Conn, Divider, MsgState, ViewState

DAY = 86_400_000
T0 = int(dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.timezone.utc).timestamp() * 1000)


def online() -> ViewState:
    s = ViewState()
    s.set_connection(Conn.ONLINE, now=T0)
    return s


def test_connection_banner_states():
    s = ViewState()
    assert s.banner(T0).key == "state.connecting" and s.banner(T0).visible
    assert not s.set_connection(Conn.ONLINE, now=T0).visible
    b = s.set_connection(Conn.RECONNECTING, attempt=2, retry_in_ms=4200, now=T0)
    assert (b.key, b.params) == ("state.reconnecting_in", {"seconds": 5, "attempt": 2})
    assert s.banner(T0 + 3500).params["seconds"] == 1
    assert s.banner(T0 + 5000).key == "state.reconnecting"
    assert s.set_connection(Conn.CATCHING_UP, now=T0).key == "state.catching_up"
    assert not s.can_send_now
    assert s.set_connection(Conn.OFFLINE, now=T0).key == "state.offline"
    b = s.set_connection(Conn.FAILED, now=T0, reason="boom")
    assert b.params == {"reason": "boom"} and not b.polite
    s.set_connection(Conn.ONLINE, now=T0)
    assert s.attempt == 0


def test_optimistic_send_ack_then_echo():
    s = online()
    m = s.add_outgoing("hi", now=T0)
    assert m.state == MsgState.SENDING and m.mine
    s.acked(m.client_id, 5, "d1")
    assert m.state == MsgState.SENT and m.sequence == 5
    assert s.receive(sequence=5, dialog_id="d1", role="CONSUMER", mine=True, body="hi", timestamp=T0 + 5) is None
    assert len(s.messages) == 1


def test_echo_before_ack_merges_by_content_then_ack_is_idempotent():
    s = online()
    m = s.add_outgoing("same", now=T0)
    s.add_outgoing("same", now=T0 + 1)
    assert s.receive(sequence=1, dialog_id="d", role="CONSUMER", mine=True, body="same", timestamp=T0 + 2) is None
    assert m.sequence == 1 and m.state == MsgState.SENT
    s.acked(m.client_id, 1, "d")
    assert len(s.messages) == 2 and s.messages[1].sequence is None


def test_a_shared_file_echo_before_the_answer_merges_by_its_preview():
    """A follower tab hears its file's echo (relayed by the leader tab) before the upload's answer:
    the echo's body is the server's (relativePath, preview), not the bubble's, so it merges by the
    thumbnail the tab sent; never shown twice, and the late answer is idempotent."""
    s = online()
    thumb = "data:image/jpeg;base64,AAAA"
    m = s.add_outgoing({"name": "pic.png", "preview": "blob:x", "type": "image/png"}, now=T0, kind="file")
    other = s.add_outgoing({"name": "b.png", "preview": "blob:y", "type": "image/png"}, now=T0, kind="file")
    s.sharing(m.client_id, thumb)
    s.sharing(other.client_id, None)              # no thumbnail: merged by the answer only
    echo = {"caption": "", "relativePath": "/f/1", "fileType": "PNG", "preview": thumb}
    assert s.receive(sequence=14, dialog_id="d", role="CONSUMER", mine=True, body=echo, timestamp=T0 + 5,
                     kind="file") is None
    assert [x.key for x in s.messages] == [m.key, other.key]
    assert (m.sequence, m.state) == (14, MsgState.SENT) and other.sequence is None
    s.accept_status("READ", [14], "d")
    assert s.acked(m.client_id, 14, "d") is m and m.state == MsgState.READ and len(s.messages) == 2


def test_receipts_move_forward_only_and_failures():
    s = online()
    m = s.add_outgoing("x", now=T0)
    s.acked(m.client_id, 3, "d")
    assert [x.key for x in s.accept_status("READ", [3], "d")] == [m.key]
    assert s.accept_status("ACCEPT", [3], "d") == []
    assert m.state == MsgState.READ
    f = s.add_outgoing("y", now=T0)
    s.failed(f.client_id, "timeout")
    assert f.state == MsgState.FAILED and f.error == "timeout" and s.pending() == [f]
    s.sending(f.client_id)
    assert f.state == MsgState.SENDING
    s.failed(f.client_id, "again")
    assert s.delete(f.key) and f not in s.messages
    assert not s.delete(m.key)


def test_queued_when_offline():
    s = ViewState()
    s.set_connection(Conn.OFFLINE)
    assert s.add_outgoing("later", now=T0).state == MsgState.QUEUED


def test_unread_new_divider_and_seen():
    s = online()
    s.receive(sequence=1, dialog_id="d", role="ASSIGNED_AGENT", mine=False, body="old", timestamp=T0, history=True)
    a = s.receive(sequence=2, dialog_id="d", role="ASSIGNED_AGENT", mine=False, body="new1", timestamp=T0 + 10)
    b = s.receive(sequence=3, dialog_id="d", role="ASSIGNED_AGENT", mine=False, body="new2", timestamp=T0 + 20)
    assert s.unread_count == 2
    kinds = [(i.kind if isinstance(i, Divider) else i.body) for i in s.items()]
    assert kinds == ["date", "old", "new", "new1", "new2"]
    assert [m.sequence for m in s.mark_seen([a.key, b.key, a.key])] == [2, 3]
    assert s.mark_seen([a.key]) == [] and s.unread_count == 0
    assert s.receive(sequence=3, dialog_id="d", role="ASSIGNED_AGENT", mine=False, body="dup", timestamp=T0) is None


def test_date_dividers_and_labels():
    s = ViewState(tz_offset_min=120)
    s.receive(sequence=1, dialog_id="d", role="AGENT", mine=False, body="a", timestamp=T0 - 2 * DAY, history=True)
    s.receive(sequence=2, dialog_id="d", role="AGENT", mine=False, body="b", timestamp=T0 - DAY, history=True)
    s.receive(sequence=3, dialog_id="d", role="AGENT", mine=False, body="c", timestamp=T0, history=True)
    s.receive(sequence=4, dialog_id="d", role="AGENT", mine=False, body="d", timestamp=T0 + 1000, history=True)
    divs = [i for i in s.items() if isinstance(i, Divider)]
    assert len(divs) == 3
    assert [s.date_label(d.date, T0) for d in divs] == ["8 Mar", "Yesterday", "Today"]


def test_history_arriving_late_is_sorted():
    s = online()
    s.receive(sequence=5, dialog_id="d", role="AGENT", mine=False, body="live", timestamp=T0 + 100)
    s.receive(sequence=4, dialog_id="d", role="AGENT", mine=False, body="hist", timestamp=T0, history=True)
    assert [m.body for m in s.messages] == ["hist", "live"]


def test_typing_watchdog_and_clear_on_message():
    s = online()
    s.chat_state("agent1", "COMPOSING", T0, name="Anna")
    assert s.typing_names(T0 + 1000) == ["Anna"]
    assert s.next_typing_expiry() == T0 + TYPING_TIMEOUT_MS
    assert s.typing_names(T0 + TYPING_TIMEOUT_MS + 1) == []
    s.chat_state("agent1", "COMPOSING", T0, name="Anna")
    s.receive(sequence=1, dialog_id="d", role="AGENT", mine=False, body="x", timestamp=T0, sender_id="agent1")
    assert s.typing_names(T0) == []
    s.chat_state("agent1", "COMPOSING", T0, name="Anna")
    s.chat_state("agent1", "ACTIVE", T0)
    assert s.typing_names(T0) == []


def test_system_messages():
    s = online()
    assert s.participant_added("a1", "ASSIGNED_AGENT", "Anna", T0).body == "sys.joined"
    assert s.participant_added("a1", "ASSIGNED_AGENT", "Anna", T0) is None
    assert s.participant_added("c", "CONSUMER", "me", T0) is None
    s.chat_state("a1", "COMPOSING", T0, "Anna")
    left = s.participant_removed("a1", "ASSIGNED_AGENT", "Anna", T0 + 1)
    assert left.params == {"name": "Anna"} and s.typing_names(T0) == []
    s.conversation_closed(T0 + 2)
    assert s.closed and s.banner(T0).key == "state.closed" and not s.can_send_now
    assert s.unread_count == 0


def test_transcript():
    s = online()
    m = s.add_outgoing("hello", now=T0)
    s.acked(m.client_id, 1, "d")
    s.receive(sequence=2, dialog_id="d", role="ASSIGNED_AGENT", mine=False, body={"type": "text", "text": "card!"},
              timestamp=T0 + 60_000, kind="rich", sender_name="Bot")
    s.system("sys.resolved", T0 + 120_000)
    text = s.transcript()
    assert text == ("[2025-03-10 09:00] You: hello\n[2025-03-10 09:01] Bot: card!\n"
                    "[2025-03-10 09:02] * sys.resolved\n")


def test_announcer_throttles_and_never_repeats():
    from lpweb.widget.announce import Announcer
    from lpweb.widget.i18n import Catalog

    a = Announcer(Catalog("en").t, interval_ms=1000)
    a.add("m1", "Anna")
    assert a.flush(0) == "New message from Anna"
    a.add("m1", "Anna")
    a.add("m2", "Anna")
    a.add("m3", "Bot")
    a.add("mine", "You", mine=True)
    assert a.flush(500) is None
    assert a.flush(1000) == "2 new messages"
    assert a.flush(5000) is None


def test_announcer_says_how_long_to_wait():
    """wait_ms: None with nothing pending, else the rest of the throttle window (the controller
    loops on it, so a message pending when a window closes is still announced)."""
    from lpweb.widget.announce import Announcer
    from lpweb.widget.i18n import Catalog

    a = Announcer(Catalog("en").t, interval_ms=1000)
    assert a.wait_ms(0) is None
    a.add("m1", "Anna")
    assert a.wait_ms(0) == 0 and a.flush(0) == "New message from Anna"
    a.add("m2", "Anna")
    assert a.wait_ms(300) == 700 and a.flush(300) is None
    assert a.wait_ms(1000) == 0 and a.flush(1000) == "New message from Anna"
    assert a.wait_ms(1200) is None
