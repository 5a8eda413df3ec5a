"""Pure OAuth2 brand login: sentinel client credentials (BAUTH-04, OPT-07).

``auth_data={"oauth2": {"username", "client_id", "client_secret"}}`` is exchanged at
``POST https://{sentinel}/sentinel/api/account/{acc}/app/token?v=1.0`` (form
``grant_type=client_credentials``) for an access token that is used as the brand bearer.
Such a token lives 60 minutes and cannot be refreshed, so the token maintainer fetches a
new one every 30 minutes (:data:`OAUTH2_RENEW_INTERVAL`). The resulting
:class:`~lpweb.auth.agent.AgentSession` has ``kind == "oauth2"`` and no csrf/session id.
Nothing here logs or formats the secret or the token.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlencode

from ..endpoints import Endpoints
from ..errors import AuthError, HttpError, ProtocolError, UsageError
from ..transports.base import Transport
from .agent import AgentSession

__all__ = ["OAUTH2_RENEW_INTERVAL", "oauth2_credentials", "fetch_token", "token_url"]

OAUTH2_RENEW_INTERVAL = 1800.0      # seconds: a new token every 30 minutes (BAUTH-04)


def oauth2_credentials(auth_data: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The ``oauth2`` part of ``auth_data`` (JS keys or camelCase aliases), checked, or ``None``
    when ``auth_data`` holds no OAuth2 credentials. Raises :class:`UsageError` when it is
    incomplete."""
    if not auth_data:
        return None
    raw = auth_data.get("oauth2")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise UsageError("auth_data['oauth2'] must be a dict {'username', 'client_id', 'client_secret'}")
    creds = {"username": raw.get("username") or raw.get("user_name") or "",
             "client_id": raw.get("client_id") or raw.get("clientId"),
             "client_secret": raw.get("client_secret") or raw.get("clientSecret")}
    missing = [k for k in ("client_id", "client_secret") if not isinstance(creds[k], str) or not creds[k]]
    if missing:
        raise UsageError(f"auth_data['oauth2'] also needs: {', '.join(missing)}")
    return creds  # type: ignore[return-value]


def token_url(endpoints: Endpoints) -> str:
    return endpoints.http_url("sentinel", f"/sentinel/api/account/{endpoints.account_id}/app/token?v=1.0")


async def fetch_token(transport: Transport, endpoints: Endpoints, creds: Mapping[str, str]) -> AgentSession:
    """Client-credentials grant. Raises :class:`AuthError` when the client is refused,
    :class:`HttpError` for other statuses and :class:`ProtocolError` for an unexpected body."""
    url = token_url(endpoints)
    body = urlencode({"grant_type": "client_credentials", "client_id": creds["client_id"],
                      "client_secret": creds["client_secret"]}).encode()
    resp = await transport.http("POST", url, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                      "Accept": "application/json"}, body=body)
    if resp.status in (400, 401, 403):
        raise AuthError(f"sentinel refused the OAuth2 client credentials (HTTP {resp.status})")
    if resp.status != 200:
        raise HttpError(resp.status, url, None)
    try:
        data = resp.json()
        token = data["access_token"]
    except (ValueError, KeyError, TypeError):
        raise ProtocolError("sentinel answered an unexpected body") from None
    if not isinstance(token, str) or not token:
        raise ProtocolError("sentinel answered no access_token")
    return AgentSession(bearer=token, account_id=endpoints.account_id, kind="oauth2")
