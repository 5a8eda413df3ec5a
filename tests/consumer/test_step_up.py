"""Consumer step-up (CONN-13, CAUTH-04, CAUTH-06, CAUTH-08): an unauthenticated consumer
logs in mid-conversation; the conversation continues under the authenticated identity."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import pytest

import lpweb
from lpweb import AuthType, ParticipantRole, UserType
from lpweb.emulator import Emulator

ACCOUNT = "7770002"
ISSUER = "https://brand.example"
SECRET = "brand-secret"
CONFIG = {"accounts": [{
    "id": ACCOUNT,
    "users": [{"name": "agent", "password": "agent-pw", "permissions": ["MANAGER"]}],
    "connectors": [{"id": "1", "type": 1},
                   {"id": "2", "type": 2, "issuer": ISSUER, "alg": "HS256", "secret": SECRET}],
}]}
T = 10


def external_jwt(sub: str, secret: str = SECRET) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    now = int(time.time())
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(
        {"sub": sub, "iss": ISSUER, "iat": now, "exp": now + 600}).encode())
    return head + "." + b64(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())


def consumer(emu, **kw):
    return lpweb.create_connection(app_id="step_up", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                   csds_domain=emu.csds_domain, **kw)


async def test_step_up_keeps_the_conversation():
    async with Emulator(port=0, config=CONFIG) as emu:
        conn = consumer(emu, use_unauthenticated_connection=True)
        await conn.open()
        assert conn.auth_type == AuthType.CONSUMER_UNAUTHENTICATED
        before = conn.user_id
        conv = await conn.create_conversation()
        await conv.send_message("before login")
        stepped = asyncio.ensure_future(conv.wait_for("consumer-step-up", timeout=T))
        await conn.step_up(external_jwt("customer-42"))
        event = await stepped
        assert conn.auth_type == AuthType.CONSUMER_AUTHENTICATED
        assert event == {"previous_consumer_id": before, "consumer_id": conn.user_id} and conn.user_id != before
        assert conv.consumer is not None and conv.consumer.id == conn.user_id
        await conv.send_message("after login")
        assert [m.body for m in conv.messages if m.sent_by_current_user()][-1] == "after login"
        assert [m.body for m in conv.messages][:1] == ["before login"]
        with pytest.raises(lpweb.InvalidState):
            await conn.step_up(external_jwt("again"))
        await conn.close()

        # The authenticated identity resumes the conversation from a fresh connection.
        again = consumer(emu, use_authenticated_connection=True, jwt=external_jwt("customer-42"), wait_for_ready=True)
        await again.open()
        assert conv.conversation_id in again.conversations
        await again.close()


async def test_authenticated_connection_and_bad_jwt():
    async with Emulator(port=0, config=CONFIG) as emu:
        conn = consumer(emu, use_authenticated_connection=True, jwt=external_jwt("customer-7"))
        await conn.open()
        assert conn.auth_type == AuthType.CONSUMER_AUTHENTICATED
        await conn.create_conversation()
        await conn.close()
        bad = consumer(emu, use_authenticated_connection=True, jwt=external_jwt("customer-7", secret="wrong"))
        with pytest.raises(lpweb.AuthError):
            await bad.open()
        anonymous = consumer(emu)
        await anonymous.open()
        with pytest.raises(lpweb.InvalidState, match="use_unauthenticated_connection"):
            await anonymous.step_up(external_jwt("x"))
        await anonymous.close()
