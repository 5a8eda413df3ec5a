"""Integrators' custom element renderers (parity item 24): ``render_content(renderers=...)``.

A renderer returns a vdom Node (so the tag and attribute allow-lists still apply); returning
None, something else or raising falls back to the built-in renderer (or the text fallback)."""

from __future__ import annotations

import pytest

from lpweb.widget.render import render_content
from lpweb.widget.vdom import UnsafeNode, h, text_of, walk

CARD = {"type": "vertical", "elements": [{"type": "text", "text": "Price"},
                                         {"type": "keyValuePairList", "alt": "key values"}]}


def test_custom_renderer_replaces_a_type():
    res = render_content(CARD, renderers={"keyValuePairList": lambda el: h("ul", {"class": "kv"}, h("li", {}, "k: v"))})
    tags = [n.tag for n in walk(res.node)]
    assert "ul" in tags and not res.fallback and res.unsupported == []
    assert text_of(res.node) == "Pricek: v"


@pytest.mark.parametrize("fn", [lambda el: None, lambda el: "<b>html</b>", lambda el: 1 / 0])
def test_unusable_renderer_falls_back(fn):
    res = render_content(CARD, renderers={"text": fn})
    assert "Price" in text_of(res.node)
    assert "<b>" not in text_of(res.node)


def test_renderer_cannot_bypass_the_allow_lists():
    with pytest.raises(UnsafeNode):
        h("div", {"onclick": "alert(1)"})
