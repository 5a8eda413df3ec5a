"""A safe markdown subset for agent and bot text (widget.md parity item 13).

``**bold**``, ``*italic*`` / ``_italic_``, ```code```, ``~~strike~~``, ``[text](url)``,
bare ``https://`` links, ``- `` / ``* `` / ``1. `` lists and line breaks. The output is a
list of :class:`~lpweb.widget.vdom.Node` (never an HTML string). Link targets pass
:func:`lpweb.widget.render.validate.link_url` (http, https, mailto); anything else stays
literal text. Consumer text is not parsed: use :func:`plain`.
"""

from __future__ import annotations

import re

from .render import validate as v
from .vdom import Child, Node, h

__all__ = ["render", "plain", "inline"]

MAX_LEN = 10_000
_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\(([^()\s]{1,2048})\)")
_AUTO = re.compile(r"(?<![\w/])((?:https?://|mailto:)[^\s<>()\[\]]{1,2048})")
_LIST = re.compile(r"^\s{0,3}([-*+]|\d{1,3}[.)])\s+(.*)$")
_TRAIL = ".,;:!?'\""


def plain(text: str) -> list[Child]:
    """Literal text with line breaks (consumer messages)."""
    out: list[Child] = []
    for i, line in enumerate(v.clean_text(text, MAX_LEN).split("\n")):
        if i:
            out.append(h("br"))
        if line:
            out.append(line)
    return out


def _link(label: list[Child], url: str) -> Node:
    host = v.link_host(url)
    return h("a", {"href": url, "target": "_blank", "rel": "noopener noreferrer nofollow",
                   "class": "md-link", "title": host or None}, *label)


def inline(text: str, depth: int = 0) -> list[Child]:
    """Inline spans of one line."""
    out: list[Child] = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if buf:
            out.append("".join(buf))
            buf.clear()

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "\\`*_[]()~":
            buf.append(text[i + 1])
            i += 2
            continue
        if c == "`":
            end = text.find("`", i + 1)
            if end > i + 1:
                flush()
                out.append(h("code", {}, text[i + 1:end]))
                i = end + 1
                continue
        if c == "[" and depth < 2:
            m = _LINK.match(text, i)
            if m:
                url = v.link_url(m.group(2))
                if url:
                    flush()
                    out.append(_link(inline(m.group(1), depth + 1), url))
                    i = m.end()
                    continue
        if c in "*_~" and depth < 4:
            for marker, tag in (("**", "strong"), ("__", "strong"), ("~~", "del"), ("*", "em"), ("_", "em")):
                if text.startswith(marker, i):
                    end = text.find(marker, i + len(marker))
                    inner = text[i + len(marker):end] if end > 0 else ""
                    ok = inner and not inner[0].isspace() and not inner[-1].isspace()
                    if marker in ("_", "__") and ok:  # no intra-word emphasis with underscores
                        ok = (i == 0 or not text[i - 1].isalnum()) and \
                             (end + len(marker) >= n or not text[end + len(marker)].isalnum())
                    if ok:
                        flush()
                        out.append(h(tag, {}, *inline(inner, depth + 1)))
                        i = end + len(marker)
                        break
            else:
                buf.append(c)
                i += 1
            continue
        if c in "hm" and depth < 2 and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "/")):
            m = _AUTO.match(text, i)
            if m:
                raw = m.group(1).rstrip(_TRAIL)
                url = v.link_url(raw)
                if url:
                    flush()
                    out.append(_link([raw], url))
                    i += len(raw)
                    continue
        buf.append(c)
        i += 1
    flush()
    return out


def render(text: str) -> list[Node]:
    """Agent text -> block nodes: paragraphs (lines joined by <br>) and lists."""
    text = v.clean_text(text, MAX_LEN)
    blocks: list[Node] = []
    para: list[str] = []
    items: list[str] = []
    ordered = False

    def end_para() -> None:
        if para:
            kids: list[Child] = []
            for j, line in enumerate(para):
                if j:
                    kids.append(h("br"))
                kids.extend(inline(line))
            blocks.append(h("p", {"class": "md-p"}, *kids))
            para.clear()

    def end_list() -> None:
        if items:
            blocks.append(h("ol" if ordered else "ul", {"class": "md-list"},
                            *[h("li", {}, *inline(it)) for it in items]))
            items.clear()

    for line in text.split("\n"):
        m = _LIST.match(line)
        if m:
            is_ordered = m.group(1)[0].isdigit()
            if items and is_ordered != ordered:
                end_list()
            end_para()
            ordered = is_ordered
            items.append(m.group(2))
        elif not line.strip():
            end_list()
            end_para()
        else:
            end_list()
            para.append(line)
    end_list()
    end_para()
    return blocks
