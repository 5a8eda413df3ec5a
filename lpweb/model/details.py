"""``ConversationDetails``: the platform's view of a conversation, compact and read-only.

``Conversation.details`` is the ``conversationDetails`` of the newest conversation
notification, as a read-only mapping with the wire keys (``startTs``, ``ttr``, ``brandId``,
``campaignInfo``, ``csat``, ``context``, ...). A brand connection may cache 10,000 open
conversations or more (``bench/brand_ingest.py``), so the decoded view is not kept as is:

* what the model already holds is not stored twice: ``participants`` / ``participantsPId``
  are :attr:`Conversation.participants`, ``dialogs`` is :attr:`Conversation.dialogs`
  (each :class:`~lpweb.model.dialog.Dialog` with its type, state and participants);
* the other fields are one tuple of values, whose key list is shared by every
  conversation that has the same fields; string values are interned (brand id, states,
  skill ids: the same few strings in every conversation), the conversation id is the
  conversation's own string;
* an object value of scalars only (``ttr``, ``conversationHandlerDetails``, ``csat``) is
  stored once for every conversation that has an equal one, and each read returns a new
  ``dict`` of it (changing that dict changes nothing cached). Other values (``context``,
  lists, nested objects) are kept as decoded: ``details["context"]`` is
  :attr:`Conversation.context`.

Reading a key gives the value the platform sent (``details["ttr"] == {"ttrType": ...}``).
"""

from __future__ import annotations

import sys
from typing import Any, Iterator, Mapping

__all__ = ["ConversationDetails", "MODEL_KEYS"]

#: Keys of ``conversationDetails`` the model holds instead (participants, dialogs).
MODEL_KEYS = frozenset({"participants", "participantsPId", "dialogs"})
_SHAREABLE = frozenset({str, int, type(None)})   # exact types: equal values are the same JSON
_MAX_SHARED = 1024      # key lists / objects kept for sharing (bounded: wire values vary)


class _Frozen(tuple):   # type: ignore[type-arg]
    """The ``(key, value)`` pairs of an object of scalars; read as a new ``dict``."""

    __slots__ = ()


class _Plan:
    """For one list of wire keys: the shared key list kept, and where each value is."""

    __slots__ = ("keys", "index", "positions")

    def __init__(self, wire_keys: tuple[str, ...]) -> None:
        self.positions = tuple(i for i, k in enumerate(wire_keys) if k not in MODEL_KEYS)
        self.keys = tuple(wire_keys[i] for i in self.positions)
        self.index = {k: i for i, k in enumerate(self.keys)}


_PLANS: dict[tuple[str, ...], _Plan] = {}
_OBJECTS: dict[tuple[Any, ...], _Frozen] = {}


def _plan(wire_keys: tuple[str, ...]) -> _Plan:
    plan = _PLANS.get(wire_keys)
    if plan is None:
        plan = _Plan(wire_keys)
        if len(_PLANS) < _MAX_SHARED:
            _PLANS[wire_keys] = plan
    return plan


def _freeze(value: dict[str, Any]) -> Any:
    """``value`` itself, or its shared frozen form when it holds strings, integers and nulls
    only (exact types: True == 1 but must read back as true)."""
    for item in value.values():
        if type(item) not in _SHAREABLE:
            return value
    items = tuple(value.items())
    frozen = _OBJECTS.get(items)
    if frozen is None:
        frozen = _Frozen((k, sys.intern(v) if type(v) is str else v) for k, v in items)
        if len(_OBJECTS) < _MAX_SHARED:
            _OBJECTS[frozen] = frozen
    return frozen


class ConversationDetails(Mapping[str, Any]):
    """``Conversation.details``: the platform's ``conversationDetails`` of a conversation
    without ``participants``, ``participantsPId`` and ``dialogs`` (see
    :attr:`Conversation.participants` and :attr:`Conversation.dialogs`), as a read-only
    mapping with the wire keys: ``details["startTs"]``, ``details.get("campaignInfo")``.
    Each value reads back as the platform sent it; an object of strings, integers and nulls
    (``ttr``) reads as a new ``dict`` each time. ``dict(details)`` copies it."""

    __slots__ = ("_plan", "_values")

    def __init__(self, wire: Mapping[str, Any] | None = None, conversation_id: str = "") -> None:
        self._plan = _plan(tuple(wire) if wire else ())
        if not wire:
            self._values: tuple[Any, ...] = ()
            return
        values = list(wire.values())
        kept = []
        for i in self._plan.positions:
            value = values[i]
            kind = type(value)
            if kind is str:
                value = conversation_id if value == conversation_id else sys.intern(value)
            elif kind is dict:
                value = _freeze(value)
            kept.append(value)
        self._values = tuple(kept)

    def __getitem__(self, key: str) -> Any:
        value = self._values[self._plan.index[key]]
        return dict(value) if type(value) is _Frozen else value

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, else ``default``."""
        i = self._plan.index.get(key)
        if i is None:
            return default
        value = self._values[i]
        return dict(value) if type(value) is _Frozen else value

    def __contains__(self, key: object) -> bool:
        return key in self._plan.index

    def __iter__(self) -> Iterator[str]:
        return iter(self._plan.keys)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"ConversationDetails({dict(self)!r})"
