"""Transport selection: the browser transport under Pyodide, the native one elsewhere.

``default_transport()`` and ``default_token_store()`` decide by ``sys.platform`` at call
time (design.md L9); every connection also takes ``transport=`` and ``token_store=`` to
override them. Implementations are imported lazily, so ``import lpweb`` needs neither
``websockets``/``httpx`` nor ``js``.
"""

from __future__ import annotations

import sys

from .base import HttpResponse, MemoryTokenStore, TokenStore, Transport, TransportClosed, WebSocket

__all__ = ["default_transport", "default_token_store", "in_browser", "HttpResponse", "MemoryTokenStore",
           "TokenStore", "Transport", "TransportClosed", "WebSocket"]


def in_browser() -> bool:
    return sys.platform == "emscripten"


def default_transport() -> Transport:
    if in_browser():
        from .browser import BrowserTransport

        return BrowserTransport()
    from .native import NativeTransport

    return NativeTransport()


def default_token_store() -> TokenStore:
    """``localStorage`` in the browser, process memory natively."""
    if in_browser():
        from .browser import LocalStorageTokenStore

        return LocalStorageTokenStore()
    return MemoryTokenStore()
