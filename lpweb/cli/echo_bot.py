"""The echo bot ``python -m lpweb bot`` runs by default.

It joins every new conversation of the account as the assigned agent, greets the
consumer, answers each consumer line with ``You said: <line>`` and closes the
conversation on ``bye``. A bot module of yours has the same shape: an
``async def main(connection)`` that registers handlers, then opens the connection.
"""

from __future__ import annotations

from lpweb import BrandConnection, Conversation, Message, ParticipantRole

__all__ = ["main", "GREETING", "reply_to"]

GREETING = "Hi! I'm the lpweb echo bot. Say something; 'bye' ends the chat."


def reply_to(text: str) -> str:
    return f"You said: {text}"


async def main(connection: BrandConnection) -> None:
    @connection.on("conversation")
    async def on_conversation(conversation: Conversation) -> None:
        if not conversation.is_open or conversation.assigned_agent is not None:
            return

        @conversation.on("message")  # listen before joining, so the first message is not missed
        async def on_message(message: Message) -> None:
            if message.participant is None or message.participant.role != ParticipantRole.CONSUMER:
                return
            if not isinstance(message.body, str) or not conversation.is_open:
                return
            if message.body.strip().lower() == "bye":
                await conversation.send_message("Bye!")
                await conversation.close()
            else:
                await conversation.send_message(reply_to(message.body))

        await conversation.join(ParticipantRole.ASSIGNED_AGENT)
        await conversation.send_message(GREETING)

    await connection.open()
