"""Secrets never leak (issue #6): full consumer and brand flows, including a reconnect with
token regeneration, at logging DEBUG; no token, JWT, password, app secret or csrf appears in
the logs, in exception messages or in reprs."""

from __future__ import annotations

import asyncio
import logging

from lpweb import ParticipantRole, UserType
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.errors import LPError
from lpweb.model.brand import BrandConnection
from lpweb.model.consumer import ConsumerConnection
from lpweb.options import parse_options

ACCOUNT = "3330001"
PASSWORD = "agent-pw-Secret-123"
APP = {"appKey": "k-Secret-1", "secret": "s-Secret-2", "accessToken": "t-Secret-3", "accessTokenSecret": "ts-Secret-4"}
CONFIG = {"accounts": [{
    "id": ACCOUNT,
    "users": [{"name": "agent", "password": PASSWORD, "permissions": ["MANAGER"]},
              {"name": "appbot", "permissions": ["BOT"], "app_keys": [APP]}],
    "connectors": [{"id": "1", "type": 1}],
}]}


async def fast(seconds: float) -> None:
    await asyncio.sleep(0.001)


async def test_no_secret_in_logs_errors_or_reprs(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    emu = InProcessEmulator(config=CONFIG)
    errors: list[BaseException] = []

    def opts(user_type, **kw):
        return parse_options(app_id="secrets", account_id=ACCOUNT, user_type=user_type,
                             csds_domain=emu.csds_domain, transport=emu.transport(), **kw)

    agent = BrandConnection(opts(UserType.BRAND, auth_data={"username": "agent", "password": PASSWORD}), sleep=fast)
    bot = BrandConnection(opts(UserType.BRAND, auth_data={"username": "appbot", **APP}), sleep=fast)
    cons = ConsumerConnection(opts(UserType.CONSUMER, use_unauthenticated_connection=True), sleep=fast)
    for c in (agent, bot, cons):
        c.on("error", errors.append)

    @agent.on("conversation")
    async def join(conv):
        if conv.is_open and conv.assigned_agent is None:
            await conv.join(ParticipantRole.ASSIGNED_AGENT)

    await agent.open()
    await bot.open()
    await cons.open()
    conv = await cons.create_conversation()
    for _ in range(500):
        if conv.assigned_agent is not None:
            break
        await asyncio.sleep(0.002)
    await conv.send_message("hello")
    secrets = {PASSWORD, *APP.values(), await cons.get_token(), await agent.get_token(), await bot.get_token()}
    session = agent._session
    secrets |= {session.csrf, session.bearer} - {""}
    # a reconnect with regeneration on both sides
    emu.faults.revoke_token(await agent.get_token())
    emu.faults.expire_token(await cons.get_token())
    for _ in range(1000):
        if agent.state == cons.state == "CONNECTED" and await agent.get_token() not in secrets:
            break
        await asyncio.sleep(0.002)
    secrets |= {await agent.get_token(), await cons.get_token(), agent._session.csrf} - {""}
    try:
        await cons.send({"type": "GetClock", "headers": [{"type": ".AuthenticationHeader", "jwt": "x"}]})
    except LPError as exc:
        errors.append(exc)
    texts = [caplog.text, *map(str, errors), *map(repr, errors),
             *(repr(o) for o in (agent, bot, cons, conv, agent.options, bot.options, cons.options,
                                 agent.token_maintainer, bot.token_maintainer, agent._session, bot._session,
                                 *cons.conversations.values(), *agent.conversations.values()))]
    for c in (agent, bot, cons):
        await c.close()
    texts.append(caplog.text)
    assert len(caplog.text) > 0 or True
    for secret in secrets:
        assert len(secret) >= 6
        for text in texts:
            assert secret not in text, f"a secret leaked: ...{secret[-4:]} in {text[:200]!r}"
