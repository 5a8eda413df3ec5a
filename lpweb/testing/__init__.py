"""Test helpers for code built on lpweb: the other side of a conversation, scripted.

The pytest plugin (:mod:`lpweb.testing.pytest_plugin`, registered as the ``pytest11``
entry point ``lpweb``) wraps these in fixtures; they also work on their own with any
:class:`~lpweb.emulator.Emulator` (or anything with a ``csds_domain`` and an
``account_id``)::

    async with Emulator(port=0) as emu:
        credentials = seed_user(emu)
        agent = await ScriptedAgent.start(emu, credentials, replies={"hi": "hello"})
        chat = await ScriptedChat.start(emu)
        assert (await chat.say("hi")).body == "hello"
        await chat.stop(); await agent.stop()

- :class:`ScriptedChat`: a consumer with an open conversation; ``say()`` sends a line and
  returns the next message from the brand side, ``expect()`` waits for one.
- :class:`ScriptedAgent`: a brand connection that joins every new conversation and answers
  by script (``replies=``, ``reply=``, :meth:`ScriptedAgent.reply_to`).
- :func:`seed_user`: adds a brand user (MANAGER on every skill) to an emulator's account.

Needs the ``native`` extra (websockets, httpx) and, for the emulator, ``emulator``.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Pattern, Union

import lpweb
from lpweb.enums import ParticipantRole, UserType
from lpweb.model.brand import BrandConnection
from lpweb.model.consumer import ConsumerConnection
from lpweb.model.conversation import Conversation
from lpweb.model.message import Message

__all__ = ["Credentials", "seed_user", "consumer_connection", "brand_connection", "ScriptedChat",
           "ScriptedAgent", "ThreadedEmulator", "DEFAULT_TIMEOUT", "TEST_USER", "TEST_PASSWORD"]

DEFAULT_TIMEOUT = 10.0
TEST_USER = "lpweb-test-bot"
TEST_PASSWORD = "lpweb-test-password"
APP_ID = "lpweb_pytest"

Reply = Union[str, None, Callable[[Message], Union[str, None, Awaitable[Union[str, None]]]]]


async def _next_matching(queue: "asyncio.Queue[Message]", check: Callable[[Message], bool] | str | None,
                         timeout: float, describe: Callable[[], str]) -> Message:
    """The next message from ``queue`` matching ``check`` (a predicate or the exact body),
    skipping the others; :class:`TimeoutError` with ``describe()`` after ``timeout`` seconds."""
    if isinstance(check, str):
        body = check
        check = lambda m: m.body == body  # noqa: E731
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(describe())
        try:
            message = await asyncio.wait_for(queue.get(), remaining)
        except asyncio.TimeoutError:
            continue
        if check is None or check(message):
            return message


@dataclass(frozen=True)
class Credentials:
    """A brand user of an emulator account: what ``auth_data`` needs."""

    account_id: str
    username: str
    password: str

    @property
    def auth_data(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}


def seed_user(emulator: Any, username: str = TEST_USER, password: str = TEST_PASSWORD, *,
              account_id: str | None = None, permissions: tuple[str, ...] = ("MANAGER",)) -> Credentials:
    """Add (or replace) a brand user on ``emulator``'s account and return its credentials."""
    account = account_id or emulator.account_id
    platform = emulator.platform
    platform.add_account(account)
    platform.add_user(account, username, password, permissions=permissions)
    return Credentials(account, username, password)


def consumer_connection(emulator: Any, account_id: str | None = None, **options: Any) -> ConsumerConnection:
    """A consumer connection (not opened) to ``emulator``; ``options`` go to create_connection."""
    options.setdefault("app_id", APP_ID)
    conn = lpweb.create_connection(account_id=account_id or emulator.account_id, user_type=UserType.CONSUMER,
                                   csds_domain=emulator.csds_domain, **options)
    assert isinstance(conn, ConsumerConnection)
    return conn


