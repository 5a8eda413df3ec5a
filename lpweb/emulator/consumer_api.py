"""User-profile and file-URL requests (protocol.md §5.9, §5.10, §7).

* ``userprofile.SetUserProfile`` (consumer): the body is stored as the consumer's profile.
* ``up.GetUserProfile`` / ``.ams.userprofile.GetUserProfile``: ``{}`` gives the caller's own
  profile; a consumer may read only its own; a brand user may read any consumer's profile
  and any brand user's name.
* ``ms.GenerateURLForUploadFile`` ``{fileSize, fileType}`` and
  ``ms.GenerateURLForDownloadFile`` ``{relativePath}`` (both spellings): temp URLs from
  :class:`.swift.FileStore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .replies import RESPONSE_TYPES, Reject, Reply, ok
from .swift import FILE_TYPES, MAX_FILE_BYTES, PATH_RE

if TYPE_CHECKING:
    from ..protocol.frames import Request
    from .engine import Session

__all__ = ["HANDLERS", "UPLOAD_FILE_TYPES"]

UPLOAD_FILE_TYPES = frozenset(FILE_TYPES)
SET_PROFILE_OK = "OK User Profile set successfully"     # the Send API's msg text (§5.9)


def take_over(session: "Session", req: "Request") -> Reply:
    """[INF] Consumer step-up (protocol.md §2.6: the wire form is undocumented): an
    authenticated consumer takes over a conversation of the unauthenticated identity whose
    LP JWT it presents: ``{"conversationId", "previousConsumerJwt"}``."""
    consumer_id = session.require_consumer()
    body = session.body(req)
    platform = session.platform
    me = platform.tokens.consumer_token(session.token or "", session.account_id)
    if me is None or me.kind != "authenticated":
        raise Reject(403, "Only an authenticated consumer can take over a conversation")
    previous = body.get("previousConsumerJwt")
    old = platform.tokens.consumer_token(previous, session.account_id) if isinstance(previous, str) else None
    if old is None or old.kind == "authenticated":
        raise Reject(401, "previousConsumerJwt is not a valid unauthenticated consumer token")
    conv = platform.accounts[session.account_id].conversations.get(str(body.get("conversationId")))
    if conv is None or conv.consumer_id != old.sub:
        raise Reject(404, "Conversation not found for the previous consumer")
    if conv.stage != "OPEN":
        raise Reject(400, "The conversation is closed")
    platform.take_over(conv, consumer_id)
    return ok("OK Conversation taken over successfully")


def set_user_profile(session: "Session", req: "Request") -> Reply:
    consumer_id = session.require_consumer()
    body = session.body(req)
    profile = {k: v for k, v in body.items() if k != "userId"}
    session.platform.accounts[session.account_id].profiles[consumer_id] = profile
    return ok(SET_PROFILE_OK)


def get_user_profile(session: "Session", req: "Request") -> Reply:
    rtype = RESPONSE_TYPES[".ams.userprofile.GetUserProfile" if req.type.startswith(".ams.") else "up.GetUserProfile"]
    body = req.body
    wanted = body.get("userId") if isinstance(body, dict) else body
    account = session.platform.accounts[session.account_id]
    if wanted in (None, ""):
        if session.user is not None:
            return Reply(200, rtype, {"userId": session.user.old_id})
        wanted = session.consumer_id
    if not isinstance(wanted, str):
        raise Reject(400, "userId must be a string")
    if session.consumer_id is not None and wanted != session.consumer_id:
        raise Reject(403, "Consumers may only read their own profile")
    if wanted in account.consumers:
        return Reply(200, rtype, {**account.profiles.get(wanted, {}), "userId": wanted})
    user = account.user_by_id(wanted)
    if user is None:
        raise Reject(404, "User not found")
    return Reply(200, rtype, {"userId": user.old_id, "firstName": user.name, "lastName": ""})


def generate_upload_url(session: "Session", req: "Request") -> Reply:
    body = session.body(req)
    file_type, size = body.get("fileType"), body.get("fileSize")
    if not isinstance(file_type, str) or file_type.upper() not in UPLOAD_FILE_TYPES:
        raise Reject(400, f"Unsupported fileType {file_type!r}"[:128])
    try:
        size_int = int(size)
    except (TypeError, ValueError):
        raise Reject(400, "fileSize must be a number of bytes") from None
    if size_int <= 0 or size_int > MAX_FILE_BYTES:
        raise Reject(400, f"fileSize must be between 1 and {MAX_FILE_BYTES} bytes")
    return Reply(200, RESPONSE_TYPES["ms.GenerateURL"],
                 session.platform.files.upload_url(session.account_id, file_type.upper()))


def generate_download_url(session: "Session", req: "Request") -> Reply:
    path = session.body(req).get("relativePath")
    m = PATH_RE.match(path) if isinstance(path, str) else None
    if m is None:
        raise Reject(400, "relativePath is not a file path of this storage")
    if m.group(1) != session.account_id:
        raise Reject(403, "The file belongs to another account")
    return Reply(200, RESPONSE_TYPES["ms.GenerateURL"], session.platform.files.download_url(path))


HANDLERS: dict[str, Callable[["Session", "Request"], Reply]] = {
    "userprofile.SetUserProfile": set_user_profile,
    "up.GetUserProfile": get_user_profile,
    "cm.TakeoverConversation": take_over,
    "ms.GenerateURLForUploadFile": generate_upload_url,
    "ms.GenerateURLForDownloadFile": generate_download_url,
}
