"""The sans-I/O protocol core: text frames in, typed events out; requests in, text frames out.

No asyncio, no transport, no clock and no randomness live here: time and ids are passed
in. The same code runs in CPython, in Pyodide and inside the emulator.
"""

from .frames import Frame, Notification, Request, Response, decode, encode_notification, encode_request, encode_response
from .machine import (FrameRejected, NotificationReceived, ProtocolConnection, ProtocolEvent, RequestCompleted,
                      RequestErrored, counter_ids)
from .notifications import (AgentStates, ConversationChange, ConversationChanges, MessagingEvents,
                            OtherNotification, ProtocolNotification, RoutingTasks, parse_notification)

__all__ = [
    "Frame", "Notification", "Request", "Response", "decode", "encode_notification", "encode_request",
    "encode_response", "FrameRejected", "NotificationReceived", "ProtocolConnection", "ProtocolEvent",
    "RequestCompleted", "RequestErrored", "counter_ids", "AgentStates", "ConversationChange",
    "ConversationChanges", "MessagingEvents", "OtherNotification", "ProtocolNotification", "RoutingTasks",
    "parse_notification",
]
