"""Shared by the e2e suite and demo/run.py: Chromium launch flags and the static server.

See ../../shared/guides/browser.md sections 5 and 8 for the why of each detail.
"""

from __future__ import annotations

import functools
import http.server
import os
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
# Where the widget's state screenshots go: test-results/ (ignored) unless LPWEB_SCREENSHOTS says
# otherwise; `LPWEB_SCREENSHOTS=docs/screenshots python build.py test` refreshes the committed ones.
SHOTS = ROOT / os.environ.get("LPWEB_SCREENSHOTS", "test-results/screenshots")
SITE = ROOT / "dist" / "site"  # assembled by `python build.py web`
CHROMIUM = os.environ.get("LPWEB_CHROMIUM", "/usr/bin/chromium")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # These two stop Chromium's own start-up calls to Google hosts (GAIA ListAccounts and an
    # on-demand component update) by pointing them at a dead loopback port. Do not add
    # --disable-features=...: it would replace Playwright's own list.
    "--gaia-url=http://127.0.0.1:9/",
    "--component-updater=url-source=http://127.0.0.1:9/",
    # Pages with a form (the demo chat) make Chromium ask content-autofill.googleapis.com
    # for field-type predictions (seen with a logging proxy sink: 6-8 CONNECTs per load,
    # invisible to page.on("request")). Same cure: a dead loopback URL.
    "--autofill-server-url=http://127.0.0.1:9/",
]

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_outside(url: str) -> bool:
    """True for an http(s)/ws(s) URL whose host is not loopback (data:, blob: etc. are local)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss"}:
        return False
    return (parts.hostname or "") not in LOCAL_HOSTS


def launch_kwargs() -> dict:
    """Keyword arguments for ``playwright.chromium.launch()``: Debian's Chromium, quiet flags."""
    return {"executable_path": CHROMIUM, "args": list(CHROMIUM_ARGS), "chromium_sandbox": False}


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """A directory server with the MIME types Pyodide and PyScript need."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".whl": "application/zip",
        ".json": "application/json",
        ".css": "text/css",
        ".html": "text/html; charset=utf-8",
    }
    cache_control = "no-store"
    mounts: dict[str, str] = {}  # URL prefix ("/harness/") -> folder served under it

    def translate_path(self, path: str) -> str:
        for prefix, folder in self.mounts.items():
            if path.startswith(prefix):
                return str(Path(folder) / path[len(prefix):].split("?", 1)[0].split("#", 1)[0])
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", self.cache_control)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if os.environ.get("LPWEB_HTTP_LOG"):
            super().log_message(format, *args)


def make_server(root: str | os.PathLike = SITE, port: int = 0, host: str = "127.0.0.1",
                cache_control: str = "no-store",
                mounts: dict[str, str | os.PathLike] | None = None) -> http.server.ThreadingHTTPServer:
    """A threading static server for ``root`` on ``host:port`` (port 0 picks a free one).

    ``cache_control="no-store"`` makes every browser context cold (tests);
    the demo passes a ``max-age`` so reloads are quicker. ``mounts`` serves extra folders
    under URL prefixes (the e2e suite's test pages under ``/harness/``).
    """
    handler_cls = type("Handler", (StaticHandler,), {
        "cache_control": cache_control, "mounts": {k: str(v) for k, v in (mounts or {}).items()}})
    handler = functools.partial(handler_cls, directory=str(root))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def require_site() -> None:
    """Fail early, with the fix, when the site has not been built."""
    if not (SITE / "index.html").exists() or not (SITE / "pyscript.json").exists():
        raise RuntimeError(f"{SITE} is missing or incomplete: run `python build.py web` first")


def wheel_files() -> dict[str, str]:
    """PyScript ``files`` that unpack the site's lpweb and lpweb-widget wheels into the page's folder."""
    wheels = sorted((SITE / "wheels").glob("lpweb*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == ["lpweb", "lpweb_widget"], wheels
    return {f"/wheels/{whl.name}": "./*" for whl in wheels}
