"""The hostile corpus at validation level (widget.md 6.6): every payload renders to an
allow-listed node tree or its text fallback, with no unsafe URL, style or attribute."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_corpus import CORPUS  # noqa: E402

from lpweb.widget import markdown  # noqa: E402
from lpweb.widget.render import Limits, render_content, render_quick_replies  # noqa: E402
from lpweb.widget.render import validate as v  # noqa: E402
from lpweb.widget.vdom import ARIA_ATTRS, ATTRS, DATA_ATTRS, STYLE_PROPS, TAGS, Node, walk  # noqa: E402

LIMITS = Limits(image_hosts=("images.example.com",))
SAFE_STYLE = re.compile(r"^(#[0-9a-f]{3,8}|[a-z]+|\d+px|\d+(\.\d+)?%|\d)$")


def render_case(case):
    if case["kind"] == "markdown":
        nodes = markdown.render(case["payload"])
        return Node("div", {}, list(nodes)), False
    if case["kind"] == "quick_replies":
        res = render_quick_replies(case["payload"], limits=LIMITS)
        assert res is not None
        return res.node, False
    res = render_content(case["payload"], limits=LIMITS)
    assert res.elements <= LIMITS.max_elements
    return res.node, res.fallback


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 150
    assert len({c["id"] for c in CORPUS}) == len(CORPUS)
    cats = {c["category"] for c in CORPUS}
    assert {"F1", "F2", "F3", "F4", "F5", "F6", "F7", "strings", "rtl"} <= cats


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_hostile_payload_is_safe(case):
    root, fell_back = render_case(case)
    if case["expect"] == "fallback":
        assert fell_back, case["id"]
    elif case["expect"] == "render":
        assert not fell_back, case["id"]
    count = 0
    for node in walk(root):
        count += 1
        assert node.tag in TAGS
        for name, value in node.attrs.items():
            assert name in ATTRS or name in ARIA_ATTRS or name in DATA_ATTRS, name
            assert not name.startswith("on")
            if name == "href":
                assert v.link_url(value) == value and not value.lower().startswith(("javascript", "data", "vbscript"))
            if name == "src":
                assert v.image_url(value, LIMITS.image_hosts) == value and value.startswith("https://images.example.com/")
            if name == "style":
                raise AssertionError("no style attribute strings")
        for prop, value in node.style.items():
            assert prop in STYLE_PROPS
            assert SAFE_STYLE.match(value), (prop, value)
    assert count <= 400
    text = root.text()
    assert "\u202e" not in text or 'dir' in str(root.attrs)


def test_every_category_shows_something():
    """(d) of 6.6: each case shows its content or its text fallback, never nothing."""
    for case in CORPUS:
        if case["category"] == "structure":
            continue
        root, _ = render_case(case)
        assert root.text().strip() or root.find_all("img"), case["id"]
