"""Structured content rendering (widget.md section 6)."""

from __future__ import annotations

from demo.agent_bot import CARD, OPTIONS

from lpweb.widget.render import Limits, render_content, render_quick_replies
from lpweb.widget.render import validate as v
from lpweb.widget.render.elements import fallback_text, quick_reply_title
from lpweb.widget.vdom import UnsafeNode, h, walk

import pytest


def test_demo_card_renders_with_actions():
    res = render_content(CARD)
    assert not res.fallback and res.errors == []
    buttons = res.node.find_all("button")
    assert [b.text().split("opens")[0] for b in buttons] == ["Open the docs", "Say thanks"]
    link = res.actions.get(buttons[0].attrs["data-action"])
    assert link.actions[0].type == "link" and link.actions[0].url == "https://developers.liveperson.com"
    assert "developers.liveperson.com" in buttons[0].text()      # the real destination is shown
    pub = res.actions.get(buttons[1].attrs["data-action"])
    assert pub.actions[0].text == "thanks"
    title = res.node.find_all("p")[0]
    assert "sc-bold" in title.classes and "sc-size-large" in title.classes and title.attrs["title"] == "title"


def test_text_newlines_become_br_and_tooltip_is_unescaped():
    res = render_content({"type": "text", "text": "a\nb & <c>", "tooltip": "Tom & Jerry's"})
    p = res.node.find_all("p")[0]
    assert p.children[0] == "a" and p.children[1].tag == "br" and p.children[2] == "b & <c>"
    assert p.attrs["title"] == "Tom & Jerry's"   # F8: no HTML escaping in attributes


def test_every_supported_type():
    payload = {"type": "vertical", "elements": [
        {"type": "image", "url": "https://img.example.com/a.png", "alt": "A", "caption": "Cap",
         "click": {"actions": [{"type": "link", "uri": "https://x.example/"}]}},
        {"type": "map", "la": 32.1, "lo": 34.8, "tooltip": "Office"},
        {"type": "horizontal", "percentages": [30, 70], "elements": [
            {"type": "text", "text": "L"}, {"type": "text", "text": "R"}]},
        {"type": "carousel", "elements": [{"type": "vertical", "elements": [{"type": "text", "text": str(i)}]}
                                          for i in range(3)]},
        {"type": "tabs", "elements": [{"type": "vertical", "tag": "One", "elements": [{"type": "text", "text": "1"}]},
                                      {"type": "vertical", "tag": "Two", "elements": [{"type": "text", "text": "2"}]}]},
        {"type": "list", "elements": [{"type": "sectionList", "elements": [{"type": "section", "sectionID": "s1",
            "elements": [{"type": "text", "text": "Pick"}, {"type": "checklist", "elements": [
                {"type": "checkbox", "text": "Yes", "click": {"actions": [{"type": "checked"}],
                                                              "metadata": [{"type": "ExternalId", "id": "y"}]}}]}]}]},
            {"type": "buttonList", "elements": [{"type": "submitButton", "title": "Submit",
                                                 "click": {"actions": [{"type": "submitAsText", "submit": True}]}}]}]},
        {"type": "carouselSelect", "selectMode": {"name": "pick"}, "elements": [
            {"type": "vertical", "elements": [{"type": "text", "text": "a"}], "metadata": [{"type": "x"}]},
            {"type": "vertical", "elements": [{"type": "text", "text": "b"}]}]},
        {"type": "button", "title": "Done", "ref": {"type": "carouselSelect", "name": "pick"},
         "click": {"actions": [{"type": "publishText", "text": "done"}]}},
    ]}
    res = render_content(payload)
    assert not res.fallback, res.errors
    root = res.node
    fig = root.find_all("figure")[0]
    assert fig.find_all("img")[0].attrs["referrerpolicy"] == "no-referrer"
    assert fig.find_all("button")[0].attrs["aria-label"] == "A"          # F10: real button around the image
    assert root.find_all("button", **{"aria_label": "Office"})
    cells = [n for n in walk(root) if n.style.get("flex-basis")]
    assert [c.style["flex-basis"] for c in cells] == ["30%", "70%"]
    carousel = root.find_all("section")[0]
    assert carousel.attrs["aria-roledescription"] == "carousel"
    assert [c.attrs["aria-label"] for c in carousel.find_all(role="listitem")] == ["Item 1 of 3", "Item 2 of 3", "Item 3 of 3"]
    # section 6: "focus follows the card": each card can take the focus, none is an extra Tab stop
    assert [c.attrs["tabindex"] for c in carousel.find_all(role="listitem")] == ["-1", "-1", "-1"]
    assert len(root.find_all(role="tab")) == 2 and root.find_all(role="tabpanel")[1].attrs.get("hidden") == ""
    form = root.find_all("form")[0]
    box = form.find_all("input")[0]
    label = form.find_all("label")[0]
    assert label.attrs["for"] == box.attrs["id"] and label.text() == "Yes"
    assert form.find_all("legend")[0].text() == "Pick"
    assert root.find_all("button", type="submit")
    assert len(root.find_all(role="checkbox")) == 2
    done = root.find_all("button")[-1]
    assert res.actions.get(done.attrs["data-action"]).ref == "pick"


def test_fallbacks_keep_the_meaning():
    res = render_content({"type": "vertical", "elements": [
        {"type": "text", "text": "Before"}, {"type": "linkPreview", "title": "A preview", "url": "https://x"}]})
    assert not res.fallback and res.unsupported == ["linkPreview"]
    fb = res.node.find_all(data_fallback="linkPreview")[0]
    assert "A preview" in fb.text() and "isn't fully supported" in fb.text()
    whole = render_content({"type": "text"})                       # structural failure
    assert whole.fallback and whole.errors == ["$.text: missing"]
    assert "can't be shown" in whole.text
    assert render_content("not json").fallback


