"""Consumer-suite fixtures: an emulator with a survey skill, consumer and agent connections."""

from __future__ import annotations

import asyncio

import pytest

import lpweb
from lpweb import ParticipantRole, UserType
from lpweb.emulator import Emulator

ACCOUNT = "7770001"
CONFIG = {"accounts": [{
    "id": ACCOUNT,
    "skills": [{"id": "10", "name": "Sales"}, {"id": "20", "name": "Support", "survey": True}],
    "users": [{"name": "agent", "password": "agent-pw", "permissions": ["MANAGER"]}],
}]}
T = 10


@pytest.fixture
async def emu():
    async with Emulator(port=0, config=CONFIG) as emulator:
        yield emulator


@pytest.fixture
def make_consumer(emu):
    made = []

    def make(**kw):
        conn = lpweb.create_connection(app_id="consumer_suite", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                       csds_domain=emu.csds_domain, **kw)
        made.append(conn)
        return conn

    yield make


@pytest.fixture
async def agent(emu):
    """A brand connection that joins every conversation as assigned agent and echoes."""
    conn = lpweb.create_connection(app_id="consumer_suite", account_id=ACCOUNT, user_type=UserType.BRAND,
                                   csds_domain=emu.csds_domain,
                                   auth_data={"username": "agent", "password": "agent-pw"})
    joined: dict[str, asyncio.Event] = {}

    @conn.on("conversation")
    async def on_conversation(conv):
        if not conv.is_open or conv.assigned_agent is not None:
            return
        @conv.on("message")  # listen before joining, so no message is missed
        async def echo(message):
            if (message.participant.role == ParticipantRole.CONSUMER and isinstance(message.body, str)
                    and message.dialog.dialog_type == "MAIN" and conv.is_open):
                await conv.send_message("echo: " + message.body)

        await conv.join(ParticipantRole.ASSIGNED_AGENT)
        joined.setdefault(conv.conversation_id, asyncio.Event()).set()

    await conn.open()
    conn.joined = joined
    yield conn
    await conn.close()


async def wait_joined(agent, conversation_id):
    await asyncio.wait_for(agent.joined.setdefault(conversation_id, asyncio.Event()).wait(), T)
