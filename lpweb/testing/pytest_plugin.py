"""lpweb's pytest plugin (entry point ``pytest11`` ``lpweb``): an emulator and both sides of
a conversation as fixtures.

Installed with the wheel; ``pip install "lpweb[native,emulator,test]"`` brings pytest and
pytest-asyncio. Fixtures:

``lp_emulator``
    A started :class:`lpweb.emulator.Emulator` on a free loopback port, one per test
    (fault injection: ``lp_emulator.faults``). With ``lpweb_emulator_scope = "session"``
    in the ini file (or ``--lpweb-emulator-scope=session``) it is one emulator for the whole
    session, served from a background thread (:class:`lpweb.testing.ThreadedEmulator`).
``lp_emulator_config``
    The emulator's configuration (a dict as in :mod:`lpweb.emulator.config`, default
    ``None``: account 1234567). Override the fixture, or mark a test
    ``@pytest.mark.lpweb(config={...})``.
``lp_credentials``
    The seeded brand user (:class:`lpweb.testing.Credentials`): ``lpweb-test-bot``, MANAGER.
``lp_consumer`` / ``lp_brand``
    An open consumer connection / an open brand connection logged in as ``lp_credentials``.
``lp_chat``
    ``chat = await lp_chat()``: a consumer with a new conversation
    (:class:`lpweb.testing.ScriptedChat`): ``await chat.say("hi")`` returns the brand's answer.
``lp_agent``
    ``agent = await lp_agent(replies={"hi": "hello"})``: a scripted agent
    (:class:`lpweb.testing.ScriptedAgent`) that joins each new conversation and answers.
``lp_bot``
    ``connection = await lp_bot(main)``: runs a bot ``async def main(connection)`` (the
    contract of ``python -m lpweb bot MODULE``) on a new, unopened brand connection and
    returns once the connection is open.

Everything made by a fixture is closed at teardown. ``async def`` tests that use an
``lp_*`` fixture run on an event loop through pytest-asyncio even in its strict mode; set
``asyncio_mode = "auto"`` for the rest of your async tests.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, TypeVar, cast

import pytest

from lpweb.enums import ConnectionState
from lpweb.model.brand import BrandConnection
from lpweb.model.consumer import ConsumerConnection

from . import (DEFAULT_TIMEOUT, Credentials, ScriptedAgent, ScriptedChat, ThreadedEmulator, brand_connection,
               consumer_connection, seed_user)

__all__ = ["lp_emulator", "lp_emulator_config", "lp_credentials", "lp_consumer", "lp_brand", "lp_chat",
           "lp_agent", "lp_bot"]

_FIXTURES = frozenset(__all__) | {"lp_session_emulator"}
_NO_PYTEST_ASYNCIO = ("lpweb's pytest fixtures run on pytest-asyncio, which is not installed: "
                      "pip install pytest-asyncio (or lpweb[test])")


try:
    import pytest_asyncio
except ImportError:      # installed without the test extra: every pytest run must still work
    _HAVE_PYTEST_ASYNCIO = False
else:
    _HAVE_PYTEST_ASYNCIO = True

F = TypeVar("F", bound=Callable[..., Any])


def _async_fixture(fn: F) -> F:
    """``pytest_asyncio.fixture``; without pytest-asyncio, a fixture of the same name that fails
    with a clear error when a test asks for it."""
    if _HAVE_PYTEST_ASYNCIO:
        return cast(F, pytest_asyncio.fixture(fn))

    def unavailable() -> Any:
        raise pytest.UsageError(_NO_PYTEST_ASYNCIO)
    unavailable.__name__, unavailable.__doc__ = fn.__name__, fn.__doc__
    return cast(F, pytest.fixture(unavailable))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lpweb")
    group.addoption("--lpweb-emulator-scope", dest="lpweb_emulator_scope", default=None,
                    choices=("function", "session"), help="lp_emulator per test (default) or per session")
    parser.addini("lpweb_emulator_scope", "lp_emulator per test ('function', default) or per 'session'",
                  default="function")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lpweb(config=None): emulator configuration for this test's lp_emulator")


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: object) -> None:
    """Mark ``async def`` tests that use an lp_* fixture for pytest-asyncio (strict mode too)."""
    if not (inspect.iscoroutinefunction(obj) and collector.funcnamefilter(name)):
        return
    try:
        params = set(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return
    if not _HAVE_PYTEST_ASYNCIO:
        return
    if params & _FIXTURES and not any(m.name == "asyncio" for m in getattr(obj, "pytestmark", [])):
        pytest.mark.asyncio(obj)


def _scope(config: pytest.Config) -> str:
    return config.getoption("lpweb_emulator_scope") or config.getini("lpweb_emulator_scope") or "function"


async def _close(connection: Any) -> None:
    try:
        await asyncio.wait_for(connection.close(), DEFAULT_TIMEOUT)
    except Exception:
        pass


@pytest.fixture
def lp_emulator_config(request: pytest.FixtureRequest) -> Any:
    """The emulator configuration: the ``lpweb`` marker's ``config=``, else ``None``."""
    marker = request.node.get_closest_marker("lpweb")
    return marker.kwargs.get("config") if marker else None


