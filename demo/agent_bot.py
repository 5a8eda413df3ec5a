"""The demo's agent bot: a brand connection (native lpweb) that greets, echoes and shows off.

It logs in with a username and password, watches every open conversation of the account
(the default brand subscription), joins each new one as the assigned agent and greets the
consumer. Then it answers each consumer message with read receipts and:

* ``card`` — a structured-content card (text, image, buttons);
* ``options`` — a question with quick replies;
* ``picture`` — an image file it uploads;
* ``typing`` — shows "typing…" for a moment, then answers;
* ``transfer`` — transfers the conversation to the skill, then picks it up again as the next agent;
* a file from the consumer — a reply naming the file and its size, after downloading it;
* ``bye`` — closes the main dialog, which starts the post-conversation survey when the
  conversation's skill has one (the demo emulator's default skill does);
* anything else — an echo.

Run it against the local emulator::

    python demo/agent_bot.py --csds 127.0.0.1:8081 --account 1234567
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import struct
import zlib

import lpweb
from lpweb import DialogType, ParticipantRole, UserType

log = logging.getLogger("lpweb.demo.bot")
GREETING = ("Hi! I'm the lpweb demo bot. Say something and I'll echo it back. "
            "Try 'card', 'options', 'picture', 'typing', 'transfer', or send me an image; 'bye' ends the chat.")
#: The greeting's quick replies (a welcome message with suggestions, widget.md parity item 18).
WELCOME_REPLIES = {"type": "quickReplies", "itemsPerRow": 4, "replies": [
    {"type": "button", "title": command, "click": {"actions": [{"type": "publishText", "text": command}]}}
    for command in ("card", "options", "picture", "bye")]}
TYPING_S = 1.5
TYPING_REPLY = "Done typing."
TRANSFERRED_REPLY = "Hi, I'm the next agent. How can I help?"
TRANSFER_SKILL = "2"      # the demo account's second skill ('transfer' moves the conversation there)
CARD = {"type": "vertical", "elements": [
    {"type": "text", "text": "lpweb demo card", "tooltip": "title", "style": {"bold": True, "size": "large"}},
    {"type": "text", "text": "Structured content rendered safely in your page."},
    {"type": "button", "title": "Open the docs", "tooltip": "Open the docs",
     "click": {"actions": [{"type": "link", "name": "Open the docs", "uri": "https://developers.liveperson.com"}]}},
    {"type": "button", "title": "Say thanks", "click": {"actions": [{"type": "publishText", "text": "thanks"}]}},
]}
OPTIONS_TEXT = "Which do you prefer?"
OPTIONS = {"type": "quickReplies", "itemsPerRow": 3, "replies": [
    {"type": "button", "tooltip": title, "title": title,
     "click": {"actions": [{"type": "publishText", "text": title}],
               "metadata": [{"type": "ExternalId", "id": f"choice-{title.lower()}"}]}}
    for title in ("Tea", "Coffee", "Water")]}


def echo_reply(text: str) -> str:
    return f"You said: {text}"


def demo_png(width: int = 48, height: int = 48) -> bytes:
    """A small PNG (a colour gradient), made without any imaging library."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 5 % 256, y * 5 % 256, 160)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def answer(conversation: lpweb.Conversation, message: lpweb.Message) -> None:
    """Reply to one consumer message according to the commands above."""
    if message.is_downloadable:
        file = await message.download_file()
        await conversation.send_message(f"Got your file {file.filename} ({len(file.data)} bytes).")
        return
    if not isinstance(message.body, str):
        return
    command = message.body.strip().lower()
    if command == "card":
        await conversation.send_rich_text(CARD)
    elif command == "options":
        await conversation.send_message(OPTIONS_TEXT, quick_replies=OPTIONS)
    elif command == "picture":
        png = demo_png()          # small enough to be its own preview (< 30 KB)
        await conversation.upload_file(png, "A picture from the bot",
                                       preview="data:image/png;base64," + base64.b64encode(png).decode())
    elif command == "typing":
        await conversation.set_chat_state("COMPOSING")
        await asyncio.sleep(TYPING_S)
        await conversation.send_message(TYPING_REPLY)
    elif command == "transfer":
        await conversation.send_message("Transferring you to another agent…")
        other = TRANSFER_SKILL if conversation.skill.skill_id != TRANSFER_SKILL else "-1"
        await conversation.transfer(skill_id=other)
        await conversation.join(ParticipantRole.ASSIGNED_AGENT)
        await conversation.send_message(TRANSFERRED_REPLY)
    elif command == "bye":
        await conversation.send_message("Thanks for chatting with lpweb. Goodbye!")
        main = conversation.get_dialog(DialogType.MAIN)
        if main is not None and main.is_open:
            await main.close()
    else:
        await conversation.send_message(echo_reply(message.body))


