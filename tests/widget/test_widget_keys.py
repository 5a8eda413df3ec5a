"""Keyboard navigation rules (lpweb/widget/keys.py): widget.md 15 (quick replies as one
keyboard group), widget.md 20 (arrow keys through the log, focus-trapped dialog) and
section 6 (carousel and tabs patterns, right-to-left arrows)."""

from __future__ import annotations

import pytest

from lpweb.widget.keys import NAV_KEYS, carousel_move, group_move, log_move, move, tabs_move, trap_move


@pytest.mark.parametrize("key, current, want", [
    ("ArrowRight", 0, 1), ("ArrowDown", 1, 2), ("ArrowRight", 2, 0), ("ArrowDown", 2, 0),   # next, wrapping
    ("ArrowLeft", 1, 0), ("ArrowUp", 2, 1), ("ArrowLeft", 0, 2), ("ArrowUp", 0, 2),         # previous, wrapping
    ("Home", 2, 0), ("End", 0, 2),
])
def test_quick_replies_group_ltr(key, current, want):
    """widget.md 15: Right/Down next, Left/Up previous, wrapping; Home/End first/last."""
    assert group_move(key, 3, current) == want


@pytest.mark.parametrize("key, current, want", [
    ("ArrowLeft", 0, 1), ("ArrowLeft", 2, 0), ("ArrowRight", 1, 0), ("ArrowRight", 0, 2),   # swapped in RTL
    ("ArrowDown", 0, 1), ("ArrowUp", 0, 2),                                                 # not swapped
    ("Home", 1, 0), ("End", 1, 2),
])
def test_quick_replies_group_rtl(key, current, want):
    """widget.md 15 and 22: in a right-to-left layout Left goes forward, Right back."""
    assert group_move(key, 3, current, rtl=True) == want


@pytest.mark.parametrize("key", ["Tab", "Enter", " ", "a", "PageDown", "Escape"])
def test_other_keys_are_left_to_the_browser(key):
    assert key not in NAV_KEYS
    for mover in (group_move, tabs_move, carousel_move):
        assert mover(key, 3, 1) is None
    assert log_move(key, 3, 1) is None


def test_empty_groups_and_single_items():
    for key in NAV_KEYS:
        assert group_move(key, 0, None) is None and log_move(key, 0, None) is None
        assert group_move(key, 1, 0) == 0          # one chip: every key stays on it (and is consumed)


@pytest.mark.parametrize("key, current, want", [
    ("ArrowDown", 0, 1), ("ArrowUp", 3, 2),
    ("ArrowDown", 4, 4), ("ArrowUp", 0, 0),           # the ends hold: no wrapping through the history
    ("Home", 3, 0), ("End", 1, 4),
    ("ArrowDown", None, 0), ("ArrowUp", None, 4),     # from the log itself: first / newest message
    ("Home", None, 0), ("End", None, 4),
    ("ArrowLeft", 2, None), ("ArrowRight", 2, None),  # Left/Right are not the log's
])
def test_log_moves(key, current, want):
    """widget.md 20: arrow-key movement through the messages of the log."""
    assert log_move(key, 5, current) == want


def test_out_of_range_current_counts_as_the_container():
    assert log_move("ArrowDown", 5, 9) == 0 and log_move("ArrowUp", 5, -1) == 4
    assert move("ArrowRight", 3, 7) == 0


@pytest.mark.parametrize("rtl, key, current, want", [
    (False, "ArrowRight", 0, 1), (False, "ArrowLeft", 1, 0), (False, "ArrowRight", 2, 2), (False, "ArrowLeft", 0, 0),
    (True, "ArrowLeft", 0, 1), (True, "ArrowRight", 1, 0), (True, "ArrowLeft", 2, 2),
    (False, "Home", 2, 0), (True, "End", 0, 2),
    (False, "ArrowDown", 0, None), (False, "ArrowUp", 1, None),   # Up/Down stay the log's and the page's
    (False, "ArrowRight", None, 0), (False, "ArrowLeft", None, 2),
])
def test_carousel_moves(rtl, key, current, want):
    """Section 6, carousel: Left/Right between cards, RTL reverses the arrows, the ends hold."""
    assert carousel_move(key, 3, current, rtl=rtl) == want


@pytest.mark.parametrize("rtl, key, current, want", [
    (False, "ArrowRight", 2, 0), (False, "ArrowLeft", 0, 2), (True, "ArrowRight", 0, 2), (True, "ArrowLeft", 2, 0),
    (False, "Home", 1, 0), (False, "End", 1, 2), (False, "ArrowDown", 1, None),
])
def test_tabs_moves(rtl, key, current, want):
    """Section 6, tabs: WAI-ARIA tabs, Left/Right wrapping, reversed in RTL."""
    assert tabs_move(key, 3, current, rtl=rtl) == want


@pytest.mark.parametrize("count, current, shift, want", [
    (5, 4, False, 0),        # Tab on the last stop wraps to the first (the launcher)
    (5, 0, True, 4),         # Shift+Tab on the first wraps to the last
    (5, 2, False, None), (5, 2, True, None), (5, 0, False, None), (5, 4, True, None),   # the browser moves
    (5, None, False, None), (5, None, True, None),   # focus on a non-stop (a message): the browser moves
    (1, 0, False, 0), (1, 0, True, 0),               # a single stop keeps the focus
    (0, None, False, None),
])
def test_focus_trap(count, current, shift, want):
    """widget.md 20: a focus-trapped dialog when expanded: Tab and Shift+Tab cycle."""
    assert trap_move(count, current, shift) == want
