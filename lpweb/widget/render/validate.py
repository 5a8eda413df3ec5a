"""Semantic validation of structured-content values (widget.md 6.2 step 3).

Every function returns a safe value or ``None`` (meaning: drop it). Nothing here trusts
the JSON schema's formats (F2-F5, F11): colours, sizes, URLs, numbers and strings are
checked in code against allow-lists.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Iterable

__all__ = ["color", "size", "number_in", "clean_text", "image_url", "link_url", "maps_url",
           "aria_attrs", "metadata", "BIDI_CONTROLS"]


# urllib.parse (and the ipaddress module it imports) is imported on first use: it is not
# needed to show the widget, and costs ~0.1 s of the page's start-up in Pyodide.
def _urlsplit(url: str) -> Any:
    from urllib.parse import urlsplit

    return urlsplit(url)


def _quote(text: str, safe: str) -> str:
    from urllib.parse import quote

    return quote(text, safe=safe)

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
NAMED_COLORS = frozenset({
    "black", "white", "red", "green", "blue", "yellow", "orange", "purple", "gray", "grey", "silver",
    "maroon", "navy", "teal", "olive", "lime", "aqua", "fuchsia", "transparent",
})
SIZES = frozenset({"small", "medium", "large"})
#: Bidi embedding/override/isolate controls (neutralised unless the element is rtl).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def color(value: Any) -> str | None:
    """``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa`` or a short named-colour list; else None."""
    if not isinstance(value, str):
        return None
    v = value.strip()
    if _HEX.match(v):
        return v.lower()
    if v.lower() in NAMED_COLORS:
        return v.lower()
    return None


def size(value: Any) -> str | None:
    return value if isinstance(value, str) and value in SIZES else None


def number_in(value: Any, lo: float, hi: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return None
        else:
            return None
    if not math.isfinite(value) or not lo <= value <= hi:
        return None
    return float(value)


def clean_text(value: Any, max_len: int = 5000, rtl: bool = False) -> str:
    """Text for ``textContent``: control characters removed, bidi overrides neutralised
    (kept when the element is rtl), length capped. Never HTML-escaped (F8)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
    out = []
    for ch in value[: max_len * 2]:
        if ch in "\n\t":
            out.append(ch)
        elif ch in BIDI_CONTROLS:
            if rtl:
                out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t":
            continue
        else:
            out.append(ch)
    text = "".join(out)
    if len(text) > max_len:
        text = text[: max_len - 1] + "…"
    return text


def _split(value: Any) -> tuple[str, str, str] | None:
    """(scheme, host, url) of an absolute URL, strictly parsed; None when malformed."""
    if not isinstance(value, str) or len(value) > 2048:
        return None
    raw = value
    # Browsers strip ASCII tab/newline anywhere and leading C0/space: reject any such trick.
    if not raw or any(ord(c) < 0x21 or c in "\\\x7f" for c in raw):
        return None
    try:
        parts = _urlsplit(raw)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or raw[: len(scheme)].lower() != scheme:
        return None
    host = (parts.hostname or "").lower()
    return scheme, host, raw


def _host_ok(host: str) -> bool:
    if not host or host.startswith(".") or ".." in host or "@" in host:
        return False
    return bool(re.match(r"^[a-z0-9.-]+$", host)) and not host.startswith("xn--") and ".xn--" not in host


def image_url(value: Any, allowed_hosts: Iterable[str] = ()) -> str | None:
    """An ``https:`` image URL whose host is on the brand list (any public host when empty)."""
    got = _split(value)
    if got is None:
        return None
    scheme, host, raw = got
    if scheme != "https" or not _host_ok(host) or not raw.lower().startswith("https://"):
        return None
    hosts = tuple(h.lower() for h in allowed_hosts)
    if hosts and not any(host == h or host.endswith("." + h) for h in hosts):
        return None
    parts = _urlsplit(raw)
    if parts.username or parts.password:
        return None
    return raw


def link_url(value: Any, schemes: Iterable[str] = ("https", "http", "mailto"), allow_tel: bool = False) -> str | None:
    """A link destination with an allow-listed scheme (http, https, mailto; tel if enabled)."""
    got = _split(value)
    if got is None:
        return None
    scheme, host, raw = got
    allowed = set(schemes) | ({"tel"} if allow_tel else set())
    if scheme not in allowed:
        return None
    if scheme in ("http", "https"):
        if not raw.lower().startswith(scheme + "://") or not host or not re.match(r"^[a-z0-9.\-\[\]:]+$", host):
            return None
        parts = _urlsplit(raw)
        if parts.username or parts.password:
            return None
    elif scheme == "mailto":
        addr = raw[7:]
        if not re.match(r"^[^\s<>\"'()]+@[A-Za-z0-9.-]+(\?[^\s<>\"']*)?$", addr):
            return None
    elif scheme == "tel":
        if not re.match(r"^tel:\+?[0-9().\- ]{3,32}$", raw):
            return None
    return raw


def link_host(url: str) -> str:
    """The destination domain shown next to a link; '' for mailto/tel."""
    parts = _urlsplit(url)
    return (parts.hostname or "") if parts.scheme in ("http", "https") else ""


def maps_url(la: Any, lo: Any) -> str | None:
    lat, lon = number_in(la, -90, 90), number_in(lo, -180, 180)
    if lat is None or lon is None:
        return None
    return "https://www.google.com/maps/search/?api=1&query=" + _quote(f"{lat},{lon}", safe=",.-")


#: accessibility.web keys that may be copied (F5): role, tabindex and these aria-* names.
_ARIA_OK = frozenset({"aria-label", "aria-describedby", "aria-hidden", "aria-level", "aria-roledescription"})
_ROLES_OK = frozenset({"heading", "note", "img", "group", "region", "presentation", "none", "listitem",
                       "list", "text"})


def aria_attrs(value: Any) -> dict[str, str]:
    """The safe subset of an element's ``accessibility.web`` map."""
    out: dict[str, str] = {}
    if not isinstance(value, dict):
        return out
    for key, val in value.items():
        if not isinstance(key, str) or not isinstance(val, (str, int)) or isinstance(val, bool):
            continue
        k = key.lower()
        sval = clean_text(str(val), 200)
        if k == "role" and sval in _ROLES_OK:
            out["role"] = sval
        elif k == "tabindex" and sval in ("0", "-1"):
            out["tabindex"] = sval
        elif k in _ARIA_OK and key == k:
            out[k] = sval
    return out


def metadata(value: Any, max_entries: int = 32, max_bytes: int = 4096) -> list[dict[str, Any]] | None:
    """Click/layout metadata kept as received when within limits (never rendered); else None."""
    import json

    if value is None:
        return None
    if not isinstance(value, list) or len(value) > max_entries or not all(isinstance(m, dict) for m in value):
        return None
    try:
        if len(json.dumps(value).encode()) > max_bytes:
            return None
    except (TypeError, ValueError):
        return None
    return value
