"""Consumer scenarios that run inside Pyodide, driven by e2e/test_browser_consumer.py.

Each scenario is an ``async def`` taking the JSON arguments the test passes and returning
a JSON-able dict of what it observed; :func:`run` is the entry point the harness page
calls. They use lpweb exactly as a page would: the browser transport (``js.WebSocket``,
``fetch``), ``localStorage`` for the token, JS ``Blob`` objects for files.
"""

from __future__ import annotations

import asyncio
import json

import js

import lpweb
from lpweb import ContentType, ParticipantRole, UserType

T = 15
GREETING_START = "Hi! I'm the lpweb demo bot"
state: dict = {}


def connect(args: dict, **options) -> lpweb.Connection:
    return lpweb.create_connection(app_id="browser_suite", account_id=args["account"], user_type=UserType.CONSUMER,
                                   csds_domain=args["csds"], **options)


def from_agent(message) -> bool:
    return message.participant.role in (ParticipantRole.ASSIGNED_AGENT, ParticipantRole.AGENT)


async def reply_to(conv, text: str, check=None):
    """Send ``text`` and return the agent's next message (matching ``check``)."""
    waiter = asyncio.ensure_future(conv.wait_for(
        "message", check=lambda m: from_agent(m) and (check is None or check(m)), timeout=T))
    await conv.send_message(text)
    return await waiter


async def open_conversation(args: dict) -> dict:
    """Open with the token kept in localStorage (resume when there is one) and make sure a
    conversation is open; keeps both for the next scenarios."""
    conn = connect(args, token_store=lpweb.default_token_store(), wait_for_ready=True)
    await conn.open()
    conv = next((c for c in conn.conversations.values() if c.is_open), None)
    resumed = conv is not None
    if conv is None:
        conv = await conn.create_conversation()
        if not any(isinstance(m.body, str) and m.body.startswith(GREETING_START) for m in conv.messages):
            await conv.wait_for("message", check=lambda m: from_agent(m), timeout=T)
    state.update(conn=conn, conv=conv)
    return {"conversation_id": conv.conversation_id, "resumed": resumed, "user_id": conn.user_id,
            "transport": type(conn._transport).__name__, "auth_type": str(conn.auth_type),
            "history": [m.body if isinstance(m.body, str) else m.content_type for m in conv.messages],
            "sequences": [m.sequence for m in conv.messages],
            "stored_token": js.localStorage.getItem(conn.options.token_store_key) == await conn.get_token()}


async def send_and_receive(args: dict) -> dict:
    conv = state["conv"]
    reply = await reply_to(conv, args["text"])
    own = [m for m in conv.messages if m.sent_by_current_user()]
    return {"reply": reply.body, "reply_role": str(reply.participant.role), "own": [m.body for m in own],
            "sequences": [m.sequence for m in conv.messages]}


async def rich_and_quick_replies(args: dict) -> dict:
    conv = state["conv"]
    card = await reply_to(conv, "card", check=lambda m: m.content_type == ContentType.RICH_TEXT)
    question = await reply_to(conv, "options", check=lambda m: m.quick_replies is not None)
    choice = question.quick_replies["replies"][1]
    answer = await reply_to(conv, choice["title"])
    return {"card": card.body, "question": question.body, "choices": [r["title"] for r in question.quick_replies["replies"]],
            "answer": answer.body}


async def upload_and_download(args: dict) -> dict:
    """Upload a JS Blob with progress; download the bot's picture as bytes with progress."""
    conv = state["conv"]
    png = bytes(args["png"])
    blob = js.Blob.new([js.Uint8Array.new(png)], js.Object.fromEntries([["type", "image/png"]]))
    up = []
    got = asyncio.ensure_future(conv.wait_for("message", check=lambda m: from_agent(m) and isinstance(m.body, str)
                                              and m.body.startswith("Got your file"), timeout=T))
    await conv.upload_file(blob, "from the browser", progress=lambda done, total: up.append([done, total]))
    acknowledged = (await got).body
    picture = await reply_to(conv, "picture", check=lambda m: m.is_downloadable)
    down = []
    file = await picture.download_file(progress=lambda done, total: down.append(done))
    return {"acknowledged": acknowledged, "upload_progress": up, "download_progress": down,
            "downloaded": len(file.data), "png": file.data.startswith(b"\x89PNG"), "filename": file.filename}


async def close_conversation(args: dict) -> dict:
    conv, conn = state["conv"], state["conn"]
    closed = asyncio.ensure_future(conv.wait_for("close", timeout=T))
    await conv.close()
    await closed
    await conn.close()
    return {"is_open": conv.is_open, "connection_state": str(conn.state)}


