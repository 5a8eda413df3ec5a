"""The domain layer (asyncio): connections, conversations, dialogs, messages, participants."""
