"""Section 3, item 3: no HTML sink anywhere in the widget's code or assets."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|srcdoc|\.cssText|"
                   r"createContextualFragment|setHTMLUnsafe|\beval\s*\(|new\s+Function\s*\(")


def sources():
    for base in (ROOT / "lpweb" / "widget", ROOT / "web"):
        for p in base.rglob("*"):
            if p.is_file() and "vendor" not in p.relative_to(ROOT).parts and p.suffix in (
                    ".py", ".js", ".mjs", ".html", ".css", ".json"):
                yield p
    yield ROOT / "demo" / "index.html"


def test_no_html_sinks():
    hits = []
    for p in sources():
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if SINKS.search(line):
                hits.append(f"{p.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == []


def test_no_inline_event_handlers_or_scripts_in_web_assets():
    for p in sources():
        if p.suffix == ".html":
            text = p.read_text(encoding="utf-8")
            assert not re.search(r"\son[a-z]+\s*=", text), p
            assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"py\")[^>]*>", text), p
            assert "style=" not in text, p
