"""The site's own CSS and JS as ``python build.py web`` serves them (build.compact): comments and
indentation go, every rule and statement stays. The e2e suite runs the widget on the served
files; this checks the transformation itself on web/'s sources."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("lpweb_build_script", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["widget.css", "widget-boot.css"])
def test_css_keeps_every_declaration(build, name):
    source = (WEB / name).read_text(encoding="utf-8")
    served = build.compact(source, ".css")
    assert "/*" not in served and "\n" not in served.rstrip("\n")
    assert len(served) < len(source)
    # Apart from whitespace, the served text is the source without its comments.
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    assert squeeze(served) == squeeze(re.sub(r"/\*.*?\*/", "", source, flags=re.S))
    # Spaces that carry meaning stay: between value tokens, and around calc()'s operators.
    assert "system-ui,-apple-system" in build.compact(":host { font: 15px/1.45 system-ui, -apple-system; }", ".css")
    assert "calc(100% - 2px)" in build.compact(".a { width: calc(100% - 2px); }", ".css")
    assert build.compact("@media (prefers-color-scheme: dark) { .a > .b { color: red; } }", ".css") == \
        "@media (prefers-color-scheme:dark){.a>.b{color:red;}}\n"


@pytest.mark.parametrize("name", ["widget-boot.js", "trusted-types.js", "demo-query.js", "lpweb-runtime.mjs"])
def test_js_keeps_every_statement_line(build, name):
    source = (WEB / name).read_text(encoding="utf-8")
    served = build.compact(source, Path(name).suffix)
    code = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("//")]
    assert served.splitlines() == code
    assert len(served) < len(source)


def test_other_files_are_served_as_they_are(build):
    assert build.compact("  <p>x</p>  // not a comment\n", ".html") == "  <p>x</p>  // not a comment\n"