def test_global_budget_not_per_path():
    wide = {"type": "vertical", "elements": [{"type": "vertical", "elements": [
        {"type": "text", "text": f"{i}{j}"} for j in range(10)]} for i in range(10)]}
    res = render_content(wide)
    assert res.fallback and res.errors == ["$: limit elements"]
    assert "00" in res.text        # the fallback text keeps the words
    assert not render_content(wide, limits=Limits(max_elements=200)).fallback


def test_actions_rules():
    res = render_content({"type": "button", "title": "x", "click": {"actions": [
        {"type": "link", "uri": "https://a.example/"}, {"type": "navigate", "la": 1, "lo": 2},
        {"type": "publishText", "text": "p"}, {"type": "link", "uri": "javascript:alert(1)"}]}})
    click = next(iter(res.actions.clicks.values()))
    assert [a.type for a in click.actions] == ["publishText", "link"]      # publishText first, one navigation
    inactive = render_content({"type": "button", "title": "bad", "click": {"actions": [
        {"type": "link", "uri": "javascript:alert(1)"}]}})
    assert not inactive.node.find_all("button") and "sc-inactive" in inactive.node.find_all("span")[0].classes
    hook = render_content({"type": "button", "title": "Add", "click": {"actions": [{"type": "addToCart", "id": 1}]}})
    assert next(iter(hook.actions.clicks.values())).actions[0].type == "addToCart"


def test_quick_replies_limits():
    res = render_quick_replies(OPTIONS)
    chips = res.node.find_all("button")
    assert [c.text() for c in chips] == ["Tea", "Coffee", "Water"]
    assert res.node.attrs["role"] == "toolbar" and res.node.attrs["aria-label"] == "Suggested replies"
    # widget.md 15: one keyboard group, one Tab stop (roving tabindex; the arrows are app.py's)
    assert [c.attrs["tabindex"] for c in chips] == ["0", "-1", "-1"]
    meta = res.actions.get(chips[0].attrs["data-action"]).metadata
    assert meta == [{"type": "ExternalId", "id": "choice-tea"}]
    many = render_quick_replies({"type": "quickReplies", "itemsPerRow": 8, "replies": [
        {"type": "button", "title": f"R{i}", "click": {"actions": [{"type": "publishText", "text": str(i)}]}}
        for i in range(40)]})
    assert len(many.node.find_all("button")) == 24
    few_rows = render_quick_replies({"type": "quickReplies", "itemsPerRow": 2, "replies": [
        {"type": "button", "title": f"R{i}"} for i in range(40)]})
    assert len(few_rows.node.find_all("button")) == 6
    assert quick_reply_title("x" * 25) == "x" * 25 and quick_reply_title("x" * 26) == "x" * 22 + "…"
    long = render_quick_replies({"type": "quickReplies", "replies": [{"type": "button", "title": "y" * 30}]})
    chip = long.node.find_all("button")[0]
    assert chip.attrs["aria-label"] == "y" * 30 and chip.text() == "y" * 22 + "…"
    assert render_quick_replies({"type": "other"}) is None


@pytest.mark.parametrize("value,ok", [("#fff", True), ("#A0B1C2", True), ("#a0b1c2ff", True), ("red", True),
                                      ("red;x:y", False), ("rgb(0,0,0)", False), ("#ggg", False), (5, False)])
def test_colors(value, ok):
    assert (v.color(value) is not None) == ok


@pytest.mark.parametrize("url,ok", [("https://a.example/x?y=1", True), ("http://a.example/", True),
                                    ("mailto:a@b.example", True), ("tel:+123", False), ("javascript:x", False),
                                    ("JAVASCRIPT:x", False), ("//a.example", False), ("https://u:p@a.example", False),
                                    (" https://a.example", False), ("https://a.example/\n", False), ("data:,x", False)])
def test_link_urls(url, ok):
    assert (v.link_url(url) is not None) == ok
    assert v.link_url("tel:+15550100", allow_tel=True)


def test_image_urls_and_numbers():
    assert v.image_url("https://img.example.com/a.png")
    assert v.image_url("https://img.example.com/a.png", ["example.com"])
    assert not v.image_url("https://img.other.com/a.png", ["example.com"])
    assert not v.image_url("http://img.example.com/a.png")
    assert not v.image_url("https://xn--pple-43d.com/a.png")
    assert v.maps_url(90, -180) and not v.maps_url(91, 0) and not v.maps_url(float("nan"), 0)
    assert v.clean_text("a\u202eb\x00c") == "abc" and v.clean_text("a\u202eb", rtl=True) == "a\u202eb"
    assert v.aria_attrs({"onclick": "x", "role": "heading", "aria-label": "L", "tabindex": "5", "style": "s"}) == \
        {"role": "heading", "aria-label": "L"}


def test_node_builder_refuses_unsafe_descriptions():
    with pytest.raises(UnsafeNode):
        h("script")
    with pytest.raises(UnsafeNode):
        h("div", {"onclick": "x"})
    with pytest.raises(UnsafeNode):
        h("div", {"class": "a;b"})
    with pytest.raises(UnsafeNode):
        h("div", style={"background-image": "url(x)"})


def test_fallback_text_order():
    assert fallback_text({"type": "vertical", "elements": [{"type": "text", "text": "A"},
                                                            {"type": "image", "alt": "B"}, {"type": "button", "title": "C"}]}) == "A\nB\nC"
