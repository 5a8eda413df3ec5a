"""Priority 6: ``tls=(cert, key)`` / ``--tls CERT KEY`` serve HTTPS and WSS; ``--advertise``."""

from __future__ import annotations

import datetime
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
import websockets

from lpweb.emulator import Emulator
from lpweb.emulator.__main__ import parse_args

from conftest import WsClient


def self_signed(tmp: Path) -> tuple[str, str]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
    except ImportError:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        return str(cert), str(key)
    import ipaddress
    pkey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pkey.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
                   .sign(pkey, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(pkey.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    return str(cert), str(key)


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
