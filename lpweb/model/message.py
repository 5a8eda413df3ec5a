"""``Message``: one content event of a dialog, with accept/read receipts (MSG-*)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..enums import ContentType, DeliveryStatus
from .participant import Participant

if TYPE_CHECKING:
    from .dialog import Dialog

__all__ = ["Message"]


class Message:
    """A received (or echoed own) message. ``body`` is the text for ``text/plain``, the
    structured content for rich content and the file details for ``hosted/file``."""

    __slots__ = ("dialog", "change", "sequence", "participant", "body", "content_type",
                 "metadata", "quick_replies", "server_timestamp")

    def __init__(self, dialog: Dialog, change: dict[str, Any], participant: Participant) -> None:
        event = change.get("event") or {}
        self.dialog = dialog
        self.change = change
        self.sequence: int | None = change.get("sequence")
        self.participant = participant
        self.server_timestamp: int | None = change.get("serverTimestamp")
        self.metadata: list[dict[str, Any]] | None = change.get("metadata") or None
        self.quick_replies: dict[str, Any] | None = event.get("quickReplies")
        if event.get("type") == "RichContentEvent":
            self.content_type: str = ContentType.RICH_TEXT
            self.body: Any = event.get("content")
        else:
            self.content_type = event.get("contentType", ContentType.PLAIN_TEXT)
            self.body = event.get("message")

    @property
    def conversation(self) -> Any:
        return self.dialog.conversation

    @property
    def is_downloadable(self) -> bool:
        return self.content_type == ContentType.HOSTED_FILE and isinstance(self.body, dict)

    @property
    def relative_path(self) -> str | None:
        return self.body.get("relativePath") if self.is_downloadable else None

    def sent_by_current_user(self) -> bool:
        return self.participant.matches(self.dialog.conversation.connection.user_id)

    async def download_file(self, *, progress: Any = None) -> Any:
        """Fetch the attached file: a :class:`~lpweb.files.DownloadedFile` with ``data``
        (bytes) and ``filename`` (MSG-07, FILE-06)."""
        from ..files import download_file

        return await download_file(self, progress=progress)

    async def accept(self) -> None:
        """Publish ACCEPT for this message (MSG-03)."""
        await self.dialog.publish_status(DeliveryStatus.ACCEPT, [self.sequence])

    async def read(self) -> None:
        """Publish READ for this message (MSG-04)."""
        await self.dialog.publish_status(DeliveryStatus.READ, [self.sequence])

    def __repr__(self) -> str:
        return (f"Message(seq={self.sequence}, role={self.participant.role!s}, "
                f"type={self.content_type!s}, body={self.body!r:.60})")
