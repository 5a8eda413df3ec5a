"""The enums and constants of lp-messaging-sdk (features.md §25), as ``str`` enums.

Every member's value is the wire string, so ``ParticipantRole.CONSUMER == "CONSUMER"``
holds and members can be put into request bodies unchanged.
"""

from __future__ import annotations

from enum import Enum, EnumMeta
from typing import Any

__all__ = [
    "AgentState", "AuthType", "ChannelType", "ConnectionState", "ConnectionType",
    "ContentType", "ConversationState", "CsatStatus", "csatStatus", "DeliveryStatus",
    "DeviceFamily", "DialogChangeType", "DialogCloseReason", "DialogState", "DialogType",
    "Features", "Integration", "ParticipantChangeType", "ParticipantChatState",
    "ParticipantRole", "ParticipantState", "RingState", "RoutingSubscriptionState",
    "SubscriptionState", "UserType", "OS", "ConversationContextType",
    "CLEAR_CONVERSATION_TIMEOUT", "WAIT_FOR_READY_DURATION",
]


class _FastLookup(EnumMeta):
    """``Role(value)`` answers from the value map first, as ``Enum.__new__`` does, without
    the generic ``EnumMeta.__call__`` path: the model converts about ten wire strings per
    conversation (bench/brand_ingest.py), and this makes each conversion 2-3x cheaper.
    Unknown values, and every other use of the call, take the usual path (same errors)."""

    def __call__(cls, value: Any, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            try:
                return cls._value2member_map_[value]
            except (KeyError, TypeError):
                pass
        return super().__call__(value, *args, **kwargs)


class _StrEnum(str, Enum, metaclass=_FastLookup):
    def __str__(self) -> str:
        return str(self.value)


class AgentState(_StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    AWAY = "AWAY"
    BACK_SOON = "BACK_SOON"
    OCCUPIED = "OCCUPIED"


class AuthType(_StrEnum):
    NONE = "NONE"
    CONSUMER_ANONYMOUS = "CONSUMER_ANONYMOUS"
    CONSUMER_UNAUTHENTICATED = "CONSUMER_UNAUTHENTICATED"
    CONSUMER_AUTHENTICATED = "CONSUMER_AUTHENTICATED"
    CONSUMER_UNDETERMINED = "CONSUMER_UNDETERMINED"
    CONSUMER_MOCK_AUTHENTICATED = "CONSUMER_MOCK_AUTHENTICATED"
    BRAND_AUTHENTICATED = "BRAND_AUTHENTICATED"


class ChannelType(_StrEnum):
    MESSAGING = "MESSAGING"
    LIVE_CHAT = "LIVE_CHAT"
    COBROWSE = "COBROWSE"


class ConnectionState(_StrEnum):
    INITIAL = "INITIAL"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    FAILED_TO_CONNECT = "FAILED_TO_CONNECT"
    DISCONNECTED = "DISCONNECTED"
    CLOSING = "CLOSING"
    CLOSED = "CLOSED"
    NULL = "NULL"


class ConnectionType(_StrEnum):
    WEBSOCKET = "WEBSOCKET"
    REST = "REST"
    SEND_API = "SEND_API"
    NULL = "NULL"


class ContentType(_StrEnum):
    PLAIN_TEXT = "text/plain"
    HOSTED_FILE = "hosted/file"
    RICH_TEXT = "rich-content"


class ConversationState(_StrEnum):
    OPEN = "OPEN"
    CLOSE = "CLOSE"
    LOCKED = "LOCKED"
    CLOSING = "CLOSING"


class CsatStatus(_StrEnum):
    FILLED = "FILLED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    SKIPPED = "SKIPPED"
    EMPTY = "EMPTY"


csatStatus = CsatStatus


class DeliveryStatus(_StrEnum):
    ACCEPT = "ACCEPT"
    READ = "READ"
    ENRICH = "ENRICH"
    ACTION = "ACTION"
    ACCESS = "ACCESS"
    NACK = "NACK"
    VIEWED = "VIEWED"
    ABORTED = "ABORTED"
    ERROR = "ERROR"


class DeviceFamily(_StrEnum):
    DESKTOP = "DESKTOP"
    TABLET = "TABLET"
    MOBILE = "MOBILE"
    PDA = "PDA"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class DialogChangeType(_StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"


class DialogCloseReason(_StrEnum):
    CONSUMER = "CONSUMER"
    AGENT = "AGENT"
    SYSTEM = "SYSTEM"


class DialogState(_StrEnum):
    OPEN = "OPEN"
    CLOSE = "CLOSE"


class DialogType(_StrEnum):
    MAIN = "MAIN"
    AGENTS = "AGENTS"
    OTHER = "OTHER"
    POST_SURVEY = "POST_SURVEY"
    PRE_CONVERSATION_OPT_IN = "PRE_CONVERSATION_OPT_IN"


class Features(_StrEnum):
    AUTO_MESSAGES = "AUTO_MESSAGES"
    PHOTO_SHARING = "PHOTO_SHARING"
    CO_APP = "CO_APP"
    CO_BROWSE = "CO_BROWSE"
    RICH_CONTENT = "RICH_CONTENT"
    SECURE_FORMS = "SECURE_FORMS"
    QUICK_REPLIES = "QUICK_REPLIES"
    MULTI_DIALOG = "MULTI_DIALOG"
    FILE_SHARING = "FILE_SHARING"


class Integration(_StrEnum):
    WEB_SDK = "WEB_SDK"
    MOBILE_SDK = "MOBILE_SDK"
    BRAND_SDK = "BRAND_SDK"


class ParticipantChangeType(_StrEnum):
    ADD = "ADD"
    REMOVE = "REMOVE"
    SUGGEST = "SUGGEST"


class ParticipantChatState(_StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    GONE = "GONE"
    COMPOSING = "COMPOSING"
    PAUSE = "PAUSE"
    BACKGROUND = "BACKGROUND"
    REMOVED = "REMOVED"


class ParticipantRole(_StrEnum):
    CONSUMER = "CONSUMER"
    ASSIGNED_AGENT = "ASSIGNED_AGENT"
    AGENT = "AGENT"
    MANAGER = "MANAGER"
    READER = "READER"
    BRAND_BOT = "BRAND_BOT"
    CONTROLLER = "CONTROLLER"


class ParticipantState(_StrEnum):
    ACTIVE = "ACTIVE"
    SUGGESTED = "SUGGESTED"
    REMOVED = "REMOVED"


class RingState(_StrEnum):
    WAITING = "WAITING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    AUTO_ACCEPT = "AUTO_ACCEPT"


class SubscriptionState(_StrEnum):
    INITIAL = "INITIAL"
    SUBSCRIBED = "SUBSCRIBED"
    UNSUBSCRIBING = "UNSUBSCRIBING"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    DISCONNECTED = "DISCONNECTED"
    RESUBSCRIBING = "RESUBSCRIBING"
    FAILED_TO_SUBSCRIBE = "FAILED_TO_SUBSCRIBE"


RoutingSubscriptionState = SubscriptionState


class UserType(_StrEnum):
    CONSUMER = "CONSUMER"
    BRAND = "BRAND"


class OS(_StrEnum):
    WINDOWS = "WINDOWS"
    LINUX = "LINUX"
    OSX = "OSX"
    ANDROID = "ANDROID"
    IOS = "IOS"
    OTHER = "OTHER"


class ConversationContextType(_StrEnum):
    SHARK = "SharkContext"
    PROACTIVE = "ProactiveContext"
    MOBILE_APP = "MobileAppContext"
    CUSTOM = "CustomContext"


#: Milliseconds a conversation stays in the cache after its DELETE notification (ENUM-27).
CLEAR_CONVERSATION_TIMEOUT = 60_000
#: The longest ``open(wait_for_ready=True)`` waits for existing conversations (ENUM-28), ms.
WAIT_FOR_READY_DURATION = 10_000
