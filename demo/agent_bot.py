"""The demo's agent bot: a brand connection (native lpweb) that greets and echoes.

It logs in with a username and password, watches every open conversation of the account
(the default brand subscription), joins each new one as the assigned agent, greets the
consumer, then answers every consumer message with an echo and read receipts.

Run it against the local emulator::

    python demo/agent_bot.py --csds 127.0.0.1:8081 --account 1234567
"""

from __future__ import annotations

import argparse
import asyncio
import logging

import lpweb
from lpweb import ParticipantRole, UserType

log = logging.getLogger("lpweb.demo.bot")
GREETING = "Hi! I'm the lpweb demo bot. Say something and I'll echo it back."


def echo_reply(text: str) -> str:
    return f"You said: {text}"


async def serve_conversation(conversation: lpweb.Conversation) -> None:
    """Join one conversation, greet, and echo what the consumer writes."""

    @conversation.on("message")
    async def on_message(message: lpweb.Message) -> None:
        if message.participant.role != ParticipantRole.CONSUMER or not conversation.is_open:
            return
        await message.accept()
        await message.read()
        if isinstance(message.body, str):
            await conversation.send_message(echo_reply(message.body))

    conversation.on("close", lambda: log.info("conversation %s closed", conversation.conversation_id))
    role = ParticipantRole.AGENT if conversation.assigned_agent else ParticipantRole.ASSIGNED_AGENT
    await conversation.join(role)
    await conversation.send_message(GREETING)


async def run_bot(csds_domain: str, account_id: str, username: str = "bot", password: str = "bot-password",
                  ready: asyncio.Event | None = None) -> None:
    """Run the bot until cancelled. ``ready`` is set once the bot is connected."""
    connection = lpweb.create_connection(
        app_id="lpweb_demo_bot", account_id=account_id, user_type=UserType.BRAND, csds_domain=csds_domain,
        auth_data={"username": username, "password": password})
    connection.on("error", lambda err: log.warning("bot error: %s", err))

    @connection.on("conversation")
    async def on_conversation(conversation: lpweb.Conversation) -> None:
        if conversation.is_open and conversation.consumer is not None:
            await serve_conversation(conversation)

    await connection.open()
    log.info("demo bot connected as %s", username)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="lpweb demo agent bot")
    parser.add_argument("--csds", required=True, help="CSDS host[:port], e.g. 127.0.0.1:8081")
    parser.add_argument("--account", default="1234567")
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