async def close_connection(args: dict) -> dict:
    conn = state.pop("conn")
    await conn.close()
    return {"connection_state": str(conn.state)}


async def errors(args: dict) -> dict:
    """Typed errors in the browser too: bad options, and a closed conversation."""
    out = {}
    try:
        connect(args, bogus=1)
    except lpweb.UsageError as exc:
        out["bad_option"] = type(exc).__name__
    conv = state["conv"]
    try:
        await conv.send_message("after close")
    except lpweb.ConversationClosed as exc:
        out["closed"] = type(exc).__name__
    return out


async def step_up(args: dict) -> dict:
    """An un-auth consumer chats, logs in (step_up with the brand's identity JWT) and goes on
    in the same conversation (CONN-13, CAUTH-04, CAUTH-06)."""
    conn = lpweb.create_connection(app_id="browser_step_up", account_id=args["account"], user_type=UserType.CONSUMER,
                                   csds_domain=args["csds"], use_unauthenticated_connection=True)
    await conn.open()
    before = {"auth_type": str(conn.auth_type), "user_id": conn.user_id}
    conv = await conn.create_conversation()
    # As a person would, wait for the bot to join (its greeting) before writing: a message sent
    # before the bot has joined is not one it answers, which made this scenario racy.
    if not any(isinstance(m.body, str) and m.body.startswith(GREETING_START) for m in conv.messages):
        await conv.wait_for("message", check=lambda m: from_agent(m), timeout=T)
    await reply_to(conv, "before login", check=lambda m: m.body == "You said: before login")
    stepped = asyncio.ensure_future(conv.wait_for("consumer-step-up", timeout=T))
    await conn.step_up(args["jwt"])
    event = await stepped
    after = await reply_to(conv, "after login", check=lambda m: m.body == "You said: after login")
    result = {"before": before, "auth_type": str(conn.auth_type), "event": event, "same_conversation":
              conn.conversations.get(conv.conversation_id) is conv, "after": after.body,
              "consumer_is_me": conv.consumer is not None and conv.consumer.id == conn.user_id}
    await conn.close()
    return result


async def proxies_released(args: dict) -> dict:
    """The browser transport destroys its JS callback proxies when the socket closes (no leaks)."""
    conn = connect(args, token_store=lpweb.transports.MemoryTokenStore())
    await conn.open()
    ws = conn._ws
    proxies = list(ws._proxies.values())
    await conn.close()
    destroyed = 0
    for proxy in proxies:
        try:
            proxy(None)
        except Exception as exc:  # pyodide: "This borrowed proxy was automatically destroyed" / "already been destroyed"
            destroyed += "destroyed" in str(exc)
    return {"proxies": len(proxies), "destroyed": destroyed, "left": len(ws._proxies)}


async def chaos_run(args: dict) -> dict:
    """One seeded chaos run (issue #6) through the browser transport: the native suite's
    :class:`lpweb.testing.chaos.ChaosRun`, faults asked of the emulator over HTTP."""
    from lpweb.testing.chaos import ChaosRun, HttpFaults
    from lpweb.transports import default_transport

    control = HttpFaults(default_transport(), args["csds"])
    run = ChaosRun(args["seed"], csds_domain=args["csds"], faults=control)
    result = await run.run()
    return {"result": result, "problems": run.problems, "reported": run.reported[-20:]}


async def install_wheel(args: dict) -> dict:
    """Unpack the wheel at ``args["url"]`` into site-packages: lpweb-emulator's test helpers
    (lpweb.testing) for chaos_run, which the site does not serve (pages need no test helpers)."""
    import importlib
    import site

    from pyodide.http import pyfetch

    response = await pyfetch(args["url"])
    if not response.ok:
        raise RuntimeError(f"{args['url']}: HTTP {response.status}")
    await response.unpack_archive(extract_dir=site.getsitepackages()[0], format="zip")
    importlib.invalidate_caches()
    return {"installed": args["url"]}


SCENARIOS = {f.__name__: f for f in (open_conversation, send_and_receive, rich_and_quick_replies,
                                     upload_and_download, close_conversation, close_connection, errors, step_up,
                                     proxies_released, chaos_run, install_wheel)}


async def run(name: str, args_json: str) -> str:
    """Run one scenario; errors come back as data so the test can show them."""
    try:
        result = await SCENARIOS[name](json.loads(args_json))
        return json.dumps({"ok": True, "result": result})
    except Exception as exc:  # reported to the test, which fails with the details
        import traceback

        return json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
