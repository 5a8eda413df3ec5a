"""Structured content -> node descriptions (widget.md 6.2 steps 4-6 and 6.3).

:func:`render_content` never raises on payload data: a limit or structural failure gives
the whole-message text fallback; an unknown element type or an unhandled action gives
that element's own text plus a "not fully supported" note (section 3, item 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..vdom import Node, h, text_of
from . import validate as v
from .actions import ActionTable, validate_click
from .limits import Budget, LimitExceeded, Limits, parse

__all__ = ["RenderResult", "render_content", "render_quick_replies", "fallback_text", "StructureError",
           "SUPPORTED", "FALLBACK_TYPES"]

Translate = Callable[..., str]

SUPPORTED = frozenset({"text", "button", "image", "map", "vertical", "horizontal", "carousel", "list",
                       "sectionList", "section", "checklist", "checkbox", "submitButton", "buttonList",
                       "tabs", "carouselSelect", "accordionSelect"})
#: Types the LP schema accepts but that have no rendering here (F7): shown as their text.
FALLBACK_TYPES = frozenset({"linkPreview", "keyValuePairList", "template"})
_DEFAULT_STRINGS = {
    "sc.unsupported": "This content isn't fully supported here",
    "sc.unavailable": "This message contains content that can't be shown here",
    "sc.map": "Map location",
    "sc.carousel": "Carousel",
    "sc.item_of": "Item {i} of {n}",
    "sc.previous": "Previous",
    "sc.next": "Next",
    "sc.suggested": "Suggested replies",
    "sc.opens": "opens {host}",
}


def _default_t(key: str, **params: Any) -> str:
    return _DEFAULT_STRINGS.get(key, key).format(**params)


class StructureError(ValueError):
    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass
class RenderResult:
    node: Node
    actions: ActionTable
    fallback: bool = False                      # the whole message fell back to text
    unsupported: list[str] = field(default_factory=list)   # type names only (telemetry)
    errors: list[str] = field(default_factory=list)        # "path: problem", never content
    elements: int = 0

    @property
    def text(self) -> str:
        return text_of(self.node)


class _Renderer:
    def __init__(self, limits: Limits, t: Translate, prefix: str,
                 renderers: dict[str, Any] | None = None) -> None:
        self.limits = limits
        self.renderers = renderers or {}
        self.t = t
        self.prefix = prefix
        self.actions = ActionTable(prefix + "a")
        self.budget = Budget(limits.max_elements)
        self.unsupported: list[str] = []
        self.ids = 0

    def new_id(self) -> str:
        self.ids += 1
        return f"{self.prefix}e{self.ids}"

    # -- helpers -----------------------------------------------------------------------
    def text(self, el: dict, key: str, path: str, required: bool = False, max_len: int | None = None) -> str:
        val = el.get(key)
        if val is None:
            if required:
                raise StructureError(f"{path}.{key}", "missing")
            return ""
        if not isinstance(val, str):
            raise StructureError(f"{path}.{key}", "not a string")
        return v.clean_text(val, max_len or self.limits.text_max, rtl=el.get("rtl") is True)

    @staticmethod
    def lines(text: str) -> list[Node | str]:
        out: list[Node | str] = []
        for i, line in enumerate(text.split("\n")):
            if i:
                out.append(h("br"))
            if line:
                out.append(line)
        return out

    def common(self, el: dict, cls: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {"class": cls}
        if el.get("rtl") is True:
            attrs["dir"] = "rtl"
        acc = el.get("accessibility")
        if isinstance(acc, dict):
            attrs.update(v.aria_attrs(acc.get("web")))
        return attrs

    def styles(self, el: dict, attrs: dict[str, Any]) -> dict[str, str]:
        st = el.get("style")
        out: dict[str, str] = {}
        if not isinstance(st, dict):
            return out
        extra = []
        if st.get("bold") is True:
            extra.append("sc-bold")
        if st.get("italic") is True:
            extra.append("sc-italic")
        size = v.size(st.get("size"))
        if size:
            extra.append(f"sc-size-{size}")
        for key, prop in (("color", "color"), ("background-color", "background-color"),
                          ("border-color", "border-color")):
            col = v.color(st.get(key))
            if col:
                out[prop] = col
        radius = v.number_in(st.get("border-radius"), 0, 50)
        if radius is not None:
            out["border-radius"] = f"{int(radius)}px"
        if extra:
            attrs["class"] = attrs["class"] + " " + " ".join(extra)
        return out

    def tooltip(self, el: dict, attrs: dict[str, Any]) -> None:
        tip = el.get("tooltip")
        if isinstance(tip, str) and tip.strip():
            attrs["title"] = v.clean_text(tip, self.limits.title_max)  # unescaped (F8)

    def fallback(self, el: Any, type_name: str) -> Node:
        self.unsupported.append(type_name)
        text = fallback_text(el, self.limits) if isinstance(el, dict) else ""
        return h("div", {"class": "sc-fallback", "data-fallback": _type_label(type_name)},
                 h("span", {"class": "sc-fallback-text"}, *self.lines(text)) if text else None,
                 h("small", {"class": "sc-note"}, self.t("sc.unsupported")))

    # -- elements ------------------------------------------------------------------------
    def element(self, el: Any, path: str, inline: bool = False) -> Node:
        if not isinstance(el, dict):
            raise StructureError(path, "element is not an object")
        self.budget.take()
        typ = el.get("type")
        if not isinstance(typ, str):
            raise StructureError(f"{path}.type", "missing")
        custom = self.renderers.get(typ)
        if custom is not None:
            node = self.custom(custom, el, typ)
            if node is not None:
                return node
        if typ in FALLBACK_TYPES or typ not in SUPPORTED:
            return self.fallback(el, typ)
        return getattr(self, "r_" + typ)(el, path, inline)

    def custom(self, fn: Any, el: dict, typ: str) -> Node | None:
        """An integrator's renderer (parity item 24): its result must be a vdom Node (so the
        tag/attribute allow-lists of :mod:`..vdom` still apply); None or an error falls back
        to the built-in renderer."""
        try:
            node = fn(el)
        except Exception:
            self.unsupported.append(f"renderer-error:{_type_label(typ)}")
            return None
        return node if isinstance(node, Node) else None

    def children(self, el: dict, path: str, key: str = "elements", minimum: int = 0, inline: bool = False) -> list[Node]:
        kids = el.get(key)
        if kids is None and minimum == 0:
            return []
        if not isinstance(kids, list) or len(kids) < minimum:
            raise StructureError(f"{path}.{key}", "missing or too short")
        return [self.element(k, f"{path}.{key}[{i}]", inline) for i, k in enumerate(kids)]

    def r_text(self, el: dict, path: str, inline: bool) -> Node:
        text = self.text(el, "text", path, required=True)
        attrs = self.common(el, "sc-text")
        self.tooltip(el, attrs)
        style = self.styles(el, attrs)
        return h("span" if inline else "p", attrs, *self.lines(text), style=style)

    def click(self, el: dict, path: str, label: str, ref: str | None = None):
        actions, meta, dropped = validate_click(el.get("click"), self.limits)
        self.unsupported.extend(f"action:{d}" for d in dropped if d not in ("invalid", "too-many"))
        if not actions and ref is None:
            return None, bool(dropped)
        return self.actions.add(str(el.get("type")), actions, meta, label, ref=ref), bool(dropped)

    def r_button(self, el: dict, path: str, inline: bool) -> Node:
        title = self.text(el, "title", path, required=True, max_len=self.limits.title_max)
        subtitle = self.text(el, "subtitle", path, max_len=self.limits.title_max)
        ref = None
        if isinstance(el.get("ref"), dict) and isinstance(el["ref"].get("name"), str):
            ref = v.clean_text(el["ref"]["name"], 64)
        click, dropped = self.click(el, path, title, ref)
        cls = "sc-button" + (" sc-outlined" if el.get("class") == "button" else "")
        attrs = self.common(el, cls)
        self.tooltip(el, attrs)
        style = self.styles(el, attrs)
        sub = None
        if subtitle:
            sub_id = self.new_id()
            sub = h("span", {"class": "sc-subtitle", "id": sub_id}, subtitle)
            attrs["aria-describedby"] = sub_id
        if click is None:
            attrs["class"] += " sc-inactive"
            return h("span", attrs, h("span", {"class": "sc-title"}, title), sub,
                     h("small", {"class": "sc-note"}, self.t("sc.unsupported")) if dropped else None, style=style)
        attrs.update({"type": "button", "data-action": click.id})
        host = next((v.link_host(a.url) for a in click.actions if a.type == "link" and a.url), "")
        return h("button", attrs, h("span", {"class": "sc-title"}, title), sub,
                 h("small", {"class": "sc-host"}, self.t("sc.opens", host=host)) if host else None, style=style)

    def r_image(self, el: dict, path: str, inline: bool) -> Node:
        url = v.image_url(el.get("url"), self.limits.image_hosts)
        alt = self.text(el, "alt", path, max_len=self.limits.title_max)
        caption = self.text(el, "caption", path, max_len=self.limits.title_max)
        if url is None:
            self.unsupported.append("image:url")
            text = alt or caption or self.t("sc.unavailable")
            return h("div", {"class": "sc-fallback sc-image-blocked", "data-fallback": "image"},
                     h("span", {"class": "sc-fallback-text"}, text))
        attrs = self.common(el, "sc-image")
        self.tooltip(el, attrs)
        img = h("img", {"src": url, "alt": alt, "loading": "lazy", "decoding": "async",
                        "referrerpolicy": "no-referrer"})
        click, _ = self.click(el, path, alt or caption)
        if click is not None:
            img = h("button", {"type": "button", "class": "sc-image-button", "data-action": click.id,
                               "aria-label": alt or caption or None}, img)
        return h("figure", attrs, img, h("figcaption", {}, caption) if caption else None)

    def r_map(self, el: dict, path: str, inline: bool) -> Node:
        url = v.maps_url(el.get("la"), el.get("lo"))
        if url is None:
            raise StructureError(path, "la/lo out of range")
        label = v.clean_text(el.get("tooltip"), self.limits.title_max) if isinstance(el.get("tooltip"), str) else ""
        label = label or self.t("sc.map")
        click, _ = self.click(el, path, label)
        if click is None:
            from .actions import Action
            click = self.actions.add("map", [Action("navigate", url=url)], None, label)
        attrs = self.common(el, "sc-map")
        attrs.update({"type": "button", "data-action": click.id, "aria-label": label})
        return h("button", attrs, h("span", {"class": "sc-map-pin", "aria-hidden": "true"}, "📍"),
                 h("span", {"class": "sc-map-label"}, label))

    def layout(self, el: dict, path: str, cls: str, inline: bool) -> Node:
        kids = self.children(el, path, minimum=1, inline=(cls == "sc-horizontal"))
        attrs = self.common(el, cls)
        border = el.get("border")
        if border in ("border", "dropShadow", "borderLess"):
            attrs["class"] += {"border": " sc-border", "dropShadow": " sc-shadow", "borderLess": ""}[border]
        style = self.styles(el, attrs)
        pad = v.number_in((el.get("style") or {}).get("padding") if isinstance(el.get("style"), dict) else None, 0, 10)
        if pad is not None:
            style["padding"] = f"{int(pad)}px"
        pct = el.get("percentages")
        if cls == "sc-horizontal" and isinstance(pct, list) and len(pct) == len(kids):
            vals = [v.number_in(p, 0, 100) for p in pct]
            if all(x is not None for x in vals) and sum(vals) <= 100:  # type: ignore[arg-type]
                kids = [h("div", {"class": "sc-cell"}, k, style={"flex-basis": f"{x:g}%"})
                        for k, x in zip(kids, vals)]
        if el.get("scroll") == "enable":
            attrs["class"] += " sc-scroll"
            attrs["tabindex"] = "0"
            attrs.setdefault("role", "region")
        return h("div", attrs, *kids, style=style)

    def r_vertical(self, el, path, inline):
        return self.layout(el, path, "sc-vertical", inline)

    def r_horizontal(self, el, path, inline):
        return self.layout(el, path, "sc-horizontal", inline)

    def cards(self, el: dict, path: str, select: str | None = None) -> Node:
        raw = el.get("elements")
        lim = self.limits
        if not isinstance(raw, list) or not lim.carousel_min <= len(raw) <= lim.carousel_max:
            raise StructureError(f"{path}.elements", f"a carousel has {lim.carousel_min}-{lim.carousel_max} cards")
        n = len(raw)
        cards = []
        for i, card in enumerate(raw):
            node = self.element(card, f"{path}.elements[{i}]")
            # tabindex -1: Left/Right move the focus from card to card (app.py, keys.carousel_move)
            attrs: dict[str, Any] = {"class": "sc-card", "role": "listitem", "tabindex": "-1",
                                     "aria-label": self.t("sc.item_of", i=i + 1, n=n), "data-index": str(i)}
            data: dict[str, Any] = {}
            if select:
                meta = v.metadata(card.get("metadata")) if isinstance(card, dict) else None
                click = self.actions.add("select", [], meta, "", ref=select)
                attrs.update({"role": "checkbox", "aria-checked": "false", "tabindex": "0",
                              "data-action": click.id, "class": "sc-card sc-selectable"})
            cards.append(h("div", attrs, node, **data))
        label = self.t("sc.carousel")
        attrs = self.common(el, "sc-carousel")
        attrs.update({"aria-roledescription": "carousel", "aria-label": label})
        track_id = self.new_id()
        return h("section", attrs,
                 h("button", {"type": "button", "class": "sc-prev", "data-action": "carousel:prev",
                              "aria-controls": track_id, "aria-label": self.t("sc.previous")}, "‹"),
                 h("div", {"class": "sc-track", "role": "group" if select else "list", "id": track_id}, *cards),
                 h("button", {"type": "button", "class": "sc-next", "data-action": "carousel:next",
                              "aria-controls": track_id, "aria-label": self.t("sc.next")}, "›"))

    def r_carousel(self, el, path, inline):
        return self.cards(el, path)

    def _select_name(self, el: dict) -> str:
        mode = el.get("selectMode")
        name = mode.get("name") if isinstance(mode, dict) else None
        return v.clean_text(name, 64) if isinstance(name, str) and name else self.new_id()

    def r_carouselSelect(self, el, path, inline):  # noqa: N802 - LP type name
        return self.cards(el, path, select=self._select_name(el))

    def r_accordionSelect(self, el, path, inline):  # noqa: N802
        name = self._select_name(el)
        kids = el.get("elements")
        if not isinstance(kids, list) or not kids:
            raise StructureError(f"{path}.elements", "missing")
        items = []
        for i, k in enumerate(kids):
            node = self.element(k, f"{path}.elements[{i}]")
            meta = v.metadata(k.get("metadata")) if isinstance(k, dict) else None
            click = self.actions.add("select", [], meta, "", ref=name)
            items.append(h("div", {"class": "sc-accordion-item sc-selectable", "role": "checkbox",
                                   "aria-checked": "false", "tabindex": "0", "data-action": click.id}, node))
        return h("div", self.common(el, "sc-accordion"), *items)

    def r_tabs(self, el, path, inline):
        kids = el.get("elements")
        if not isinstance(kids, list) or not kids:
            raise StructureError(f"{path}.elements", "missing")
        tabs, panels = [], []
        for i, k in enumerate(kids):
            node = self.element(k, f"{path}.elements[{i}]")
            tag = k.get("tag") if isinstance(k, dict) else None
            label = v.clean_text(tag, 40) if isinstance(tag, str) and tag.strip() else str(i + 1)
            tab_id, panel_id = self.new_id(), self.new_id()
            tabs.append(h("button", {"type": "button", "role": "tab", "id": tab_id, "aria-controls": panel_id,
                                     "aria-selected": "true" if i == 0 else "false",
                                     "tabindex": "0" if i == 0 else "-1", "data-action": "tabs:select",
                                     "data-index": str(i)}, label))
            panels.append(h("div", {"role": "tabpanel", "id": panel_id, "aria-labelledby": tab_id,
                                    "hidden": i != 0, "class": "sc-tabpanel"}, node))
        return h("div", self.common(el, "sc-tabs"), h("div", {"role": "tablist", "class": "sc-tablist"}, *tabs),
                 *panels)

    # forms: list > sectionList > section > checklist > checkbox, plus buttonList / submitButton
    def r_list(self, el, path, inline):
        form_click = self.actions.add("list", [], None, "")
        attrs = self.common(el, "sc-list")
        attrs.update({"novalidate": True, "data-action": form_click.id})
        return h("form", attrs, *self.children(el, path, minimum=1))

    def r_sectionList(self, el, path, inline):  # noqa: N802
        return h("div", self.common(el, "sc-section-list"), *self.children(el, path, minimum=1))

    def r_section(self, el, path, inline):
        kids = self.children(el, path, minimum=1)
        legend = None
        if kids and kids[0].tag == "p" and "sc-text" in kids[0].classes:
            first = kids.pop(0)
            legend = h("legend", {"class": "sc-legend"}, *first.children)
        attrs = self.common(el, "sc-section")
        sid = el.get("sectionID")
        node = h("fieldset", attrs, legend, *kids)
        node.data["section"] = v.clean_text(sid, 64) if isinstance(sid, str) else None
        return node

    def r_checklist(self, el, path, inline):
        return h("div", self.common(el, "sc-checklist"), *self.children(el, path, minimum=1))

    def r_buttonList(self, el, path, inline):  # noqa: N802
        return h("div", self.common(el, "sc-button-list"), *self.children(el, path, minimum=1))

    def r_checkbox(self, el, path, inline):
        label = self.text(el, "text", path, required=True, max_len=self.limits.title_max)
        box_id = self.new_id()
        actions, meta, _ = validate_click(el.get("click"), self.limits)
        click = self.actions.add("checkbox", actions, meta, label)
        return h("div", self.common(el, "sc-checkbox"),
                 h("input", {"type": "checkbox", "id": box_id, "data-action": click.id}),
                 h("label", {"for": box_id}, label))

    def r_submitButton(self, el, path, inline):  # noqa: N802
        title = self.text(el, "title", path, required=True, max_len=self.limits.title_max)
        actions, meta, _ = validate_click(el.get("click"), self.limits)
        click = self.actions.add("submitButton", actions, meta, title)
        attrs = self.common(el, "sc-button sc-submit")
        attrs.update({"type": "submit", "data-action": click.id})
        return h("button", attrs, title)


def _type_label(name: Any) -> str:
    s = str(name)[:40]
    return "".join(c if c.isalnum() else "-" for c in s) or "unknown"


def fallback_text(content: Any, limits: Limits = Limits(), max_parts: int = 20) -> str:
    """The readable text of a payload: alt, title, text, caption... in document order."""
    parts: list[str] = []
    stack = [content]
    seen = 0
    while stack and len(parts) < max_parts and seen < 1000:
        seen += 1
        el = stack.pop(0)
        if isinstance(el, dict):
            for key in ("alt", "title", "text", "caption", "subtitle", "tag"):
                val = el.get(key)
                if isinstance(val, str) and val.strip():
                    parts.append(v.clean_text(val, limits.title_max))
                    break
            for key in ("elements", "replies", "content", "items"):
                kids = el.get(key)
                if isinstance(kids, list):
                    stack[0:0] = kids[:50]
                elif isinstance(kids, dict):
                    stack.insert(0, kids)
        elif isinstance(el, list):
            stack[0:0] = el[:50]
    return "\n".join(parts)


def render_content(payload: Any, *, limits: Limits = Limits(), t: Translate = _default_t,
                   prefix: str = "sc", renderers: dict[str, Any] | None = None) -> RenderResult:
    """Structured content -> :class:`RenderResult`; never raises on bad data.

    ``renderers`` maps an element type to an integrator's ``fn(element) -> Node | None``."""
    r = _Renderer(limits, t, prefix, renderers)
    try:
        content = parse(payload, limits)
        node = r.element(content, "$")
        return RenderResult(h("div", {"class": "sc-root", "data-kind": "rich"}, node), r.actions,
                            unsupported=r.unsupported, elements=r.budget.used)
    except LimitExceeded as exc:
        errors = [f"$: limit {exc.what}"]
    except StructureError as exc:
        errors = [str(exc)]
    except (ValueError, TypeError, RecursionError) as exc:
        errors = [f"$: {type(exc).__name__}"]
    text = ""
    if isinstance(payload, dict):
        try:
            text = fallback_text(payload, limits)
        except RecursionError:
            text = ""
    note = t("sc.unavailable")
    node = h("div", {"class": "sc-root sc-fallback", "data-kind": "rich", "data-fallback": "message"},
             h("span", {"class": "sc-fallback-text"}, *_Renderer.lines(text)) if text else None,
             h("small", {"class": "sc-note"}, note))
    return RenderResult(node, ActionTable(prefix + "a"), fallback=True, errors=errors,
                        unsupported=r.unsupported)


