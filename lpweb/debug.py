"""Frame logging for debugging: every websocket frame in and out, secrets masked.

Turn it on per connection with ``create_connection(..., debug_frames=True)`` or for the
whole process with the environment variable ``LPWEB_DEBUG_FRAMES=1``; frames are logged at
DEBUG on the ``lpweb.frames`` logger (a child of ``lpweb``), so logging must let DEBUG
through too::

    logging.basicConfig(level=logging.DEBUG)     # or: logging.getLogger("lpweb").setLevel(logging.DEBUG)

Each frame goes through :func:`lpweb.errors.redact` (secret keys such as ``jwt``,
``token``, ``password``, ``authorization`` in bodies and headers; tokens in URLs) and any
remaining JWT-shaped string is masked too, so logs can be shared.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

from .errors import redact

__all__ = ["frames_enabled", "mask", "FrameLogger", "log"]

log = logging.getLogger("lpweb.frames")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def frames_enabled(options: Any = None) -> bool:
    """Whether frame logging is on for a connection with these options."""
    if getattr(options, "debug_frames", False):
        return True
    return os.environ.get("LPWEB_DEBUG_FRAMES", "").strip().lower() not in ("", "0", "false", "no")


def mask(value: Any) -> str:
    """``value`` (a frame's text, a URL, a dict of headers) as a string with secrets masked."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            text = str(redact(value))
        else:
            text = json.dumps(redact(parsed), ensure_ascii=False) if isinstance(parsed, (dict, list)) \
                else str(redact(value))
    else:
        text = json.dumps(redact(value), ensure_ascii=False, default=str)
    return _JWT.sub("eyJ***", text)


class FrameLogger:
    """A websocket wrapper that logs each frame (masked) and delegates everything else."""

    def __init__(self, ws: Any, url: str = "", headers: Any = None) -> None:
        self._ws = ws
        self._url = mask(url)
        log.debug("websocket open %s headers %s", self._url, mask(dict(headers or {})))

    async def send(self, text: str) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("-> %s", mask(text))
        await self._ws.send(text)

    async def receive(self) -> str:
        text: str = await self._ws.receive()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("<- %s", mask(text))
        return text

    async def close(self, code: int = 1000, reason: str = "") -> None:
        log.debug("websocket close %s (%s %s)", self._url, code, reason)
        await self._ws.close(code, reason)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)
