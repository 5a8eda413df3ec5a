"""Websocket reply values shared by the request handlers (protocol.md §4.3).

:class:`Reply` is what a handler returns (code, response ``type``, body, and an optional
``after`` callback that sends follow-up notifications after the response). Response
``type`` strings live in one table, :data:`RESPONSE_TYPES` [INF where protocol.md gives
none]; clients must not dispatch on them. :class:`Reject` refuses a request with a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Reply", "Reject", "ok", "RESPONSE_TYPES", "response_type"]

RESPONSE_TYPES = {
    "string": ".ReqBody$StringResp",
    "GetClock": ".GetClock$Response",
    "cm.ConsumerRequestConversation": "cm.RequestConversationResponse",
    "cm.AgentRequestConversation": "cm.RequestConversationResponse",
    "cqm.SubscribeExConversations": "cqm.SubscribeExConversationsResponse",
    "ms.SubscribeMessagingEvents": ".ams.GenericSubscribeResponse",
    "ms.QueryMessages": ".ams.ms.QueryMessages$Response",
    "ms.PublishEvent": "ms.PublishEventResponse",
    "ms.GenerateURL": "ms.GenerateURLResponse",
    "up.GetUserProfile": "up.GetUserProfile$Response",
    ".ams.userprofile.GetUserProfile": ".ams.userprofile.GetUserProfile$Response",
    "routing.Subscribe": ".ams.GenericSubscribe$Response",
}


class Reject(Exception):
    """A request refused with ``code`` (400/401/403/404) and a short string body."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Reply:
    code: int
    type: str
    body: Any
    after: Callable[[], None] | None = None


def ok(body: str = "OK", code: int = 200) -> Reply:
    return Reply(code, RESPONSE_TYPES["string"], body)


def response_type(key: str) -> str:
    return RESPONSE_TYPES[key]
