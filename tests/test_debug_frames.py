"""Logging: everything under the ``lpweb`` logger; ``debug_frames`` / ``LPWEB_DEBUG_FRAMES``
log every websocket frame at DEBUG with secrets masked."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import lpweb
from lpweb.debug import mask
from lpweb.testing import ScriptedAgent, ScriptedChat, seed_user

PACKAGE = Path(lpweb.__file__).resolve().parent


def test_every_logger_is_under_lpweb():
    """No module logs outside the ``lpweb`` hierarchy (``getLogger(__name__)`` is lpweb.*)."""
    for path in PACKAGE.rglob("*.py"):
        for name in re.findall(r"getLogger\(([^)]*)\)", path.read_text(encoding="utf-8")):
            assert name == "__name__" or re.fullmatch(r"['\"]lpweb(\.[\w.]+)?['\"]", name), (path, name)


def test_mask_hides_secrets_in_bodies_headers_urls():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    frame = ('{"kind":"req","type":"InitConnection","body":{"jwt":"%s","password":"pw1"},'
             '"headers":[{"type":"x","authorization":"Bearer abc"},{"type":"y","note":"%s"}]}' % (jwt, jwt))
    masked = mask(frame)
    for secret in (jwt, "pw1", "Bearer abc", "c2lnbmF0dXJl"):
        assert secret not in masked
    assert "InitConnection" in masked
    assert "s3cr3t" not in mask("wss://h/ws_api/account/1/messaging/brand/s3cr3t?v=3")
    assert "t0k" not in mask("https://h/x?token=t0k&a=1")


async def test_debug_run_logs_frames_without_secrets(emulator, caplog, monkeypatch):
    """A consumer (LPWEB_DEBUG_FRAMES=1) and a brand connection (debug_frames=True) talk; the
    DEBUG log has their frames in and out, and none of the JWT, the bearer or the password."""
    caplog.set_level(logging.DEBUG, logger="lpweb")
    credentials = seed_user(emulator, password="hunter2-password")
    agent = await ScriptedAgent.start(emulator, credentials, replies={"hi": "hello"},
                                      options={"debug_frames": True})
    monkeypatch.setenv("LPWEB_DEBUG_FRAMES", "1")
    chat = await ScriptedChat.start(emulator)
    assert (await chat.say("hi")).body == "hello"
    secrets = [await chat.connection.get_token(), await agent.connection.get_token(), credentials.password]
    await chat.stop()
    await agent.stop()
    frames = [r.getMessage() for r in caplog.records if r.name == "lpweb.frames"]
    assert any(f.startswith("-> ") and '"hi"' in f for f in frames)
    assert any(f.startswith("<- ") and '"hello"' in f for f in frames)
    text = caplog.text
    for secret in secrets:
        assert secret and secret not in text


async def test_no_frames_logged_by_default(emulator, caplog, monkeypatch):
    monkeypatch.delenv("LPWEB_DEBUG_FRAMES", raising=False)
    caplog.set_level(logging.DEBUG, logger="lpweb")
    chat = await ScriptedChat.start(emulator)
    await chat.stop()
    assert not [r for r in caplog.records if r.name == "lpweb.frames"]
