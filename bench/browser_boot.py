"""Browser boot benchmark: the demo widget page against a bare Pyodide page, cold and warm.

    python bench/browser_boot.py [--quick] [--reps N] [--json] [--compare OTHER_SITE]
    python bench/run.py --only browser         # the same, merged into bench/results.json

What is measured (each figure a median over ``reps`` repetitions: 9 by default, 5 with ``--quick``)
    * **widget**: the demo page (``dist/site/index.html``, built by ``python build.py web``)
      against the local emulator and the demo bot, exactly as ``python build.py demo`` serves
      it. *Chat-ready* is the later of: ``mount()`` done (host ``data-chat-ready``, connected,
      conversation open) and the bot's greeting shown in the widget (an agent ``<li>`` in the
      Shadow DOM, seen by a MutationObserver the benchmark installs with an init script).
    * **bare**: an empty page on the same server that imports the same vendored
      ``pyodide.mjs`` and awaits ``loadPyodide()``. *Ready* is when that promise resolves.
    * **pyscript** (the floor of any PyScript page): the same PyScript and Pyodide, config as
      the widget page's, running an empty ``<script type="py">``; *ready* is when it ran.
    * **launcher interactive**: ``performance.mark("lpweb:launcher-ready")`` set by
      ``web/widget-boot.js`` once the plain-HTML launcher and composer have their listeners.
    * **page bytes**: ``transferSize`` of the navigation and every resource of a cold load
      (the widget page at chat-ready, the bare page at ready).

    Times are ``performance.now()`` values in the page, i.e. milliseconds since navigation
    start. *Cold*: a new browser profile (empty HTTP cache, no code cache). *Warm*: the same
    profile navigating to the same URL again, HTTP cache, V8 code cache and compiled wasm
    cache as a returning visitor has them (the server sends ``max-age``); the widget's local
    storage is cleared before the warm load so both loads do the same work (a new
    conversation). Every repetition launches a fresh persistent profile; the pages take turns
    going first so that drift in the machine's load hits them equally. The emulator, the
    demo bot and the static server run in a process of their own, as in the demo.

Result keys: ``browser_ready_ratio_cold``, ``browser_ready_ratio_warm`` (widget chat-ready /
bare ready), ``browser_launcher_interactive_ms``, ``browser_page_bytes_ratio``, and the
figures behind them (``browser_widget_ready_ms_*``, ``browser_bare_ready_ms_*``,
``browser_widget_page_bytes``, ``browser_bare_page_bytes``, ``browser_reps``), the floor
(``browser_pyscript_ready_ms_*``, ``browser_pyscript_ratio_*`` = pyscript / bare,
``browser_widget_over_pyscript_*`` = widget / pyscript), the ratio per repetition
(``browser_ready_ratio_*_paired``: median; ``_range``: lowest and highest) plus a phase
breakdown of the widget's cold load (``browser_phases_cold``: medians, ms since navigation).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from e2e.support import SITE, is_outside, launch_kwargs, require_site  # noqa: E402

TIMEOUT_MS = 60_000
HOST = "document.querySelector('[data-lpweb-widget]')"
BARE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bare Pyodide</title><link rel="icon" href="data:,"></head>
<body><script type="module">
import { loadPyodide } from "../vendor/pyodide/pyodide.mjs";
await loadPyodide();
window.__ready = performance.now();
</script></body></html>
"""
# The floor of a PyScript page: the same PyScript and Pyodide running an empty <script type="py">
# (its config is the widget page's, see pyscript_config(), with Pyodide itself as the interpreter
# and no lpweb).
PYSCRIPT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bare PyScript</title><link rel="icon" href="data:,">
<script type="module" src="../vendor/pyscript/dist/core.js"></script></head>
<body><mpy-config hidden src="./pyscript.json"></mpy-config><script type="py" config="./pyscript.json">
import js
js.window.__ready = js.performance.now()
</script></body></html>
"""


def pyscript_config() -> dict[str, Any]:
    """The widget page's PyScript config (the built site's pyscript.json) with Pyodide itself as
    the interpreter: the floor page loads and skips the same PyScript plugins."""
    config = json.loads((SITE / "pyscript.json").read_text(encoding="utf-8"))
    return {**config, "interpreter": "../vendor/pyodide/pyodide.mjs"}


# The platform side, in a process of its own as in `python build.py demo` (demo/run.py): the
# static server (a thread), the emulator and the demo bot. In the benchmark's process they would
# share an event loop and the GIL with Playwright's client, which is busy while the pages load.
SERVE = """import asyncio, sys, threading
sys.path.insert(0, sys.argv[1])
from demo.agent_bot import DEMO_CONFIG, run_bot
from e2e.support import make_server
from lpweb.emulator import Emulator

