"""The command line entry point and the schema checker itself."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest

from schema_check import FrameInvalid, check_frame, schemas_available

ROOT = Path(__file__).resolve().parents[2]


async def test_cli_prints_one_ready_line_and_stops_on_sigterm(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lpweb.emulator", "--port", "0", "--account", "777", "--user", "ann:pw",
        "--trace", str(trace), cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert m and "777" in line, line
        async with httpx.AsyncClient(base_url=m.group(0)) as http:
            r = await http.post("/api/account/777/login", json={"username": "ann", "password": "pw"})
            assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 10)
    assert rc == 0
    assert (await proc.stdout.read()) == b""                      # exactly one line
    assert '"direction": "in"' in trace.read_text()


@pytest.mark.skipif(not schemas_available(), reason="shared/schemas not found")
def test_schema_check_catches_bad_frames() -> None:
    ok = check_frame({"kind": "req", "id": "1", "type": "ms.PublishEvent",
                      "body": {"dialogId": "d", "event": {"type": "ContentEvent", "contentType": "text/plain", "message": "x"}}})
    assert ok.validated
    with pytest.raises(FrameInvalid):
        check_frame({"kind": "req", "id": "1", "type": "ms.PublishEvent", "body": {"event": {}}})
    with pytest.raises(FrameInvalid):
        check_frame({"kind": "notification", "type": "ms.MessagingEventNotification",
                     "body": {"changes": [{"event": {"type": "ContentEvent", "contentType": "text/plain", "message": "x"}}]}})
    assert not check_frame({"kind": "notification", "type": ".ams.ms.OnlineEventDistribution", "body": {}}, "brand").validated
    assert not check_frame({"kind": "req", "id": "1", "type": "GetClock"}, "consumer").validated
    assert check_frame({"kind": "req", "id": "1", "type": ".GetClock"}, "brand").validated
    rich = {"kind": "req", "id": "1", "type": "ms.PublishEvent",
            "body": {"dialogId": "d", "event": {"type": "RichContentEvent", "content": {"type": "vertical", "elements": []}}}}
    assert "RichContent" in (check_frame(rich).reason or "")
