"""``Participant`` (PROF-04) and ``Skill`` (CONV-14..16)."""

from __future__ import annotations

from dataclasses import dataclass

from ..enums import ParticipantChatState, ParticipantRole, ParticipantState

__all__ = ["Participant", "Skill"]


def _enum(cls: type, value: object, default: object) -> object:
    try:
        return cls(value)
    except ValueError:
        return value if isinstance(value, str) else default  # unknown wire values are kept


@dataclass
class Participant:
    """A conversation participant. ``id`` is the PID (consumer id or agent uuid);
    ``old_id`` is the ``{account}.{userId}`` form of agents where known."""

    id: str
    role: ParticipantRole | str
    state: ParticipantState | str = ParticipantState.ACTIVE
    old_id: str | None = None
    chat_state: ParticipantChatState | str | None = None

    @classmethod
    def from_wire(cls, entry: dict) -> "Participant":
        return cls(
            id=str(entry.get("id", "")),
            role=_enum(ParticipantRole, entry.get("role"), ""),
            state=_enum(ParticipantState, entry.get("state", "ACTIVE"), ParticipantState.ACTIVE),
            old_id=entry.get("oldId"),
        )

    def matches(self, user_id: str) -> bool:
        return user_id in (self.id, self.old_id)


@dataclass
class Skill:
    skill_id: str

    def is_in_off_hours(self) -> bool:
        """Off-hours data comes with skills configuration (not yet served): False."""
        return False
