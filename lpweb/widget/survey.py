"""The post-conversation survey panel (widget.md parity item 17, CSAT/PCS): pure, no DOM.

LP runs the survey in a ``POST_SURVEY`` dialog: a survey bot asks each question as a text
message with quick replies (the answers). :class:`SurveyPanel` follows that dialog and
describes what the panel shows: the title, the current question with its answers as a
labelled group of buttons, a Skip control, and the closing "thank you" once the dialog
ends. The controller (``app.py``) builds the node with :func:`SurveyPanel.node` and sends
the chosen answer as the consumer's message, like any quick reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .vdom import Node, h

__all__ = ["SurveyPanel"]


@dataclass
class SurveyPanel:
    dialog_id: str | None = None      # the POST_SURVEY dialog being followed
    question_key: str | None = None   # view key of the current question message
    question: str = ""
    asked: int = 0
    answered: int = 0
    done: bool = False
    skipped: bool = False

    @property
    def active(self) -> bool:
        return self.dialog_id is not None and not self.done

    def start(self, dialog_id: str) -> bool:
        """A message of a POST_SURVEY dialog arrived; True the first time."""
        if self.dialog_id == dialog_id:
            return False
        self.dialog_id, self.done, self.skipped = dialog_id, False, False
        self.asked = self.answered = 0
        return True

    def ask(self, key: str, text: str) -> None:
        self.question_key, self.question = key, text
        self.asked += 1

    def answer(self) -> None:
        if self.question_key is not None:
            self.answered += 1
            self.question_key = None

    def finish(self, skipped: bool = False) -> None:
        self.done, self.skipped, self.question_key = True, skipped, None

    def node(self, t: Callable[..., str], answers: Node | None) -> Node | None:
        """The panel's content (None when there is nothing to show)."""
        if self.dialog_id is None:
            return None
        title = h("h3", {"class": "lpw-survey-title", "id": "lpw-survey-title"}, t("survey.title"))
        if self.done:
            text = t("survey.skipped") if self.skipped else t("survey.thanks")
            return h("div", {"class": "lpw-survey-inner", "data-state": "done"}, title,
                     h("p", {"class": "lpw-survey-thanks"}, text))
        if self.question_key is None:
            return h("div", {"class": "lpw-survey-inner", "data-state": "waiting"}, title)
        return h("div", {"class": "lpw-survey-inner", "data-state": "question"}, title,
                 h("p", {"class": "lpw-survey-question", "id": "lpw-survey-question"}, self.question),
                 answers,
                 h("button", {"type": "button", "class": "lpw-link lpw-survey-skip", "data-action": "ui:survey-skip"},
                   t("survey.skip")))

