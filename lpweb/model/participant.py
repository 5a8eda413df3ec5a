"""``Participant`` (PROF-04) and ``Skill`` (CONV-14..16)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ..enums import ParticipantChatState, ParticipantRole, ParticipantState
from ..errors import UsageError
from ..protocol import requests as rq

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Participant", "Skill"]

E = TypeVar("E", bound=Enum)


def _enum(cls: type[E], value: object, default: E | str) -> E | str:
    try:
        return cls(value)
    except ValueError:
        return value if isinstance(value, str) else default  # unknown wire values are kept


_ROLES: dict[str, ParticipantRole | str] = {m.value: m for m in ParticipantRole}
_STATES: dict[str, ParticipantState | str] = {m.value: m for m in ParticipantState}


@dataclass(slots=True)
class Participant:
    """A conversation participant. ``id`` is the PID (consumer id or agent uuid);
    ``old_id`` is the ``{account}.{userId}`` form of agents where known."""

    id: str
    role: ParticipantRole | str
    state: ParticipantState | str = ParticipantState.ACTIVE
    old_id: str | None = None
    chat_state: ParticipantChatState | str | None = None
    connection: Connection | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_wire(cls, entry: dict[str, Any], connection: Connection | None = None,
                  ids: dict[str, str] | None = None) -> "Participant":
        """One participant of a notification. ``ids`` (id -> the same id) makes every
        participant of one conversation share one string per id; the ids of brand users
        (every role but CONSUMER: a bounded set, the account's users) are interned, as the
        same agents are listed in many conversations (bench/brand_ingest.py)."""
        pid, old_id = str(entry.get("id", "")), entry.get("oldId")
        value = entry.get("role")
        role = _ROLES.get(value, value) if type(value) is str else _enum(ParticipantRole, value, "")
        value = entry.get("state", "ACTIVE")
        state = (_STATES.get(value, value) if type(value) is str
                 else _enum(ParticipantState, value, ParticipantState.ACTIVE))
        if role is not ParticipantRole.CONSUMER and isinstance(role, ParticipantRole):
            pid = sys.intern(pid)
            old_id = sys.intern(old_id) if type(old_id) is str else old_id
        if ids is not None:
            pid = ids.setdefault(pid, pid)
            if type(old_id) is str:
                old_id = ids.setdefault(old_id, old_id)
        return cls(pid, role, state, old_id, None, connection)     # positional (field order): ~2x cheaper than keywords

    async def get_user_profile(self) -> Any:
        """This participant's profile (PROF-01/03). A consumer may read only its own (PROF-02):
        asking for another participant's raises :class:`~lpweb.errors.UsageError` locally."""
        conn = self.connection
        if conn is None:
            raise UsageError("this participant is not attached to a connection")
        if not conn.is_brand and not self.matches(conn.user_id):
            raise UsageError("a consumer can read only its own profile (PROF-02)")
        resp = await conn.request(rq.GET_USER_PROFILE, {"userId": self.id})
        return resp.body

    def matches(self, user_id: str) -> bool:
        return user_id in (self.id, self.old_id)


@dataclass(slots=True)
class Skill:
    skill_id: str
    #: The connection's off-hours lookup (brand: the account's skills list), if any.
    _off_hours: Callable[[str], bool | None] | None = field(default=None, repr=False, compare=False)

    @property
    def skillId(self) -> str:  # noqa: N802 - the JS spelling, for copied snippets
        return self.skill_id

    def is_in_off_hours(self) -> bool:
        """Whether the skill is outside its working hours now (CONV-16); synchronous.

        Brand connections read the account's skills list (loaded at ``open()``, refreshed in
        the background and whenever a conversation moves to a skill); False when unknown."""
        return bool(self._off_hours(self.skill_id)) if self._off_hours is not None else False
