"""Request type names and body builders for the consumer and brand APIs (protocol.md §4.7, §5).

The consumer API uses short names (``ms.PublishEvent``); brand connections send the
``.ams.``-qualified names that LivePerson's own agent SDKs send. :class:`Api` picks the
spelling for one side; the emulator accepts both (:func:`canonical_type` maps every
spelling to its short name).

The builders return plain dicts in LivePerson's JSON spelling; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RequestName", "Api", "CONSUMER_API", "BRAND_API", "canonical_type",
           "text_event", "publish_body", "subscribe_conversations_body", "close_conversation_field",
           "close_dialog_field", "join_field", "client_properties_header", "auth_header",
           "as_metadata_list"]


@dataclass(frozen=True, slots=True)
class RequestName:
    consumer: str
    brand: str


GET_CLOCK = RequestName("GetClock", ".GetClock")
INIT_CONNECTION = RequestName("InitConnection", "InitConnection")
CONSUMER_REQUEST_CONVERSATION = RequestName("cm.ConsumerRequestConversation", ".ams.cm.ConsumerRequestConversation")
AGENT_REQUEST_CONVERSATION = RequestName("cm.AgentRequestConversation", ".ams.cm.AgentRequestConversation")
UPDATE_CONVERSATION_FIELD = RequestName("cm.UpdateConversationField", ".ams.cm.UpdateConversationField")
PUBLISH_EVENT = RequestName("ms.PublishEvent", ".ams.ms.PublishEvent")
SUBSCRIBE_MESSAGING_EVENTS = RequestName("ms.SubscribeMessagingEvents", ".ams.ms.SubscribeMessagingEvents")
QUERY_MESSAGES = RequestName("ms.QueryMessages", ".ams.ms.QueryMessages")
SUBSCRIBE_EX_CONVERSATIONS = RequestName("cqm.SubscribeExConversations", ".ams.aam.SubscribeExConversations")
UNSUBSCRIBE_EX_CONVERSATIONS = RequestName("cqm.UnsubscribeExConversations", ".ams.aam.UnsubscribeExConversations")
GENERATE_UPLOAD_URL = RequestName("ms.GenerateURLForUploadFile", ".ams.ms.GenerateURLForUploadFile")
GENERATE_DOWNLOAD_URL = RequestName("ms.GenerateURLForDownloadFile", ".ams.ms.GenerateURLForDownloadFile")
SET_USER_PROFILE = RequestName("userprofile.SetUserProfile", ".ams.userprofile.SetUserProfile")
GET_USER_PROFILE = RequestName("up.GetUserProfile", ".ams.userprofile.GetUserProfile")
#: [INF] consumer step-up takeover (protocol.md §2.6: undocumented); body
#: ``{"conversationId", "previousConsumerJwt"}``. Isolated here and in the emulator's
#: ``consumer_api.take_over`` so it can be corrected in one place.
TAKEOVER_CONVERSATION = RequestName("cm.TakeoverConversation", ".ams.cm.TakeoverConversation")
SET_AGENT_STATE = RequestName("routing.SetAgentState", ".ams.routing.SetAgentState")
SUBSCRIBE_ROUTING_TASKS = RequestName("routing.SubscribeRoutingTasks", ".ams.routing.SubscribeRoutingTasks")
UPDATE_RING_STATE = RequestName("routing.UpdateRingState", ".ams.routing.UpdateRingState")
SUBSCRIBE_AGENTS_STATE = RequestName("routing.SubscribeAgentsState", ".ams.routing.SubscribeAgentsState")


class Api:
    """The request spellings of one side (consumer or brand)."""

    def __init__(self, brand: bool) -> None:
        self.brand = brand

    def __call__(self, name: RequestName) -> str:
        return name.brand if self.brand else name.consumer


CONSUMER_API = Api(brand=False)
BRAND_API = Api(brand=True)

_ALIASES = {"aam.SubscribeExConversations": "cqm.SubscribeExConversations",
            "aam.UnsubscribeExConversations": "cqm.UnsubscribeExConversations",
            "userprofile.GetUserProfile": "up.GetUserProfile"}


def canonical_type(wire_type: str) -> str:
    """The short name of a request type in any spelling: ``.ams.aam.SubscribeExConversations``
    and ``cqm.SubscribeExConversations`` both give ``cqm.SubscribeExConversations``."""
    short = wire_type.removeprefix(".ams.").removeprefix(".")
    return _ALIASES.get(short, short)


def as_metadata_list(metadata: Any) -> list[dict[str, Any]] | None:
    """Metadata may be one dict or a list of dicts (MSG-10); the wire wants a list."""
    if metadata is None:
        return None
    if isinstance(metadata, dict):
        return [metadata]
    if isinstance(metadata, (list, tuple)) and all(isinstance(m, dict) for m in metadata):
        return list(metadata)
    raise TypeError("metadata must be a dict or a list of dicts")


def text_event(text: str, quick_replies: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "ContentEvent", "contentType": "text/plain", "message": text}
    if quick_replies is not None:
        event["quickReplies"] = quick_replies
    return event


def publish_body(dialog_id: str, event: dict[str, Any], conversation_id: str | None = None,
                 message_audience: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"dialogId": dialog_id}
    if conversation_id is not None:
        body["conversationId"] = conversation_id
    body["event"] = event
    if message_audience is not None:
        body["messageAudience"] = message_audience
    return body


def subscribe_conversations_body(query: dict[str, Any]) -> dict[str, Any]:
    """Translate an lp-messaging-sdk subscription query into the wire body (§5.5)."""
    body: dict[str, Any] = {}
    for key, value in query.items():
        if key == "state":
            body["convState"] = list(value)
        elif key in ("agentId", "agentIds"):
            body["agentIds"] = list(value) if isinstance(value, (list, tuple)) else [value]
        elif key == "lastUpdateAfter":
            body["minLastUpdatedTime"] = value
        elif key == "lastUpdateBefore":
            body["maxLastUpdatedTime"] = value
        elif key in ("dialogType", "dialogTypes"):     # the seed's example says dialogTypes
            body["dialogType"] = list(value) if isinstance(value, (list, tuple)) else [value]
        else:
            body[key] = value
    return body


def close_conversation_field() -> dict[str, Any]:
    return {"field": "ConversationStateField", "conversationState": "CLOSE"}


def close_dialog_field(dialog_id: str, closed_by: str | None = None) -> dict[str, Any]:
    dialog: dict[str, Any] = {"dialogId": dialog_id, "state": "CLOSE"}
    if closed_by is not None:
        dialog["closedBy"] = closed_by
    return {"field": "DialogChange", "type": "UPDATE", "dialog": dialog}


def join_field(role: str, user_id: str) -> dict[str, Any]:
    return {"field": "ParticipantsChange", "type": "ADD", "role": role, "userId": user_id}


def client_properties_header(properties: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": ".ams.headers.ClientProperties", **(properties or {})}


def auth_header(jwt: str) -> dict[str, Any]:
    return {"type": ".ams.headers.ConsumerAuthentication", "jwt": jwt}
