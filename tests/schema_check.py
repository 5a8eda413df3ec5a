"""Validate websocket frames against LivePerson's published JSON schemas (shared/schemas).

Importable by any test (``from schema_check import check_frame``; tests/emulator/conftest.py
puts this folder on ``sys.path``). The schema folder is ``<repo>/../shared/schemas`` or the
``LPWEB_SCHEMAS`` environment variable. Loading follows shared/schemas/README.md: draft-04,
relative refs, a case-insensitive fallback for the two wrong-case refs, and the types
``any``/``Long`` accepted.

``check_frame(frame, side)`` picks the branch of ``ws/{consumer,agent}{Requests,Responses,
Notifications}.json`` whose declared type (``enum`` or ``default``) equals the frame's type
(requests: after :func:`lpweb.protocol.requests.canonical_type`, which strips ``.ams.``;
responses: after stripping ``.ams.``) and validates the frame against that branch alone. It
returns a :class:`Check` (``validated`` true, or false with the reason it is unchecked) and
raises :class:`FrameInvalid` when the frame fails its schema.

Unchecked on purpose (:data:`UNCHECKED` and :func:`_unchecked_reason`):

* frames whose type has no branch (e.g. consumer ``GetClock``/``KeepAlive`` and their
  responses, ``.GetClock$Response``);
* raw brand notifications ``.ams.ms.OnlineEventDistribution``,
  ``.ams.aam.ExConversationChangeNotification``, ``.ams.routing.*`` (no published schema);
* every response on a brand connection (no brand response schemas are published);
* frames carrying a ``RichContentEvent`` (README defect 1).

Tolerated defects: README 2 (``preview: any``), 3 (wrong-case refs), 4 (``Long``) via the
loader; and, where protocol.md documents traffic the schema enums or requirements lack, the
frame is adjusted on a copy before validation (:func:`_tolerate`): participant roles
``AGENT``/``CONTROLLER``/``READER``/``BRAND_BOT`` (§8) in ExConversation participants and in
``ParticipantsChange``; chat-state changes without ``sequence``/``serverTimestamp`` (§6.3);
chat state ``BACKGROUND`` and accept status ``ACTION`` (§5.2); ``GetUserProfile`` bodies that
are an object such as ``{}`` (§5.9; the schema wants the consumer id string); client-property
``features`` ``QUICK_REPLIES``/``MULTI_DIALOG``/``FILE_SHARING`` (§4.4, used "in practice");
``DialogChange`` conversation fields (§5.6, PCS tutorial; absent from the consumer schema,
checked as a ``ConversationStateField`` CLOSE); availability ``OCCUPIED`` (§5.8, SDK docs) in
SetAgentState and AgentStateNotification; survey ``Question``/``Answer`` metadata (§6.3,
§8; not in ``infra/metadata/Metadata.json``, dropped before validation).

Raw brand routing notifications (``.ams.routing.RoutingTaskNotification``,
``.ams.routing.AgentStateNotification``) are validated against the ``routing.routingTaskNotification``
/ ``routing.agentStateNotification`` branches of ``ws/agentNotifications.json`` (:data:`BRAND_NOTIFICATION_ALIASES`);
the schema's undeclared-but-required ``routingTaskId`` is simply present.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from jsonschema import Draft4Validator, validators
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.jsonschema import DRAFT4

from lpweb.protocol.requests import canonical_type

__all__ = ["SCHEMA_DIR", "Check", "FrameInvalid", "check_frame", "validator_for", "UNCHECKED", "schemas_available"]

SCHEMA_DIR = Path(os.environ.get("LPWEB_SCHEMAS") or
                  Path(__file__).resolve().parents[1].parent / "shared" / "schemas").resolve()
BASE = SCHEMA_DIR.as_uri() + "/"

# Types with no published schema, with the reason.
UNCHECKED = {
    ".ams.ms.OnlineEventDistribution": "raw brand messaging notification: no published schema",
    "ms.OnlineEventDistribution": "raw brand messaging notification: no published schema",
    ".ams.aam.ExConversationChangeNotification": "raw brand conversation notification: no published schema",
    "GetClock": "consumer GetClock: not in ws/consumerRequests.json",
    ".GetClock$Response": "GetClock response: no published schema",
}

_ENTRIES = {
    ("consumer", "req"): "ws/consumerRequests.json",
    ("consumer", "resp"): "ws/consumerResponses.json",
    ("consumer", "notification"): "ws/consumerNotifications.json",
    ("brand", "req"): "ws/agentRequests.json",
    ("brand", "resp"): "ws/agentResponses.json",
    ("brand", "notification"): "ws/agentNotifications.json",
}
# Brand notification spellings validated under the schema's (lower-case) name.
BRAND_NOTIFICATION_ALIASES = {
    ".ams.routing.RoutingTaskNotification": "routing.routingTaskNotification",
    "routing.RoutingTaskNotification": "routing.routingTaskNotification",
    ".ams.routing.AgentStateNotification": "routing.agentStateNotification",
    "routing.AgentStateNotification": "routing.agentStateNotification",
}
_SURVEY_METADATA = {"Question", "Answer"}
_ENVELOPES = {"infra/req.json", "infra/resp.json", "infra/notification.json"}
_EXTRA_ROLES = {"AGENT", "CONTROLLER", "READER", "BRAND_BOT"}
_EXTRA_FEATURES = {"QUICK_REPLIES", "MULTI_DIALOG", "FILE_SHARING"}


class FrameInvalid(AssertionError):
    """A frame failed the schema branch of its type."""


@dataclass(frozen=True)
class Check:
    validated: bool
    frame_type: str
    schema: str | None = None        # "<entry>#/<anyOf|oneOf>/<i>"
    reason: str | None = None        # why it was not validated


def schemas_available() -> bool:
    return (SCHEMA_DIR / "ws" / "consumerRequests.json").is_file()


def _retrieve(uri: str):
    path = SCHEMA_DIR / uri[len(BASE):]
    if not path.exists():   # README defect 3: two refs in ws/agentRequests.json have the wrong case
        path = next(p for p in path.parent.iterdir() if p.name.lower() == path.name.lower())
    return DRAFT4.create_resource(json.loads(path.read_text(encoding="utf-8")))


_checker = Draft4Validator.TYPE_CHECKER.redefine_many({
    "any": lambda c, i: True,                                                   # README defect 2
    "Long": lambda c, i: Draft4Validator.TYPE_CHECKER.is_type(i, "integer")})   # README defect 4
LPValidator = validators.extend(Draft4Validator, type_checker=_checker)


@lru_cache(maxsize=None)
def _registry() -> Registry:
    return Registry(retrieve=_retrieve)


@lru_cache(maxsize=None)
def validator_for(ref: str):
    """A validator for ``ref`` relative to the schema folder (``ws/x.json#/anyOf/2`` allowed)."""
    return LPValidator({"$ref": BASE + ref}, registry=_registry())


def _load(rel: str) -> Any:
    return _retrieve(BASE + rel).contents


def _declared_types(schema: Any, rel_dir: str) -> set[str]:
    """The type names a branch declares (``enum``/``default`` of ``properties.type``)."""
    found: set[str] = set()
    if not isinstance(schema, dict):
        return found
    prop = schema.get("properties", {}).get("type")
    if isinstance(prop, dict):
        found.update(v for v in prop.get("enum", []) if isinstance(v, str))
        if isinstance(prop.get("default"), str):
            found.add(prop["default"])
    for sub in schema.get("allOf", []):
        found |= _declared_types(sub, rel_dir)
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = os.path.normpath(os.path.join(rel_dir, ref)).replace(os.sep, "/")
        if target not in _ENVELOPES:
            found |= _declared_types(_load(target), os.path.dirname(target))
    return found


@lru_cache(maxsize=None)
def _branches(entry: str) -> tuple[tuple[str, frozenset[str]], ...]:
    root = _load(entry)
    key = "oneOf" if "oneOf" in root else "anyOf"
    rel_dir = os.path.dirname(entry)
    return tuple((f"{entry}#/{key}/{i}", frozenset(_declared_types(b, rel_dir)))
                 for i, b in enumerate(root[key]))


def _events(frame: dict[str, Any]) -> list[dict[str, Any]]:
    body = frame.get("body")
    out = []
    if isinstance(body, dict):
        if isinstance(body.get("event"), dict):
            out.append(body["event"])
        for change in body.get("changes") or []:
            if isinstance(change, dict) and isinstance(change.get("event"), dict):
                out.append(change["event"])
    return out


def _tolerate(frame: dict[str, Any]) -> dict[str, Any]:
    """A copy with documented-but-unpublished values replaced by schema-valid ones."""
    frame = copy.deepcopy(frame)
    body = frame.get("body")
    if canonical_type(str(frame.get("type", ""))) == "up.GetUserProfile" and isinstance(body, dict):
        frame["body"] = str(body.get("userId", ""))
    for header in frame.get("headers") or []:
        if isinstance(header, dict) and isinstance(header.get("features"), list):
            header["features"] = [f for f in header["features"] if f not in _EXTRA_FEATURES]
    if not isinstance(body, dict):
        return frame
    if body.get("availability") == "OCCUPIED":
        body["availability"] = "AWAY"
    if isinstance(frame.get("metadata"), list):
        frame["metadata"] = [m for m in frame["metadata"] if not (isinstance(m, dict) and m.get("type") in _SURVEY_METADATA)]
    fields = body.get("conversationField")
    if isinstance(fields, dict):
        fields = body["conversationField"] = [fields]
    for i, field in enumerate(fields if isinstance(fields, list) else []):
        if isinstance(field, dict) and field.get("role") in _EXTRA_ROLES:
            field["role"] = "MANAGER"
        if isinstance(field, dict) and field.get("field") == "DialogChange":
            fields[i] = {"field": "ConversationStateField", "conversationState": "CLOSE"}
    for change in body.get("changes") or []:
        if not isinstance(change, dict):
            continue
        if isinstance(change.get("metadata"), list):
            change["metadata"] = [m for m in change["metadata"]
                                  if not (isinstance(m, dict) and m.get("type") in _SURVEY_METADATA)]
        event = change.get("event")
        if isinstance(event, dict) and event.get("type") == "ChatStateEvent":
            change.setdefault("sequence", 0)
            change.setdefault("serverTimestamp", 0)
        if isinstance(change.get("result"), dict) and change["result"].get("availability") == "OCCUPIED":
            change["result"]["availability"] = "AWAY"
        details = (change.get("result") or {}).get("conversationDetails") if isinstance(change.get("result"), dict) else None
        if isinstance(details, dict) and isinstance(details.get("participants"), list):
            for p in details["participants"]:
                if isinstance(p, dict) and p.get("role") in _EXTRA_ROLES:
                    p["role"] = "MANAGER"
    for event in _events(frame):
        if event.get("type") == "ChatStateEvent" and event.get("chatState") == "BACKGROUND":
            event["chatState"] = "INACTIVE"
        if event.get("type") == "AcceptStatusEvent" and event.get("status") == "ACTION":
            event["status"] = "ACCEPT"
    return frame


def _unchecked_reason(frame: dict[str, Any], side: str, kind: str) -> str | None:
    ftype = str(frame.get("type", ""))
    if ftype in UNCHECKED:
        return UNCHECKED[ftype]
    if side == "brand" and kind == "resp":
        return "brand response: no published schema"
    if any(e.get("type") == "RichContentEvent" for e in _events(frame)):
        return "RichContentEvent: the published RichContent schema is stale (README defect 1)"
    return None


def check_frame(frame: dict[str, Any] | str, side: str | None = None) -> Check:
    """Validate one frame; ``side`` is ``"consumer"`` or ``"brand"`` (guessed from ``.ams.`` if None)."""
    if isinstance(frame, str):
        frame = json.loads(frame)
    kind = frame.get("kind", "req")
    ftype = str(frame.get("type", ""))
    if side is None:
        side = "brand" if ftype.startswith(".ams.") else "consumer"
    if (side, kind) not in _ENTRIES:
        return Check(False, ftype, reason=f"unknown side/kind {side}/{kind}")
    reason = _unchecked_reason(frame, side, kind)
    if reason:
        return Check(False, ftype, reason=reason)
    if kind == "req":
        wanted = canonical_type(ftype)
    elif kind == "resp":
        wanted = ftype.removeprefix(".ams.")
    else:
        wanted = BRAND_NOTIFICATION_ALIASES.get(ftype, ftype) if side == "brand" else ftype
    entry = _ENTRIES[(side, kind)]
    branch = next((ref for ref, types in _branches(entry) if wanted in {t.removeprefix(".ams.") for t in types}), None)
    if branch is None:
        return Check(False, ftype, reason=f"no branch of {entry} declares type {wanted!r}")
    instance = _tolerate(frame)
    instance["type"] = wanted          # brand spellings are validated under their short name
    errors = list(validator_for(branch).iter_errors(instance))
    if errors:
        err = best_match(errors)
        where = "/".join(str(p) for p in err.absolute_path) or "<root>"
        raise FrameInvalid(f"{ftype} ({side} {kind}) fails {branch} at {where}: {err.message}\n"
                           f"frame: {json.dumps(frame)[:2000]}")
    return Check(True, ftype, schema=branch)


def trace_frames(records: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(side, frame)`` for each websocket frame of emulator trace records ``(connection, payload)``.

    A websocket's opening record (a dict with ``websocket``) names its side from its path;
    records of other connections (HTTP) are skipped.
    """
    sides: dict[str, str] = {}
    for conn, payload in records:
        if isinstance(payload, dict):
            if payload.get("websocket"):
                sides[conn] = "brand" if "/messaging/brand/" in payload["path"] else "consumer"
        elif conn in sides:
            yield sides[conn], json.loads(payload)
