"""Consumer identity (protocol.md §2): anonymous signup at the IdP and JWT inspection.

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

__all__ = ["anonymous_signup", "jwt_claims", "jwt_subject"]


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
