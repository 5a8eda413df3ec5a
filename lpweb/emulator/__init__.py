"""A local emulator of LivePerson's Messaging Platform (native only; needs aiohttp).

``Emulator`` serves CSDS, IdP signup, agentVep login and the consumer and brand websockets
on one host:port, speaking the protocol of ``shared/spec/protocol.md``. Run it as
``python -m lpweb.emulator --port 8081`` or in tests::

    async with Emulator() as emu:
        ...  # emu.url, emu.csds_domain, emu.account_id, emu.platform

Modules: ``config`` (TOML/JSON configuration), ``state`` (platform model), ``timeutil``
(injectable clock and scheduler, ``ManualTime``), ``tokens`` (JWTs, agentVep and OAuth2
sessions), ``identity`` (login checks, IdP authenticate, sentinel), ``http_api`` (HTTP
router, CSDS, agentVep), ``swift`` (file storage), ``control`` (skills list, ``/_emulator``),
``views`` (notification shapes), ``replies`` (response values), ``engine`` (websocket
sessions), ``fields`` (UpdateConversationField), ``consumer_api`` (profiles, file URLs),
``routing`` / ``routing_api`` (rings, agent states), ``survey`` (post-conversation survey),
``faults`` (fault injection), ``server`` (aiohttp, TLS), ``inprocess`` (the same engine
without a server, for the SDK's memory transport), ``__main__`` (command line).
"""

from .config import EmulatorConfig, load_config
from .server import Emulator
from .timeutil import ManualTime

__all__ = ["Emulator", "EmulatorConfig", "load_config", "ManualTime"]
