"""The safe markdown subset (parity item 13)."""

from __future__ import annotations

from lpweb.widget import markdown as md
from lpweb.widget.vdom import text_of, walk


def tags(nodes):
    return [n.tag for root in nodes for n in walk(root)]


def test_inline_subset():
    (p,) = md.render("**bold** *it* _it2_ `co*de*` ~~gone~~ [docs](https://a.example/x) at https://b.example/y.")
    assert [c.tag if not isinstance(c, str) else c for c in p.children] == [
        "strong", " ", "em", " ", "em", " ", "code", " ", "del", " ", "a", " at ", "a", "."]
    links = p.find_all("a")
    assert links[0].attrs == {"href": "https://a.example/x", "target": "_blank",
                              "rel": "noopener noreferrer nofollow", "class": "md-link", "title": "a.example"}
    assert links[1].attrs["href"] == "https://b.example/y"
    assert p.find_all("code")[0].children == ["co*de*"]


def test_unsafe_links_stay_text():
    for bad in ("javascript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example"):
        nodes = md.render(f"[x]({bad})")
        assert "a" not in tags(nodes)
        assert text_of(nodes) == f"[x]({bad})"


def test_html_is_literal_text():
    nodes = md.render('<img src=x onerror="alert(1)"> <b>b</b>')
    assert tags(nodes) == ["p"] and text_of(nodes) == '<img src=x onerror="alert(1)"> <b>b</b>'


def test_lists_and_paragraphs():
    nodes = md.render("Intro\nline 2\n\n- one\n- **two**\n1. first\n2. second\nafter")
    assert [n.tag for n in nodes] == ["p", "ul", "ol", "p"]
    assert [c.tag for c in nodes[0].children if not isinstance(c, str)] == ["br"]
    assert text_of(nodes[1]) == "onetwo"


def test_edge_cases_do_not_explode():
    assert text_of(md.render("*" * 5000)) == "*" * 5000
    assert text_of(md.render("snake_case_word and 2 * 3 * 4")) == "snake_case_word and 2 * 3 * 4"
    assert text_of(md.render(r"\*not em\*")) == "*not em*"
    assert md.render("") == []


def test_plain_for_consumer_text():
    assert md.plain("**a**\nb") == ["**a**", md.plain("x\ny")[1], "b"]
