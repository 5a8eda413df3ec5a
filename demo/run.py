"""Run the demo: the emulator, a static server for dist/site/ and the demo agent bot.

Started by ``python build.py demo`` (which builds the site first), inside ``.venv``::

    python demo/run.py [--port 8000] [--emulator-port 8081]    # prints the URL to open; Ctrl-C stops
    python demo/run.py --check                                  # headless Chromium round trip, exit 0/1

The page is served from a different origin (port) than the emulator, as real pages are.
``--check`` opens the page in Debian's Chromium, sends a message, waits for the bot's
echo and prints timing figures; any request to a host other than loopback fails it.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo.agent_bot import DEMO_CONFIG, run_bot  # noqa: E402
from e2e.support import SITE, is_outside, launch_kwargs, make_server, require_site  # noqa: E402
from lpweb.emulator import Emulator  # noqa: E402

log = logging.getLogger("lpweb.demo")
CHECK_TIMEOUT_MS = 60_000
# The page's widget host (lpweb.widget.mount renders into its open Shadow DOM; Playwright's
# CSS locators such as "#messages li" pierce it, page.evaluate reads the host's dataset).
HOST = "document.querySelector('[data-lpweb-widget]')"


class CheckFailed(Exception):
    pass


async def check_page(url: str) -> None:
    """Open the demo page headless, chat once with the bot, print figures; raise CheckFailed."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    outside: list[str] = []
    page_errors: list[str] = []
    console: list[str] = []
    text = f"hello from demo --check {int(time.time())}"
    async with async_playwright() as pw:
        t_launch = time.monotonic()
        browser = await pw.chromium.launch(**launch_kwargs())
        try:
            context = await browser.new_context()
            page = await context.new_page()
            page.on("request", lambda r: is_outside(r.url) and outside.append(r.url))
            page.on("websocket", lambda ws: is_outside(ws.url) and outside.append(ws.url))
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            launch_ms = (time.monotonic() - t_launch) * 1000

            await page.goto(url)
            try:
                await page.wait_for_function(f"{HOST}.dataset.chatReady === '1' || !!{HOST}.dataset.chatError",
                                             timeout=CHECK_TIMEOUT_MS)
            except PlaywrightError as exc:
                raise CheckFailed(f"the chat did not become ready within {CHECK_TIMEOUT_MS // 1000} s "
                                  f"(status line: {await page.text_content('#status')!r})") from exc
            error = await page.evaluate(f"{HOST}.dataset.chatError || ''")
            if error:
                raise CheckFailed(f"the page reported an error: {error}")
            ready_ms = float(await page.evaluate(f"{HOST}.dataset.chatReadyMs"))
            python_ms = float(await page.evaluate(f"{HOST}.dataset.pythonMs || 'NaN'"))
            conversation = await page.evaluate(f"{HOST}.dataset.conversationId")

            t_send = await page.evaluate("performance.now()")
            await page.fill("#message-input", text)
            await page.click("#send")
            reply = page.locator('#messages li[data-role="ASSIGNED_AGENT"], #messages li[data-role="AGENT"]',
                                 has_text=text)
            try:
                await reply.first.wait_for(timeout=CHECK_TIMEOUT_MS)
            except PlaywrightError as exc:
                shown = await page.locator("#messages li").all_text_contents()
                raise CheckFailed(f"no reply from the bot within {CHECK_TIMEOUT_MS // 1000} s; "
                                  f"messages shown: {shown}") from exc
            reply_ms = await page.evaluate("performance.now()") - t_send
            stats = await page.evaluate("""() => {
                const entries = [...performance.getEntriesByType('navigation'),
                                 ...performance.getEntriesByType('resource')];
                return {bytes: entries.reduce((n, e) => n + (e.transferSize || 0), 0),
                        requests: entries.length};
            }""")
            greeted = await page.locator('#messages li:not([data-role="CONSUMER"])').count()
        except BaseException:
            for line in console[-30:]:
                print(f"  console {line}", file=sys.stderr)
            for line in page_errors:
                print(f"  pageerror {line}", file=sys.stderr)
            raise
        finally:
            await browser.close()

    if page_errors:
        raise CheckFailed(f"uncaught page errors: {page_errors}")
    if outside:
        raise CheckFailed(f"the page contacted hosts other than loopback: {outside}")
    print(f"demo check OK: conversation {conversation}, bot replied ({greeted} agent message(s) shown)")
    print(f"  browser launch        {launch_ms:7.0f} ms")
    print(f"  navigation -> Python  {python_ms:7.0f} ms  (PyScript + Pyodide started, lpweb wheel unpacked)")
    print(f"  navigation -> ready   {ready_ms:7.0f} ms  (chat usable: + CSDS, signup, websocket, conversation)")
    print(f"  send -> bot's echo    {reply_ms:7.0f} ms")
    print(f"  loaded                {stats['bytes'] / 1e6:7.2f} MB in {stats['requests']} requests "
          f"(cold context, no-store)")


