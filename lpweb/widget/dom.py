"""The only module that writes the DOM (widget.md 6.2 step 4, design.md section 4).

It turns :class:`~lpweb.widget.vdom.Node` descriptions into elements with
``document.createElement``, ``createTextNode``, ``setAttribute`` for allow-listed names and
``style.setProperty`` for allow-listed properties; URL attributes are validated again here.
There is no HTML parsing anywhere. It also owns every Python callable handed to JavaScript
(:class:`Proxies`), so unmounting a view destroys them all (failure mode 10).

Browser-only: ``js`` and ``pyodide`` are imported inside functions, so the module imports
under CPython (for its pure helpers).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .render import validate as v
from .vdom import ARIA_ATTRS, ATTRS, DATA_ATTRS, STYLE_PROPS, TAGS, Node

__all__ = ["Proxies", "build", "set_text", "set_attr", "clear", "check_attr", "to_object"]

_LOCAL_BLOB = re.compile(r"^blob:https?://[^/\s]+/[0-9a-fA-F-]{36}$")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]{1,60000}$")
_STYLE_VALUE = re.compile(r"^[#a-zA-Z0-9.%\- ]{1,40}$")


def check_attr(tag: str, name: str, value: str, node: Node | None = None) -> bool:
    """Second line of defence: is this attribute allowed here, with this value?"""
    if not (name in ATTRS or name in ARIA_ATTRS or name in DATA_ATTRS):
        return False
    if name == "href":
        return tag == "a" and (v.link_url(value) == value or bool(node and node.data.get("local_url")
                                                                       and _LOCAL_BLOB.match(value)))
    if name == "src":
        if tag != "img":
            return False
        if node is not None and node.data.get("local_url"):
            return bool(_LOCAL_BLOB.match(value) or _DATA_IMAGE.match(value))
        return v.image_url(value, node.data.get("image_hosts", ()) if node is not None else ()) == value
    return True


def to_object(value: dict) -> Any:
    import js
    from pyodide.ffi import to_js

    return to_js(value, dict_converter=js.Object.fromEntries)


def build(node: Node | str, doc: Any = None) -> Any:
    """A DOM node for a node description."""
    import js

    doc = doc or js.document
    if isinstance(node, str):
        return doc.createTextNode(node)
    if node.tag not in TAGS:
        raise ValueError(f"tag {node.tag!r} is not allowed")
    el = doc.createElement(node.tag)
    for name, value in node.attrs.items():
        if check_attr(node.tag, name, value, node):
            el.setAttribute(name, value)
    for prop, value in node.style.items():
        if prop in STYLE_PROPS and _STYLE_VALUE.match(value):
            el.style.setProperty(prop, value)
    for child in node.children:
        el.appendChild(build(child, doc))
    return el


def set_text(el: Any, text: str) -> None:
    el.textContent = text


def set_attr(el: Any, name: str, value: str | None) -> None:
    tag = str(el.tagName).lower()
    if value is None:
        el.removeAttribute(name)
    elif check_attr(tag, name, value):
        el.setAttribute(name, value)


def clear(el: Any) -> None:
    el.replaceChildren()


class Proxies:
    """Every JS-held Python callable of one mounted view; :meth:`destroy_all` on unmount."""

    def __init__(self) -> None:
        self._live: list[Any] = []
        self._listeners: list[tuple[Any, str, Any]] = []

    def proxy(self, fn: Callable) -> Any:
        from pyodide.ffi import create_proxy

        p = create_proxy(fn)
        self._live.append(p)
        return p

    def listen(self, target: Any, event: str, fn: Callable) -> Any:
        p = self.proxy(fn)
        target.addEventListener(event, p)
        self._listeners.append((target, event, p))
        return p

    def once(self, fn: Callable) -> Any:
        """A proxy destroyed after its first call (timers, one-shot callbacks)."""
        from pyodide.ffi import create_once_callable

        return create_once_callable(fn)

    @property
    def count(self) -> int:
        return len(self._live)

    def destroy_all(self) -> None:
        for target, event, p in self._listeners:
            try:
                target.removeEventListener(event, p)
            except Exception:
                pass
        self._listeners.clear()
        for p in self._live:
            try:
                p.destroy()
            except Exception:
                pass
        self._live.clear()
