"""Parse structured content with limits (widget.md 6.2 step 1 and 6.5)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Limits", "LimitExceeded", "parse", "depth", "Budget"]


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 64 * 1024
    max_depth: int = 12
    max_elements: int = 100          # a global budget per message (F6), not per path
    carousel_min: int = 2
    carousel_max: int = 10
    quick_replies_max: int = 24
    quick_replies_per_row: int = 8
    quick_replies_rows: int = 3
    qr_title_cut: int = 22
    qr_title_max: int = 25
    actions_per_click: int = 4
    metadata_entries: int = 32
    metadata_bytes: int = 4096
    text_max: int = 5000
    title_max: int = 128
    #: Image hosts allowed (LP enforces an HTTPS image-domain allow-list; F4). Empty tuple:
    #: any https host except ones in ``image_hosts_blocked``; the brand sets its own list.
    image_hosts: tuple[str, ...] = ()
    link_schemes: tuple[str, ...] = ("https", "http", "mailto")
    allow_tel: bool = False


class LimitExceeded(ValueError):
    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(what)


def depth(value: Any, limit: int) -> int:
    """Object nesting depth of a JSON value (lists don't add a level, so an element inside
    ``elements`` is one level below its parent); stops counting past ``limit``. Iterative."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1 if isinstance(value, dict) else 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            items = v.values() if isinstance(v, dict) else v
            step = 1 if isinstance(v, dict) else 0
            stack.extend((c, d + step) for c in items if isinstance(c, (dict, list)))
    return deepest


def parse(payload: Any, limits: Limits = Limits()) -> dict[str, Any]:
    """A structured-content dict from a dict or JSON text, or LimitExceeded / ValueError."""
    if isinstance(payload, (str, bytes)):
        size = len(payload.encode("utf-8") if isinstance(payload, str) else payload)
        if size > limits.max_bytes:
            raise LimitExceeded("size")
        payload = json.loads(payload)
    else:
        try:
            size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        except (TypeError, ValueError) as exc:
            raise ValueError("not JSON data") from exc
        if size > limits.max_bytes:
            raise LimitExceeded("size")
    if not isinstance(payload, dict):
        raise ValueError("structured content must be an object")
    if depth(payload, limits.max_depth) > limits.max_depth:
        raise LimitExceeded("depth")
    return payload


@dataclass
class Budget:
    """The global element budget of one message."""

    limit: int
    used: int = 0
    over: bool = field(default=False)

    def take(self) -> None:
        self.used += 1
        if self.used > self.limit:
            self.over = True
            raise LimitExceeded("elements")
