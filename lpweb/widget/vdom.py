"""Node descriptions: the pure-Python tree that :mod:`lpweb.widget.dom` turns into DOM nodes.

Everything the widget shows (markdown, structured content, the chat chrome) is described
with :class:`Node` values first. A node can only carry an allow-listed tag, allow-listed
attribute names, class names from the widget's own vocabulary and style properties from a
short list; :func:`h` enforces this when the node is built and ``dom.py`` checks it again
when it writes the DOM. There is no way to express raw markup: text is always a ``str``
child, written with ``textContent``/``createTextNode``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Union

__all__ = ["Node", "Child", "h", "text_of", "walk", "TAGS", "ATTRS", "STYLE_PROPS", "UnsafeNode"]

#: Every tag the widget may create.
TAGS = frozenset({
    "div", "span", "p", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "button", "img",
    "figure", "figcaption", "br", "section", "form", "fieldset", "legend", "input", "label",
    "header", "footer", "h2", "h3", "time", "small", "textarea", "progress", "nav", "del",
})
#: Every attribute name the widget may set (``aria-*`` from ARIA_ATTRS, ``data-*`` from DATA_ATTRS).
ATTRS = frozenset({
    "id", "class", "dir", "lang", "role", "tabindex", "title", "alt", "src", "href", "type", "name",
    "value", "for", "loading", "decoding", "referrerpolicy", "rel", "target", "checked", "disabled",
    "hidden", "width", "height", "datetime", "novalidate", "placeholder", "autocomplete", "max",
    "accept", "rows", "download", "maxlength", "enterkeyhint", "inputmode",
})
ARIA_ATTRS = frozenset({
    "aria-label", "aria-labelledby", "aria-describedby", "aria-live", "aria-relevant", "aria-atomic",
    "aria-hidden", "aria-checked", "aria-selected", "aria-controls", "aria-expanded", "aria-current",
    "aria-roledescription", "aria-posinset", "aria-setsize", "aria-disabled", "aria-busy",
    "aria-valuenow", "aria-valuemin", "aria-valuemax", "aria-valuetext", "aria-level", "aria-modal",
    "aria-haspopup", "aria-pressed",
})
DATA_ATTRS = frozenset({
    "data-action", "data-role", "data-sequence", "data-state", "data-kind", "data-key", "data-type",
    "data-index", "data-client-id", "data-fallback", "data-dialog", "data-conn", "data-progress",
})
#: Style properties that may be set (through ``style.setProperty`` with validated values).
STYLE_PROPS = frozenset({
    "color", "background-color", "border-color", "border-radius", "padding", "flex-basis",
    "font-weight", "font-style", "font-size", "width", "--lpw-progress", "--lpw-columns",
})
#: Attributes that load or navigate: only accepted with values produced by render.validate.
URL_ATTRS = frozenset({"src", "href"})
_CLASS = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


class UnsafeNode(ValueError):
    """A node description broke the allow-lists (a bug in the widget, never payload data)."""


def attr_allowed(name: str) -> bool:
    return name in ATTRS or name in ARIA_ATTRS or name in DATA_ATTRS


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["Child"] = field(default_factory=list)
    style: dict[str, str] = field(default_factory=dict)
    #: Python-side payload never written to the DOM (action ids map, metadata, ...).
    data: dict[str, Any] = field(default_factory=dict)

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        return [n for n in walk(self) if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return text_of(self)


Child = Union[Node, str]


def h(tag: str, attrs: dict[str, Any] | None = None, *children: Child | None | Iterable[Child],
      style: dict[str, str] | None = None, **data: Any) -> Node:
    """Build a node, checking tag, attribute names, class names and style property names."""
    if tag not in TAGS:
        raise UnsafeNode(f"tag {tag!r} is not allowed")
    clean: dict[str, str] = {}
    for name, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        if not attr_allowed(name):
            raise UnsafeNode(f"attribute {name!r} is not allowed")
        if name == "class":
            value = " ".join(str(value).split())
            if not all(_CLASS.match(c) for c in value.split()):
                raise UnsafeNode(f"class {value!r} is not in the widget vocabulary")
        clean[name] = "" if value is True else str(value)
    for prop in style or {}:
        if prop not in STYLE_PROPS:
            raise UnsafeNode(f"style property {prop!r} is not allowed")
    kids: list[Child] = []
    for c in children:
        if c is None:
            continue
        if isinstance(c, (Node, str)):
            kids.append(c)
        else:
            kids.extend(x for x in c if x is not None)
    return Node(tag, clean, kids, dict(style or {}), data)


def walk(node: Child) -> Iterator[Node]:
    if isinstance(node, Node):
        yield node
        for c in node.children:
            yield from walk(c)


def text_of(node: Child | list[Child]) -> str:
    if isinstance(node, list):
        return "".join(text_of(c) for c in node)
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    return "".join(text_of(c) for c in node.children)
