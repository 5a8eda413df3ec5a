"""``InProcessEmulator``: the emulator's platform and engine without a server.

It implements :class:`lpweb.transports.memory.MemoryServer`, so SDK connections given
``transport=emu.transport()`` talk to it through plain function calls: fast,
deterministic tests of the SDK against the same engine the network emulator runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import HttpError
from ..transports.memory import MemoryTransport
from . import engine
from .config import EmulatorConfig, as_config
from .http_api import HttpApi
from .state import Platform, PlatformHost
from .timeutil import Scheduler

__all__ = ["InProcessEmulator"]


class InProcessEmulator(PlatformHost):
    csds_domain = "127.0.0.1:1"

    def __init__(self, account_id: str | None = None, users: dict[str, str] | None = None, *,
                 config: "EmulatorConfig | Mapping[str, Any] | str | Path | None" = None,
                 clock: Callable[[], int] | None = None, scheduler: Scheduler | None = None,
                 seed: int | None = None) -> None:
        self.platform = Platform(account_id, users, clock=clock, scheduler=scheduler, config=as_config(config),
                                 seed=seed)
        self.platform.advertised = self.csds_domain
        self.http_api = HttpApi(self.platform)
        self._count = 0

    def transport(self, *, websocket_headers: bool = True) -> MemoryTransport:
        """A transport for one SDK connection; ``websocket_headers=False`` acts like a browser."""
        return MemoryTransport(self, websocket_headers=websocket_headers)

    def handle_http(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                    body: bytes) -> tuple[int, dict[str, str], bytes]:
        reply = self.http_api.handle(method, path, query, headers, body)
        return reply.status, dict(reply.headers), reply.body

    def open_session(self, path: str, query: dict[str, str], headers: dict[str, str],
                     send: Callable[[str], None], close: Callable[[int, str], None]) -> engine.Session:
        self._count += 1
        result = engine.connect(self.platform, path, query, headers, send, close, f"mem-{self._count}")
        if isinstance(result, engine.HandshakeRejected):
            raise HttpError(result.status, path, result.reason)
        return result
