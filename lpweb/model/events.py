"""Every event of every emitter, with its payload type: for type checkers, IDEs and the docs.

:data:`EVENTS` is the one list: for each emitter (``Connection``, ``Conversation``,
``ConversationSubscription``, the brand subscriptions, ``TokenMaintainer``) the events it
emits and the type of the payload handlers receive (``None``: handlers take no argument).
The payload dicts are the ``TypedDict`` classes below (plain dicts at run time).

:mod:`lpweb.model.typed_events` is generated from :data:`EVENTS` by
``python -m lpweb.model.events`` (tests/test_typing.py checks it is current): one mixin per
emitter whose ``on``/``once``/``wait_for``/``events`` overloads are keyed by ``Literal``
event names, so that ``conversation.on("message", lambda m: m.body)`` types ``m`` as
:class:`~lpweb.model.message.Message` and ``await conversation.wait_for("message")``
returns one. The overloads exist for type checkers only; at run time the mixins are empty
subclasses of :class:`~lpweb.model.emitter.EventEmitter`.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from ..enums import ParticipantChatState
    from .participant import Participant, Skill

__all__ = ["EVENTS", "CloseInfo", "ReconnectingInfo", "ResumingInfo", "ReconnectedInfo", "AgentStateInfo",
           "ParticipantChange", "SkillTransfer", "AgentTransfer", "BackToQueue", "ConsumerStepUp", "ChatStateChange",
           "AcceptStatusChange", "render"]


class CloseInfo(TypedDict):
    """``Connection`` ``'close'``: the websocket close code (``None`` when unknown) and reason."""
    code: int | None
    reason: str


class ReconnectingInfo(TypedDict):
    """``Connection`` ``'reconnecting'``: attempt number, delay before it (seconds), the failure's
    code (close code or HTTP status, if any), and whether the token is renewed first."""
    attempt: int
    delay: float
    code: int | None
    reauth: bool


class ResumingInfo(TypedDict):
    """``Connection`` ``'resuming'``: the socket is back (this attempt); subscriptions and dialogs
    are being caught up by sequence before ``'reconnected'``."""
    attempt: int


class ReconnectedInfo(TypedDict):
    """``Connection`` ``'reconnected'``."""
    attempt: int
    resumed: bool


class AgentStateInfo(TypedDict):
    """``'agent-state'`` (brand connection and agent-state subscriptions)."""
    agent_id: str | None
    availability: str | None
    channels: list[str]
    description: str


class ParticipantChange(TypedDict):
    """``Conversation`` ``'participant-added'`` / ``'participant-removed'``."""
    participant: Participant


class SkillTransfer(TypedDict):
    """``Conversation`` ``'transfer-skill'``: the previous skill id and the new skill."""
    from_skill: str
    skill: Skill


class AgentTransfer(TypedDict):
    """``Conversation`` ``'transfer-agent'``: previous and new agent ids."""
    from_agent: str
    to_agent: str


class BackToQueue(TypedDict):
    """``Conversation`` ``'back-to-queue'``."""
    from_agent: str
    skill: Skill


class ConsumerStepUp(TypedDict):
    """``Conversation`` ``'consumer-step-up'``: the unauthenticated and the authenticated consumer ids."""
    previous_consumer_id: str
    consumer_id: str


class ChatStateChange(TypedDict):
    """``Conversation`` ``'chat-state'`` (typing indicators)."""
    participant: Participant
    chat_state: ParticipantChatState | str | None


class AcceptStatusChange(TypedDict):
    """``Conversation`` ``'accept-status'`` (delivery and read receipts)."""
    participant: Participant
    status: str | None
    sequence_list: list[int]


_TOKEN_EVENTS = {
    "token-invalid": "dict[str, Any]",
    "refresh-token": None,
    "token-regenerated": "dict[str, Any]",
    "getAgentToken#request": "dict[str, Any]",
    "getAgentToken#response": "dict[str, Any]",
}

#: emitter mixin name -> {event name: payload type (an expression valid in typed_events), or None}
EVENTS: dict[str, dict[str, str | None]] = {
    "ConnectionEvents": {
        "open": None,
        "ready": None,
        "close": "CloseInfo",
        "reconnecting": "ReconnectingInfo",
        "resuming": "ResumingInfo",
        "reconnected": "ReconnectedInfo",
        "conversation": "Conversation",
        "notification": "Notification",
        "ring": "Ring",
        "agent-state": "AgentStateInfo",
        **_TOKEN_EVENTS,
        "error": "BaseException",
    },
    "ConversationEvents": {
        "message": "Message",
        "close": None,
        "participant-added": "ParticipantChange",
        "participant-removed": "ParticipantChange",
        "transfer-skill": "SkillTransfer",
        "transfer-agent": "AgentTransfer",
        "back-to-queue": "BackToQueue",
        "consumer-step-up": "ConsumerStepUp",
        "chat-state": "ChatStateChange",
        "accept-status": "AcceptStatusChange",
        "error": "BaseException",
    },
    "ConversationSubscriptionEvents": {
        "notification": "Notification",
        "error": "BaseException",
    },
    "BrandSubscriptionEvents": {
        "notification": "Notification",
        "ring": "Ring",
        "agent-state": "AgentStateInfo",
        "error": "BaseException",
    },
    "TokenMaintainerEvents": {
        **_TOKEN_EVENTS,
        "error": "BaseException",
    },
}

_HEADER = '''"""Typed ``on``/``once``/``wait_for``/``events`` per emitter, keyed by ``Literal`` event names.

