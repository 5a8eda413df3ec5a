"""``Conversation``: the cached state of one conversation, its dialogs and its actions.

State comes from ExConversationChange notifications (:meth:`Conversation._apply`) and
message events (:meth:`Conversation._receive`); both are fed by the connection, which
keeps one object per conversation id for every subscription (SUB-06). Events: 'message',
'close', 'participant-added', 'participant-removed', 'transfer-skill', 'transfer-agent',
'back-to-queue', 'consumer-step-up', 'chat-state', 'accept-status'.

How a metadata change becomes events (CVEV-03..08, A-36), comparing before and after:
every added / removed participant gives 'participant-added' / 'participant-removed'
(``{"participant": Participant}``); then at most one of: a new skill -> 'transfer-skill'
(even when the assigned agent was removed too); the assigned agent removed and another one
assigned or SUGGESTED (transfer to agent, v=2.1) -> 'transfer-agent'; the assigned agent
removed with nobody replacing them and the same skill -> 'back-to-queue'. A new CONSUMER
id replacing the old one (a takeover after step-up) -> 'consumer-step-up'.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable

from ..enums import (ConversationState, CsatStatus, DialogType, ParticipantChatState, ParticipantRole,
                     ParticipantState)
from ..errors import ConversationClosed, InvalidState, StaleParticipantWarning, UnknownParticipant, UsageError
from ..protocol import requests as rq
from .details import ConversationDetails
from .dialog import Dialog
from .typed_events import ConversationEvents
from .message import Message
from .participant import Participant, Skill

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["Conversation"]

_CONTENT_EVENTS = {"ContentEvent", "RichContentEvent"}
_NO_DETAILS = ConversationDetails()
PARTICIPANT_WAIT = 1.0      # seconds a chat state from an unknown participant waits (ORD-06)
log = logging.getLogger("lpweb")


class Conversation(ConversationEvents):
    def __init__(self, connection: Connection, conversation_id: str) -> None:
        super().__init__()
        self.connection = connection
        self.conversation_id = conversation_id
        self.state: ConversationState | str = ConversationState.OPEN
        self.stage: str = "OPEN"
        self.skill = Skill("-1")
        self.participants: list[Participant] = []
        self.dialogs: dict[str, Dialog] = {conversation_id: Dialog(self, conversation_id)}
        self.context: dict[str, Any] | None = None
        #: The platform's view of the conversation from the newest notification, read-only
        #: (:class:`~lpweb.model.details.ConversationDetails`: participants and dialogs are
        #: the attributes above).
        self.details: ConversationDetails = _NO_DETAILS
        self.synced = False     # True once a conversation notification has described it
        self.announced = False  # True once 'conversation' was emitted for it
        self._close_emitted = False
        self._last_update_ts = 0  # metaDataLastUpdateTs of the newest view applied
        # The containers below are made on first use (a brand connection may cache 10,000
        # conversations, bench/brand_ingest.py).
        self._removed_ids: set[str] | None = None   # ids of participants removed so far (ORD-05)
        # ORD-06: the newest chat state of each originator not listed yet, with its dialog
        self._held_chat_states: dict[str, tuple[Dialog, dict[str, Any]]] | None = None
        # read-your-writes: (shows the change?, future) of join / leave / transfer calls
        self._change_waiters: list[list[Any]] | None = None     # [shown(), future, answered]

    # -- properties -----------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        """True while the conversation's stage is OPEN (protocol.md §0.8: ``stage`` is the real
        status; a post-conversation survey runs with MAIN closed and the stage still OPEN) and
        no close() is under way."""
        return self.stage == "OPEN" and self.state != ConversationState.CLOSING

    @property
    def open_dialog(self) -> Dialog | None:
        """The dialog that is open now (CONV-07), None once the conversation is closed."""
        return next((d for d in self.dialogs.values() if d.is_open), None) if self.is_open else None

    @property
    def main_dialog(self) -> Dialog:
        return self.dialogs[self.conversation_id]

    @property
    def messages(self) -> list[Message]:
        """Messages of the open dialog, else of the MAIN dialog."""
        return (self.open_dialog or self.main_dialog).messages

    def get_dialog(self, dialog_type: DialogType | str) -> Dialog | None:
        return next((d for d in self.dialogs.values() if d.dialog_type == dialog_type), None)

    def _participant(self, role: ParticipantRole) -> Participant | None:
        return next((p for p in self.participants if p.role == role), None)

    @property
    def consumer(self) -> Participant | None:
        return self._participant(ParticipantRole.CONSUMER)

    @property
    def assigned_agent(self) -> Participant | None:
        return self._participant(ParticipantRole.ASSIGNED_AGENT)

    def get_latest_consumer_message(self) -> Message | None:
        """The newest consumer message received so far; no network call (CONV-09)."""
        for dialog in reversed(list(self.dialogs.values())):
            for message in reversed(dialog.messages):
                if message.participant.role == ParticipantRole.CONSUMER:
                    return message
        return None

    def _brand(self, what: str) -> Connection:
        if not self.connection.is_brand:
            raise UsageError(f"{what}() is for brand connections (CONN-19)")
        return self.connection

    def _ensure_open(self) -> None:
        if not self.is_open:
            raise ConversationClosed(f"conversation {self.conversation_id} is closed")

    # -- actions --------------------------------------------------------------------------
    async def send_message(self, text: str, metadata: Any = None,
                           quick_replies: dict[str, Any] | None = None) -> dict[str, Any]:
        """Publish a text message (CONV-10); returns the response body, e.g. ``{"sequence": 3}``."""
        if not isinstance(text, str):
            raise TypeError("send_message takes the message text as a str")
        dialog = self._require_open_dialog()
        return await dialog.publish(rq.text_event(text, quick_replies), metadata)

    async def send_rich_text(self, content: dict[str, Any], metadata: Any = None,
                             quick_replies: dict[str, Any] | None = None) -> dict[str, Any]:
        """Publish structured content (CONV-11)."""
        event: dict[str, Any] = {"type": "RichContentEvent", "content": content}
        if quick_replies is not None:
            event["quickReplies"] = quick_replies
        return await self._require_open_dialog().publish(event, metadata)

    async def send_private_message(self, text: str, metadata: Any = None) -> dict[str, Any]:
        """A message consumers do not see (CONV-12)."""
        self._brand("send_private_message")
        return await self._require_open_dialog().publish(rq.text_event(text), metadata,
                                                         message_audience="AGENTS_AND_MANAGERS")

    async def set_chat_state(self, chat_state: ParticipantChatState | str) -> None:
        """Publish a typing state (COMPOSING, ACTIVE, ...)."""
        await self._require_open_dialog().publish({"type": "ChatStateEvent", "chatState": str(chat_state)})

    async def upload_file(self, data: Any, caption: str | None = None, *, file_type: str | None = None,
                          progress: Any = None, preview: str | None = None) -> dict[str, Any]:
        """Upload a file (bytes, a path, or in the browser a File/Blob/ArrayBuffer) and share
        it (CONV-13, FILE-02..05). ``progress(sent, total)`` reports the upload; ``preview``
        is an optional thumbnail (a ``data:image/...;base64,`` URL under 30 KB).

        Raises :class:`~lpweb.errors.UsageError` for empty, oversize (> 3 MB) or
        unsupported files, or a bad preview, before anything is sent."""
        from ..files import upload_file

        return await upload_file(self, data, caption, file_type=file_type, progress=progress, preview=preview)

    def _require_open_dialog(self) -> Dialog:
        self._ensure_open()
        dialog = self.open_dialog
        if dialog is None:
            raise ConversationClosed(f"conversation {self.conversation_id} has no open dialog")
        return dialog

    async def close(self) -> None:
        """Close the whole conversation (CONV-05); no post-conversation survey."""
        self._ensure_open()
        previous = self.state
        self.state = ConversationState.CLOSING
        try:
            await self.connection.close_conversation(self.conversation_id)
        except BaseException:
            if self.state == ConversationState.CLOSING:
                self.state = previous
            raise

    async def join(self, role: ParticipantRole | str = ParticipantRole.AGENT) -> None:
        """Add the current brand user in ``role`` (CONV-01). Returns once the conversation
        lists the user (read-your-writes): ``conversation.participants`` already shows it."""
        conn = self._brand("join")
        await self._update_and_see([rq.join_field(str(role), conn.agent_old_id)],
                                   lambda: self._me() is not None)

    async def leave(self) -> None:
        """Remove the current brand user (CONV-02); returns once the conversation no longer
        lists them in that role. Raises :class:`~lpweb.errors.InvalidState` when the user is
        not a participant."""
        conn = self._brand("leave")
        me = self._me()
        if me is None:
            raise InvalidState("the current user is not a participant of this conversation")
        role = str(me.role)
        await self._update_and_see([{"field": "ParticipantsChange", "type": "REMOVE",
                                     "role": role, "userId": conn.agent_old_id}],
                                   lambda: self._me(role) is None)

    def _me(self, role: str | None = None) -> Participant | None:
        """The current brand user among the participants (in ``role``), if listed."""
        conn = self.connection
        return next((p for p in self.participants if (p.matches(conn.user_id) or p.matches(conn.agent_old_id))
                     and (role is None or str(p.role) == role)), None)

    async def _update_and_see(self, fields: list[dict[str, Any]], shown: Callable[[], bool]) -> None:
        """Send ``UpdateConversationField``, then wait, up to the response timeout, until a
        conversation notification applied here makes ``shown()`` true, or one arrives after the
        answer (the server applied the change before sending it) (read-your-writes).
        The waiter is registered first, so a notification handled before the answer counts.
        [INF] With no notification in time (no subscription covers the conversation any
        more) it returns anyway: the server accepted the change. Raises like ``request``."""
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[None] = loop.create_future()
        entry: list[Any] = [shown, seen, False]
        if self._change_waiters is None:
            self._change_waiters = []
        self._change_waiters.append(entry)
        try:
            await self.connection.request(rq.UPDATE_CONVERSATION_FIELD, {
                "conversationId": self.conversation_id, "conversationField": fields})
            entry[2] = True     # answered: the next notification of this conversation follows the change
            if not seen.done() and not shown():
                timer = loop.call_later(self.connection.options.response_timeout / 1000, _settle, seen)
                try:
                    await seen
                finally:
                    timer.cancel()
        finally:
            self._change_waiters.remove(entry)

    def _wake_change_waiters(self, all_of_them: bool = False) -> None:
        for shown, seen, answered in self._change_waiters or ():
            if not seen.done() and (all_of_them or answered or shown()):
                seen.set_result(None)
                self.connection._caller_woken = True


    async def transfer(self, skill_id: str | int | None = None, agent_id: str | None = None, *,
                       skillId: str | int | None = None, agentId: str | None = None) -> None:  # noqa: N803
        """Transfer to a skill (CONV-03) or straight to an agent (CONV-04), removing the
        current assigned agent if there is one, in one request (protocol.md §5.6).

        ``agent_id`` is the full ``"accountId.agentId"``; a bare id gets this account's prefix
        (A-09). Exactly one of ``skill_id`` / ``agent_id``, else
        :class:`~lpweb.errors.UsageError`; :class:`~lpweb.errors.ConversationClosed` when the
        conversation is not open; :class:`~lpweb.errors.RequestFailed` when the server refuses."""
        conn = self._brand("transfer")
        skill_id = skill_id if skill_id is not None else skillId
        agent_id = agent_id if agent_id is not None else agentId
        if (skill_id is None) == (agent_id is None):
            raise UsageError("transfer() takes exactly one of skill_id= or agent_id=")
        self._ensure_open()
        fields: list[dict[str, Any]] = []
        assigned = self.assigned_agent
        if assigned is not None:
            fields.append({"field": "ParticipantsChange", "type": "REMOVE", "role": "ASSIGNED_AGENT",
                           "userId": assigned.old_id or assigned.id})
        if skill_id is not None:
            if isinstance(skill_id, bool) or not isinstance(skill_id, (str, int)) or str(skill_id) == "":
                raise UsageError("skill_id must be a skill id such as '1111111'")
            fields.append({"field": "Skill", "type": "UPDATE", "skill": str(skill_id)})
        else:
            if not isinstance(agent_id, str) or not agent_id:
                raise UsageError("agent_id must be the full agent id 'accountId.agentId'")
            if "." not in agent_id:
                agent_id = f"{conn.options.account_id}.{agent_id}"
            fields.append({"field": "ParticipantsChange", "type": "SUGGEST", "role": "ASSIGNED_AGENT",
                           "userId": agent_id})
            fields.append({"field": "Skill", "type": "UPDATE", "skill": self.skill.skill_id})
        gone = {i for i in ((assigned.old_id, assigned.id) if assigned else ()) if i}
        target = str(skill_id) if skill_id is not None else None

        def shown() -> bool:
            if gone & self._assigned_ids():
                return False
            if target is not None:
                return self.skill.skill_id == target
            return bool({agent_id} & (self._assigned_ids() | self._suggested_ids())) or bool(gone)

        await self._update_and_see(fields, shown)

    async def get_all_publish_events(self) -> None:
        """Load the full history of the open dialog, else of the MAIN dialog (DLG-03, A-11)."""
        await (self.open_dialog or self.main_dialog).get_all_publish_events()

    def typing(self) -> Any:
        """``async with conversation.typing(): ...`` publishes COMPOSING, then ACTIVE when the
        block ends, even on error (NYS-05; the order node-agent-sdk recommends, LEG-30)."""
        return _Typing(self)

    # -- state from notifications ---------------------------------------------------------
    def _apply(self, details: dict[str, Any], initial: bool = False) -> None:
        """Update from an ExConversationChange ``conversationDetails``; emit what changed.

        Notifications may arrive out of order (protocol.md §8): a view older than the last
        one applied (by ``metaDataLastUpdateTs``) is ignored."""
        stamp = details.get("metaDataLastUpdateTs")
        if isinstance(stamp, int) and not isinstance(stamp, bool):
            if stamp < self._last_update_ts:
                return
            self._last_update_ts = stamp
        self.details = ConversationDetails(details, self.conversation_id)
        if not initial:     # the state before, to tell what changed (the first view emits nothing)
            before = {(p.id, str(p.role)) for p in self.participants}
            old_skill = self.skill.skill_id
            old_assigned, old_suggested = self._assigned_ids(), self._suggested_ids()
            old_consumer = self.consumer.id if self.consumer else None
        ids = {self.conversation_id: self.conversation_id}     # one string per id (Participant.from_wire)
        if isinstance(details.get("participants"), list):
            previous = self.participants
            self.participants = [Participant.from_wire(p, self.connection, ids) for p in details["participants"]]
            if previous or self._removed_ids:
                self._note_removed(previous)
        for wire in details.get("dialogs") or []:
            if isinstance(wire, dict) and isinstance(wire.get("dialogId"), str):
                dialog = self.dialogs.get(wire["dialogId"])
                if dialog is None:
                    dialog_id = ids.setdefault(wire["dialogId"], wire["dialogId"])
                    dialog = self.dialogs[dialog_id] = Dialog(self, dialog_id)
                dialog._apply(wire, ids)
        state = details.get("state")
        if isinstance(state, str):
            try:
                self.state = ConversationState(state)
            except ValueError:
                self.state = state
        if isinstance(details.get("stage"), str):
            self.stage = details["stage"]
        skill_id = details.get("skillId")
        if skill_id is not None and (self.skill._off_hours is None or self.skill.skill_id != str(skill_id)):
            self.skill = Skill(sys.intern(str(skill_id)), self.connection._off_hours)
        if isinstance(details.get("context"), dict):
            self.context = details["context"]
        if self._held_chat_states:
            self._release_chat_states()
        if self._change_waiters:
            self._wake_change_waiters()
        if initial:
            self._close_emitted = not self.is_open
            return
        after = {(p.id, str(p.role)) for p in self.participants}
        for pid, role in sorted(after - before):
            self.emit("participant-added", {"participant": self._find(pid, role)})
        for pid, role in sorted(before - after):
            self.emit("participant-removed", {"participant": Participant(pid, role)})
        assigned, suggested = self._assigned_ids(), self._suggested_ids()
        removed_agents = old_assigned - assigned
        if self.skill.skill_id != old_skill:
            self.emit("transfer-skill", {"from_skill": old_skill, "skill": self.skill})
        elif removed_agents and (assigned - old_assigned or suggested - old_suggested):
            self.emit("transfer-agent", {"from_agent": sorted(removed_agents)[0],
                                         "to_agent": sorted((assigned - old_assigned) or (suggested - old_suggested))[0]})
        elif removed_agents and not assigned and not suggested:
            self.emit("back-to-queue", {"from_agent": sorted(removed_agents)[0], "skill": self.skill})
        consumer = self.consumer.id if self.consumer else None
        if old_consumer and consumer and consumer != old_consumer and self.connection.is_brand:
            # (the consumer side emits it from step_up(), with the same payload)
            self.emit("consumer-step-up", {"previous_consumer_id": old_consumer, "consumer_id": consumer})
        self._emit_close_once()

    def _assigned_ids(self) -> set[str]:
        return {p.old_id or p.id for p in self.participants if p.role == ParticipantRole.ASSIGNED_AGENT
                and p.state != ParticipantState.SUGGESTED}

    def _suggested_ids(self) -> set[str]:
        """ASSIGNED_AGENTs SUGGESTED by a transfer-to-agent (only dialog details list them, §6.2)."""
        return {p.old_id or p.id for p in self.main_dialog.participants
                if p.role == ParticipantRole.ASSIGNED_AGENT and p.state == ParticipantState.SUGGESTED}

    @property
    def suggested_agent(self) -> Participant | None:
        """The agent a transfer-to-agent is waiting for (state SUGGESTED), if any."""
        return next((p for p in self.main_dialog.participants if p.role == ParticipantRole.ASSIGNED_AGENT
                     and p.state == ParticipantState.SUGGESTED), None)

    def _emit_close_once(self) -> None:
        if not self.is_open and self.state != ConversationState.CLOSING and not self._close_emitted:
            self._close_emitted = True
            self.emit("close")

    def _find(self, pid: str, role: str) -> Participant:
        return next((p for p in self.participants if p.id == pid and str(p.role) == role), Participant(pid, role))

    def _mark_deleted(self) -> None:
        """A DELETE change: the conversation left the subscription (closed, transferred)."""
        self._wake_change_waiters(all_of_them=True)     # no notification will show more
        if self.is_open and not self.connection.is_brand:
            self.stage = "CLOSE"
            self._emit_close_once()

    def _receive(self, dialog_id: str, changes: tuple[dict[str, Any], ...]) -> None:
        """Message, accept-status and chat-state events of one dialog, in order."""
        dialog = self.dialogs.get(dialog_id)
        if dialog is None:
            dialog = self.dialogs[dialog_id] = Dialog(self, dialog_id)
        ready: list[dict[str, Any]] = []
        for change in changes:
            ready.extend(dialog._order(change))
        self._deliver(dialog, ready)
        if dialog._held:
            self.connection._gap_detected(dialog)

    def _deliver(self, dialog: Dialog, changes: list[dict[str, Any]]) -> None:
        """Turn changes (already in order, each once) into events."""
        for change in changes:
            event = change.get("event") or {}
            etype = event.get("type")
            participant = self._originator(change)
            if etype in _CONTENT_EVENTS:
                message = Message(dialog, change, participant)
                if dialog._add(message):
                    self.emit("message", message)
            elif etype == "ChatStateEvent":
                listed = self._listed(change, dialog)
                if listed is None:
                    self._unlisted_chat_state(dialog, change)
                    continue
                participant = listed
                if self._held_chat_states:
                    self._held_chat_states.pop(str(change.get("originatorId", "")), None)  # now stale
                participant.chat_state = event.get("chatState")
                self.emit("chat-state", {"participant": participant, "chat_state": participant.chat_state})
            elif etype == "AcceptStatusEvent":
                self.emit("accept-status", {"participant": participant, "status": event.get("status"),
                                            "sequence_list": event.get("sequenceList") or []})

    def _listed(self, change: dict[str, Any], dialog: Dialog | None = None) -> Participant | None:
        """The participant (of the conversation, else of ``dialog``) who sent ``change``."""
        origin, old = str(change.get("originatorId", "")), change.get("originatorOldId")
        p: Participant
        for p in (*self.participants, *(dialog.participants if dialog is not None else ())):
            if p.matches(origin) or (old and p.matches(old)):
                return p
        return None

    def _note_removed(self, previous: list[Participant]) -> None:
        now = {i for p in self.participants for i in (p.id, p.old_id) if i}
        removed = self._removed_ids or set()
        for p in previous:
            removed.update(i for i in (p.id, p.old_id) if i and i not in now)
        removed -= now
        self._removed_ids = removed or None

    def _unlisted_chat_state(self, dialog: Dialog, change: dict[str, Any]) -> None:
        """A chat state from someone not listed: ignored with a warning if they were removed
        (ORD-05); else held for a conversation update (ORD-06)."""
        origin = str(change.get("originatorId", ""))
        if self._removed_ids and {origin, change.get("originatorOldId")} & self._removed_ids:
            text = (f"chat state from participant {origin}, who was removed from conversation "
                    f"{self.conversation_id}, is ignored (ORD-05)")
            log.warning(text)
            warnings.warn(text, StaleParticipantWarning, stacklevel=2)
            return
        if self._held_chat_states is None:
            self._held_chat_states = {}
        first = origin not in self._held_chat_states
        self._held_chat_states[origin] = (dialog, change)      # only the newest one matters
        if first:
            self.connection._spawn(self._await_participant(origin))

    async def _await_participant(self, origin: str) -> None:
        await self.connection._sleep(PARTICIPANT_WAIT)
        held = self._held_chat_states.pop(origin, None) if self._held_chat_states else None
        if held is None:
            return                  # delivered when the participant appeared, or superseded
        dialog, change = held
        if self._listed(change, dialog) is not None:
            self._deliver(dialog, [change])
        else:
            self.connection.report_error(UnknownParticipant(self.conversation_id, origin, change))

    def _release_chat_states(self) -> None:
        held = self._held_chat_states or {}
        for origin, (dialog, change) in list(held.items()):
            if self._listed(change, dialog) is not None:
                del held[origin]
                self._deliver(dialog, [change])

    def _originator(self, change: dict[str, Any]) -> Participant:
        listed = self._listed(change)
        if listed is not None:
            return listed
        origin = str(change.get("originatorId", ""))
        meta = change.get("originatorMetadata")
        role = meta.get("role", "") if isinstance(meta, dict) else ""
        return Participant(origin, role, old_id=change.get("originatorOldId"), connection=self.connection)

    # -- consumer actions ---------------------------------------------------------------------
    async def resume_conversation(self) -> Conversation:
        """Start a new conversation after this closed one, in the same skill and with the same
        context (CONV-08); returns the new :class:`Conversation`.

        [INF] The wire form of a resume is not documented; lpweb requests a new conversation
        carrying this one's skill, context and campaign."""
        if self.is_open:
            raise InvalidState(f"conversation {self.conversation_id} is still open; nothing to resume")
        details = self.details
        resumed: Conversation = await self.connection.create_conversation(
            skill_id=self.skill.skill_id, context=details.get("context") or self.context,
            campaign_info=details.get("campaignInfo"))
        return resumed

    async def submit_csat(self, rate: int, resolved: bool | None = None,
                          status: CsatStatus | str = CsatStatus.FILLED) -> None:
        """Send the consumer's satisfaction rating, 1 to 5 (the ``CSATRate`` field, protocol.md §5.6)."""
        if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 5:
            raise UsageError("the CSAT rate is a whole number from 1 to 5")
        field: dict[str, Any] = {"field": "CSATRate", "csatRate": rate, "status": str(status)}
        if resolved is not None:
            field["csatResolutionConfirmation"] = bool(resolved)
        await self.connection.request(rq.UPDATE_CONVERSATION_FIELD, {
            "conversationId": self.conversation_id, "conversationField": [field]})

    def __repr__(self) -> str:
        return (f"Conversation({self.conversation_id!r}, stage={self.stage}, state={self.state!s}, "
                f"skill={self.skill.skill_id!r}, participants={len(self.participants)})")


class _Typing:
    """The context manager of :meth:`Conversation.typing`."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    async def __aenter__(self) -> Conversation:
        await self.conversation.set_chat_state(ParticipantChatState.COMPOSING)
        return self.conversation

    async def __aexit__(self, *exc: Any) -> None:
        if self.conversation.is_open:
            await self.conversation.set_chat_state(ParticipantChatState.ACTIVE)


def _settle(future: asyncio.Future[None]) -> None:
    """Resolve ``future`` unless something already did (a timer racing its notification)."""
    if not future.done():
        future.set_result(None)
