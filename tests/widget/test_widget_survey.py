"""The post-conversation survey panel (parity item 17): what it shows at each step."""

from __future__ import annotations

from lpweb.widget.i18n import Catalog
from lpweb.widget.survey import SurveyPanel
from lpweb.widget.vdom import h, text_of

t = Catalog("en").t


def test_survey_panel_steps():
    s = SurveyPanel()
    assert s.node(t, None) is None and not s.active
    assert s.start("d1") and not s.start("d1") and s.active
    assert s.node(t, None).attrs["data-state"] == "waiting"
    s.ask("d1:0", "How would you rate the service?")
    answers = h("div", {"role": "group"}, h("button", {"type": "button"}, "5"))
    node = s.node(t, answers)
    assert node.attrs["data-state"] == "question"
    assert text_of(node).startswith("How did we do?How would you rate the service?5")
    assert "Skip" in text_of(node)
    s.answer()
    assert s.answered == 1 and s.question_key is None
    s.finish()
    assert not s.active and "Thank you for your feedback!" in text_of(s.node(t, None))


def test_skipped_survey_says_so():
    s = SurveyPanel()
    s.start("d2")
    s.finish(skipped=True)
    assert "Survey skipped" in text_of(s.node(t, None))
