"""Test helpers for the emulator tests: external JWTs (HS256 / RS256), a configured emulator,
a self-signed certificate for TLS tests."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import subprocess
from pathlib import Path
from typing import Any


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(claims: dict[str, Any], secret: str) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())


def rsa_pair() -> tuple[Any, str]:
    """A private key and its PEM public key (needs ``cryptography``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, pem


def rs256(claims: dict[str, Any], key: Any) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(key.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256()))


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


ACC = "5550001"
CONFIG: dict[str, Any] = {
    "ring_expiration_ms": 10_000,
    "accounts": [{
        "id": ACC,
        "skills": [{"id": "10", "name": "Sales"}, {"id": "20", "name": "Support", "survey": True},
                   {"id": "30", "name": "Night", "off_hours": True}],
        "users": [
            {"name": "a1", "password": "p1", "permissions": ["AGENT"], "skills": ["10", "20"]},
            {"name": "a2", "password": "p2", "permissions": ["AGENT"], "skills": ["10"]},
            {"name": "a3", "password": "p3", "permissions": ["AGENT"], "skills": ["20"]},
            {"name": "boss", "password": "pb", "permissions": ["MANAGER"]},
            {"name": "appbot", "permissions": ["BOT"],
             "app_keys": [{"appKey": "k1", "secret": "s1", "accessToken": "t1", "accessTokenSecret": "ts1"}]},
        ],
        "oauth2_clients": [{"client_id": "cid", "client_secret": "csecret", "user": "appbot"}],
        "connectors": [{"id": "1", "type": 1},
                       {"id": "2", "type": 2, "issuer": "https://brand.example", "alg": "HS256", "secret": "brand-secret"}],
    }, {"id": "6660002", "users": [{"name": "other", "password": "po"}]}],
}
