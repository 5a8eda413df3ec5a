"""The consumer SDK inside Pyodide in Chromium (issue #4's browser suite).

One page (e2e/harness/index.html: plain Pyodide, lpweb loaded by name through the site's
pyodide-lock.json) runs the scenarios of e2e/harness/scenarios.py against the emulator
and the demo bot: create, send, receive (SCN-01, CONV-10, CVEV-01, MSG-05), rich content
and quick replies (CONV-11, MSG-11, MSG-14), upload from a JS Blob and download with
progress (FILE-02..06, FILE-08), resume after a reload from localStorage (CAUTH-05,
CAUTH-07, OPT-10, OPT-16), close (CONV-05, CVEV-02), typed errors (CONV-20, API-05),
step-up of an un-auth consumer (CONN-13, CAUTH-04, CAUTH-06), and the websocket's JS
callback proxies destroyed on close (issue #4, browser specifics).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from demo.agent_bot import CARD, GREETING, OPTIONS_TEXT, demo_identity_jwt, demo_png, echo_reply  # noqa: E402

TIMEOUT_MS = 60_000


def open_harness(page: Page) -> None:
    page.goto("/harness/index.html")
    page.wait_for_function("document.body.dataset.ready === '1' || !!document.body.dataset.error", timeout=TIMEOUT_MS)
    assert not page.evaluate("document.body.dataset.error || ''")


def run(page: Page, name: str, **args):
    outcome = page.evaluate("([name, args]) => runScenario(name, args)", [name, args])
    assert outcome["ok"], f"{name} failed in the browser: {outcome['error']}\n{outcome.get('traceback', '')}"
    return outcome["result"]


def test_consumer_scenarios_in_pyodide(page: Page, emulator, outside_traffic):
    where = {"csds": emulator.csds_domain, "account": emulator.account_id}
    open_harness(page)
    first = run(page, "open_conversation", **where)
    assert first["transport"] == "BrowserTransport" and not first["resumed"] and first["stored_token"]
    assert first["auth_type"] == "CONSUMER_ANONYMOUS"
    assert first["history"][0] == GREETING

    talk = run(page, "send_and_receive", text="hello from pyodide")
    assert talk["reply"] == echo_reply("hello from pyodide") and talk["reply_role"] == "ASSIGNED_AGENT"
    assert talk["own"] == ["hello from pyodide"]
    assert talk["sequences"] == sorted(talk["sequences"])

    rich = run(page, "rich_and_quick_replies")
    assert rich["card"] == CARD and rich["question"] == OPTIONS_TEXT
    assert rich["choices"] == ["Tea", "Coffee", "Water"] and rich["answer"] == echo_reply("Coffee")

    png = demo_png(20, 20)
    files = run(page, "upload_and_download", png=list(png))
    assert files["acknowledged"].startswith("Got your file") and f"({len(png)} bytes)" in files["acknowledged"]
    assert files["upload_progress"][-1] == [len(png), len(png)]
    assert files["png"] and files["downloaded"] == len(demo_png()) and files["download_progress"][-1] == len(demo_png())

    run(page, "close_connection")
    page.reload()
    open_harness(page)
    resumed = run(page, "open_conversation", **where)
    assert resumed["resumed"] and resumed["conversation_id"] == first["conversation_id"]
    assert resumed["user_id"] == first["user_id"] and resumed["auth_type"] == "CONSUMER_UNDETERMINED"
    assert resumed["history"][:3] == [GREETING, "hello from pyodide", echo_reply("hello from pyodide")]
    assert resumed["sequences"] == sorted(set(resumed["sequences"]))  # no gap-filling duplicates, in order
    assert "hosted/file" in resumed["history"] and "rich-content" in resumed["history"]

    closed = run(page, "close_conversation")
    assert closed == {"is_open": False, "connection_state": "CLOSED"}
    assert run(page, "errors", **where) == {"bad_option": "UsageError", "closed": "ConversationClosed"}

    stepped = run(page, "step_up", jwt=demo_identity_jwt("browser-customer-1"), **where)
    assert stepped["before"]["auth_type"] == "CONSUMER_UNAUTHENTICATED" and stepped["auth_type"] == "CONSUMER_AUTHENTICATED"
    assert stepped["event"]["previous_consumer_id"] == stepped["before"]["user_id"]
    assert stepped["event"]["consumer_id"] != stepped["before"]["user_id"]
    assert stepped["same_conversation"] and stepped["consumer_is_me"] and stepped["after"] == echo_reply("after login")

    released = run(page, "proxies_released", **where)
    assert released == {"proxies": 4, "destroyed": 4, "left": 0}
