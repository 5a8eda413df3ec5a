"""Priority 6: ``tls=(cert, key)`` / ``--tls CERT KEY`` serve HTTPS and WSS; ``--advertise``."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import websockets

from lpweb.emulator import Emulator
from lpweb.emulator.__main__ import parse_args

from conftest import WsClient
from helpers import self_signed


async def test_tls_https_and_wss(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    client_ctx = ssl.create_default_context(cafile=cert)
    async with Emulator(tls=(cert, key)) as emu:
        assert emu.url.startswith("https://")
        async with httpx.AsyncClient(base_url=emu.url, verify=client_ctx) as http:
            jwt = (await http.post(f"/api/account/{emu.account_id}/signup")).json()["jwt"]
            r = await http.get(f"/api/account/{emu.account_id}/service/baseURI.json")
            assert r.json()["baseURIs"][0]["baseURI"] == emu.csds_domain
        ws = WsClient(await websockets.connect(f"wss://{emu.csds_domain}/ws_api/account/{emu.account_id}/messaging/consumer?v=3",
                                               additional_headers={"Authorization": f"jwt {jwt}"}, ssl=client_ctx))
        assert (await ws.request("GetClock"))["code"] == 200
        await ws.close()


def test_cli_tls_and_advertise_flags(tmp_path: Path) -> None:
    args = parse_args(["--tls", "c.pem", "k.pem", "--advertise", "emu.example:443", "--seed", "5"])
    assert args.tls == ["c.pem", "k.pem"] and args.advertise == "emu.example:443" and args.seed == 5
    with pytest.raises(SystemExit):
        parse_args(["--tls", "only-one"])