def brand_connection(emulator: Any, credentials: Credentials, **options: Any) -> BrandConnection:
    """A brand connection (not opened) logged in as ``credentials``."""
    options.setdefault("app_id", APP_ID)
    options.setdefault("auth_data", credentials.auth_data)
    conn = lpweb.create_connection(account_id=credentials.account_id, user_type=UserType.BRAND,
                                   csds_domain=emulator.csds_domain, **options)
    assert isinstance(conn, BrandConnection)
    return conn


def _from_brand(message: Message) -> bool:
    return message.participant is not None and message.participant.role != ParticipantRole.CONSUMER


class ScriptedChat:
    """A consumer with one open conversation, driven line by line.

    ``chat.messages`` holds every message received from the brand side so far, in order.
    """

    def __init__(self, connection: ConsumerConnection, conversation: Conversation) -> None:
        self.connection = connection
        self.conversation = conversation
        self.messages: list[Message] = []
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        conversation.on("message", self._on_message)

    def _on_message(self, message: Message) -> None:
        if _from_brand(message):
            self.messages.append(message)
            self._queue.put_nowait(message)

    @classmethod
    async def start(cls, emulator: Any, *, skill_id: str | None = None, connection: ConsumerConnection | None = None,
                    **options: Any) -> "ScriptedChat":
        """Open a consumer connection (unless given one) and create a conversation."""
        conn = connection or consumer_connection(emulator, **options)
        if conn.state != lpweb.ConnectionState.CONNECTED:
            await conn.open()
        conversation = await conn.create_conversation(skill_id)
        return cls(conn, conversation)

    async def say(self, text: str, *, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Send ``text`` and return the next message from the brand side (agent or bot).

        Waits first for someone from the brand side to join, so the message is not sent
        before a bot listens.
        """
        await self.send(text, timeout=timeout)
        return await self.expect(timeout=timeout)

    async def send(self, text: str, *, wait_for_agent: bool = True, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Send ``text`` without waiting for an answer (after :meth:`wait_for_agent`, unless False)."""
        if wait_for_agent:
            await self.wait_for_agent(timeout=timeout)
        await self.conversation.send_message(text)

    async def expect(self, check: Callable[[Message], bool] | str | None = None, *,
                     timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The next brand-side message (matching ``check``: a predicate or the exact body).

        Messages that do not match are skipped. Raises :class:`TimeoutError`.
        """
        return await _next_matching(self._queue, check, timeout, lambda: (
            f"no brand message {'matching ' if check else ''}within {timeout}s "
            f"(got {[m.body for m in self.messages]!r})"))

    async def wait_for_agent(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until a brand-side participant (agent, bot, manager...) is in the conversation."""
        def brand(participant: Any) -> bool:
            return participant is not None and participant.role != ParticipantRole.CONSUMER

        if any(brand(p) for p in self.conversation.participants):
            return
        try:
            await self.conversation.wait_for("participant-added", check=lambda added: brand(added["participant"]),
                                             timeout=timeout)
        except (TimeoutError, asyncio.TimeoutError):
            raise TimeoutError(f"nobody from the brand side joined the conversation within {timeout}s") from None

    async def stop(self, *, close_conversation: bool = True) -> None:
        """Close the conversation (if still open) and the connection; never raises."""
        try:
            if close_conversation and self.conversation.is_open:
                await asyncio.wait_for(self.conversation.close(), DEFAULT_TIMEOUT)
        except Exception:
            pass
        try:
            await asyncio.wait_for(self.connection.close(), DEFAULT_TIMEOUT)
        except Exception:
            pass


class ScriptedAgent:
    """A brand connection that joins each new conversation and answers by script.

    Rules are tried in order: :meth:`reply_to` rules (and the ``replies`` mapping), then the
    ``reply`` callable. A rule's answer is a string, ``None`` (stay silent) or a callable
    taking the :class:`~lpweb.Message` and returning (or awaiting) one of those.
    ``agent.received`` holds every consumer message seen; ``agent.conversations`` every
    conversation joined.
    """

    def __init__(self, connection: BrandConnection, *, role: ParticipantRole = ParticipantRole.ASSIGNED_AGENT,
                 replies: Mapping[str, Reply] | None = None, reply: Reply = None,
                 greeting: str | None = None) -> None:
        self.connection = connection
        self.role = role
        self.greeting = greeting
        self.received: list[Message] = []
        self.conversations: list[Conversation] = []
        self._rules: list[tuple[Callable[[Message], bool], Reply]] = []
        self._fallback = reply
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        self._joined: asyncio.Queue[Conversation] = asyncio.Queue()
        for pattern, answer in (replies or {}).items():
            self.reply_to(pattern, answer)
        connection.on("conversation", self._on_conversation)

    @classmethod
    async def start(cls, emulator: Any, credentials: Credentials, **kwargs: Any) -> "ScriptedAgent":
        """Open a brand connection as ``credentials`` and start answering."""
        options = kwargs.pop("options", {})
        agent = cls(brand_connection(emulator, credentials, **options), **kwargs)
        await agent.connection.open()
        return agent

    def reply_to(self, pattern: str | Pattern[str] | Callable[[Message], bool], answer: Reply) -> "ScriptedAgent":
        """Answer consumer messages matching ``pattern`` (exact text, a regex, or a predicate)."""
        if isinstance(pattern, str):
            text = pattern
            match: Callable[[Message], bool] = lambda m: m.body == text  # noqa: E731
        elif isinstance(pattern, re.Pattern):
            regex = pattern
            match = lambda m: isinstance(m.body, str) and regex.search(m.body) is not None  # noqa: E731
        else:
            match = pattern
        self._rules.append((match, answer))
        return self

    async def _on_conversation(self, conversation: Conversation) -> None:
        if not conversation.is_open or conversation.assigned_agent is not None or conversation in self.conversations:
            return
        self.conversations.append(conversation)
        conversation.on("message", lambda message: self._on_message(conversation, message))
        await conversation.join(self.role)
        self._joined.put_nowait(conversation)
        if self.greeting:
            await conversation.send_message(self.greeting)

    async def _on_message(self, conversation: Conversation, message: Message) -> None:
        if message.participant is None or message.participant.role != ParticipantRole.CONSUMER:
            return
        self.received.append(message)
        self._queue.put_nowait(message)
        for match, answer in self._rules:
            if match(message):
                break
        else:
            answer = self._fallback
        text: Any = answer(message) if callable(answer) else answer
        if inspect.isawaitable(text):
            text = await text
        if text is not None and conversation.is_open:
            await conversation.send_message(str(text))

    async def next_conversation(self, *, timeout: float = DEFAULT_TIMEOUT) -> Conversation:
        """The next conversation this agent joins."""
        return await asyncio.wait_for(self._joined.get(), timeout)

    async def expect(self, check: Callable[[Message], bool] | str | None = None, *,
                     timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The next consumer message (matching ``check``: a predicate or the exact body)."""
        return await _next_matching(self._queue, check, timeout,
                                    lambda: f"no consumer message within {timeout}s")

    async def stop(self) -> None:
        """Close the brand connection; never raises."""
        try:
            await asyncio.wait_for(self.connection.close(), DEFAULT_TIMEOUT)
        except Exception:
            pass


class ThreadedEmulator:
    """An :class:`~lpweb.emulator.Emulator` served by its own event loop on a daemon thread.

    For a per-session emulator that outlives each test's event loop. Attribute access is
    forwarded to the emulator (``csds_domain``, ``account_id``, ``platform``, ``faults``);
    :meth:`call` runs a function on the emulator's loop (use it for fault injection).
    """

    def __init__(self, **kwargs: Any) -> None:
        from lpweb.emulator import Emulator

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="lpweb-emulator", daemon=True)
        self.emulator = Emulator(**{"port": 0, **kwargs})

    def start(self) -> "ThreadedEmulator":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.emulator.start(), self._loop).result(30)
        return self

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the emulator's loop and return its result."""
        async def run() -> Any:
            return fn(*args, **kwargs)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.emulator.stop(), self._loop).result(30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.emulator, name)
