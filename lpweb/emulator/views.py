"""JSON renderings of the platform model for notifications and responses (protocol.md §6).

* :func:`consumer_details` / :func:`brand_details`: ``conversationDetails`` of an
  ExConversationChangeNotification, consumer form (participants as ``[{"id": PID, "role"}]``,
  §6.1) and brand raw form (``participants`` role -> [old ids], ``participantsPId`` role ->
  [PIDs], agents' old ids in ``participantsDetails``, §6.2).
* :func:`consumer_change` / :func:`brand_change`: one messaging event, as a
  ``ms.MessagingEventNotification`` change (``originatorId`` = PID) or as the body of a brand
  ``.ams.ms.OnlineEventDistribution`` (``originatorId`` = old id, ``originatorPId`` = PID).
"""

from __future__ import annotations

from typing import Any

from .state import PARTICIPANT_ROLES, Conversation, Dialog, EventRecord, Participant

__all__ = ["consumer_details", "brand_details", "consumer_change", "brand_change", "conversation_change"]


def _dialog(dialog: Dialog, participants: list[Participant], brand: bool) -> dict[str, Any]:
    """One dialog; [INF] every dialog lists every conversation participant."""
    out: dict[str, Any] = {
        "dialogId": dialog.dialog_id,
        "participantsDetails": [{"id": p.old_id if brand else p.id, "role": p.role, "state": p.state}
                                for p in participants],
        "dialogType": dialog.dialog_type,
        "channelType": dialog.channel_type,
        "state": dialog.state,
        "creationTs": dialog.creation_ts,
        "metaDataLastUpdateTs": dialog.meta_ts,
    }
    if dialog.end_ts is not None:
        out["endTs"] = dialog.end_ts
    if dialog.closed_by is not None:
        out["closedBy"] = dialog.closed_by
        out["closedCause"] = dialog.closed_cause
    return out


def _visible(conv: Conversation, suggested: bool) -> list[Participant]:
    """SUGGESTED agents appear only on v=2.1 brand sockets (protocol.md §4.2, §6.2)."""
    return [p for p in conv.participants if suggested or p.state != "SUGGESTED"]


def _common(conv: Conversation, brand: bool, suggested: bool = False) -> dict[str, Any]:
    details: dict[str, Any] = {
        "skillId": conv.skill_id,
        "dialogs": [_dialog(d, _visible(conv, suggested), brand) for d in conv.dialogs],
        "brandId": conv.account_id,
        "state": conv.state,
        "stage": conv.stage,
        "startTs": conv.start_ts,
        "endTs": conv.end_ts or 0,
        "metaDataLastUpdateTs": conv.meta_ts,
        "ttr": dict(conv.ttr),
        "manualETTR": 0,
    }
    if conv.close_reason is not None:
        details["closeReason"] = conv.close_reason
    if conv.csat is not None:
        details["csat"] = dict(conv.csat)
    return details


def consumer_details(conv: Conversation) -> dict[str, Any]:
    details = _common(conv, brand=False)
    details["participants"] = [{"id": p.id, "role": p.role} for p in _visible(conv, False)]
    return details


def brand_details(conv: Conversation, suggested: bool = True) -> dict[str, Any]:
    details = _common(conv, brand=True, suggested=suggested)
    details["convId"] = conv.conversation_id
    shown = _visible(conv, suggested)
    details["participants"] = {r: [p.old_id for p in shown if p.role == r]
                               for r in PARTICIPANT_ROLES if any(p.role == r for p in shown)}
    details["participantsPId"] = {r: [p.id for p in conv.participants if p.role == r and p.state != "SUGGESTED"]
                                  for r in PARTICIPANT_ROLES if any(p.role == r for p in conv.participants)}
    details["firstConversation"] = False
    details["csatRate"] = 0
    details["conversationHandlerDetails"] = {"accountId": conv.account_id, "skillId": conv.skill_id}
    if conv.context is not None:
        details["context"] = dict(conv.context)
    return details


def conversation_change(conv: Conversation, change_type: str, brand: bool, suggested: bool = True) -> dict[str, Any]:
    """One entry of ``changes`` (UPSERT or DELETE; DELETE also carries the details).
    ``suggested``: include SUGGESTED agents (v=2.1 sockets)."""
    return {"type": change_type, "result": {
        "convId": conv.conversation_id,
        "effectiveTTR": -1,
        "conversationDetails": brand_details(conv, suggested) if brand else consumer_details(conv),
        "lastUpdateTime": conv.meta_ts,
    }}


def _base_change(record: EventRecord) -> dict[str, Any]:
    change: dict[str, Any] = {}
    if record.sequence is not None:       # chat states carry neither (protocol.md §6.3)
        change["sequence"] = record.sequence
    return change


def _tail(change: dict[str, Any], record: EventRecord) -> dict[str, Any]:
    if record.sequence is not None:
        change["serverTimestamp"] = record.server_timestamp
    change["event"] = record.event
    change["conversationId"] = record.conversation_id
    change["dialogId"] = record.dialog_id
    if record.metadata is not None:
        change["metadata"] = record.metadata
    change["messageAudience"] = record.message_audience
    return change


def consumer_change(record: EventRecord) -> dict[str, Any]:
    o = record.originator
    change = _base_change(record)
    change["originatorId"] = o.id
    change["originatorMetadata"] = {"id": o.id, "role": o.role}
    if record.client_properties:
        change["originatorClientProperties"] = record.client_properties
        change["originatorMetadata"]["clientProperties"] = record.client_properties
    return _tail(change, record)


def brand_change(record: EventRecord) -> dict[str, Any]:
    o = record.originator
    change = _base_change(record)
    change["originatorId"] = o.old_id
    change["originatorPId"] = o.id
    change["originatorMetadata"] = {"id": o.id, "role": o.role}
    if record.client_properties:
        change["originatorClientProperties"] = record.client_properties
    return _tail(change, record)