@pytest.fixture(scope="session")
def lp_session_emulator(request: pytest.FixtureRequest) -> Iterator[ThreadedEmulator]:
    """One emulator for the session, served on a background thread."""
    emu = ThreadedEmulator().start()
    try:
        yield emu
    finally:
        emu.stop()


@_async_fixture
async def lp_emulator(request: pytest.FixtureRequest, lp_emulator_config: Any) -> AsyncIterator[Any]:
    """A running emulator on a free loopback port (per test, or per session: see the module doc)."""
    if _scope(request.config) == "session":
        yield request.getfixturevalue("lp_session_emulator")
        return
    from lpweb.emulator import Emulator

    async with Emulator(port=0, config=lp_emulator_config) as emu:
        yield emu


@pytest.fixture
def lp_credentials(lp_emulator: Any) -> Credentials:
    """A brand user (MANAGER on every skill) seeded into the emulator's default account."""
    if isinstance(lp_emulator, ThreadedEmulator):
        return lp_emulator.call(seed_user, lp_emulator.emulator)  # type: ignore[no-any-return]
    return seed_user(lp_emulator)


@_async_fixture
async def lp_consumer(lp_emulator: Any) -> AsyncIterator[ConsumerConnection]:
    """An open consumer connection to ``lp_emulator``."""
    conn = consumer_connection(lp_emulator)
    await conn.open()
    yield conn
    await _close(conn)


@_async_fixture
async def lp_brand(lp_emulator: Any, lp_credentials: Credentials) -> AsyncIterator[BrandConnection]:
    """An open brand connection logged in as the seeded user."""
    conn = brand_connection(lp_emulator, lp_credentials)
    await conn.open()
    yield conn
    await _close(conn)


@_async_fixture
async def lp_chat(lp_emulator: Any) -> AsyncIterator[Callable[..., Awaitable[ScriptedChat]]]:
    """``chat = await lp_chat(skill_id=None, **connection_options)``: a consumer in a new conversation."""
    chats: list[ScriptedChat] = []

    async def make(**kwargs: Any) -> ScriptedChat:
        chat = await ScriptedChat.start(lp_emulator, **kwargs)
        chats.append(chat)
        return chat

    yield make
    for chat in chats:
        await chat.stop()


@_async_fixture
async def lp_agent(lp_emulator: Any, lp_credentials: Credentials) -> AsyncIterator[Callable[..., Awaitable[ScriptedAgent]]]:
    """``agent = await lp_agent(replies=None, reply=None, greeting=None, role=...)``: a scripted agent."""
    agents: list[ScriptedAgent] = []

    async def make(**kwargs: Any) -> ScriptedAgent:
        agent = await ScriptedAgent.start(lp_emulator, lp_credentials, **kwargs)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        await agent.stop()


@_async_fixture
async def lp_bot(lp_emulator: Any, lp_credentials: Credentials) -> AsyncIterator[Callable[..., Awaitable[BrandConnection]]]:
    """``connection = await lp_bot(main, **connection_options)``: run ``main(connection)`` as a task.

    ``main`` gets an unopened brand connection, registers its handlers and opens it (if it
    returns without opening, the fixture opens it). A bot that fails makes the call raise.
    """
    running: list[tuple[asyncio.Task[Any], BrandConnection]] = []

    async def start(main: Callable[[BrandConnection], Awaitable[Any]], *, timeout: float = DEFAULT_TIMEOUT,
                    **options: Any) -> BrandConnection:
        conn = brand_connection(lp_emulator, lp_credentials, **options)
        opened = asyncio.ensure_future(conn.wait_for("open"))   # listening before main() can open
        task = asyncio.ensure_future(main(conn))
        running.append((task, conn))
        await asyncio.wait({task, opened}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if not opened.done():
            opened.cancel()
            if not task.done():
                raise TimeoutError(f"the bot did not open its connection within {timeout}s")
            task.result()                         # the bot failed: raise its error
            if conn.state != ConnectionState.CONNECTED:
                await conn.open()                 # main() returned without opening
        return conn

    yield start
    for task, conn in running:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await _close(conn)
