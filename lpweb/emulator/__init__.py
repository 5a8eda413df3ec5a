"""A local emulator of LivePerson's Messaging Platform (native only; needs aiohttp).

``Emulator`` serves CSDS, IdP signup, agentVep login and the consumer and brand websockets
on one host:port, speaking the protocol of ``shared/spec/protocol.md``. Run it as
``python -m lpweb.emulator --port 8081`` or in tests::

    async with Emulator() as emu:
        ...  # emu.url, emu.csds_domain, emu.account_id, emu.platform

Modules: ``state`` (platform model), ``tokens`` (JWTs, agentVep sessions), ``http_api``
(HTTP services), ``views`` (notification shapes), ``engine`` (websocket sessions), ``fields``
(UpdateConversationField), ``server`` (aiohttp), ``inprocess`` (the same engine without a
server, for the SDK's memory transport), ``__main__`` (command line).
"""

from .server import Emulator

__all__ = ["Emulator"]
