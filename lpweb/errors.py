"""The lpweb error tree: every exception lpweb raises or emits on ``'error'``.

::

    LPError
    ├── UsageError (also ValueError)      the caller's mistake: bad or conflicting options
    │   └── InvalidState                  a call that the object's state does not allow
    │       └── ConversationClosed        an action on a closed conversation
    ├── ProtocolError                     the server sent something that breaks the protocol
    │   └── MalformedFrame                a frame that is not valid JSON or lacks required keys
    ├── RequestFailed                     the server answered a request with code >= 400
    ├── RequestTimeout (also TimeoutError) no answer within the deadline
    ├── TransportError                    I/O failed (HTTP, websocket handshake, DNS, ...)
    │   ├── ConnectionLost                the websocket closed while requests were pending
    │   ├── HttpError                     an HTTP call answered with an error status
    │   └── HandshakeFailed               a websocket handshake failed for a reason the transport cannot see
    ├── AuthError                         credentials or tokens were refused
    │   └── TokenExpired                  a token was valid once and must be renewed
    ├── ConversationNotInCache            content for a conversation that never arrived (ORD-04)
    └── UnknownParticipant                a chat state from a participant that never appeared (ORD-06)

``StaleParticipantWarning`` (a ``UserWarning``, also logged on ``lpweb``) reports a chat
state from a participant who was removed; the event is ignored (ORD-05).

Errors never carry secrets: request bodies and URLs are redacted before they go into a
message (see :func:`redact`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "LPError",
    "UsageError",
    "InvalidState",
    "ConversationClosed",
    "ProtocolError",
    "MalformedFrame",
    "RequestFailed",
    "RequestTimeout",
    "TransportError",
    "ConnectionLost",
    "HttpError",
    "HandshakeFailed",
    "AuthError",
    "TokenExpired",
    "ConversationNotInCache",
    "UnknownParticipant",
    "StaleParticipantWarning",
    "redact",
]

# Keys whose values are secrets wherever they appear in a body, header or query string.
SECRET_KEYS = frozenset(
    {
        "jwt", "token", "bearer", "password", "secret", "appkey", "accesstoken",
        "accesstokensecret", "csrf", "authorization", "authcode", "id_token",
        "client_secret", "temp_url_sig", "session_id", "sessionid", "cookie",
    }
)
_BRAND_URL = re.compile(r"(/messaging/brand/)[^/?#]+")
_QUERY_SECRET = re.compile(r"(?i)\b(temp_url_sig|token|jwt|csrf|access_token)=([^&\s]+)")


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with every secret replaced by ``"***"``.

    Dicts are walked recursively (keys compared case-insensitively against
    :data:`SECRET_KEYS`); strings have bearer path segments and secret query parameters
    masked.
    """
    if isinstance(value, dict):
        return {
            k: ("***" if str(k).lower().replace("-", "_") in SECRET_KEYS
                or str(k).lower() in SECRET_KEYS else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        value = _BRAND_URL.sub(r"\1***", value)
        return _QUERY_SECRET.sub(r"\1=***", value)
    return value


class LPError(Exception):
    """Root of every lpweb error."""


class UsageError(LPError, ValueError):
    """The caller used the API wrongly: an unknown, missing or conflicting option."""


class InvalidState(UsageError):
    """The call is not allowed in the object's current state."""


class ConversationClosed(InvalidState):
    """The conversation is closed; sending, transferring and the like are refused."""


class ProtocolError(LPError):
    """The remote side broke the protocol."""


class MalformedFrame(ProtocolError):
    """A received frame could not be decoded. ``raw`` holds (a prefix of) the text."""

    def __init__(self, reason: str, raw: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw[:200]


class RequestFailed(LPError):
    """The server answered a request with a code >= 400.

    ``code`` is the response code, ``body`` the response body, ``request_type`` the type of
    the request that failed.
    """

    def __init__(self, code: int, body: Any, request_type: str = "") -> None:
        self.code = code
        self.body = body
        self.request_type = request_type
        detail = body if isinstance(body, str) else redact(body)
        super().__init__(f"{request_type or 'request'} failed with code {code}: {detail!r}")


class RequestTimeout(LPError, TimeoutError):
    """No response arrived before the deadline."""


class TransportError(LPError):
    """An I/O operation failed."""


class ConnectionLost(TransportError):
    """The websocket closed. ``code`` and ``reason`` are the close code and reason."""

    def __init__(self, code: int | None = None, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"connection lost (code={code}, reason={reason!r})")


class HttpError(TransportError):
    """An HTTP call answered with an error status. ``body`` is the decoded body if any."""

    def __init__(self, status: int, url: str, body: Any = None) -> None:
        self.status = status
        self.url = redact(url)
        self.body = redact(body)
        super().__init__(f"HTTP {status} from {self.url}")


class HandshakeFailed(TransportError):
    """The websocket handshake failed and the transport cannot tell why: a browser shows a
    refused upgrade (an HTTP 401 for a stale bearer included) only as close code 1006 before
    ``open``. The reconnect loop therefore regenerates the credentials when it repeats."""


class AuthError(LPError):
    """Credentials or a token were refused."""


class TokenExpired(AuthError):
    """A token that was valid has expired or was revoked; it must be regenerated."""


class ConversationNotInCache(LPError):
    """A notification referred to a conversation the SDK does not know (ORD-04).

    ``event`` is the raw notification so the application can still handle it.
    """

    def __init__(self, conversation_id: str, event: Any) -> None:
        self.conversation_id = conversation_id
        self.event = event
        super().__init__(f"conversation not in cache: {conversation_id}")


class UnknownParticipant(LPError):
    """A chat-state event from a participant the conversation never listed, even after
    waiting for a conversation update (ORD-06). ``event`` is the raw change."""

    def __init__(self, conversation_id: str, participant_id: str, event: Any) -> None:
        self.conversation_id = conversation_id
        self.participant_id = participant_id
        self.event = event
        super().__init__(f"chat state from unknown participant {participant_id} in conversation {conversation_id}")


class StaleParticipantWarning(UserWarning):
    """A chat-state event from a participant who was removed from the conversation: it is
    not processed (ORD-05)."""
