"""Credential checks and the identity HTTP services beyond signup (protocol.md §2.2, §2.3, §3.1).

* :func:`check_login` — the agentVep login body: password, OAuth1 app keys (checked against
  the user's configured keys) or "OAuth2 over OAuth1" (``accessToken == accessTokenSecret ==
  "hint"``, ``appKey``/``secret`` = an OAuth2 client of the account; BAUTH-03).
* ``POST /sentinel/api/account/{acc}/app/token?v=1.0`` and ``/sentinel/api/v2/account/{acc}/app/token``
  (form ``grant_type=client_credentials&client_id&client_secret``, or HTTP Basic) ->
  ``{"access_token", "token_type": "Bearer", "expires_in": 3600}``, a brand bearer (BAUTH-04).
* ``POST /api/account/{acc}/authenticate`` ``{"authCode": <external JWT>}`` -> ``{"jwt"}``: the
  authenticated connector (type 2) whose issuer matches the JWT's ``iss`` (CAUTH-02).
* ``POST /api/account/{acc}/app/{connectorId}/authenticate?v=3.0`` ``{"id_token"}`` -> ``{"token"}``:
  type 2 verifies the external JWT; type 1 takes an unauth token from ``anonymous/authorize``.
* ``POST /api/account/{acc}/anonymous/authorize`` -> ``{"token"}`` (10 min); with
  ``{"id_token": old}`` it refreshes a token up to 24 h after its expiry (CAUTH-04).
* ``GET /api/account/{acc}/configuration/le-connectors/all-connectors`` (no auth; served on
  the CSDS ``acCdnDomain`` host) -> the account's connectors,
  ``[{"id", "type": 1|2, "configJson": {"issuer"}}]`` (:func:`connector_entry`), which the
  SDK reads to pick the connector for CAUTH-02/03. Secrets and keys are never listed.

External JWTs are HS256 (connector ``secret``) or RS256 (connector ``public_key``, needs the
``cryptography`` package). Consumer JWTs issued from an external identity expire with it
[INF], so the consumer socket closes 4401 (authenticated) / 4407 (unauth) at that time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import parse_qs

from .tokens import OAUTH2_TTL_MS, unb64url

if TYPE_CHECKING:
    from .http_api import HttpApi, HttpReply
    from .state import Account, BrandUser

__all__ = ["check_login", "routes", "verify_external_jwt", "ExternalTokenError", "consumer_subject", "connector_entry",
           "UNAUTH_TOKEN_TTL_MS", "UNAUTH_REFRESH_GRACE_MS", "HINT"]

HINT = "hint"
UNAUTH_TOKEN_TTL_MS = 10 * 60 * 1000             # "valid 10 min by default" (§2.3)
UNAUTH_REFRESH_GRACE_MS = 24 * 3600 * 1000       # refresh allowed 24 h after expiry (§2.3)
_UNAUTH_TYPE = "lpweb-unauth"                    # claim marking the emulator's unauth external tokens


class ExternalTokenError(Exception):
    pass


def consumer_subject(issuer: str, subject: str) -> str:
    """[INF] The LP consumer id of an external identity: a stable hash of (iss, sub)."""
    return hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()


def connector_entry(connector: Any) -> dict[str, Any]:
    """[INF] One entry of the connectors list (protocol.md §2.2 leaves the shape undocumented;
    lpweb.auth.consumer reads ``id``, ``type`` and ``configJson.issuer``)."""
    config = {"issuer": connector.issuer} if connector.issuer else {}
    return {"id": connector.id, "type": connector.type, "configJson": config}


# ---- agentVep login ---------------------------------------------------------------------
def check_login(account: "Account", creds: Mapping[str, Any]) -> "BrandUser | None":
    """The user a login body authenticates, or ``None``."""
    if "appKey" in creds:
        keys = {k: creds.get(k) for k in ("appKey", "secret", "accessToken", "accessTokenSecret")}
        if not all(isinstance(v, str) for v in keys.values()):
            return None
        if keys["accessToken"] == HINT or keys["accessTokenSecret"] == HINT:
            if keys["accessToken"] != keys["accessTokenSecret"]:
                return None                         # BAUTH-03: both or neither
            client = account.oauth2_clients.get(keys["appKey"])
            if client is None or not hmac.compare_digest(client[0], keys["secret"]):
                return None
            user = account.users.get(client[1])
            if user is None or creds.get("username") not in (None, "", user.name):
                return None
            return user
        user = account.users.get(str(creds.get("username")))
        if user is None or not any(all(hmac.compare_digest(k[n], keys[n]) for n in keys) for k in user.app_keys):
            return None
        return user
    user = account.users.get(str(creds.get("username")))
    password = creds.get("password")
    if user is None or user.password is None or not isinstance(password, str) \
            or not hmac.compare_digest(password, user.password):
        return None
    return user


# ---- external JWTs ----------------------------------------------------------------------
def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    try:
        head, body, sig = token.strip().split(".")
        header, payload = json.loads(unb64url(head)), json.loads(unb64url(body))
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise ValueError
        return header, payload, f"{head}.{body}".encode("ascii"), unb64url(sig)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ExternalTokenError("malformed JWT") from None


def verify_external_jwt(token: str, connector: Any, now_ms: int) -> dict[str, Any]:
    """The claims of an external JWT signed for ``connector`` (raises :class:`ExternalTokenError`)."""
    header, payload, signing_input, sig = _decode(token)
    if header.get("alg") != connector.alg:
        raise ExternalTokenError(f"alg must be {connector.alg}")
    if connector.alg == "HS256":
        good = hmac.compare_digest(hmac.new(str(connector.secret).encode(), signing_input, hashlib.sha256).digest(), sig)
    else:
        good = _rs256_ok(str(connector.public_key), signing_input, sig)
    if not good:
        raise ExternalTokenError("bad signature")
    if connector.issuer and payload.get("iss") != connector.issuer:
        raise ExternalTokenError("issuer mismatch")
    exp = payload.get("exp")
    if not isinstance(exp, (int, float)) or exp * 1000 <= now_ms:
        raise ExternalTokenError("expired")
    if not isinstance(payload.get("sub"), str) or not payload["sub"]:
        raise ExternalTokenError("no sub")
    return payload


def _rs256_ok(public_key_pem: str, signing_input: bytes, sig: bytes) -> bool:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError as exc:                      # pragma: no cover - depends on the install
        raise ExternalTokenError("RS256 needs the 'cryptography' package") from exc
    key = serialization.load_pem_public_key(public_key_pem.encode())
    try:
        key.verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    except InvalidSignature:
        return False
    return True


# ---- HTTP services ----------------------------------------------------------------------
def routes(api: "HttpApi") -> list[tuple[re.Pattern[str], Callable[..., "HttpReply"]]]:
    from .http_api import json_reply
    platform = api.platform
    tokens = platform.tokens

    def idp_error(status: int, message: str) -> "HttpReply":
        return json_reply(status, {"internalErrorCode": status * 10, "message": message})

    def account_or_none(account_id: str) -> "Account | None":
        return platform.account(account_id)

    def json_body(req: Any) -> dict[str, Any]:
        try:
            data = json.loads(req.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def issue(account_id: str, claims: dict[str, Any], kind: str) -> str:
        ttl = int(claims["exp"] * 1000 - platform.clock())
        return tokens.issue_consumer_jwt(account_id, api.issuer(), consumer_subject(str(claims.get("iss")), claims["sub"]),
                                         ttl_ms=ttl, kind=kind,
                                         extra={"lp.ext": {"sub": claims["sub"], "iss": claims.get("iss")}})

    def sentinel(req: Any, account_id: str) -> "HttpReply":
        account = account_or_none(account_id)
        if account is None:
            return json_reply(401, {"error": "invalid_client"})
        if req.method != "POST":
            return json_reply(405, {"error": "method_not_allowed"})
        form = {k: v[0] for k, v in parse_qs((req.body or b"").decode("utf-8", "replace")).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                pass
        if form.get("grant_type") != "client_credentials":
            return json_reply(400, {"error": "unsupported_grant_type"})
        client = account.oauth2_clients.get(client_id or "")
        if client is None or secret is None or not hmac.compare_digest(client[0], secret) or client[1] not in account.users:
            return json_reply(401, {"error": "invalid_client"})
        session = tokens.issue_oauth2(account_id, client[1])
        return json_reply(200, {"access_token": session.bearer, "token_type": "Bearer",
                                "expires_in": OAUTH2_TTL_MS // 1000})

    def authenticate(req: Any, account_id: str) -> "HttpReply":
        account = account_or_none(account_id)
        if account is None:
            return idp_error(401, "Invalid account")
        code = json_body(req).get("authCode")
        if not isinstance(code, str):
            return idp_error(400, "authCode is required")
        try:
            iss = _decode(code)[1].get("iss")
            connector = next((c for c in account.connectors.values() if c.type == 2 and c.issuer == iss), None)
            if connector is None:
                return idp_error(401, "No authentication connector for this issuer")
            claims = verify_external_jwt(code, connector, platform.clock())
        except ExternalTokenError as exc:
            return idp_error(401, f"Invalid token: {exc}")
        return json_reply(200, {"jwt": issue(account_id, claims, "authenticated")})

    def app_authenticate(req: Any, account_id: str, connector_id: str) -> "HttpReply":
        account = account_or_none(account_id)
        connector = account.connectors.get(connector_id) if account else None
        if connector is None:
            return idp_error(404 if account else 401, "Unknown connector")
        id_token = json_body(req).get("id_token")
        if not isinstance(id_token, str):
            return idp_error(400, "id_token is required")
        if connector.type == 1:
            claims = tokens.read_jwt(id_token)
            if (claims is None or claims.get("typ") != _UNAUTH_TYPE or claims.get("aud") != f"acc:{account_id}"
                    or claims.get("exp", 0) * 1000 <= platform.clock()):
                return idp_error(401, "Invalid unauthenticated token")
            return json_reply(200, {"token": issue(account_id, claims, "unauth")})
        try:
            claims = verify_external_jwt(id_token, connector, platform.clock())
        except ExternalTokenError as exc:
            return idp_error(401, f"Invalid token: {exc}")
        return json_reply(200, {"token": issue(account_id, claims, "authenticated")})

    def anonymous_authorize(req: Any, account_id: str) -> "HttpReply":
        if account_or_none(account_id) is None:
            return idp_error(401, "Invalid account")
        old = json_body(req).get("id_token")
        sub = str(uuid.uuid4())
        if old is not None:
            claims = tokens.read_jwt(old) if isinstance(old, str) else None
            if (claims is None or claims.get("typ") != _UNAUTH_TYPE or claims.get("aud") != f"acc:{account_id}"
                    or claims.get("exp", 0) * 1000 + UNAUTH_REFRESH_GRACE_MS <= platform.clock()):
                return idp_error(401, "The token cannot be refreshed")
            sub = claims["sub"]
        now = platform.clock()
        token = tokens.sign_jwt({"sub": sub, "aud": f"acc:{account_id}", "iss": api.issuer(), "typ": _UNAUTH_TYPE,
                                 "iat": now // 1000, "exp": (now + UNAUTH_TOKEN_TTL_MS) // 1000})
        return json_reply(200, {"token": token})

    def all_connectors(req: Any, account_id: str) -> "HttpReply":
        account = account_or_none(account_id)
        if account is None:
            return json_reply(404, {"error": {"message": "Unknown account"}})
        if req.method not in ("GET", "HEAD"):
            return json_reply(405, {"error": {"message": "Method not allowed"}})
        return json_reply(200, [connector_entry(c) for c in account.connectors.values()])

    return [
        (re.compile(r"^/api/account/([^/]+)/configuration/le-connectors/all-connectors$"), all_connectors),
        (re.compile(r"^/sentinel/api/account/([^/]+)/app/token$"), sentinel),
        (re.compile(r"^/sentinel/api/v2/account/([^/]+)/app/token$"), sentinel),
        (re.compile(r"^/api/account/([^/]+)/authenticate$"), authenticate),
        (re.compile(r"^/api/account/([^/]+)/app/([^/]+)/authenticate$"), app_authenticate),
        (re.compile(r"^/api/account/([^/]+)/anonymous/authorize$"), anonymous_authorize),
    ]
