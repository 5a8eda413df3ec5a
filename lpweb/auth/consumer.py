"""Consumer identity (protocol.md §2): anonymous signup, connector-based authentication
(authenticated and unauthenticated connectors) at the IdP, and JWT inspection.

The LP consumer JWT is opaque to the SDK except for its ``sub`` claim, which is the
consumer id (the ``originatorId`` of the consumer's own messages). :func:`jwt_claims`
decodes the payload without verifying it: verification is the server's job.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..endpoints import Endpoints
from ..errors import AuthError, HttpError, ProtocolError
from ..transports.base import Transport

__all__ = ["anonymous_signup", "authenticate_with_connector", "unauth_external_token", "find_connector",
           "jwt_claims", "jwt_subject", "AUTHENTICATED_CONNECTOR", "UNAUTHENTICATED_CONNECTOR"]

#: Connector types (seeds/004 AuthType): 1 = unauthenticated (ACR0), 2 = authenticated.
UNAUTHENTICATED_CONNECTOR = 1
AUTHENTICATED_CONNECTOR = 2
_JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def _token_from(resp: Any, key: str, what: str) -> str:
    try:
        token = resp.json()[key]
    except (ValueError, KeyError, TypeError):
        raise ProtocolError(f"{what} answered no {key!r}") from None
    if not isinstance(token, str) or not token:
        raise ProtocolError(f"{what} answered an empty {key!r}")
    return token


async def anonymous_signup(transport: Transport, endpoints: Endpoints) -> str:
    """``POST https://{idp}/api/account/{acc}/signup`` -> the LP JWT (§2.1)."""
    url = endpoints.http_url("idp", f"/api/account/{endpoints.account_id}/signup")
    resp = await transport.http("POST", url, headers={"Accept": "application/json"})
    if resp.status in (401, 403):
        raise AuthError(f"the IdP refused the anonymous signup (HTTP {resp.status})")
    if resp.status != 200:
        raise HttpError(resp.status, url, resp.text[:200])
    try:
        jwt = resp.json()["jwt"]
    except (ValueError, KeyError, TypeError):
        raise ProtocolError("the IdP signup answer has no 'jwt'") from None
    if not isinstance(jwt, str) or not jwt:
        raise ProtocolError("the IdP signup answer has an empty 'jwt'")
    return jwt


async def authenticate_with_connector(transport: Transport, endpoints: Endpoints, connector_id: str,
                                      id_token: str) -> str:
    """Exchange an external JWT for an LP consumer JWT through a connector (§2.2, v3.0)."""
    url = endpoints.http_url("idp", f"/api/account/{endpoints.account_id}/app/{connector_id}/authenticate?v=3.0")
    resp = await transport.http("POST", url, headers=_JSON, body=json.dumps({"id_token": id_token}).encode())
    if resp.status in (400, 401, 403):
        raise AuthError(f"the IdP refused the consumer JWT (HTTP {resp.status})")
    if resp.status != 200:
        raise HttpError(resp.status, url, None)
    return _token_from(resp, "token", "the IdP authenticate call")


async def unauth_external_token(transport: Transport, endpoints: Endpoints, previous: str | None = None) -> str:
    """An external token for un-auth messaging (§2.3); ``previous`` refreshes an old one."""
    url = endpoints.http_url("idp", f"/api/account/{endpoints.account_id}/anonymous/authorize")
    body = json.dumps({"id_token": previous}).encode() if previous else None
    resp = await transport.http("POST", url, headers=_JSON, body=body)
    if resp.status in (401, 403):
        raise AuthError(f"the IdP refused un-auth messaging (HTTP {resp.status}); is an unauth connector set up?")
    if resp.status != 200:
        raise HttpError(resp.status, url, None)
    return _token_from(resp, "token", "the IdP anonymous/authorize call")


def _connector_fields(entry: Any) -> tuple[str, int, str]:
    """[INF] (id, type, issuer) of one entry of the connectors list, whose shape is not
    documented (protocol.md §2.2): ``{"id", "type", "configJson": {"issuer"}}``, with
    ``configuration`` accepted for ``configJson`` and a JSON string for either."""
    config = entry.get("configJson", entry.get("configuration")) or {}
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            config = {}
    issuer = config.get("issuer", "") if isinstance(config, dict) else ""
    return str(entry.get("id", "")), int(entry.get("type", 0) or 0), str(issuer or "")


async def find_connector(transport: Transport, endpoints: Endpoints, connector_type: int,
                         issuer: str | None = None) -> str:
    """The id of the account's connector of ``connector_type`` (matching ``issuer`` when
    given), from ``GET https://{acCdnDomain}/api/account/{acc}/configuration/le-connectors/all-connectors``."""
    url = endpoints.http_url("acCdnDomain",
                             f"/api/account/{endpoints.account_id}/configuration/le-connectors/all-connectors")
    resp = await transport.http("GET", url, headers={"Accept": "application/json"})
    if resp.status != 200:
        raise HttpError(resp.status, url, None)
    try:
        data = resp.json()
        entries = data if isinstance(data, list) else data.get("connectors", [])
        connectors = [_connector_fields(e) for e in entries if isinstance(e, dict)]
    except (ValueError, TypeError, AttributeError):
        raise ProtocolError("the connectors list has an unexpected shape") from None
    candidates = [c for c in connectors if c[1] == connector_type]
    if issuer is not None:
        matching = [c for c in candidates if c[2] == issuer]
        candidates = matching or (candidates if len(candidates) == 1 else [])
    if not candidates:
        kind = "authenticated" if connector_type == AUTHENTICATED_CONNECTOR else "unauthenticated"
        raise AuthError(f"the account has no {kind} connector" + (f" for issuer {issuer!r}" if issuer else ""))
    return candidates[0][0]


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) payload of a JWT; raises :class:`AuthError` if it is not one."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError):
        raise AuthError("the consumer token is not a JWT") from None
    if not isinstance(claims, dict):
        raise AuthError("the consumer token is not a JWT")
    return claims


def jwt_subject(token: str) -> str:
    sub = jwt_claims(token).get("sub")
    if not isinstance(sub, str) or not sub:
        raise AuthError("the consumer token has no 'sub' claim")
    return sub
