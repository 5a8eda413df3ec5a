"""File sharing (protocol.md §7, FILE-*): upload, publish, and download by signed URL.

Upload: ask for an upload URL (``ms.GenerateURLForUploadFile`` with size and type), PUT
the bytes to the storage host (``swift``) with the signed query, publish a ``hosted/file``
content event. Download: ask for a download URL, GET the bytes. The file type is taken
from the data's magic bytes (or the file name); limits are checked before any request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlencode

from .errors import HttpError, ProtocolError, UsageError
from .protocol import requests as rq

if TYPE_CHECKING:
    from .model.conversation import Conversation
    from .model.message import Message

__all__ = ["MAX_FILE_SIZE", "UPLOAD_TYPES", "DownloadedFile", "detect_file_type", "upload_file",
           "download_file", "Progress"]

MAX_FILE_SIZE = 3 * 1024 * 1024          # protocol.md §9: at most 3 MB per file
UPLOAD_TYPES = ("JPG", "JPEG", "PNG", "GIF")  # what GenerateURLForUploadFile accepts (§7)
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"))
_EXTENSIONS = {"png": "PNG", "jpg": "JPG", "jpeg": "JPEG", "gif": "GIF"}

#: ``progress(done_bytes, total_bytes)``; total is ``None`` when the server did not say.
Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class DownloadedFile:
    """What :meth:`Message.download_file` returns (MSG-07): the bytes and the file name."""

    data: bytes
    filename: str
    content_type: str = ""


def detect_file_type(data: bytes, filename: str | None = None) -> str:
    """``PNG``/``JPG``/``GIF`` from the magic bytes, else from the file name's extension."""
    for magic, file_type in _MAGIC:
        if data.startswith(magic):
            return file_type
    if filename and "." in filename:
        ext = filename.rsplit(".", 1)[1].lower()
        if ext in _EXTENSIONS:
            return _EXTENSIONS[ext]
    raise UsageError(f"cannot share this file: only {', '.join(UPLOAD_TYPES)} images are accepted")


async def _as_bytes(data: Any) -> tuple[bytes, str | None]:
    """Bytes and a file name from bytes-likes, a path, or (in the browser) a JS Blob/File/ArrayBuffer."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None
    if hasattr(data, "read_bytes") and hasattr(data, "name"):  # pathlib.Path (FILE-07)
        return data.read_bytes(), str(data.name)
    from .transports import in_browser

    if in_browser():
        from .transports.browser import js_to_bytes

        return await js_to_bytes(data)
    raise UsageError("upload_file takes bytes, a bytearray, a memoryview or a pathlib.Path")


MAX_PREVIEW_SIZE = 30 * 1024     # protocol.md §5.2: a base64 data URL under 30 KB


def check_preview(preview: str | None) -> str | None:
    """A file message's optional thumbnail: a ``data:image/...;base64,`` URL under 30 KB."""
    if preview is None:
        return None
    if not isinstance(preview, str) or not preview.startswith("data:image/") or ";base64," not in preview:
        raise UsageError("preview must be a data:image/...;base64, URL")
    if len(preview) >= MAX_PREVIEW_SIZE:
        raise UsageError(f"the preview has {len(preview)} characters; the limit is {MAX_PREVIEW_SIZE} (30 KB)")
    return preview


async def upload_file(conversation: Conversation, data: Any, caption: str | None = None, *,
                      file_type: str | None = None, progress: Progress | None = None,
                      preview: str | None = None) -> dict[str, Any]:
    """Upload ``data`` and share it in ``conversation``; returns the publish answer (FILE-03).
    ``preview`` is an optional thumbnail (:func:`check_preview`) shown before a download."""
    preview = check_preview(preview)
    content, filename = await _as_bytes(data)
    if not content:
        raise UsageError("the file is empty")
    if len(content) > MAX_FILE_SIZE:
        raise UsageError(f"the file has {len(content)} bytes; the limit is {MAX_FILE_SIZE} bytes (3 MB)")
    file_type = (file_type or detect_file_type(content, filename)).upper()
    if file_type not in UPLOAD_TYPES:
        raise UsageError(f"file type {file_type!r} cannot be uploaded; use one of {', '.join(UPLOAD_TYPES)}")
    dialog = conversation._require_open_dialog()
    conn = conversation.connection
    resp = await conn.request(rq.GENERATE_UPLOAD_URL, {"fileSize": str(len(content)), "fileType": file_type})
    relative_path, url = _signed_url(conn, resp.body, "upload")
    put = await conn._http("PUT", url, body=content, headers={"Content-Type": "application/octet-stream"},
                           on_upload=progress)
    if put.status not in (200, 201):
        raise HttpError(put.status, url, None)
    message = {"caption": caption or "", "relativePath": relative_path, "fileType": file_type}
    if preview:
        message["preview"] = preview
    return await dialog.publish({"type": "ContentEvent", "contentType": "hosted/file", "message": message})


async def download_file(message: Message, *, progress: Progress | None = None) -> DownloadedFile:
    """Fetch the file of a ``hosted/file`` message (FILE-06)."""
    if not message.is_downloadable or not message.relative_path:
        raise UsageError("this message carries no file (check message.is_downloadable)")
    conn = message.conversation.connection
    resp = await conn.request(rq.GENERATE_DOWNLOAD_URL, {"relativePath": message.relative_path})
    _, url = _signed_url(conn, resp.body, "download", message.relative_path)
    got = await conn._http("GET", url, on_download=progress)
    if got.status != 200:
        raise HttpError(got.status, url, None)
    filename = message.relative_path.rsplit("/", 1)[-1]
    return DownloadedFile(got.content, filename, got.headers.get("content-type", ""))


def _signed_url(conn: Any, body: Any, what: str, relative_path: str | None = None) -> tuple[str, str]:
    """(relativePath, full storage URL) from a GenerateURL answer (§7)."""
    try:
        path = relative_path or body["relativePath"]
        query = body["queryParams"]
        params = {"temp_url_sig": query["temp_url_sig"], "temp_url_expires": query["temp_url_expires"]}
    except (KeyError, TypeError):
        raise ProtocolError(f"the {what} URL answer lacks relativePath or queryParams") from None
    if not isinstance(path, str) or not path.startswith("/"):
        raise ProtocolError(f"the {what} URL answer has a bad relativePath")
    return path, conn._endpoints.http_url("swift", path) + "?" + urlencode(params)