async def serve_conversation(conversation: lpweb.Conversation) -> None:
    """Join one conversation, greet, and answer what the consumer writes in the main dialog."""

    handled: set[int] = set()

    @conversation.on("message")
    async def on_message(message: lpweb.Message) -> None:
        if (message.participant.role != ParticipantRole.CONSUMER or not conversation.is_open
                or message.dialog.dialog_type != DialogType.MAIN or not message.dialog.is_open
                or message.sequence in handled):
            return
        handled.add(message.sequence)
        await message.accept()
        await message.read()
        await answer(conversation, message)

    conversation.on("close", lambda: log.info("conversation %s closed", conversation.conversation_id))
    role = ParticipantRole.AGENT if conversation.assigned_agent else ParticipantRole.ASSIGNED_AGENT
    await conversation.join(role)
    await conversation.send_message(GREETING, quick_replies=WELCOME_REPLIES)
    # Messages the consumer sent before the bot joined (a widget sends what was typed while it
    # loaded as soon as the conversation exists) came before the join: answer them from history.
    main = conversation.get_dialog(DialogType.MAIN)
    if main is not None:
        await main.get_all_publish_events()
        for message in list(main.messages):
            await on_message(message)


async def run_bot(csds_domain: str, account_id: str, username: str = "bot", password: str = "bot-password",
                  ready: asyncio.Event | None = None) -> None:
    """Run the bot until cancelled. ``ready`` is set once the bot is connected."""
    connection = lpweb.create_connection(
        app_id="lpweb_demo_bot", account_id=account_id, user_type=UserType.BRAND, csds_domain=csds_domain,
        auth_data={"username": username, "password": password})
    connection.on("error", lambda err: log.warning("bot error: %s", err))

    @connection.on("conversation")
    async def on_conversation(conversation: lpweb.Conversation) -> None:
        main = conversation.get_dialog(DialogType.MAIN)
        if conversation.is_open and main is not None and main.is_open and conversation.consumer is not None:
            await serve_conversation(conversation)

    await connection.open()
    log.info("demo bot connected as %s", username)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await connection.close()


#: The demo emulator's configuration: one account whose default skill runs a survey, and
#: consumer authentication connectors (type 1: un-auth messaging; type 2: a brand identity
#: provider whose JWTs are HS256-signed with DEMO_IDP_SECRET) for login and step-up demos.
DEMO_ACCOUNT = "1234567"
DEMO_IDP_ISSUER = "https://idp.demo.lpweb.invalid"
DEMO_IDP_SECRET = "lpweb-demo-idp-secret"
DEMO_CONFIG = {"accounts": [{
    "id": DEMO_ACCOUNT,
    "skills": [{"id": "-1", "name": "Demo", "survey": True}, {"id": TRANSFER_SKILL, "name": "Support", "survey": True}],
    "users": [{"name": "bot", "password": "bot-password", "permissions": ["MANAGER"]}],
    "connectors": [{"id": "1", "type": 1},
                   {"id": "2", "type": 2, "issuer": DEMO_IDP_ISSUER, "alg": "HS256", "secret": DEMO_IDP_SECRET}],
}]}


def demo_identity_jwt(subject: str, ttl_s: int = 600) -> str:
    """An identity JWT from the demo's brand identity provider (for step-up demos and tests)."""
    import hashlib
    import hmac
    import json
    import time
    from base64 import urlsafe_b64encode

    def b64(data: bytes) -> str:
        return urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"sub": subject, "iss": DEMO_IDP_ISSUER, "iat": now, "exp": now + ttl_s}
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(hmac.new(DEMO_IDP_SECRET.encode(), head.encode(), hashlib.sha256).digest())


def main() -> None:
    parser = argparse.ArgumentParser(description="lpweb demo agent bot")
    parser.add_argument("--csds", required=True, help="CSDS host[:port], e.g. 127.0.0.1:8081")
    parser.add_argument("--account", default=DEMO_ACCOUNT)
    parser.add_argument("--user", default="bot")
    parser.add_argument("--password", default="bot-password")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    try:
        asyncio.run(run_bot(args.csds, args.account, args.user, args.password))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