def quick_reply_title(title: str, limits: Limits = Limits()) -> str:
    """LP's rule [L4]: titles longer than 25 characters are cut to 22 plus an ellipsis."""
    return title[: limits.qr_title_cut] + "…" if len(title) > limits.qr_title_max else title


def render_quick_replies(payload: Any, *, limits: Limits = Limits(), t: Translate = _default_t,
                         prefix: str = "qr") -> RenderResult | None:
    """A ``quickReplies`` payload -> a labelled toolbar of chip buttons (None when unusable).

    The toolbar is one keyboard group (widget.md 15): only its first chip is a Tab stop; the
    arrow keys move between the chips (lpweb.widget.keys.group_move, applied by app.py)."""
    if not isinstance(payload, dict) or payload.get("type") != "quickReplies":
        return None
    replies = payload.get("replies")
    if not isinstance(replies, list) or not replies:
        return None
    per_row = payload.get("itemsPerRow")
    per_row = int(per_row) if isinstance(per_row, int) and not isinstance(per_row, bool) \
        and 1 <= per_row <= limits.quick_replies_per_row else limits.quick_replies_per_row
    cap = min(limits.quick_replies_max, per_row * limits.quick_replies_rows)
    table = ActionTable(prefix + "a")
    chips = []
    for reply in replies[:cap]:
        if not isinstance(reply, dict) or reply.get("type") != "button" or not isinstance(reply.get("title"), str):
            continue
        full = v.clean_text(reply["title"], limits.title_max)
        if not full.strip():
            continue
        actions, meta, _ = validate_click(reply.get("click"), limits)
        if not any(a.type == "publishText" for a in actions):
            from .actions import Action
            actions = [Action("publishText", text=full), *[a for a in actions if a.type != "publishText"]]
        click = table.add("quickReply", actions, meta, full)
        shown = quick_reply_title(full, limits)
        chips.append(h("button", {"type": "button", "class": "qr-chip", "data-action": click.id,
                                  "tabindex": "-1" if chips else "0",      # one Tab stop: roving tabindex
                                  "aria-label": full if shown != full else None,
                                  "title": full if shown != full else None}, shown))
    if not chips:
        return None
    node = h("div", {"class": "qr-group", "role": "toolbar", "aria-label": t("sc.suggested")}, *chips,
             style={"--lpw-columns": str(per_row)})
    return RenderResult(node, table, elements=len(chips))
