"""CAUTH-02/03 end to end: the SDK finds the account's connectors through the emulator's
``le-connectors/all-connectors`` list (on the CSDS ``acCdnDomain`` host), exchanges an external
JWT (authenticated connector, HS256) or an un-auth token (unauthenticated connector) at the
IdP, and opens a consumer websocket with the resulting LP JWT.

External JWTs are built here with hmac/hashlib/base64 (no JWT package).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

import lpweb
from lpweb import AuthType, ConnectionState, UserType
from lpweb.emulator import Emulator

ACCOUNT = "4440001"
ISSUER = "https://brand.example/idp"
SECRET = "brand-shared-secret"
CONFIG = {"accounts": [{
    "id": ACCOUNT,
    "connectors": [{"id": "11", "type": 1},
                   {"id": "22", "type": 2, "issuer": ISSUER, "alg": "HS256", "secret": SECRET}],
}]}
TIMEOUT = 10


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def external_jwt(secret: str = SECRET, sub: str = "customer-42", **claims: Any) -> str:
    """An HS256 JWT as a brand's identity provider would issue it."""
    now = int(time.time())
    payload = {"iss": ISSUER, "sub": sub, "iat": now, "exp": now + 3600, **claims}
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(payload).encode())
    return head + "." + _b64(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())


@pytest.fixture
async def emu():
    async with Emulator(config=CONFIG) as e:
        yield e


def consumer(emu: Emulator, **kw: Any) -> lpweb.Connection:
    return lpweb.create_connection(app_id="auth_test", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                   csds_domain=emu.csds_domain, **kw)


async def test_connectors_list_is_served_without_auth(emu: Emulator) -> None:
    async with httpx.AsyncClient(base_url=emu.url) as http:
        csds = (await http.get(f"/api/account/{ACCOUNT}/service/acCdnDomain/baseURI.json?version=1.0")).json()
        r = await http.get(f"http://{csds['baseURI']}/api/account/{ACCOUNT}/configuration/le-connectors/all-connectors")
    assert r.status_code == 200
    assert r.json() == [{"id": "11", "type": 1, "configJson": {}},
                        {"id": "22", "type": 2, "configJson": {"issuer": ISSUER}}]
    assert SECRET not in r.text


async def test_authenticated_connection_opens_and_creates_a_conversation(emu: Emulator) -> None:
    conn = consumer(emu, use_authenticated_connection=True, jwt=external_jwt())
    await conn.open()
    try:
        assert conn.state == ConnectionState.CONNECTED
        assert conn.auth_type == AuthType.CONSUMER_AUTHENTICATED
        conv = await conn.create_conversation()
        stored = emu.platform.conversation(ACCOUNT, conv.conversation_id)
        assert stored is not None and stored.consumer_id == conn.user_id
        await conv.send_message("hello from an authenticated consumer")
        assert [e.event["message"] for e in stored.main_dialog.events] == ["hello from an authenticated consumer"]
    finally:
        await conn.close()
    # the same external identity maps to the same LP consumer on the next connection
    again = consumer(emu, use_authenticated_connection=True, jwt=external_jwt())
    await again.open()
    try:
        assert again.user_id == conn.user_id
        assert conv.conversation_id in again.conversations
    finally:
        await again.close()


async def test_unauthenticated_connection_opens(emu: Emulator) -> None:
    conn = consumer(emu, use_unauthenticated_connection=True)
    await conn.open()
    try:
        assert conn.state == ConnectionState.CONNECTED
        assert conn.auth_type == AuthType.CONSUMER_UNAUTHENTICATED
        conv = await conn.create_conversation()
        assert emu.platform.conversation(ACCOUNT, conv.conversation_id) is not None
    finally:
        await conn.close()


async def test_external_jwt_with_a_wrong_signature_is_refused(emu: Emulator) -> None:
    conn = consumer(emu, use_authenticated_connection=True, jwt=external_jwt(secret="not-the-secret"))
    try:
        with pytest.raises(lpweb.AuthError):
            await conn.open()
        assert conn.state != ConnectionState.CONNECTED
    finally:
        await conn.close()
    assert not emu.platform.listeners            # no consumer socket was opened