GENERATED from :data:`lpweb.model.events.EVENTS` by ``python -m lpweb.model.events``; do not
edit. The overloads are read by type checkers only: at run time each mixin is an empty
subclass of :class:`~lpweb.model.emitter.EventEmitter`. An event name a class does not emit
is a type error; ``"*"`` handlers get ``(event, payload)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Literal, TypeVar, overload

from .emitter import EventEmitter

if TYPE_CHECKING:
    from typing import Self

    from .conversation import Conversation
    from .events import (AcceptStatusChange, AgentStateInfo, AgentTransfer, BackToQueue, ChatStateChange, CloseInfo,
                         ConsumerStepUp, ParticipantChange, ReconnectedInfo, ReconnectingInfo, ResumingInfo,
                         SkillTransfer)
    from ..protocol.frames import Notification
    from .message import Message
    from .ring import Ring

__all__ = [
{names},
]

F = TypeVar("F", bound=Callable[..., Any])
'''


def _alias(name: str, events: dict[str, str | None]) -> list[str]:
    """``ConnectionEvent = Literal[...]``: the event names of one mixin, wrapped."""
    names = textwrap.wrap(", ".join(f'"{n}"' for n in events), 100, break_on_hyphens=False)
    return ["", f"{name.removesuffix('s')} = Literal[", *("    " + line for line in names), "]"]


def _mixin(name: str, events: dict[str, str | None]) -> list[str]:
    """One mixin class: per event an ``on``, ``once``, ``wait_for`` and ``events`` overload."""
    alias = name.removesuffix("s")
    doc = textwrap.wrap(f"Typed events of this emitter: {', '.join(events)}.", 100, break_on_hyphens=False)
    doc_lines = [f'    """{doc[0]}"""'] if len(doc) == 1 else [f'    """{doc[0]}', *("    " + line for line in doc[1:]),
                                                               '    """']
    out = ["", "", f"class {name}(EventEmitter):", *doc_lines, "", "    if TYPE_CHECKING:"]

    def overload(lines: list[str], first: bool) -> None:
        out.append("        @overload" + ("  # type: ignore[override]" if first else ""))
        out.extend("        " + line for line in lines)

    for method in ("on", "once"):
        for i, (event, payload) in enumerate(events.items()):
            handler = "Callable[[], Any]" if payload is None else f"Callable[[{payload}], Any]"
            overload([f'def {method}(self, event: Literal["{event}"], handler: {handler}) -> Self: ...'], i == 0)
        overload([f'def {method}(self, event: Literal["*"], handler: Callable[[str, Any], Any]) -> Self: ...'], False)
        overload([f'def {method}(self, event: {alias} | Literal["*"],',
                  f'{" " * (len(method) + 5)}handler: None = None) -> Callable[[F], F]: ...'], False)
        out.append(f"        def {method}(self, event: str, handler: Callable[..., Any] | None = None) -> Any: ...")
        out.append("")
    for i, (event, payload) in enumerate(events.items()):
        value = "None" if payload is None else payload
        overload([f'async def wait_for(self, event: Literal["{event}"],',
                  f"                   check: Callable[[{value}], bool] | None = None,",
                  f"                   timeout: float | None = None) -> {value}: ..."], i == 0)
    out.append("        async def wait_for(self, event: str, check: Callable[[Any], bool] | None = None,")
    out.append("                           timeout: float | None = None) -> Any: ...")
    out.append("")
    for i, (event, payload) in enumerate(events.items()):
        value = "None" if payload is None else payload
        overload([f'def events(self, name: Literal["{event}"], /, *,',
                  f"           maxsize: int = 1000) -> AsyncIterator[{value}]: ..."], i == 0)
    overload([f"def events(self, first: {alias}, second: {alias}, /,",
              f"           *names: {alias}, maxsize: int = 1000) -> AsyncIterator[tuple[str, Any]]: ..."], False)
    out.append("        def events(self, *names: str, maxsize: int = 1000) -> AsyncIterator[Any]: ...")
    return out


def render() -> str:
    """The source of lpweb/model/typed_events.py."""
    exported = [*EVENTS, *(name.removesuffix("s") for name in EVENTS)]
    names = textwrap.wrap(", ".join(f'"{n}"' for n in exported), 100, break_on_hyphens=False)
    lines = _HEADER.format(names="\n".join("    " + line for line in names)).splitlines()
    for name, events in EVENTS.items():
        lines += _alias(name, events)
    for name, events in EVENTS.items():
        lines += _mixin(name, events)
    return "\n".join(lines) + "\n"


TARGET = Path(__file__).with_name("typed_events.py")

if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
