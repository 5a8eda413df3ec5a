"""The hostile-payload corpus (widget.md 6.6): >= 150 structured-content, quick-reply and
markdown payloads that try XSS, CSS injection, unsafe URLs, attribute smuggling, budget
exhaustion, silent drops, bidi tricks and very long strings.

Used by tests/widget/test_widget_corpus.py (validation level, CPython) and by
e2e/test_widget_rendering.py (the real DOM under a strict CSP with Trusted Types).

Each case is a dict: ``id``, ``category``, ``kind`` ("rich", "quick_replies" or
"markdown"), ``payload`` and ``expect``: "render" (content shown), "fallback" (the
whole-message text fallback) or "any". Script payloads call ``__lpwebPwned("<id>")`` so a
browser test can count executions.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["CORPUS", "cases", "as_json"]

XSS = [
    '<img src=x onerror=__lpwebPwned("{id}")>',
    '<script>__lpwebPwned("{id}")</script>',
    '<svg onload=__lpwebPwned("{id}")>',
    '"><iframe src="javascript:__lpwebPwned(\'{id}\')">',
    '<a href="javascript:__lpwebPwned(\'{id}\')">click</a>',
    '<details open ontoggle=__lpwebPwned("{id}")>',
    '<style>*{{background:url(https://evil.example/p)}}</style>',
    '{{{{constructor.constructor("__lpwebPwned(\'{id}\')")()}}}}',
    '<math><mtext><table><mglyph><style><img src=x onerror=__lpwebPwned("{id}")>',
    '&lt;img src=x onerror=__lpwebPwned("{id}")&gt;',
]
TEXT_FIELDS = [  # (element builder, description): each puts the string in one text-bearing field
    ("text", lambda s: {"type": "text", "text": s}),
    ("text-tooltip", lambda s: {"type": "text", "text": "hi", "tooltip": s}),
    ("button-title", lambda s: {"type": "button", "title": s,
                                "click": {"actions": [{"type": "publishText", "text": "ok"}]}}),
    ("button-subtitle", lambda s: {"type": "button", "title": "t", "subtitle": s,
                                   "click": {"actions": [{"type": "publishText", "text": "ok"}]}}),
    ("image-caption", lambda s: {"type": "image", "url": "https://images.example.com/a.png", "caption": s}),
    ("image-alt", lambda s: {"type": "image", "url": "https://images.example.com/a.png", "alt": s}),
    ("checkbox-text", lambda s: {"type": "list", "elements": [{"type": "sectionList", "elements": [
        {"type": "section", "elements": [{"type": "checklist", "elements": [
            {"type": "checkbox", "text": s, "borderLine": True}]}]}]}]}),
    ("publishText", lambda s: {"type": "button", "title": "go",
                               "click": {"actions": [{"type": "publishText", "text": s}]}}),
]
COLORS = [
    "red;position:fixed;top:0;left:0;width:100vw;height:100vh;background:url(https://evil.example/p)",
    "#fff;background-image:url(https://evil.example/track)",
    "expression(__lpwebPwned('{id}'))",
    "url(javascript:__lpwebPwned('{id}'))",
    "rgb(0,0,0);display:none",
    "#12345g",
    "var(--x);z-index:99999",
    "}</style><script>__lpwebPwned('{id}')</script>",
]
BAD_URIS = [
    "javascript:__lpwebPwned('{id}')",
    "JaVaScRiPt:__lpwebPwned('{id}')",
    " javascript:__lpwebPwned('{id}')",
    "java\tscript:__lpwebPwned('{id}')",
    "java\nscript:__lpwebPwned('{id}')",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "\\\\evil.example\\x",
    "file:///etc/passwd",
    "blob:https://evil.example/uuid",
    "https://user:pass@evil.example/",
    "http:evil.example",
    "javascript&colon;__lpwebPwned('{id}')",
    "&#106;avascript:__lpwebPwned('{id}')",
]
BAD_IMAGES = [
    "http://images.example.com/a.png",
    "javascript:__lpwebPwned('{id}')",
    "data:image/svg+xml,<svg onload=__lpwebPwned('{id}')>",
    "//evil.example/pixel.gif",
    "https://xn--80ak6aa92e.com/a.png",
    "https:/evil.example/a.png",
    "https://evil.example@images.example.com/a.png",
    "ftp://images.example.com/a.png",
]
ACCESSIBILITY = [
    {"onclick": "__lpwebPwned('{id}')"},
    {"onmouseover": "__lpwebPwned('{id}')", "role": "button"},
    {"style": "position:fixed;inset:0"},
    {"href": "javascript:__lpwebPwned('{id}')"},
    {"src": "https://evil.example/x.js"},
    {"aria-label": "<img src=x onerror=__lpwebPwned('{id}')>", "role": "<script>"},
    {"ARIA-LABEL": "x", "tabindex": "99"},
    {"srcdoc": "<script>__lpwebPwned('{id}')</script>"},
]
UNRENDERED = ["linkPreview", "keyValuePairList", "template", "datePicker", "html", "script", "iframe",
              "video", "unknownFancyType"]
HOOK_ACTIONS = ["addToCart", "custom", "datePicker", "scheduleSlotList", "unknownAction"]
BIDI = ["\u202eevil.exe\u202c.png", "abc\u2066def\u2069", "\u200f\u202bmixed\u202c", "A" * 20000,
        "\u0000\u0001nul\u0007bell", "😀" * 3000]


def _case(cid: str, category: str, payload: Any, expect: str = "any", kind: str = "rich") -> dict[str, Any]:
    text = json.dumps(payload)
    return {"id": cid, "category": category, "kind": kind,
            "payload": json.loads(text.replace("{id}", cid)), "expect": expect}


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # F1: HTML and handlers in every text-bearing field
    for fi, (fname, make) in enumerate(TEXT_FIELDS):
        for xi, s in enumerate(XSS):
            out.append(_case(f"f1-{fname}-{xi}", "F1", {"type": "vertical", "elements": [make(s)]}, "render"))
    # F2: CSS injection through every colour field
    for ci, col in enumerate(COLORS):
        for field in ("color", "background-color", "border-color"):
            out.append(_case(f"f2-{field}-{ci}", "F2", {"type": "vertical", "elements": [
                {"type": "text", "text": "styled", "style": {field: col, "border-radius": "50;position:fixed"}},
                {"type": "button", "title": "b", "style": {field: col},
                 "click": {"actions": [{"type": "publishText", "text": "x"}]}}]}, "render"))
    # F3: unsafe link URIs (uri and web.uri)
    for ui, uri in enumerate(BAD_URIS):
        out.append(_case(f"f3-uri-{ui}", "F3", {"type": "vertical", "elements": [
            {"type": "button", "title": "Open", "click": {"actions": [{"type": "link", "name": "x", "uri": uri}]}},
            {"type": "button", "title": "Web", "click": {"actions": [
                {"type": "link", "name": "x", "uri": "https://ok.example/", "web": {"uri": uri}}]}}]}, "render"))
        out.append(_case(f"f3-md-{ui}", "F3", f"[click me]({uri}) and <{uri}>", "render", kind="markdown"))
    # F4: image URLs that are not https or off-list
    for ii, url in enumerate(BAD_IMAGES):
        out.append(_case(f"f4-img-{ii}", "F4", {"type": "vertical", "elements": [
            {"type": "image", "url": url, "alt": "blocked image", "caption": "cap"}]}, "render"))
    # F5: accessibility.web smuggling
    for ai, acc in enumerate(ACCESSIBILITY):
        for target in ("text", "button"):
            el = {"type": "text", "text": "a11y"} if target == "text" else \
                {"type": "button", "title": "a11y", "click": {"actions": [{"type": "publishText", "text": "y"}]}}
            el["accessibility"] = {"web": acc}
            out.append(_case(f"f5-{target}-{ai}", "F5", {"type": "vertical", "elements": [el]}, "render"))
    # F6: deep and wide trees past the budget
    deep: dict[str, Any] = {"type": "text", "text": "bottom"}
    for _ in range(30):
        deep = {"type": "vertical", "elements": [deep]}
    out.append(_case("f6-deep-30", "F6", deep, "fallback"))
    wide = {"type": "vertical", "elements": [{"type": "vertical", "elements": [
        {"type": "text", "text": f"{i}-{j}"} for j in range(10)]} for i in range(10)]}
    out.append(_case("f6-wide-10x10", "F6", wide, "fallback"))
    out.append(_case("f6-flat-500", "F6", {"type": "vertical", "elements": [
        {"type": "text", "text": str(i)} for i in range(500)]}, "fallback"))
    out.append(_case("f6-carousel-11", "F6", {"type": "carousel", "elements": [
        {"type": "vertical", "elements": [{"type": "text", "text": str(i)}]} for i in range(11)]}, "fallback"))
    out.append(_case("f6-huge", "F6", {"type": "text", "text": "x" * 70000}, "fallback"))
    out.append(_case("f6-many-actions", "F6", {"type": "button", "title": "many", "click": {"actions": [
        {"type": "link", "uri": f"https://a{i}.example/"} for i in range(10)]}}, "render"))
    # F7: types the schema accepts but nothing renders, and unknown ones
    for ti, typ in enumerate(UNRENDERED):
        out.append(_case(f"f7-type-{typ}", "F7", {"type": "vertical", "elements": [
            {"type": typ, "title": f"Fallback title {ti}", "alt": f"Alt {ti}",
             "html": '<img src=x onerror=__lpwebPwned("{id}")>'}]}, "render"))
    for hi, act in enumerate(HOOK_ACTIONS):
        out.append(_case(f"f7-action-{act}", "F7", {"type": "button", "title": f"Do {act}",
                                                   "click": {"actions": [{"type": act, "target": "x"}]}}, "render"))
    # bidi overrides, control characters, very long strings
    for bi, s in enumerate(BIDI):
        out.append(_case(f"bidi-{bi}", "strings", {"type": "vertical", "elements": [
            {"type": "text", "text": s}, {"type": "button", "title": s[:200],
                                          "click": {"actions": [{"type": "publishText", "text": s[:300]}]}}]}, "render"))
    # RTL cards
    out.append(_case("rtl-card", "rtl", {"type": "vertical", "rtl": True, "elements": [
        {"type": "text", "text": "مرحبا بك", "rtl": True},
        {"type": "button", "title": "اختر", "rtl": True, "click": {"actions": [{"type": "publishText", "text": "نعم"}]}}]},
        "render"))
    out.append(_case("rtl-carousel", "rtl", {"type": "carousel", "rtl": True, "elements": [
        {"type": "vertical", "rtl": True, "elements": [{"type": "text", "text": f"بطاقة {i}", "rtl": True}]}
        for i in range(3)]}, "render"))
    # structural garbage
    garbage = [[], "text", 42, None, {"type": 5}, {"elements": []}, {"type": "vertical", "elements": "x"},
               {"type": "text"}, {"type": "text", "text": {"nested": "obj"}}, {"type": "button"},
               {"type": "map", "la": 1000, "lo": 0}, {"type": "map", "la": "NaN", "lo": "Infinity"},
               {"type": "horizontal", "percentages": [90, 90], "elements": [
                   {"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
               {"type": "vertical", "elements": [{"type": "text", "text": "ok"}], "__proto__": {"polluted": 1}}]
    for gi, g in enumerate(garbage):
        out.append(_case(f"garbage-{gi}", "structure", g, "any"))
    # quick replies
    out.append(_case("qr-xss", "quick-replies", {"type": "quickReplies", "itemsPerRow": 99, "replies": [
        {"type": "button", "title": s, "click": {"actions": [{"type": "publishText", "text": s}]}}
        for s in XSS]}, "render", kind="quick_replies"))
    out.append(_case("qr-too-many", "quick-replies", {"type": "quickReplies", "itemsPerRow": 8, "replies": [
        {"type": "button", "title": f"Reply {i}", "click": {"actions": [{"type": "publishText", "text": str(i)}]}}
        for i in range(40)]}, "render", kind="quick_replies"))
    out.append(_case("qr-links", "quick-replies", {"type": "quickReplies", "replies": [
        {"type": "button", "title": "bad", "click": {"actions": [{"type": "link", "uri": u}]}} for u in BAD_URIS]},
        "render", kind="quick_replies"))
    # markdown tricks
    md = ["**<img src=x onerror=__lpwebPwned('{id}')>**", "`<script>__lpwebPwned('{id}')</script>`",
          "[**x**](https://ok.example/\"onmouseover=\"__lpwebPwned('{id}'))",
          "![img](https://evil.example/p.png)", "<b onclick=__lpwebPwned('{id}')>b</b>",
          "*" * 5000, "[" * 3000 + "x" + "]" * 3000, "- <svg onload=__lpwebPwned('{id}')>\n- two",
          "https://evil.example/\"><script>__lpwebPwned('{id}')</script>"]
    for mi, s in enumerate(md):
        out.append(_case(f"md-{mi}", "markdown", s, "render", kind="markdown"))
    return out


CORPUS = cases()


def as_json() -> str:
    return json.dumps(CORPUS, ensure_ascii=False)
