"""Fixtures of the browser suite (pytest-playwright in Debian's Chromium).

- ``browser_type_launch_args``: /usr/bin/chromium (or $LPWEB_CHROMIUM) with quiet flags.
- ``site_server`` / ``base_url``: a static server for dist/site/ (``python build.py web``).
- ``emulator_loop``: the emulator's loop thread; ``emulator_loop.run(coro)`` runs fault
  injection, a scripted agent (scripted_agent.py) or a look at the platform state there.
- ``emulator``: ``lpweb.emulator.Emulator(port=0)`` plus the demo bot
  (``demo.agent_bot.run_bot``) in one asyncio loop on a background thread, for the session.
  It listens on another port than the site, so pages talk to it cross-origin.
- ``outside_traffic`` (autouse for tests that use ``page``): records every request and
  websocket to a host other than 127.0.0.1/localhost/::1 and fails the test at teardown;
  prints the page's console and uncaught errors (Python tracebacks from the page land there).

Run with ``python build.py test`` (which builds the site first), or by hand with
``.venv/bin/python -m pytest e2e``. Keep this suite in its own pytest invocation: the
sync Playwright instance leaves an event loop running in the main thread (browser.md 10.1).
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import CHROMIUM, CHROMIUM_ARGS, ROOT, SITE, is_outside, make_server, require_site  # noqa: E402

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
        "chromium_sandbox": False,
    }


@pytest.fixture(scope="session")
def site_server():
    require_site()
    server = make_server(SITE, mounts={"/harness/": Path(__file__).resolve().parent / "harness"})
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def base_url(site_server):
    host, port = site_server.server_address[:2]
    return f"http://{host}:{port}"


class _LoopThread:
    """An asyncio loop running forever in a daemon thread; ``run(coro)`` waits for a result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="emulator-loop", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


@pytest.fixture(scope="session")
def emulator_loop():
    """The emulator's asyncio loop thread: ``emulator_loop.run(coro)`` runs a coroutine there
    (fault injection, a scripted agent, reading the platform state) and returns its result."""
    runner = _LoopThread()
    yield runner
    runner.close()


@pytest.fixture(scope="session")
def emulator(emulator_loop):
    """The local emulator with the demo bot connected as brand user "bot"."""
    from demo.agent_bot import DEMO_CONFIG, run_bot
    from lpweb.emulator import Emulator

    runner = emulator_loop
    emu = Emulator(host="127.0.0.1", port=0, config=DEMO_CONFIG)
    state: dict = {}

    async def start():
        await emu.start()
        ready = asyncio.Event()
        kwargs = {"ready": ready} if "ready" in inspect.signature(run_bot).parameters else {}
        bot = asyncio.create_task(run_bot(emu.csds_domain, emu.account_id, "bot", "bot-password", **kwargs))
        state["bot"] = bot
        if kwargs:
            waiter = asyncio.create_task(ready.wait())
            await asyncio.wait({bot, waiter}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if bot.done():
                bot.result()
                raise RuntimeError("the demo bot stopped before it was ready")
            if not ready.is_set():
                raise RuntimeError("the demo bot was not ready within 20 s")

    async def stop():
        bot = state.get("bot")
        if bot is not None:
            bot.cancel()
            await asyncio.gather(bot, return_exceptions=True)
        await emu.stop()

    try:
        runner.run(start())
        yield emu
        bot = state["bot"]
        if bot.done() and not bot.cancelled() and bot.exception() is not None:
            raise RuntimeError("the demo bot failed during the session") from bot.exception()
    finally:
        runner.run(stop())


@pytest.fixture
def outside_traffic(request):
    """URLs of every request or websocket the test's pages sent to a non-loopback host."""
    return []


@pytest.fixture(autouse=True)
def _guard_pages(request, outside_traffic):
    """For tests using ``page``: record outside traffic, echo console output, fail on leaks."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    context = page.context

    def watch(p):
        p.on("websocket", lambda ws: is_outside(ws.url) and outside_traffic.append(ws.url))
        p.on("console", lambda msg: print(f"[console.{msg.type}] {msg.text}"))
        p.on("pageerror", lambda err: print(f"[pageerror] {err}"))

    context.on("request", lambda r: is_outside(r.url) and outside_traffic.append(r.url))
    context.on("page", watch)
    watch(page)
    yield
    if outside_traffic:
        pytest.fail(f"the page contacted hosts other than loopback: {sorted(set(outside_traffic))}")
