"""Domain discovery (CSDS) and the URLs of every service (protocol.md §1).

Nothing but the CSDS host is configured: ``csds_domain`` (default
``adminlogin.liveperson.net``, node-agent-sdk's ``csdsDomain``). Every other host comes
from the CSDS answer (``host`` or ``host:port``, no scheme). Real hosts are reached over
``https``/``wss``; loopback hosts (the local emulator) over plain ``http``/``ws`` unless
the CSDS domain itself was given as ``https://…``, so one switch covers a TLS emulator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from .errors import HttpError, ProtocolError, UsageError
from .transports.base import Transport

__all__ = ["DEFAULT_CSDS_DOMAIN", "Endpoints", "discover", "is_loopback"]

DEFAULT_CSDS_DOMAIN = "adminlogin.liveperson.net"
_LOOPBACK_NAMES = {"localhost", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.lower()
    return name in _LOOPBACK_NAMES or name.startswith("127.") or name.startswith("[::1]")


# What urllib.parse.quote(s, safe="") leaves alone. Quoting here keeps urllib.parse (and the
# ipaddress module it imports) off the browser's start-up path: ~0.1 s of imports in Pyodide.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def quote_segment(text: str) -> str:
    """Percent-encode ``text`` for one URL path segment (= ``urllib.parse.quote(text, safe="")``)."""
    return "".join(c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in text)


def _split_domain(domain: str) -> tuple[bool | None, str]:
    """``("https://h:1")`` -> ``(True, "h:1")``; a bare host gives ``(None, host)``."""
    if "://" in domain:
        from urllib.parse import urlsplit

        parts = urlsplit(domain)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"csds_domain {domain!r}: use a host[:port] or an http(s):// URL")
        return parts.scheme == "https", parts.netloc
    if not domain or "/" in domain:
        raise UsageError(f"csds_domain {domain!r}: use a host[:port] or an http(s):// URL")
    return None, domain


@dataclass(frozen=True)
class Endpoints:
    """Service name -> ``host[:port]``, plus the URL rules."""

    account_id: str
    services: Mapping[str, str]
    secure_loopback: bool = False

    def host(self, service: str) -> str:
        try:
            return self.services[service]
        except KeyError:
            raise ProtocolError(f"CSDS did not list the service {service!r} for this account") from None

    def _secure(self, host: str) -> bool:
        return self.secure_loopback if is_loopback(host) else True

    def http_url(self, service: str, path: str) -> str:
        host = self.host(service)
        return f"{'https' if self._secure(host) else 'http'}://{host}{path}"

    def ws_url(self, service: str, path: str) -> str:
        host = self.host(service)
        return f"{'wss' if self._secure(host) else 'ws'}://{host}{path}"

    def first(self, *services: str) -> str:
        """The first of ``services`` that CSDS lists (e.g. ``facadeMsg`` then ``asyncMessagingEnt``)."""
        for service in services:
            if service in self.services:
                return service
        raise ProtocolError(f"CSDS lists none of {services}")


async def discover(transport: Transport, csds_domain: str, account_id: str) -> Endpoints:
    """Ask CSDS for every service of ``account_id`` (the all-services form, §1.1)."""
    explicit, host = _split_domain(csds_domain)
    secure = explicit if explicit is not None else not is_loopback(host)
    url = (f"{'https' if secure else 'http'}://{host}/api/account/{quote_segment(account_id)}"
           f"/service/baseURI.json?version=1.0")
    resp = await transport.http("GET", url, headers={"Accept": "application/json"})
    if resp.status != 200:
        raise HttpError(resp.status, url, resp.text[:200])
    try:
        data = resp.json()
        services = {e["service"]: e["baseURI"] for e in data["baseURIs"]
                    if isinstance(e, dict) and isinstance(e.get("baseURI"), str)}
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise ProtocolError(f"CSDS answered an unexpected body from {url}") from None
    return Endpoints(account_id, services, secure_loopback=bool(explicit))
