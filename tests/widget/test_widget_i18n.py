"""String catalogs (parity item 22) and their packaging."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lpweb.widget.i18n import Catalog, available_locales, load

ROOT = Path(__file__).resolve().parents[2]


def test_locales_and_rtl():
    assert {"en", "ar"} <= set(available_locales())
    assert Catalog("en").dir == "ltr" and Catalog("ar").rtl
    assert Catalog("ar-EG").locale == "ar" and Catalog("xx").locale == "en"


def test_catalogs_have_the_same_keys_and_params():
    en = load("en")
    for loc in available_locales():
        cat = load(loc)
        assert set(cat) == set(en), loc
        for key, text in en.items():
            if key == "_meta":
                continue
            want = set(re.findall(r"\{(\w+)\}", text))
            got = set(re.findall(r"\{(\w+)\}", cat[key]))
            assert got <= want, (loc, key)


def test_plurals_and_params():
    en = Catalog("en")
    assert en.t("pill.new", count=1) == "1 new message" and en.t("pill.new", count=4) == "4 new messages"
    assert en.t("typing.one", name="{count}<b>") == "{count}<b> is typing…"   # values are never re-parsed
    assert en.t("no.such.key") == "no.such.key"


def test_catalogs_are_package_data():
    text = (ROOT / "pyproject.toml").read_text()
    assert "widget/i18n/*.json" in text
    for loc in available_locales():
        json.loads((ROOT / "lpweb" / "widget" / "i18n" / f"{loc}.json").read_text())
