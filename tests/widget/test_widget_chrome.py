"""The widget's fixed structure, natively (accessibility hooks of parity item 20)."""

from __future__ import annotations

import pytest

from lpweb.widget.app import WidgetOptions, chrome_tree
from lpweb.widget.i18n import Catalog
from lpweb.widget.vdom import walk


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_chrome_is_labelled_and_localised(locale):
    cat = Catalog(locale)
    root = chrome_tree(cat, WidgetOptions("1", "csds"), True, "light")
    assert root.attrs["dir"] == ("rtl" if locale == "ar" else "ltr") and root.attrs["lang"] == locale
    log = root.find_all(role="log")[0]
    assert log.attrs["aria-relevant"] == "additions" and log.attrs["aria-label"] == cat.t("log.label")
    # widget.md 20: the log is one Tab stop whose description names the arrow keys (keys.log_move)
    assert log.attrs["tabindex"] == "0"
    assert root.find_all(id=log.attrs["aria-describedby"])[0].text() == cat.t("log.keys") != "log.keys"
    panel = root.find_all(id="lpw-panel")[0]           # the expanded widget is a named dialog
    assert panel.attrs["role"] == "dialog"
    assert root.find_all(id=panel.attrs["aria-labelledby"])[0].text() == cat.t("title")
    assert root.find_all(id="status")[0].attrs["role"] == "status"
    assert root.find_all(id="announcer")[0].attrs["aria-live"] == "polite"
    labels = {n.attrs["for"]: n.text() for n in root.find_all("label")}
    assert labels["message-input"] == cat.t("composer.label")
    for node in walk(root):
        if node.tag == "button":
            assert node.text().strip() not in ("", "+", "×", "⤓") or node.attrs.get("aria-label"), node
    assert root.find_all(id="send")[0].text() == cat.t("composer.send")
    ids = [n.attrs["id"] for n in walk(root) if "id" in n.attrs]
    assert len(ids) == len(set(ids))
