"""Raw notifications -> typed protocol events (protocol.md §6).

Consumer sockets receive ``ms.MessagingEventNotification`` and
``cqm.ExConversationChangeNotification``; brand sockets receive the raw ``.ams.*`` forms
(``.ams.ms.OnlineEventDistribution`` with a single change, ``.ams.aam.ExConversation…``
with ``participants``/``participantsPId`` maps). :func:`parse_notification` accepts every
variant and returns one of the frozen dataclasses below, always in the consumer-style
shape: participants as ``[{"id": PID, "role": …}]``, messaging changes wrapped with their
``dialogId``. Malformed bodies raise :class:`~lpweb.errors.MalformedFrame`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ..errors import MalformedFrame
from .frames import Notification, one_or_many

__all__ = [
    "MessagingEvents", "ConversationChange", "ConversationChanges", "RoutingTasks",
    "AgentStates", "OtherNotification", "ProtocolNotification", "parse_notification",
    "normalize_participants",
]


@dataclass(frozen=True, slots=True)
class MessagingEvents:
    """Message, accept-status and chat-state events of one dialog."""

    dialog_id: str
    changes: tuple[dict[str, Any], ...]
    raw: Notification


@dataclass(frozen=True, slots=True)
class ConversationChange:
    """One UPSERT or DELETE of a conversation's metadata."""

    type: str
    conversation_id: str
    details: dict[str, Any]
    last_update_time: int = 0


@dataclass(frozen=True, slots=True)
class ConversationChanges:
    subscription_id: str
    changes: tuple[ConversationChange, ...]
    raw: Notification


@dataclass(frozen=True, slots=True)
class RoutingTasks:
    subscription_id: str
    changes: tuple[dict[str, Any], ...]
    raw: Notification


@dataclass(frozen=True, slots=True)
class AgentStates:
    subscription_id: str
    changes: tuple[dict[str, Any], ...]
    raw: Notification


@dataclass(frozen=True, slots=True)
class OtherNotification:
    """A notification type lpweb does not interpret; passed through unchanged."""

    raw: Notification


ProtocolNotification = Union[MessagingEvents, ConversationChanges, RoutingTasks, AgentStates,
                             OtherNotification]

_MESSAGING = {"ms.MessagingEventNotification", ".ams.ms.MessagingEventNotification"}
_ONLINE_EVENT = {".ams.ms.OnlineEventDistribution", "ms.OnlineEventDistribution"}
_CONVERSATIONS = {"cqm.ExConversationChangeNotification", ".ams.aam.ExConversationChangeNotification",
                  "aam.ExConversationChangeNotification", ".ams.cqm.ExConversationChangeNotification"}
_ROUTING = {"routing.RoutingTaskNotification", ".ams.routing.RoutingTaskNotification"}
_AGENT_STATE = {"routing.AgentStateNotification", ".ams.routing.AgentStateNotification"}


def _require_dict(value: Any, what: str, n: Notification) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedFrame(f"{n.type}: {what} is not an object", n.encode())
    return value


def _require_str(obj: dict[str, Any], key: str, n: Notification) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedFrame(f"{n.type}: missing {key}", n.encode())
    return value


def _messaging_change(raw: Any, n: Notification) -> dict[str, Any]:
    change = dict(_require_dict(raw, "change", n))
    if not isinstance(change.get("event"), dict):
        raise MalformedFrame(f"{n.type}: change without an event", n.encode())
    # Brand raw form: originatorId is the old-style id, originatorPId the PID (§6.3).
    pid = change.get("originatorPId")
    if isinstance(pid, str) and pid:
        change.setdefault("originatorOldId", change.get("originatorId"))
        change["originatorId"] = pid
    return change


def normalize_participants(details: dict[str, Any]) -> list[dict[str, Any]]:
    """``participants`` as a list of ``{"id", "role"}`` whatever form the server used.

    The brand raw form has maps role -> [old ids] and role -> [PIDs]; PIDs win where given
    (§6.2). The consumer form already is a list.
    """
    plist = details.get("participants")
    if isinstance(plist, list):
        return [p for p in plist if isinstance(p, dict)]
    by_role = details.get("participantsPId")
    if not isinstance(by_role, dict):
        by_role = plist if isinstance(plist, dict) else {}
    old_ids = plist if isinstance(plist, dict) else {}
    result = []
    for role, ids in by_role.items():
        olds = old_ids.get(role) or []
        for i, pid in enumerate(ids or []):
            entry = {"id": pid, "role": role}
            if i < len(olds) and olds[i] != pid:
                entry["oldId"] = olds[i]
            result.append(entry)
    return result


def _conversation_change(change: Any, n: Notification) -> ConversationChange:
    change = _require_dict(change, "change", n)
    ctype = change.get("type", "UPSERT")
    result = _require_dict(change.get("result"), "change result", n)
    conv_id = _require_str(result, "convId", n)
    details = result.get("conversationDetails")
    details = dict(details) if isinstance(details, dict) else {}
    if details:
        details["participants"] = normalize_participants(details)
        details.pop("participantsPId", None)
    last = result.get("lastUpdateTime", details.get("metaDataLastUpdateTs", 0))
    return ConversationChange(str(ctype), conv_id, details, last if isinstance(last, int) else 0)


def parse_notification(n: Notification) -> ProtocolNotification:
    """Interpret one notification; raises :class:`MalformedFrame` on a malformed body."""
    if n.type in _MESSAGING:
        body = _require_dict(n.body, "body", n)
        changes = one_or_many(body.get("changes"))
        parsed = tuple(_messaging_change(c, n) for c in changes)
        dialog_id = body.get("dialogId")
        if not isinstance(dialog_id, str) or not dialog_id:
            ids = {c.get("dialogId") for c in parsed}
            if len(ids) != 1 or not isinstance(next(iter(ids)), str):
                raise MalformedFrame(f"{n.type}: missing dialogId", n.encode())
            dialog_id = str(next(iter(ids)))
        return MessagingEvents(dialog_id, parsed, n)
    if n.type in _ONLINE_EVENT:
        change = _messaging_change(n.body, n)
        dialog_id = _require_str(change, "dialogId", n)
        return MessagingEvents(dialog_id, (change,), n)
    if n.type in _CONVERSATIONS:
        body = _require_dict(n.body, "body", n)
        conversation_changes = tuple(_conversation_change(c, n) for c in one_or_many(body.get("changes")))
        return ConversationChanges(str(body.get("subscriptionId", "")), conversation_changes, n)
    if n.type in _ROUTING or n.type in _AGENT_STATE:
        body = _require_dict(n.body, "body", n)
        raw_changes = tuple(_require_dict(c, "change", n) for c in one_or_many(body.get("changes")))
        cls = RoutingTasks if n.type in _ROUTING else AgentStates
        return cls(str(body.get("subscriptionId", "")), raw_changes, n)
    return OtherNotification(n)
