"""A consumer's stored identity survives a start-up while the messaging socket is unreachable
(CAUTH-05, CAUTH-07; widget.md failure mode 3): a browser reports a refused handshake and a
network failure alike (1006), so the stored token is replaced only once a new one connects."""

from __future__ import annotations

import pytest

from lpweb import UserType
from lpweb.emulator.inprocess import InProcessEmulator
from lpweb.model.consumer import ConsumerConnection
from lpweb.options import parse_options
from lpweb.transports.base import MemoryTokenStore, TransportError

ACCOUNT = "5550001"
CSDS = InProcessEmulator.csds_domain
CONFIG = {"accounts": [{"id": ACCOUNT, "skills": [{"id": "10", "name": "Sales"}],
                        "connectors": [{"id": "1", "type": 1}]}]}


class SocketDown:
    """The emulator's transport with websockets failing like an unreachable server in a browser."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.down = True

    async def connect_websocket(self, url, headers=None):
        if self.down:
            raise TransportError("websocket closed before opening (1006)")
        return await self.inner.connect_websocket(url, headers)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def consumer(transport, store) -> ConsumerConnection:
    return ConsumerConnection(parse_options(app_id="identity", account_id=ACCOUNT, user_type=UserType.CONSUMER,
                                            csds_domain=CSDS, transport=transport, token_store=store))


async def test_stored_identity_kept_when_the_socket_is_unreachable():
    emu = InProcessEmulator(config=CONFIG, seed=1)
    store = MemoryTokenStore()
    first = consumer(emu.transport(), store)
    await first.open()
    conv = await first.create_conversation()
    user = first.user_id
    await first.close()
    key = first.options.token_store_key
    token = store.get(key)
    assert token

    flaky = SocketDown(emu.transport())
    with pytest.raises(TransportError):
        await consumer(flaky, store).open()
    assert store.get(key) == token, "a network failure replaced the consumer's stored identity"

    flaky.down = False
    again = consumer(flaky, store)
    await again.open()
    assert again.user_id == user
    assert conv.conversation_id in again.conversations
    await again.close()
