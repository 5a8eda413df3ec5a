"""Keyboard navigation rules of the widget (widget.md items 15 and 20, section 6 on the
carousel and tabs patterns): pure functions from a key, a count of items and the current
position to the position focus moves to. No browser access here; :mod:`lpweb.widget.app`
reads the DOM, asks these functions, and moves the focus.

* :func:`group_move`: a roving-tabindex group (the quick replies): every arrow, wrapping.
* :func:`tabs_move`: WAI-ARIA tabs: Left/Right, wrapping.
* :func:`carousel_move`: carousel cards: Left/Right, stopping at either end.
* :func:`log_move`: messages of the ``role="log"`` list: Up/Down, stopping at either end.
* :func:`trap_move`: Tab and Shift+Tab at the edges of the open panel (focus trap).

Every mover also takes Home and End (first and last), and those that use Left/Right swap
them in a right-to-left layout. ``None`` means "not ours": leave the key to the browser.
"""

from __future__ import annotations

__all__ = ["NAV_KEYS", "move", "group_move", "tabs_move", "carousel_move", "log_move", "trap_move"]

#: Keys the movers may handle (a fast first check before reading the DOM).
NAV_KEYS = frozenset({"ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"})


def move(key: str, count: int, current: int | None, *, horizontal: bool = True, vertical: bool = True,
         wrap: bool = True, rtl: bool = False) -> int | None:
    """The index focus moves to when ``key`` is pressed on item ``current`` of ``count``.

    ``current`` is None (or out of range) when focus is on the container rather than on an
    item: a forward key then goes to the first item, a backward key to the last. Without
    ``wrap`` the ends hold (the same index comes back, so the key is still consumed).
    """
    if count <= 0:
        return None
    if current is not None and not 0 <= current < count:
        current = None
    if key == "Home":
        return 0
    if key == "End":
        return count - 1
    if horizontal and key in ("ArrowRight", "ArrowLeft"):
        step = 1 if key == "ArrowRight" else -1
        if rtl:
            step = -step
    elif vertical and key in ("ArrowDown", "ArrowUp"):
        step = 1 if key == "ArrowDown" else -1
    else:
        return None
    if current is None:
        return 0 if step > 0 else count - 1
    target = current + step
    if wrap:
        return target % count
    return min(max(target, 0), count - 1)


def group_move(key: str, count: int, current: int | None, rtl: bool = False) -> int | None:
    """Quick replies (widget.md 15): one Tab stop; Right/Down next, Left/Up previous, wrapping."""
    return move(key, count, current, rtl=rtl)


def tabs_move(key: str, count: int, current: int | None, rtl: bool = False) -> int | None:
    """Structured-content tabs (section 6): Left/Right between tabs, wrapping; Up/Down are the page's."""
    return move(key, count, current, vertical=False, rtl=rtl)


def carousel_move(key: str, count: int, current: int | None, rtl: bool = False) -> int | None:
    """Carousel cards (section 6): Left/Right, focus follows the card; the first and last cards hold."""
    return move(key, count, current, vertical=False, wrap=False, rtl=rtl)


def log_move(key: str, count: int, current: int | None) -> int | None:
    """Messages of the log (widget.md 20): Down/Up to the next/previous message, no wrapping
    (the oldest and newest messages are ends, not neighbours)."""
    return move(key, count, current, horizontal=False, wrap=False)


def trap_move(count: int, current: int | None, shift: bool) -> int | None:
    """Tab (``shift`` False) or Shift+Tab pressed on stop ``current`` of the ``count`` tab stops of
    the open widget, in tab order: the stop to wrap to at either edge, else None (the browser
    moves on inside the widget by itself). A focused element that is no tab stop (a message,
    a carousel card) is None too: the browser's next stop from there is inside the widget."""
    if count <= 0 or current is None or not 0 <= current < count:
        return None
    if shift and current == 0:
        return count - 1
    if not shift and current == count - 1:
        return 0
    return None
