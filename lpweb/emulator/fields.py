"""``cm.UpdateConversationField`` entries (protocol.md §5.6): each field object is checked
first and turned into a closure that applies it, so a request with one bad field changes
nothing that could have been checked in advance.

Supported: ``ConversationStateField``/``Stage`` CLOSE, ``DialogChange`` UPDATE state CLOSE
(closing MAIN opens the skill's post-survey dialog, see :mod:`.survey`; closing the last
open dialog closes the conversation), ``ParticipantsChange`` ADD/REMOVE/SUGGEST (brand only;
``userId`` old id, default the caller; joins checked against the user's permissions and
skills, ``state.JOIN_ROLES``), ``Skill`` UPDATE (transfer to skill), ``TTRField``,
``CSATRate``. Routing reacts to the result (re-queue, rings) in :mod:`.routing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .replies import Reject
from .state import AGENT_ROLES, JOIN_ROLES, Conversation

if TYPE_CHECKING:
    from .engine import Session

__all__ = ["Reject", "field_action"]


def field_action(session: "Session", conv: Conversation, f: Any) -> Callable[[], str]:
    """Validate one ``conversationField`` entry and return the change to apply (it returns
    the response text). Raises :class:`Reject` (or ``PlatformError``) for a bad entry."""
    if not isinstance(f, dict):
        raise Reject(400, "conversationField entries must be objects")
    name = f.get("field")
    if conv.stage == "CLOSE" and name != "CSATRate":
        raise Reject(400, "The conversation is closed")
    actor = session.actor_role()
    if name in ("ConversationStateField", "Stage"):
        if f.get("conversationState") != "CLOSE":
            raise Reject(400, "Only conversationState CLOSE is supported")
        return lambda: (session.platform.close_conversation(conv, actor), "OK Conversation resolved successfully")[1]
    if name == "DialogChange":
        dialog_body = f.get("dialog")
        if f.get("type", "UPDATE") != "UPDATE" or not isinstance(dialog_body, dict):
            raise Reject(400, "Only DialogChange UPDATE with a dialog is supported")
        dialog = conv.dialog(str(dialog_body.get("dialogId") or conv.conversation_id))
        if dialog is None:
            raise Reject(404, "Dialog not found")
        if dialog_body.get("state") != "CLOSE":
            raise Reject(400, "Only dialog state CLOSE is supported")
        closed_by = dialog_body.get("closedBy")
        closed_by = closed_by if closed_by in ("CONSUMER", "AGENT", "SYSTEM") else actor
        cause = dialog_body.get("closedCause")
        cause = cause if isinstance(cause, str) else None
        return lambda: (session.platform.close_dialog(conv, dialog, closed_by, cause),
                        "OK Conversation resolved successfully")[1]
    if name == "ParticipantsChange":
        return _participants_action(session, conv, f)
    if name == "Skill":
        session.require_brand()
        skill = f.get("skill", f.get("skillId"))
        if skill in (None, ""):
            raise Reject(400, "skill is required")

        def transfer() -> str:
            session.platform.accounts[conv.account_id].skill(str(skill))
            session.platform.update(conv, skill_id=str(skill))
            return "OK Skill updated successfully"
        return transfer
    if name == "TTRField":
        ttr_type, value = f.get("ttrType"), f.get("value", 0)
        if ttr_type not in ("CUSTOM", "NORMAL", "PRIORITIZED", "URGENT") or not isinstance(value, int):
            raise Reject(400, "Bad TTRField")
        return lambda: (session.platform.update(conv, ttr={"ttrType": ttr_type, "value": value}),
                        "OK TTR updated successfully")[1]
    if name == "CSATRate":
        csat = {k: v for k, v in f.items()}
        return lambda: (session.platform.update(conv, csat=csat), "OK CSAT updated successfully")[1]
    raise Reject(400, f"Unsupported conversation field {name!r}"[:128])

def _participants_action(session: "Session", conv: Conversation, f: dict[str, Any]) -> Callable[[], str]:
    me = session.require_brand()
    change, role = f.get("type"), f.get("role")
    if change not in ("ADD", "REMOVE", "SUGGEST"):
        raise Reject(400, f"ParticipantsChange {change!r} is not supported by the emulator")
    if role not in AGENT_ROLES:
        raise Reject(400, f"Bad participant role {role!r}")
    user_id = f.get("userId")
    user = me if user_id in (None, "") else session.platform.accounts[session.account_id].user_by_id(str(user_id))
    if user is None:
        raise Reject(400, f"Unknown user {user_id}")
    platform = session.platform
    if change == "SUGGEST":
        if role != "ASSIGNED_AGENT":
            raise Reject(400, "SUGGEST is for role ASSIGNED_AGENT")
        if not conv.find(me.pid) and "MANAGER" not in me.permissions:
            raise Reject(403, "Only participants or managers may transfer the conversation")
        if not any(role in JOIN_ROLES.get(p, ()) for p in user.permissions):
            raise Reject(403, f"{user.old_id} may not be an assigned agent")
        return lambda: (platform.add_participant(conv, user, role, "SUGGESTED"), "OK Agent suggested successfully")[1]
    if change == "ADD":
        if user is not me and "MANAGER" not in me.permissions:
            raise Reject(403, "Adding another user needs MANAGER permission")
        if not user.can_join(role, conv.skill_id):
            raise Reject(403, f"{user.old_id} may not join skill {conv.skill_id} as {role}"[:128])
        return lambda: (platform.add_participant(conv, user, role), "OK Agent added successfully")[1]
    if not conv.find(user.pid, role):
        raise Reject(400, f"No {role} {user.old_id} in the conversation")
    return lambda: (platform.remove_participant(conv, user.pid, role), "OK Agent removed successfully")[1]
