"""``create_connection`` options: names, defaults, validation (features.md §2).

Options are keyword arguments in snake_case; a single dict with the JS camelCase keys is
accepted too, so JS snippets carry over. ``csds_domain`` defaults to the environment
variable ``LPWEB_CSDS_DOMAIN`` when set (for example ``127.0.0.1:8081`` to run unchanged
code against the local emulator), else to ``adminlogin.liveperson.net``. Unknown names, wrong types and conflicting
credentials raise :class:`~lpweb.errors.UsageError` saying what to change. Nothing here
does I/O.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from .endpoints import DEFAULT_CSDS_DOMAIN
from .enums import UserType
from .errors import UsageError

__all__ = ["ConnectionOptions", "parse_options"]

_APP_ID = re.compile(r"^[a-z0-9\-_.]+$", re.IGNORECASE)
_STRICT_APP_ID = re.compile(r"^[a-z\-_.]+$")


@dataclass
class ConnectionOptions:
    app_id: str
    account_id: str
    user_type: UserType
    app_version: str | None = None
    csds_domain: str = field(default_factory=lambda: os.environ.get("LPWEB_CSDS_DOMAIN") or DEFAULT_CSDS_DOMAIN)
    token: str | None = field(default=None, repr=False)
    jwt: str | None = field(default=None, repr=False)
    use_authenticated_connection: bool = False
    use_unauthenticated_connection: bool = False
    client_properties: dict[str, Any] | None = None
    auth_data: dict[str, Any] | None = field(default=None, repr=False)
    auth_agent_session_data: dict[str, Any] | None = field(default=None, repr=False)
    token_maintainer: Any = None
    wait_for_ready: bool = False
    create_default_subscription: bool = True
    default_subscription_query: dict[str, Any] | None = None
    get_all_messages: bool = False
    response_timeout: int = 10_000
    ring_conversation_timeout: int = 2000
    set_agent_offline_on_disconnect: bool = False
    unsubscribe_from_outdated_conversations_on_reconnect: bool = True
    #: MNT-01: reconnect by itself after an unexpected close ('reconnecting' / 'reconnected').
    auto_reconnect: bool = True
    #: MNT-01: the schedule, an :class:`lpweb.protocol.policy.ReconnectPolicy` (None: the default
    #: 5 s, 10 s, 15 s, then x2 up to 8 min, +-20 % jitter, forever).
    reconnect_policy: Any = None
    combined_conversation_handling: dict[str, Any] | None = None
    connection_type: Any = None
    transport: Any = None
    token_store: Any = None
    debug_frames: bool = False

    @property
    def is_brand(self) -> bool:
        return self.user_type == UserType.BRAND

    @property
    def token_store_key(self) -> str:
        return f"lpweb:{self.account_id}:{self.app_id}:consumer-jwt"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


_FIELDS = {f.name for f in fields(ConnectionOptions)}
_ALIASES = {"csds": "csds_domain", "csdsDomain": "csds_domain"}


def parse_options(options: Mapping[str, Any] | None = None, **kwargs: Any) -> ConnectionOptions:
    merged: dict[str, Any] = {}
    for source in (options or {}, kwargs):
        for key, value in source.items():
            name = _ALIASES.get(key) or (key if key in _FIELDS else _snake(key))
            if name not in _FIELDS:
                raise UsageError(f"unknown option {key!r} for create_connection")
            merged[name] = value
    for required in ("app_id", "account_id", "user_type"):
        if merged.get(required) in (None, ""):
            raise UsageError(f"create_connection needs {required}=")
    try:
        merged["user_type"] = UserType(merged["user_type"])
    except ValueError:
        raise UsageError("user_type must be UserType.CONSUMER or UserType.BRAND") from None
    app_id = merged["app_id"]
    if not isinstance(app_id, str) or not _APP_ID.match(app_id):
        raise UsageError("app_id may contain only letters a-z, digits and '-', '_', '.'")
    if not _STRICT_APP_ID.match(app_id):
        warnings.warn(f"app_id {app_id!r}: LivePerson asks for a-z and '-_.' only", stacklevel=3)
    if not isinstance(merged["account_id"], (str, int)):
        raise UsageError("account_id must be a string such as '12345678'")
    merged["account_id"] = str(merged["account_id"])
    for name in ("response_timeout", "ring_conversation_timeout"):
        if name in merged:
            merged[name] = _milliseconds(name, merged[name])
    opts = ConnectionOptions(**merged)
    _check_credentials(opts)
    return opts


def _milliseconds(name: str, value: Any) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise UsageError(f"{name} must be a whole number of milliseconds (digits 0-9 only), got {value!r}")
    milliseconds = int(value)
    if milliseconds <= 0:
        raise UsageError(f"{name} must be greater than 0 ms")
    return milliseconds


def _check_credentials(opts: ConnectionOptions) -> None:
    if opts.is_brand:
        sources = [n for n in ("auth_data", "auth_agent_session_data", "token_maintainer") if getattr(opts, n)]
        if opts.auth_data and opts.auth_agent_session_data and not (
                isinstance(opts.auth_data, dict) and opts.auth_data.get("oauth2")):
            # With OAuth2 credentials the conflict is emitted on 'error' at open() (BAUTH-08).
            raise UsageError("give either auth_data or auth_agent_session_data, not both (BAUTH-07)")
        if opts.token_maintainer is not None and (opts.auth_data or opts.auth_agent_session_data):
            raise UsageError("token_maintainer already holds the credentials; remove auth_data / "
                             "auth_agent_session_data")
        for name in ("auth_data", "auth_agent_session_data"):
            if getattr(opts, name) is not None and not isinstance(getattr(opts, name), dict):
                raise UsageError(f"{name} must be a dict")
        if not sources:
            raise UsageError("a brand connection needs auth_data, auth_agent_session_data or token_maintainer")
        for consumer_only in ("token", "jwt", "client_properties"):
            if getattr(opts, consumer_only) is not None:
                raise UsageError(f"{consumer_only} is a consumer option; remove it for UserType.BRAND")
    else:
        for brand_only in ("auth_data", "auth_agent_session_data", "token_maintainer"):
            if getattr(opts, brand_only) is not None:
                raise UsageError(f"{brand_only} is a brand option; remove it for UserType.CONSUMER")
        if opts.use_authenticated_connection and not opts.jwt:
            raise UsageError("use_authenticated_connection=True needs jwt=")
        if opts.use_authenticated_connection and opts.use_unauthenticated_connection:
            raise UsageError("choose use_authenticated_connection or use_unauthenticated_connection, not both")
    if opts.default_subscription_query is not None:
        if not isinstance(opts.default_subscription_query, dict):
            raise UsageError("default_subscription_query must be a dict")
        if "skillId" in opts.default_subscription_query:
            raise UsageError("skillId is not supported in subscription queries (SUB-18)")