async def main():
    server = make_server(sys.argv[2], 0, cache_control="max-age=3600",
                         mounts={"/bench/": sys.argv[3], "/compare/": sys.argv[4]})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    emu = Emulator(host="127.0.0.1", port=0, config=DEMO_CONFIG)
    await emu.start()
    ready = asyncio.Event()
    bot = asyncio.create_task(run_bot(emu.csds_domain, emu.account_id, "bot", "bot-password", ready=ready))
    await asyncio.wait_for(ready.wait(), 30)
    print(server.server_address[1], emu.csds_domain, emu.account_id, flush=True)
    await bot  # until the benchmark terminates the process (or the bot fails)

asyncio.run(main())
"""
# Installed before any page script: records when the bot's greeting is first in the widget's DOM.
GREETING_PROBE = """(() => {
  document.addEventListener('py:ready', () => { window.__pyReady = performance.now(); }, true);
  window.__pyProgress = {};  // PyScript's own phases ("Loading interpreter", "Loaded Pyodide", ...)
  addEventListener('py:progress', (e) => { window.__pyProgress['pyscript: ' + e.detail] = performance.now(); });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    const seen = () => {
      if (window.__greeting === undefined &&
          root.querySelector('li[data-role="ASSIGNED_AGENT"], li[data-role="AGENT"]')) {
        window.__greeting = performance.now();
        observer.disconnect();
      }
    };
    const observer = new MutationObserver(seen);
    observer.observe(root, {childList: true, subtree: true});
    return root;
  };
})();"""
PAGE_STATS = """() => {
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  const by = (part) => entries.find((e) => e.name.includes(part));
  const end = (part) => { const e = by(part); return e ? e.responseEnd : null; };
  const start = (part) => { const e = by(part); return e ? e.startTime : null; };
  const mark = (name) => { const m = performance.getEntriesByName(name); return m.length ? m[0].startTime : null; };
  return {
    progress: window.__pyProgress || {},
    bytes: entries.reduce((n, e) => n + (e.transferSize || 0), 0),
    requests: entries.length,
    phases: {
      html_done: by('.html') ? by('.html').responseEnd : null,
      boot_js_end: end('widget-boot.js'),
      launcher_interactive: mark('lpweb:launcher-ready'),
      dom_content_loaded: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
      pyodide_mjs_start: start('pyodide.mjs'),
      wasm_start: start('pyodide.asm.wasm'), wasm_end: end('pyodide.asm.wasm'),
      stdlib_end: end('python_stdlib.zip'),
      wheel_start: start('/wheels/'), wheel_end: end('/wheels/'),
      pyodide_ready: mark('lpweb:pyodide-ready'), wheel_unpacked: mark('lpweb:wheel-unpacked'),
      pyscript_ready: window.__pyReady === undefined ? null : window.__pyReady,
      mount_called: mark('lpweb:mount'),
    },
  };
}"""


def median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


async def load(page: Any, url: str, widget: bool) -> dict[str, Any]:
    """Navigate and wait for ready; return ready ms (since navigation) and the page's stats."""
    await page.goto(url)
    if widget:
        await page.wait_for_function(f"({HOST}.dataset.chatReady === '1' && window.__greeting !== undefined)"
                                     f" || !!{HOST}.dataset.chatError", timeout=TIMEOUT_MS)
        error = await page.evaluate(f"{HOST}.dataset.chatError || ''")
        if error:
            raise RuntimeError(f"the widget failed: {error}")
        got = await page.evaluate(f"({{mounted: +{HOST}.dataset.chatReadyMs, greeting: window.__greeting,"
                                  f" python: +{HOST}.dataset.pythonMs}})")
        ready = max(got["mounted"], got["greeting"])
    else:
        await page.wait_for_function("window.__ready !== undefined", timeout=TIMEOUT_MS)
        got = {}
        ready = await page.evaluate("window.__ready")
    stats = await page.evaluate(PAGE_STATS)
    stats["phases"].update(got)
    stats["phases"].update(stats.pop("progress"))
    stats["phases"]["ready"] = ready
    return {"ready": ready, **stats}


