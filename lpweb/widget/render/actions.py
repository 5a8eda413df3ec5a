"""Click actions of structured content (widget.md 6.4): validated into a Python-side table.

The DOM only ever carries ``data-action="<id>"``; the id indexes :class:`ActionTable`,
whose entries hold validated actions and the click metadata exactly as received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import validate as v
from .limits import Limits

__all__ = ["Action", "Click", "ActionTable", "validate_click", "NAVIGATIONS", "HOOK_TYPES"]

NAVIGATIONS = frozenset({"link", "navigate"})
#: Action types that only an integrator hook can perform (never done by default).
HOOK_TYPES = frozenset({"addToCart", "custom", "datePicker", "scheduleSlotList", "checkout", "payment"})


@dataclass(frozen=True)
class Action:
    type: str
    text: str | None = None        # publishText
    url: str | None = None         # link / navigate (validated)
    target: str = "blank"
    data: dict[str, Any] = field(default_factory=dict)  # hook actions: the raw (JSON) action, never rendered


@dataclass
class Click:
    id: str
    element: str
    actions: list[Action]
    metadata: list[dict[str, Any]] | None = None
    label: str = ""
    used: bool = False              # a button locks after its first click (no double publishText)
    #: select-type buttons: the selectMode name whose selected cards are gathered
    ref: str | None = None

    @property
    def runnable(self) -> bool:
        return bool(self.actions)

    @property
    def is_link(self) -> bool:
        """Only link/navigate actions: such a button may be used again (it sends nothing)."""
        return bool(self.actions) and all(a.type in ("link", "navigate") for a in self.actions)


def validate_click(click: Any, limits: Limits) -> tuple[list[Action], list[dict[str, Any]] | None, list[str]]:
    """(actions, metadata, dropped type names) of an element's ``click``."""
    dropped: list[str] = []
    if not isinstance(click, dict):
        return [], None, dropped
    raw = click.get("actions")
    actions: list[Action] = []
    if isinstance(raw, list):
        for a in raw[: limits.actions_per_click]:
            if not isinstance(a, dict) or not isinstance(a.get("type"), str):
                dropped.append("invalid")
                continue
            t = a["type"]
            if t == "publishText":
                text = v.clean_text(a.get("text"), limits.text_max)
                if text.strip():
                    actions.append(Action("publishText", text=text))
                else:
                    dropped.append(t)
            elif t == "link":
                web_spec = a.get("web")
                web = web_spec.get("uri") if isinstance(web_spec, dict) else None
                url = v.link_url(web, limits.link_schemes, limits.allow_tel) if web else None
                url = url or v.link_url(a.get("uri"), limits.link_schemes, limits.allow_tel)
                if url:
                    actions.append(Action("link", url=url, target="self" if a.get("target") == "self" else "blank"))
                else:
                    dropped.append(t)
            elif t == "navigate":
                url = v.maps_url(a.get("la"), a.get("lo"))
                if url:
                    actions.append(Action("navigate", url=url))
                else:
                    dropped.append(t)
            elif t in HOOK_TYPES:
                actions.append(Action(t, data={k: a[k] for k in a if isinstance(k, str)}))
            else:
                dropped.append(t)
        if len(raw) > limits.actions_per_click:
            dropped.append("too-many")
    # publishText first, then at most one navigation
    actions.sort(key=lambda a: 0 if a.type == "publishText" else 1)
    out: list[Action] = []
    navigated = False
    for a in actions:
        if a.type in NAVIGATIONS:
            if navigated:
                dropped.append(a.type)
                continue
            navigated = True
        out.append(a)
    meta = v.metadata(click.get("metadata"), limits.metadata_entries, limits.metadata_bytes)
    return out, meta, dropped


class ActionTable:
    def __init__(self, prefix: str = "a") -> None:
        self.prefix = prefix
        self.clicks: dict[str, Click] = {}

    def add(self, element: str, actions: list[Action], metadata: list[dict[str, Any]] | None,
            label: str = "", ref: str | None = None) -> Click:
        cid = f"{self.prefix}{len(self.clicks)}"
        click = Click(cid, element, actions, metadata, label, ref=ref)
        self.clicks[cid] = click
        return click

    def get(self, cid: str) -> Click | None:
        return self.clicks.get(cid)

    def __len__(self) -> int:
        return len(self.clicks)
