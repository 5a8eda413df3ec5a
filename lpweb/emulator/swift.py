"""Swift-like file storage on the emulator host (protocol.md §7, FILE-05/06).

``ms.GenerateURLForUploadFile`` / ``ms.GenerateURLForDownloadFile`` get a relative path
``/v1/AUTH_async-images/{account}/{uuid}.{EXT}`` and temp-URL query parameters from
:class:`FileStore`; the client then sends ``PUT`` (201) / ``GET`` (200, the bytes with a
content type) to that path with ``temp_url_sig`` and ``temp_url_expires``. A bad or
expired signature is 401, a body over 3 MB is 413, an unknown file 404.

The signature is [INF] Swift's own temp-URL scheme: hex HMAC-SHA1 of
``"{METHOD}\\n{expires}\\n{path}"`` with a per-emulator key (:func:`FileStore.sign`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from .state import Platform

__all__ = ["FileStore", "SWIFT_PREFIX", "MAX_FILE_BYTES", "TEMP_URL_TTL_MS", "FILE_TYPES", "PATH_RE"]

SWIFT_PREFIX = "/v1/AUTH_async-images"
MAX_FILE_BYTES = 3 * 1024 * 1024                 # ≤3 MB per file (§7, §9)
TEMP_URL_TTL_MS = 60_000                         # "URL valid ~1 minute by default" (§7)
# Upload enum JPG/JPEG/PNG/GIF plus the hosted-file schema's IMG/TXT/PDF, with the content types served.
FILE_TYPES = {"JPG": "image/jpeg", "JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
              "IMG": "application/octet-stream", "TXT": "text/plain", "PDF": "application/pdf"}
PATH_RE = re.compile(r"^/v1/AUTH_async-images/([^/]+)/([0-9a-f-]{36})\.([A-Za-z]+)$")


class FileStore:
    def __init__(self, platform: "Platform") -> None:
        self.platform = platform
        self._key = secrets.token_bytes(32)
        self.files: dict[str, tuple[bytes, str]] = {}     # relative path -> (bytes, content type)

    def sign(self, method: str, path: str, expires_s: int) -> str:
        return hmac.new(self._key, f"{method}\n{expires_s}\n{path}".encode(), hashlib.sha1).hexdigest()

    def _params(self, method: str, path: str) -> dict[str, str]:
        expires = (self.platform.clock() + TEMP_URL_TTL_MS) // 1000
        return {"temp_url_sig": self.sign(method, path, expires), "temp_url_expires": str(expires)}

    def upload_url(self, account_id: str, file_type: str) -> dict[str, object]:
        path = f"{SWIFT_PREFIX}/{account_id}/{uuid.uuid4()}.{file_type}"
        return {"relativePath": path, "queryParams": self._params("PUT", path)}

    def download_url(self, path: str) -> dict[str, object]:
        return {"relativePath": path, "queryParams": self._params("GET", path)}

    def handle(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request to a storage path (``PATH_RE`` matched by the caller)."""
        m = PATH_RE.match(path)
        if m is None:
            return 404, {}, b"Not Found"
        sig_method = "GET" if method == "HEAD" else method
        if sig_method not in ("GET", "PUT"):
            return 405, {}, b"Method Not Allowed"
        sig, expires = query.get("temp_url_sig", ""), query.get("temp_url_expires", "")
        if not expires.isdigit() or int(expires) * 1000 <= self.platform.clock() or \
                not hmac.compare_digest(sig, self.sign(sig_method, path, int(expires))):
            return 401, {"Content-Type": "text/plain"}, b"Temp URL invalid"
        if sig_method == "PUT":
            if len(body) > MAX_FILE_BYTES:
                return 413, {"Content-Type": "text/plain"}, b"Request Entity Too Large"
            self.files[path] = (bytes(body), FILE_TYPES.get(m.group(3).upper(), "application/octet-stream"))
            return 201, {"Content-Type": "text/plain"}, b""
        stored = self.files.get(path)
        if stored is None:
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        data, ctype = stored
        return 200, {"Content-Type": ctype}, b"" if method == "HEAD" else data
