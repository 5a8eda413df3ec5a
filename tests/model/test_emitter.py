"""EventEmitter (API-03, design.md §5): on/once/off, decorator, wait_for, iterators, error routing."""

import asyncio
import logging

import pytest

from lpweb.errors import RequestTimeout
from lpweb.model.emitter import EventEmitter, HandlerError


async def test_on_is_chainable_and_a_decorator():
    em = EventEmitter()
    seen = []
    assert em.on("a", seen.append).on("b", seen.append) is em

    @em.on("c")
    def handler(x):
        seen.append(("c", x))

    assert callable(handler)
    em.emit("a", 1)
    em.emit("b", 2)
    em.emit("c", 3)
    assert seen == [1, 2, ("c", 3)]


async def test_once_and_off():
    em = EventEmitter()
    seen = []
    em.once("x", seen.append)
    em.emit("x", 1)
    em.emit("x", 2)
    em.on("y", seen.append)
    em.off("y", seen.append)
    em.emit("y", 3)
    assert seen == [1]


async def test_no_payload_event():
    em = EventEmitter()
    calls = []
    em.on("close", lambda: calls.append(True))
    em.emit("close")
    assert calls == [True]


async def test_coroutine_handlers_run_in_order():
    em = EventEmitter()
    seen = []

    async def slow(x):
        await asyncio.sleep(0.01 if x == 1 else 0)
        seen.append(x)

    em.on("m", slow)
    for i in range(1, 4):
        em.emit("m", i)
    await em.drain()
    assert seen == [1, 2, 3]


async def test_handler_error_goes_to_error_event_and_emitter_keeps_working():
    em = EventEmitter()
    errors, seen = [], []
    em.on("error", errors.append)
    em.on("m", lambda x: 1 / 0)
    em.on("m", seen.append)
    em.emit("m", 5)
    assert seen == [5]
    assert isinstance(errors[0], HandlerError) and isinstance(errors[0].error, ZeroDivisionError)


async def test_async_handler_error_is_reported(caplog):
    em = EventEmitter()

    async def bad(_):
        raise RuntimeError("boom")

    em.on("m", bad)
    with caplog.at_level(logging.ERROR, logger="lpweb"):
        em.emit("m", 1)
        await em.drain()
    assert "boom" in caplog.text


async def test_wait_for_with_check_and_timeout():
    em = EventEmitter()
    waiter = asyncio.ensure_future(em.wait_for("m", check=lambda v: v > 1, timeout=1))
    await asyncio.sleep(0)
    em.emit("m", 1)
    em.emit("m", 2)
    assert await waiter == 2
    with pytest.raises(RequestTimeout):
        await em.wait_for("m", timeout=0.01)


async def test_events_iterator_and_wildcard():
    em = EventEmitter()
    got, star = [], []
    em.on("*", lambda name, value: star.append(name))

    async def consume():
        async for value in em.events("m"):
            got.append(value)
            if len(got) == 2:
                break

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0)
    em.emit("m", "a")
    em.emit("other", "x")
    em.emit("m", "b")
    await task
    assert got == ["a", "b"] and star == ["m", "other", "m"]
