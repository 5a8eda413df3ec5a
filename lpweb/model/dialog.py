"""``Dialog``: one dialog of a conversation (MAIN, POST_SURVEY, …) and its messages (DLG-*).

Messages are kept in sequence order and deduplicated by sequence, so a message that
arrives both in history and live is stored and emitted once.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from ..enums import DialogState, DialogType
from ..protocol import requests as rq
from .message import Message
from .participant import Participant

if TYPE_CHECKING:
    from .conversation import Conversation

__all__ = ["Dialog"]


def _sequence_key(message: Message) -> int:
    return message.sequence if isinstance(message.sequence, int) else -1


class Dialog:
    def __init__(self, conversation: Conversation, dialog_id: str,
                 dialog_type: DialogType | str = DialogType.MAIN) -> None:
        self.conversation = conversation
        self.dialog_id = dialog_id
        self.dialog_type = dialog_type
        self.state: DialogState | str = DialogState.OPEN
        self.participants: list[Participant] = []
        self.messages: list[Message] = []
        self.closed_by: str | None = None
        # In-order, exactly-once delivery of sequenced events (messages, accept statuses):
        # every sequence <= _upto has been handled (or is known not to come); later ones wait
        # in _held until the gap is filled or given up on (Connection._fill_gap).
        # The sets and _held are made on first use: a brand connection may cache 10,000
        # dialogs most of which never see a message (bench/brand_ingest.py, ~0.5 kB each).
        self._sequences: set[int] | None = None     # sequences of the stored messages
        self._upto: int | None = None
        self._held: dict[int, dict[str, Any]] | None = None
        self._handled: set[int] | None = None

    @property
    def is_open(self) -> bool:
        return self.state == DialogState.OPEN

    def _apply(self, wire: dict[str, Any], ids: dict[str, str] | None = None) -> None:
        """Update from one ``dialogs`` entry of the conversation details; ``ids`` as in
        :meth:`Participant.from_wire`."""
        try:
            self.dialog_type = DialogType(wire.get("dialogType", self.dialog_type))
        except ValueError:
            self.dialog_type = str(wire.get("dialogType"))
        state = wire.get("state", self.state)
        self.state = DialogState(state) if state in ("OPEN", "CLOSE") else state
        self.closed_by = wire.get("closedBy", self.closed_by)
        details = wire.get("participantsDetails")
        if isinstance(details, list):
            self.participants = [Participant.from_wire(p, ids=ids) for p in details if isinstance(p, dict)]

    def _add(self, message: Message) -> bool:
        """Store a message; False if its sequence was seen already."""
        seq = message.sequence
        if isinstance(seq, int):
            if self._sequences is None:
                self._sequences = set()
            elif seq in self._sequences:
                return False
            self._sequences.add(seq)
            self.messages.insert(bisect.bisect_right(self.messages, seq, key=_sequence_key), message)
        else:
            self.messages.append(message)
        return True

    def _order(self, change: dict[str, Any]) -> list[dict[str, Any]]:
        """The changes ready to handle, in sequence order, once ``change`` arrived."""
        seq = change.get("sequence")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return [change]                 # chat states carry no sequence
        held, handled = self._held, self._handled
        if (handled is not None and seq in handled) or (held is not None and seq in held):
            return []                       # a duplicate
        if self._upto is not None and seq > self._upto + 1:
            if held is None:
                held = self._held = {}
            held[seq] = change              # ahead of a missing one
            return []
        self._handled_set().add(seq)
        if self._upto is None or seq > self._upto:
            self._upto = seq
        return [change, *self._drain()]

    def _handled_set(self) -> set[int]:
        if self._handled is None:
            self._handled = set()
        return self._handled

    def _drain(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        held = self._held
        while held and self._upto is not None and self._upto + 1 in held:
            self._upto += 1
            self._handled_set().add(self._upto)
            out.append(held.pop(self._upto))
        return out

    def _release_gap(self) -> list[dict[str, Any]]:
        """Give up on the missing sequences: everything held, in order."""
        out = []
        held = self._held or {}
        for seq in sorted(held):
            self._handled_set().add(seq)
            out.append(held.pop(seq))
            self._upto = seq if self._upto is None else max(self._upto, seq)
        return out

    def _mark_history(self, sequences: list[int]) -> list[dict[str, Any]]:
        """Sequences stored from a history load; returns held changes now in order."""
        handled = self._handled_set()
        handled.update(sequences)
        if self._upto is None:
            self._upto = max(sequences, default=-1)
        while self._upto + 1 in handled and (not self._held or self._upto + 1 not in self._held):
            self._upto += 1
        return self._drain()

    @property
    def next_sequence(self) -> int:
        """The first sequence not handled yet in order (``fromSeq`` of a catch-up)."""
        return (self._upto if self._upto is not None else self.last_sequence) + 1

    @property
    def last_sequence(self) -> int:
        return max(self._sequences or (), default=-1)

    async def publish(self, event: dict[str, Any], metadata: Any = None,
                      message_audience: str | None = None) -> dict[str, Any]:
        conv = self.conversation
        conv._ensure_open()
        body = rq.publish_body(self.dialog_id, event, conv.conversation_id, message_audience)
        resp = await conv.connection.request(rq.PUBLISH_EVENT, body, metadata=rq.as_metadata_list(metadata))
        return resp.body if isinstance(resp.body, dict) else {}

    async def publish_status(self, status: str, sequences: list[int | None]) -> None:
        seqs = [s for s in sequences if isinstance(s, int)]
        if not seqs:
            return
        await self.publish({"type": "AcceptStatusEvent", "status": str(status), "sequenceList": seqs})

    async def get_all_publish_events(self) -> None:
        """Load this dialog's full history into :attr:`messages` (DLG-03); calling it again
        adds nothing twice. Brand connections fetch it (``QueryMessages``); consumers already
        receive it with their messaging subscription, so this waits for that to arrive.
        Raises :class:`~lpweb.errors.RequestFailed` when the server refuses."""
        await self.conversation.connection._load_history(self)

    async def close(self) -> None:
        """Close this dialog only (DLG-05): a following dialog (e.g. a survey) may open."""
        conn = self.conversation.connection
        await conn.request(rq.UPDATE_CONVERSATION_FIELD, {
            "conversationId": self.conversation.conversation_id,
            "conversationField": [rq.close_dialog_field(self.dialog_id)]})

    def __repr__(self) -> str:
        return (f"Dialog({self.dialog_id!r}, type={self.dialog_type!s}, state={self.state!s}, "
                f"messages={len(self.messages)})")
