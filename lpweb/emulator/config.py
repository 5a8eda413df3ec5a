"""Emulator configuration: accounts, skills, brand users, OAuth clients, auth connectors.

A configuration is a TOML or JSON file (``--config FILE``) or a dict / :class:`EmulatorConfig`
(``Emulator(config=...)``). Keys are snake_case; the OAuth1 key names also accept
LivePerson's spelling (``appKey``, ``accessToken``, ``accessTokenSecret``)::

    ring_expiration_ms = 72000            # default for every account

    [[accounts]]
    id = "1234567"
    ring_expiration_ms = 5000             # optional, per account

    [[accounts.skills]]
    id = "10"
    name = "Sales"
    survey = true                         # or a list of {question = "...", answers = ["..."]}
    off_hours = false                     # or: schedule = {days = [0,1,2,3,4], open = "09:00", close = "17:00", utc_offset_minutes = 0}

    [[accounts.users]]
    name = "ann"
    password = "pw"
    permissions = ["AGENT"]               # AGENT, MANAGER, BOT (see state.JOIN_ROLES)
    skills = ["10"]                       # omitted: every skill
    app_keys = [{appKey = "k", secret = "s", accessToken = "t", accessTokenSecret = "ts"}]

    [[accounts.oauth2_clients]]
    client_id = "cid"
    client_secret = "csecret"
    user = "ann"

    [[accounts.connectors]]
    id = "2"
    type = 2                              # 1 = unauthenticated (ACR0), 2 = authenticated
    issuer = "https://brand.example"
    alg = "HS256"                         # or RS256 with public_key = "-----BEGIN PUBLIC KEY-----..."
    secret = "shared-secret"

``--user NAME:PASSWORD`` adds a user with MANAGER permission on every skill (:func:`cli_user`).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["EmulatorConfig", "AccountConfig", "SkillConfig", "UserConfig", "OAuth2ClientConfig",
           "ConnectorConfig", "ConfigError", "load_config", "parse_config", "as_config", "cli_user",
           "DEFAULT_RING_EXPIRATION_MS", "DEFAULT_SURVEY"]

DEFAULT_RING_EXPIRATION_MS = 72_000          # protocol.md §6.4 example / §9
# [INF] the questions of a skill configured with ``survey = true``.
DEFAULT_SURVEY: tuple[dict[str, Any], ...] = (
    {"question": "How would you rate the service you received?", "answers": ["1", "2", "3", "4", "5"]},
    {"question": "Was your issue resolved?", "answers": ["Yes", "No"]},
)


class ConfigError(ValueError):
    """A configuration that cannot be used (the message names the bad key)."""


@dataclass
class SkillConfig:
    id: str
    name: str = ""
    off_hours: bool = False
    schedule: dict[str, Any] | None = None
    survey: list[dict[str, Any]] | None = None     # None: no post-conversation survey


@dataclass
class UserConfig:
    name: str
    password: str | None = None
    permissions: tuple[str, ...] = ("MANAGER",)
    skills: frozenset[str] | None = None           # None: every skill
    app_keys: list[dict[str, str]] = field(default_factory=list)


@dataclass
class OAuth2ClientConfig:
    client_id: str
    client_secret: str
    user: str


@dataclass
class ConnectorConfig:
    id: str
    type: int                                      # 1 unauth (ACR0), 2 authenticated
    issuer: str | None = None
    alg: str = "HS256"
    secret: str | None = None
    public_key: str | None = None


@dataclass
class AccountConfig:
    id: str
    skills: list[SkillConfig] = field(default_factory=list)
    users: list[UserConfig] = field(default_factory=list)
    oauth2_clients: list[OAuth2ClientConfig] = field(default_factory=list)
    connectors: list[ConnectorConfig] = field(default_factory=list)
    ring_expiration_ms: int = DEFAULT_RING_EXPIRATION_MS


@dataclass
class EmulatorConfig:
    accounts: list[AccountConfig] = field(default_factory=list)


def _pick(d: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in d:
            return d[name]
    return default


def _str(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f"{where} must be a string")
    return str(value)


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list")
    return value


def _survey(value: Any, where: str) -> list[dict[str, Any]] | None:
    if value in (None, False):
        return None
    if value is True:
        return [dict(q) for q in DEFAULT_SURVEY]
    questions = []
    for i, q in enumerate(_list(value, where)):
        if not isinstance(q, dict) or not isinstance(q.get("question"), str):
            raise ConfigError(f"{where}[{i}] needs a question")
        questions.append({"question": q["question"], "answers": [str(a) for a in _list(q.get("answers"), where)]})
    return questions


def _skill(d: Any, where: str) -> SkillConfig:
    if not isinstance(d, dict) or "id" not in d:
        raise ConfigError(f"{where} needs an id")
    sid = _str(d["id"], f"{where}.id")
    schedule = d.get("schedule")
    if schedule is not None and not isinstance(schedule, dict):
        raise ConfigError(f"{where}.schedule must be a table")
    return SkillConfig(sid, str(d.get("name", sid)), bool(_pick(d, "off_hours", "offHours", default=False)),
                       schedule, _survey(_pick(d, "survey", "post_survey", "postSurvey"), f"{where}.survey"))


_APP_KEY_FIELDS = (("appKey", "app_key"), ("secret",), ("accessToken", "access_token"),
                   ("accessTokenSecret", "access_token_secret"))


def _user(d: Any, where: str) -> UserConfig:
    if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not d["name"]:
        raise ConfigError(f"{where} needs a name")
    keys = []
    for i, k in enumerate(_list(_pick(d, "app_keys", "appKeys"), f"{where}.app_keys")):
        if not isinstance(k, dict):
            raise ConfigError(f"{where}.app_keys[{i}] must be a table")
        entry = {names[0]: _pick(k, *names) for names in _APP_KEY_FIELDS}
        if not all(isinstance(v, str) and v for v in entry.values()):
            raise ConfigError(f"{where}.app_keys[{i}] needs appKey, secret, accessToken, accessTokenSecret")
        keys.append(entry)
    password = d.get("password")
    if password is not None and not isinstance(password, str):
        raise ConfigError(f"{where}.password must be a string")
    perms = _pick(d, "permissions", "roles", default=["MANAGER"])
    skills = d.get("skills")
    return UserConfig(d["name"], password, tuple(str(p).upper() for p in _list(perms, f"{where}.permissions")),
                      None if skills is None else frozenset(_str(s, f"{where}.skills") for s in _list(skills, where)),
                      keys)


def _account(d: Any, where: str, ring_default: int) -> AccountConfig:
    if not isinstance(d, dict) or "id" not in d:
        raise ConfigError(f"{where} needs an id")
    acc = AccountConfig(_str(d["id"], f"{where}.id"))
    acc.ring_expiration_ms = int(_pick(d, "ring_expiration_ms", "ringExpirationMs", default=ring_default))
    acc.skills = [_skill(s, f"{where}.skills[{i}]") for i, s in enumerate(_list(d.get("skills"), where))]
    acc.users = [_user(u, f"{where}.users[{i}]") for i, u in enumerate(_list(d.get("users"), where))]
    for i, c in enumerate(_list(_pick(d, "oauth2_clients", "oauth2Clients"), where)):
        w = f"{where}.oauth2_clients[{i}]"
        if not isinstance(c, dict):
            raise ConfigError(f"{w} must be a table")
        acc.oauth2_clients.append(OAuth2ClientConfig(_str(_pick(c, "client_id", "clientId"), f"{w}.client_id"),
                                                     _str(_pick(c, "client_secret", "clientSecret"), f"{w}.client_secret"),
                                                     _str(c.get("user"), f"{w}.user")))
    for i, c in enumerate(_list(d.get("connectors"), where)):
        w = f"{where}.connectors[{i}]"
        if not isinstance(c, dict) or c.get("type") not in (1, 2):
            raise ConfigError(f"{w} needs type 1 or 2")
        alg = str(c.get("alg", "HS256")).upper()
        if alg not in ("HS256", "RS256"):
            raise ConfigError(f"{w}.alg must be HS256 or RS256")
        conn = ConnectorConfig(_str(c.get("id"), f"{w}.id"), c["type"], c.get("issuer"), alg, c.get("secret"),
                               _pick(c, "public_key", "publicKey"))
        if conn.type == 2 and (not conn.issuer or not (conn.secret if alg == "HS256" else conn.public_key)):
            raise ConfigError(f"{w}: an authenticated connector needs an issuer and a {'secret' if alg == 'HS256' else 'public_key'}")
        acc.connectors.append(conn)
    return acc


def parse_config(data: Mapping[str, Any]) -> EmulatorConfig:
    if not isinstance(data, Mapping):
        raise ConfigError("the configuration must be a table/object")
    ring = int(_pick(data, "ring_expiration_ms", "ringExpirationMs", default=DEFAULT_RING_EXPIRATION_MS))
    return EmulatorConfig([_account(a, f"accounts[{i}]", ring) for i, a in enumerate(_list(data.get("accounts"), "accounts"))])


def load_config(path: str | Path) -> EmulatorConfig:
    """Read a ``.toml`` or ``.json`` file (by extension; other names: TOML, then JSON)."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        return parse_config(json.loads(text))
    try:
        return parse_config(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        if str(path).endswith(".toml"):
            raise
        return parse_config(json.loads(text))


def as_config(config: "EmulatorConfig | Mapping[str, Any] | str | Path | None") -> EmulatorConfig | None:
    if config is None or isinstance(config, EmulatorConfig):
        return config
    if isinstance(config, (str, Path)):
        return load_config(config)
    return parse_config(config)


def cli_user(spec: str) -> UserConfig:
    """``NAME:PASSWORD`` -> a user with MANAGER permission on every skill."""
    name, _, password = spec.partition(":")
    if not name or not _:
        raise ConfigError(f"--user {spec!r}: use NAME:PASSWORD")
    return UserConfig(name, password, ("MANAGER",), None)
