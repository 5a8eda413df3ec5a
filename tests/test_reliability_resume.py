"""What a reconnect restores, over the in-process emulator: outdated conversations are
dropped or kept (MNT-05), and a brand dialog none of whose messages was seen yet is caught
up from sequence 0 (MNT-03, gap-free delivery)."""

from __future__ import annotations

import asyncio

import pytest

from test_reliability import ACCOUNT, CONFIG, brand, consumer, record, serving_agent, until  # noqa: F401

from lpweb.emulator.inprocess import InProcessEmulator


class BackoffGate:
    """The SDK's sleep: reconnect backoffs (2-60 s) wait for ``gate``; other waits are real."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        if 2 <= seconds < 60:
            await self.gate.wait()
        else:
            await asyncio.sleep(seconds)


@pytest.fixture
def emu():
    return InProcessEmulator(config=CONFIG, seed=5)


async def away(emu, agent, gate: BackoffGate, while_away) -> list:
    """Drop the agent's socket, run ``while_away()`` during the outage, then let it back."""
    seen = record(agent, "reconnecting", "reconnected")
    emu.faults.drop_connection("brand")
    await until(lambda: any(n == "reconnecting" for n, _ in seen))
    await while_away()
    gate.gate.set()
    await until(lambda: any(n == "reconnected" for n, _ in seen))
    return seen


@pytest.mark.parametrize("unsubscribe", [True, False])
async def test_conversation_closed_while_away_is_outdated(emu, unsubscribe) -> None:
    """MNT-05: the brand default subscription ({stage: OPEN}) no longer reports a
    conversation closed during the outage: dropped by default, kept with ``False``."""
    gate = BackoffGate()
    agent = await serving_agent(emu, sleep=gate, unsubscribe_from_outdated_conversations_on_reconnect=unsubscribe)
    other = consumer(emu)
    await other.open()
    still_open = await other.create_conversation()
    cons = consumer(emu)
    await cons.open()
    conv = await cons.create_conversation()
    await until(lambda: conv.assigned_agent is not None and still_open.assigned_agent is not None)
    assert {conv.conversation_id, still_open.conversation_id} <= set(agent.conversations)

    async def close_it():
        await conv.close()
        await until(lambda: not conv.is_open)

    await away(emu, agent, gate, close_it)
    assert (conv.conversation_id in agent.conversations) is (not unsubscribe)
    assert still_open.conversation_id in agent.conversations
    await agent.conversations[still_open.conversation_id].send_message("still here")
    await until(lambda: [m.body for m in still_open.messages][-1:] == ["still here"])
    for conn in (cons, other, agent):
        await conn.close()


async def test_brand_dialog_with_no_message_seen_is_caught_up_from_zero(emu) -> None:
    """Gap-free delivery: the agent (no get_all_messages) joined but saw no message before its
    socket dropped; the first messages, sent during the outage, arrive once and in order."""
    gate = BackoffGate()
    agent = await serving_agent(emu, sleep=gate)
    cons = consumer(emu)
    await cons.open()
    conv = await cons.create_conversation()
    await until(lambda: conv.assigned_agent is not None)
    aconv = agent.conversations[conv.conversation_id]
    assert aconv.messages == []
    got: list[str] = []
    aconv.on("message", lambda m: got.append(m.body))

    async def talk():
        await conv.send_message("first")
        await conv.send_message("second")

    await away(emu, agent, gate, talk)
    await until(lambda: got == ["first", "second"])
    await conv.send_message("third")
    await until(lambda: got == ["first", "second", "third"])
    await asyncio.sleep(0.05)
    assert got == ["first", "second", "third"]
    await cons.close()
    await agent.close()
