"""The hostile corpus in the real DOM under a strict CSP with Trusted Types enforced
(widget.md 6.6, section 4 "Security"): 0 script executions, 0 navigations, nothing leaves
the shadow root, layout intact, each case shows content or its text fallback.

The page is e2e/harness/widget_corpus.html (its <meta> CSP is the policy under test);
its PyScript config and the corpus JSON are served by routes from this test.
"""

from __future__ import annotations

import json
import sys

from playwright.sync_api import Page

from support import ROOT, wheel_files

sys.path.insert(0, str(ROOT / "tests" / "widget"))
from hostile_corpus import CORPUS  # noqa: E402

from lpweb.widget.vdom import STYLE_PROPS  # noqa: E402

TIMEOUT_MS = 90_000
SHOTS = ROOT / "test-results" / "widget"


def test_hostile_corpus_under_strict_csp(page: Page, outside_traffic):
    config = {"interpreter": "/vendor/pyodide/pyodide.mjs", "files": wheel_files()}
    page.route("**/harness/widget-corpus.json", lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(config)))
    page.route("**/harness/corpus.json", lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(CORPUS)))
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text or "TrustedHTML" in m.text
            and violations.append(m.text))
    page.add_init_script("""
        window.__pwned = [];
        window.__lpwebPwned = (id) => window.__pwned.push(String(id));
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || '')));
    """)
    page.goto("/harness/widget_corpus.html")
    start_url = page.url
    # (not wait_for_function: its string predicate is eval()ed in the page, which this CSP forbids)
    page.wait_for_selector("body[data-rendered]", state="attached", timeout=TIMEOUT_MS)
    assert int(page.evaluate("document.body.dataset.rendered")) == len(CORPUS)
    page.wait_for_timeout(500)   # let any image error / event handler fire if one existed
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "hostile-corpus.png"), full_page=False)
    result = page.evaluate("""(ALLOWED_STYLE) => {
        const shadow = document.getElementById('host').shadowRoot;
        const all = [...shadow.querySelectorAll('*')];
        const bad = [];
        for (const el of all) {
            for (const a of el.getAttributeNames()) {
                if (a.startsWith('on') || a === 'srcdoc') bad.push(el.tagName + ' ' + a);
                if (a === 'style') {   // only CSSOM writes of allow-listed properties (dom.py)
                    for (let i = 0; i < el.style.length; i++)
                        if (!ALLOWED_STYLE.includes(el.style[i])) bad.push(el.tagName + ' style ' + el.style[i] + '=' + el.getAttribute(a));
                }
                if (el.tagName !== 'LINK' && (a === 'href' || a === 'src') && !/^(https:|http:|mailto:|blob:|data:image\\/)/i.test(el.getAttribute(a))) bad.push(a + '=' + el.getAttribute(a));
            }
            if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'SVG', 'MATH'].includes(el.tagName)) bad.push(el.tagName);
            const pos = getComputedStyle(el).position;
            if (pos === 'fixed' || pos === 'absolute' && !el.classList.contains('lpw-sr')) bad.push('position ' + pos);
        }
        const items = [...shadow.querySelectorAll('li.message')];
        const empty = items.filter(li => !li.textContent.trim() && !li.querySelector('img')).map(li => li.dataset.key);
        const hostBox = document.getElementById('host').getBoundingClientRect();
        return {pwned: window.__pwned, violations: window.__violations, bad, empty, items: items.length,
                bodyChildren: [...document.body.children].map(e => e.tagName + '#' + e.id),
                hostWidth: hostBox.width, viewport: innerWidth,
                sentinel: document.getElementById('sentinel').textContent};
    }""", sorted(STYLE_PROPS | {"border-top-left-radius", "border-top-right-radius", "border-bottom-left-radius",
                              "border-bottom-right-radius", "border-top-color", "border-right-color",
                              "border-bottom-color", "border-left-color", "padding-top", "padding-right",
                              "padding-bottom", "padding-left"}))
    assert result["pwned"] == [], result["pwned"]
    assert result["bad"] == [], result["bad"][:20]
    assert result["items"] == len(CORPUS)
    structure_ids = {c["id"] for c in CORPUS if c["category"] == "structure"}
    assert [k for k in result["empty"] if k not in structure_ids] == []
    assert result["hostWidth"] <= result["viewport"]
    assert result["sentinel"] == "page content outside the widget"
    assert page.url == start_url
    # Only the CSP's intended blocks may show up: images from off-list hosts are never
    # requested (the renderer drops them), so no img-src violation is expected either.
    assert [v for v in result["violations"] if "trusted-types" in v or "require-trusted" in v] == [], result["violations"]
    assert outside_traffic == []