async def one_profile(pw: Any, url: str, widget: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh persistent profile: a cold load, then a warm one (same URL, cache kept, storage cleared)."""
    outside: list[str] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lpweb-bench-profile-") as profile:
        context = await pw.chromium.launch_persistent_context(profile, **launch_kwargs())
        try:
            if widget:
                await context.add_init_script(GREETING_PROBE)
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("request", lambda r: is_outside(r.url) and outside.append(r.url))
            page.on("websocket", lambda ws: is_outside(ws.url) and outside.append(ws.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            cold = await load(page, url, widget)
            await page.evaluate("localStorage.clear(); sessionStorage.clear()")
            warm = await load(page, url, widget)
        finally:
            await context.close()
    if outside or errors:
        raise RuntimeError(f"outside requests {outside}, page errors {errors}")
    return cold, warm


async def measure(reps: int, compare: Path | None = None) -> dict[str, Any]:
    """Run the pages; with ``compare`` (another built site) its widget page runs in the same rotation."""
    require_site()
    with tempfile.TemporaryDirectory(prefix="lpweb-bench-site-") as extra:
        (Path(extra) / "bare.html").write_text(BARE_PAGE, encoding="utf-8")
        (Path(extra) / "pyscript.html").write_text(PYSCRIPT_PAGE, encoding="utf-8")
        (Path(extra) / "pyscript.json").write_text(json.dumps(pyscript_config()), encoding="utf-8")
        server = subprocess.Popen([sys.executable, "-c", SERVE, str(ROOT), str(SITE), extra, str(compare or extra)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline().split()
            if len(line) != 3:
                raise RuntimeError("the emulator, bot and static server did not start (see the output above)")
            port, csds, account = line
            origin = f"http://127.0.0.1:{port}"
            query = f"index.html?csds={csds}&account={account}"
            urls = {"bare": f"{origin}/bench/bare.html", "pyscript": f"{origin}/bench/pyscript.html",
                    "widget": f"{origin}/{query}"}
            if compare:
                urls["compare"] = f"{origin}/compare/{query}"
            runs: dict[str, list[tuple[dict, dict]]] = {name: [] for name in urls}
            from playwright.async_api import async_playwright

            async with async_playwright() as pw:
                for rep in range(reps + 1):  # repetition 0 warms the OS file cache and is discarded
                    names = list(urls)
                    for name in names[rep % len(names):] + names[:rep % len(names)]:
                        result = await one_profile(pw, urls[name], name not in ("bare", "pyscript"))
                        if rep:
                            runs[name].append(result)
                    if server.poll() is not None:
                        raise RuntimeError("the emulator and bot process stopped")
        finally:
            server.terminate()
            server.wait()
    keys = summarize(runs, reps)
    if compare:
        keys["compare"] = summarize(runs, reps, "compare")
    return keys


def summarize(runs: dict[str, list[tuple[dict, dict]]], reps: int, page: str = "widget") -> dict[str, Any]:
    def med(name: str, which: int, key: str) -> float:
        return median([r[which][key] for r in runs[name]])

    w_cold, w_warm = med(page, 0, "ready"), med(page, 1, "ready")
    b_cold, b_warm = med("bare", 0, "ready"), med("bare", 1, "ready")
    p_cold, p_warm = med("pyscript", 0, "ready"), med("pyscript", 1, "ready")
    w_bytes, b_bytes = med(page, 0, "bytes"), med("bare", 0, "bytes")
    phases: dict[str, float] = {}
    for name in runs[page][0][0]["phases"]:
        values = [r[0]["phases"][name] for r in runs[page] if r[0]["phases"].get(name) is not None]
        if values:
            phases[name] = median(values)
    # The same ratio per repetition (the widget and the bare page load back to back in each):
    # its median and range show how much of a difference between runs is the machine's.
    paired = {which: sorted(w[which]["ready"] / b[which]["ready"] for w, b in zip(runs[page], runs["bare"]))
              for which in (0, 1)}
    return {
        "browser_ready_ratio_cold": round(w_cold / b_cold, 3),
        "browser_ready_ratio_cold_paired": round(statistics.median(paired[0]), 3),
        "browser_ready_ratio_cold_range": [round(paired[0][0], 3), round(paired[0][-1], 3)],
        "browser_ready_ratio_warm_paired": round(statistics.median(paired[1]), 3),
        "browser_ready_ratio_warm_range": [round(paired[1][0], 3), round(paired[1][-1], 3)],
        "browser_ready_ratio_warm": round(w_warm / b_warm, 3),
        "browser_launcher_interactive_ms": phases.get("launcher_interactive"),
        "browser_page_bytes_ratio": round(w_bytes / b_bytes, 4),
        "browser_widget_ready_ms_cold": w_cold, "browser_widget_ready_ms_warm": w_warm,
        "browser_bare_ready_ms_cold": b_cold, "browser_bare_ready_ms_warm": b_warm,
        # The floor: PyScript itself over bare Pyodide, and the widget over that floor.
        "browser_pyscript_ready_ms_cold": p_cold, "browser_pyscript_ready_ms_warm": p_warm,
        "browser_pyscript_ratio_cold": round(p_cold / b_cold, 3), "browser_pyscript_ratio_warm": round(p_warm / b_warm, 3),
        "browser_widget_over_pyscript_cold": round(w_cold / p_cold, 3),
        "browser_widget_over_pyscript_warm": round(w_warm / p_warm, 3),
        "browser_widget_page_bytes": int(w_bytes), "browser_bare_page_bytes": int(b_bytes),
        "browser_widget_requests": int(med(page, 0, "requests")),
        "browser_bare_requests": int(med("bare", 0, "requests")),
        "browser_reps": reps,
        "browser_phases_cold": phases,
        "browser_phases_warm": {name: median([r[1]["phases"][name] for r in runs[page]
                                              if r[1]["phases"].get(name) is not None])
                                for name in ("launcher_interactive", "pyodide_ready", "mount_called", "python", "mounted", "greeting", "ready")
                                if any(r[1]["phases"].get(name) is not None for r in runs[page])},
    }


def rows_and_table(keys: dict[str, Any]) -> str:
    """The printed table: one line per goal, measured value, baseline, ratio and goal."""
    lines = [
        ("ready, cold (ms)", keys["browser_widget_ready_ms_cold"], keys["browser_bare_ready_ms_cold"],
         keys["browser_ready_ratio_cold"], "<= 1.10"),
        ("ready, warm (ms)", keys["browser_widget_ready_ms_warm"], keys["browser_bare_ready_ms_warm"],
         keys["browser_ready_ratio_warm"], "<= 1.10"),
        ("page bytes, cold", keys["browser_widget_page_bytes"], keys["browser_bare_page_bytes"],
         keys["browser_page_bytes_ratio"], "<= 1.03"),
        ("launcher interactive (ms)", keys["browser_launcher_interactive_ms"], "", "", "< 100"),
        ("floor: empty PyScript page, cold (ms)", keys["browser_pyscript_ready_ms_cold"],
         keys["browser_bare_ready_ms_cold"], keys["browser_pyscript_ratio_cold"], ""),
        ("floor: empty PyScript page, warm (ms)", keys["browser_pyscript_ready_ms_warm"],
         keys["browser_bare_ready_ms_warm"], keys["browser_pyscript_ratio_warm"], ""),
    ]
    cells = [("browser (widget vs bare Pyodide)", "widget", "bare", "ratio", "goal")]
    cells += [tuple("" if c is None else str(c) for c in line) for line in lines]
    widths = [max(len(r[i]) for r in cells) for i in range(5)]
    out = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
           for r in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    for which in ("cold", "warm"):
        low, high = keys[f"browser_ready_ratio_{which}_range"]
        out.append(f"ready ratio {which}, per repetition: median {keys[f'browser_ready_ratio_{which}_paired']}, "
                   f"range {low}-{high}")
    phases = ", ".join(f"{k} {v:.0f}" for k, v in keys["browser_phases_cold"].items())
    out.append(f"widget cold phases (median ms since navigation): {phases}")
    return "\n".join(out)


def bench(quick: bool, reps: int | None = None, compare: Path | None = None) -> dict[str, Any]:
    return asyncio.run(measure(reps or (5 if quick else 9), compare))


def benchmark(quick: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """bench/run.py's entry: prints this benchmark's own table (its columns differ) and returns the keys."""
    keys = bench(quick)
    print(rows_and_table(keys), flush=True)
    return [], keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 repetitions instead of 9")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 9, --quick 5)")
    parser.add_argument("--json", action="store_true", help="print the result keys as JSON")
    parser.add_argument("--compare", type=Path, default=None, metavar="SITE",
                        help="also measure the widget page of another built site (e.g. a copy of an older "
                             "dist/site) in the same rotation; its figures are printed second")
    args = parser.parse_args()
    keys = bench(args.quick, args.reps, args.compare.resolve() if args.compare else None)
    if args.json:
        print(json.dumps(keys, indent=2))
    else:
        print(rows_and_table(keys))
        if args.compare:
            print(f"\n{args.compare}:")
            print(rows_and_table(keys["compare"]))


if __name__ == "__main__":
    main()
