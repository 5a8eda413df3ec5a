"""Post-conversation survey (protocol.md §8 "Post-survey flow", DLG-05).

When the MAIN dialog is closed with ``DialogChange`` and the conversation's skill has a
survey, :func:`start` opens a ``POST_SURVEY`` dialog: the assigned agent becomes a READER,
a survey bot joins with role AGENT and asks the first question (a text message with quick
replies and change-level ``Question`` metadata). Each consumer ``ContentEvent`` in that
dialog answers the current question (:func:`answer`); after the last one the bot closes the
dialog (``closedBy: AGENT``, ``closedCause: "Completed"``) and the conversation stage
becomes CLOSE.

The message and metadata shapes are [INF] (the PCS tutorial shows them only in part) and
live in :func:`question_event` and :func:`question_metadata`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .state import Conversation, Dialog, EventRecord, Participant

if TYPE_CHECKING:
    from .state import Platform

__all__ = ["SurveyRun", "start", "answer", "question_event", "question_metadata", "SURVEY_BOT_USER_ID"]

SURVEY_BOT_USER_ID = "survey-bot"          # [INF] old id "{account}.survey-bot"
COMPLETED_CAUSE = "Completed"


@dataclass
class SurveyRun:
    dialog_id: str
    questions: list[dict[str, Any]]
    bot: Participant
    index: int = 0
    answers: list[str] = field(default_factory=list)


def question_event(question: dict[str, Any], index: int) -> dict[str, Any]:
    """[INF] A survey question: text with one quick-reply button per answer (``Answer`` metadata)."""
    replies = [{"type": "button", "tooltip": a, "title": a,
                "click": {"actions": [{"type": "publishText", "text": a}],
                          "metadata": [{"type": "Answer", "questionId": f"q{index}", "answerId": f"q{index}a{i}"}]}}
               for i, a in enumerate(question.get("answers", []))]
    event: dict[str, Any] = {"type": "ContentEvent", "contentType": "text/plain", "message": question["question"]}
    if replies:
        event["quickReplies"] = {"type": "quickReplies", "itemsPerRow": 8, "replies": replies}
    return event


def question_metadata(index: int) -> list[dict[str, Any]]:
    """[INF] The change-level metadata of a survey question."""
    return [{"type": "Question", "questionId": f"q{index}", "questionType": "multipleChoice"}]


def start(platform: "Platform", conv: Conversation, questions: list[dict[str, Any]]) -> None:
    now = platform.clock()
    dialog = Dialog(str(uuid.uuid4()), now, dialog_type="POST_SURVEY", meta_ts=now)
    platform.add_dialog(conv, dialog)
    for p in conv.participants:
        if p.role == "ASSIGNED_AGENT":
            p.role = "READER"
    bot = Participant(str(uuid.uuid4()), f"{conv.account_id}.{SURVEY_BOT_USER_ID}", "AGENT")
    conv.participants.append(bot)
    conv.survey = SurveyRun(dialog.dialog_id, [dict(q) for q in questions], bot)
    platform.defer(lambda: _ask(platform, conv, dialog))


def _ask(platform: "Platform", conv: Conversation, dialog: Dialog) -> None:
    run = conv.survey
    if run is None or dialog.state != "OPEN" or conv.stage != "OPEN":
        return
    platform.publish(conv, dialog, run.bot, question_event(run.questions[run.index], run.index),
                     question_metadata(run.index))


def answer(platform: "Platform", conv: Conversation, dialog: Dialog, record: EventRecord) -> None:
    """A consumer message in the survey dialog: record it, then ask the next question or close."""
    run = conv.survey
    if run is None or dialog.dialog_id != run.dialog_id or dialog.state != "OPEN":
        return
    message = record.event.get("message")
    run.answers.append(message if isinstance(message, str) else "")
    run.index += 1
    if run.index < len(run.questions):
        platform.defer(lambda: _ask(platform, conv, dialog))
    else:
        platform.defer(lambda: platform.close_dialog(conv, dialog, "AGENT", COMPLETED_CAUSE)
                       if dialog.state == "OPEN" else None)
