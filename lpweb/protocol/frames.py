"""The websocket frame codec: requests, responses and notifications (protocol.md §4.3).

Every frame is one JSON object with a ``kind``:

* request ``{"kind":"req","id":…,"type":…,"body":…,"headers":…,"metadata":…}``
* response ``{"kind":"resp","reqId":…,"code":…,"type":…,"body":…}``
* notification ``{"kind":"notification","type":…,"body":…}``

:func:`decode` turns text into one of the three frozen dataclasses and raises
:class:`~lpweb.errors.MalformedFrame` for anything else; the ``encode`` functions do the
reverse. This module is shared by the SDK and the emulator. It does no I/O.

Frames are decoded with ``orjson`` when it is installed (the ``native`` extra brings it;
Pyodide and bare installs use the standard library): it decodes a frame about 2.5x
faster (``bench/brand_ingest.py``). Text orjson refuses (``NaN``, lone surrogates, ...) or might
read differently (19 digits in a row: orjson reads integers beyond 64 bits as floats) is
handed to :func:`json.loads`, so what is accepted, what it decodes to and how it fails
stay the standard library's. Encoding stays with :mod:`json`: orjson would serialise
objects the standard library refuses (UUIDs, plain enums).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import Any, Union

from ..errors import MalformedFrame

_orjson: Any
try:
    _orjson = importlib.import_module("orjson")  # faster decoding, from the native extra
except ImportError:                     # Pyodide, or lpweb without the native extra
    _orjson = None

__all__ = [
    "Request", "Response", "Notification", "Frame",
    "decode", "encode_request", "encode_response", "encode_notification", "one_or_many",
]

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Request:
    """A request frame. ``body`` is ``None`` when the frame had no body."""

    id: str
    type: str
    body: Any = None
    headers: list[dict[str, Any]] | None = None
    metadata: list[dict[str, Any]] | None = None

    def encode(self) -> str:
        return encode_request(self.id, self.type, self.body, self.headers, self.metadata)


@dataclass(frozen=True, slots=True)
class Response:
    """A response frame. ``ok`` is true for codes below 400 (protocol.md §4.3)."""

    req_id: str
    code: int
    type: str = ""
    body: Any = None

    @property
    def ok(self) -> bool:
        return self.code < 400

    def encode(self) -> str:
        return encode_response(self.req_id, self.code, self.type, self.body)


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification frame."""

    type: str
    body: Any = field(default=None)

    def encode(self) -> str:
        return encode_notification(self.type, self.body)


Frame = Union[Request, Response, Notification]


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# every byte that is a digit -> "0", every other byte -> " " (for _long_digit_run)
_DIGITS = bytes(0x30 if 0x30 <= c <= 0x39 else 0x20 for c in range(256))
_LONG_RUN = b"0" * 19


def _long_digit_run(text: str) -> bool:
    """Whether ``text`` has 19 digits in a row: a number orjson might read as a float
    (it has no integers beyond 64 bits); ~2 us for a 1 kB frame."""
    return _LONG_RUN in text.encode("utf-8", "surrogatepass").translate(_DIGITS)


def _loads(text: str) -> Any:
    if _orjson is not None and not _long_digit_run(text):
        try:
            return _orjson.loads(text)
        except ValueError:      # orjson.JSONDecodeError: the standard library decides below
            pass
    return json.loads(text)


def encode_request(
    req_id: str,
    type: str,
    body: Any = None,
    headers: list[dict[str, Any]] | None = None,
    metadata: list[dict[str, Any]] | None = None,
) -> str:
    frame: dict[str, Any] = {"kind": "req", "id": str(req_id), "type": type}
    if body is not None:
        frame["body"] = body
    if headers:
        frame["headers"] = headers
    if metadata:
        frame["metadata"] = metadata
    return _dumps(frame)


def encode_response(req_id: str, code: int, type: str = "", body: Any = None) -> str:
    frame: dict[str, Any] = {"kind": "resp", "reqId": str(req_id), "code": code}
    if type:
        frame["type"] = type
    if body is not None:
        frame["body"] = body
    return _dumps(frame)


def encode_notification(type: str, body: Any) -> str:
    return _dumps({"kind": "notification", "type": type, "body": body})


def decode(text: str | bytes) -> Frame:
    """Decode one frame. Raises :class:`MalformedFrame` with the reason when it is invalid.

    Tolerances from protocol.md §4.3: numeric ids become strings, unknown keys are ignored.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedFrame("frame is not UTF-8") from None
    try:
        obj = _loads(text)
    except (ValueError, RecursionError):
        raise MalformedFrame("frame is not valid JSON", text) from None
    if not isinstance(obj, dict):
        raise MalformedFrame("frame is not a JSON object", text)
    kind = obj.get("kind")
    if kind == "resp":
        req_id = obj.get("reqId")
        code = obj.get("code")
        if not isinstance(req_id, (str, int)) or isinstance(req_id, bool):
            raise MalformedFrame("response without a reqId", text)
        if not isinstance(code, int) or isinstance(code, bool):
            raise MalformedFrame("response without an integer code", text)
        rtype = obj.get("type", "")
        return Response(str(req_id), code, rtype if isinstance(rtype, str) else "", obj.get("body"))
    if kind == "notification":
        ntype = obj.get("type")
        if not isinstance(ntype, str) or not ntype:
            raise MalformedFrame("notification without a type", text)
        return Notification(ntype, obj.get("body"))
    if kind == "req" or (kind is None and "id" in obj and "type" in obj):
        req_id = obj.get("id")
        rtype = obj.get("type")
        if not isinstance(req_id, (str, int)) or isinstance(req_id, bool) or str(req_id) == "":
            raise MalformedFrame("request without an id", text)
        if not isinstance(rtype, str) or not rtype:
            raise MalformedFrame("request without a type", text)
        headers = obj.get("headers")
        metadata = obj.get("metadata")
        return Request(
            str(req_id),
            rtype,
            obj.get("body"),
            headers if isinstance(headers, list) else None,
            metadata if isinstance(metadata, list) else None,
        )
    raise MalformedFrame(f"unknown frame kind {kind!r}", text)


def one_or_many(value: Any) -> list[Any]:
    """Accept a single element where a one-element array is expected (protocol.md §4.3)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
