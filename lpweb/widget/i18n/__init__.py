"""String catalogs (widget.md parity item 22): JSON package data, one file per locale.

``Catalog("ar").t("state.reconnecting", attempt=2)``; ``Catalog.dir`` is ``"rtl"`` for
right-to-left locales. Missing keys fall back to English, then to the key itself.
Parameters are substituted by name only (``{name}``); a parameter's value is never
re-interpreted, and the result is always plain text for ``textContent``.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import Any

__all__ = ["Catalog", "available_locales", "load"]

# The catalogs sit next to this file (package data; plain files in a wheel and in the browser).
# Read with open(), not importlib.resources, which costs the widget ~0.1 s of imports in Pyodide.
_HERE = os.path.dirname(os.path.abspath(__file__))

_PARAM = re.compile(r"\{([a-z_]+)\}")


@lru_cache(maxsize=None)
def load(locale: str) -> dict[str, str]:
    try:
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", locale):
            return {}
        with open(os.path.join(_HERE, f"{locale}.json"), encoding="utf-8") as f:
            text = f.read()
    except (OSError, ValueError):
        return {}
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


def available_locales() -> list[str]:
    return sorted(name[:-5] for name in os.listdir(_HERE) if name.endswith(".json"))


class Catalog:
    def __init__(self, locale: str = "en") -> None:
        base = (locale or "en").replace("_", "-")
        candidates = [base, base.split("-")[0].lower()]
        self.locale = next((c for c in candidates if load(c)), "en")
        self._strings = load(self.locale)
        self._en = load("en")
        meta = self._strings.get("_meta") or {}
        self.dir = meta.get("dir", "ltr") if isinstance(meta, dict) else "ltr"
        self.lang = self.locale

    @property
    def rtl(self) -> bool:
        return self.dir == "rtl"

    def has(self, key: str) -> bool:
        return key in self._strings or key in self._en

    def t(self, key: str, **params: Any) -> str:
        if "count" in params and isinstance(params["count"], int):
            plural = f"{key}_one" if params["count"] == 1 else f"{key}_other"
            if self.has(plural):
                key = plural
        template = self._strings.get(key, self._en.get(key, key))
        if not isinstance(template, str):
            return key
        return _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)

    __call__ = t