async def amain(args: argparse.Namespace) -> int:
    require_site()
    # SIGTERM stops the demo as cleanly as Ctrl-C does (cancel the main task -> finally).
    main_task = asyncio.current_task()
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    except (NotImplementedError, RuntimeError):
        pass
    emu = Emulator(host="127.0.0.1", port=args.emulator_port, config=DEMO_CONFIG)
    try:
        await emu.start()
    except OSError as exc:
        print(f"cannot start the emulator on 127.0.0.1:{args.emulator_port}: {exc} "
              f"(choose another with --emulator-port)", file=sys.stderr)
        return 1
    try:
        # The demo lets the browser cache the runtime between reloads; --check stays cold.
        server = make_server(SITE, args.port, cache_control="no-store" if args.check else "max-age=600")
    except OSError as exc:
        await emu.stop()
        print(f"cannot serve the site on 127.0.0.1:{args.port}: {exc} (choose another with --port)",
              file=sys.stderr)
        return 1
    threading.Thread(target=server.serve_forever, name="static-server", daemon=True).start()
    bot_ready = asyncio.Event()
    kwargs = {"ready": bot_ready} if "ready" in inspect.signature(run_bot).parameters else {}
    bot = asyncio.create_task(run_bot(emu.csds_domain, emu.account_id, "bot", "bot-password", **kwargs))
    try:
        if kwargs:
            waiter = asyncio.create_task(bot_ready.wait())
            await asyncio.wait({bot, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if bot.done():
                bot.result()  # re-raise the bot's failure
                raise RuntimeError("the demo bot stopped before it was ready")
            if not bot_ready.is_set():
                raise RuntimeError("the demo bot was not ready within 30 s")
        site_port = server.server_address[1]
        url = f"http://127.0.0.1:{site_port}/index.html?csds={emu.csds_domain}&account={emu.account_id}"
        print(f"emulator    {emu.url} (account {emu.account_id})")
        print(f"site        http://127.0.0.1:{site_port}/ (from {SITE.relative_to(ROOT)})")
        print("demo bot    connected as 'bot' (greets, then echoes)")
        if args.check:
            print(f"checking    {url}", flush=True)
            try:
                await check_page(url)
            except CheckFailed as exc:
                print(f"demo check FAILED: {exc}", file=sys.stderr)
                return 1
            if bot.done():
                bot.result()
            return 0
        print(f"\nOpen {url}\n(Ctrl-C to stop)", flush=True)
        await bot  # runs until Ctrl-C (or until the bot fails)
        return 0
    except Exception as exc:
        print(f"demo FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        bot.cancel()
        await asyncio.gather(bot, return_exceptions=True)
        server.shutdown()
        server.server_close()
        await emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="open the page in headless Chromium, chat once, exit 0 or 1")
    parser.add_argument("--port", type=int, default=None,
                        help="static server port (default 8000; --check: a free port)")
    parser.add_argument("--emulator-port", type=int, default=None,
                        help="emulator port (default 8081; --check: a free port)")
    args = parser.parse_args()
    if args.port is None:
        args.port = 0 if args.check else 8000
    if args.emulator_port is None:
        args.emulator_port = 0 if args.check else 8081
    # Ctrl-C must work even when a parent started us with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("lpweb.demo").setLevel(logging.INFO)
    try:
        sys.exit(asyncio.run(amain(args)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\nstopped", flush=True)
        sys.exit(0)


if __name__ == "__main__":
    main()
