"""``ProtocolConnection``: the sans-I/O client side of one UMS websocket.

Theory of operation (after websockets' ``Protocol`` and h11's ``Connection``):

* The I/O layer feeds every received text frame to :meth:`receive_text`, then drains
  :meth:`events_received` (typed events) and :meth:`data_to_send` (text frames to write).
* :meth:`send_request` encodes a request, queues it for sending and registers it in the
  :class:`~lpweb.protocol.correlator.Correlator` with an absolute deadline. Ids come from
  the injected ``id_factory``; time is always passed in by the caller (``now``).
* :meth:`tick` expires requests whose deadline has passed; :meth:`next_deadline` tells the
  I/O layer when to call it next.
* :meth:`connection_lost` fails every pending request with
  :class:`~lpweb.errors.ConnectionLost`.

Nothing here awaits, reads a clock or makes ids, so the same object runs in CPython, in
Pyodide and in tests driven by a fake clock.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, Callable, Union

from ..errors import ConnectionLost, LPError, MalformedFrame, ProtocolError, RequestFailed, RequestTimeout
from .correlator import Correlator
from .frames import Notification, Request, Response, decode, encode_request
from .notifications import ProtocolNotification, parse_notification

__all__ = ["ProtocolConnection", "RequestCompleted", "RequestErrored", "NotificationReceived",
           "FrameRejected", "ProtocolEvent"]


@dataclass(frozen=True, slots=True)
class RequestCompleted:
    """A request got a successful (code < 400) response."""

    req_id: str
    response: Response


@dataclass(frozen=True, slots=True)
class RequestErrored:
    """A request failed: an error response, a timeout or a lost connection."""

    req_id: str
    error: LPError


@dataclass(frozen=True, slots=True)
class NotificationReceived:
    notification: ProtocolNotification


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """A frame could not be used; ``error`` says why. The connection stays usable."""

    error: MalformedFrame


ProtocolEvent = Union[RequestCompleted, RequestErrored, NotificationReceived, FrameRejected]


def counter_ids(prefix: str = "") -> Callable[[], str]:
    """A deterministic id factory: ``prefix1``, ``prefix2``, ..."""
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


class ProtocolConnection:
    """Client protocol state for one websocket session.

    ``default_timeout`` is in seconds (the clock unit the caller uses); ``None`` means no
    deadline unless one is given per request.
    """

    def __init__(self, id_factory: Callable[[], str] | None = None,
                 default_timeout: float | None = 10.0) -> None:
        self._ids = id_factory or counter_ids()
        self.default_timeout = default_timeout
        self._correlator = Correlator()
        self._outgoing: list[str] = []
        self._events: list[ProtocolEvent] = []
        self.closed = False

    # -- sending -------------------------------------------------------------------------
    def send_request(self, type: str, body: Any = None, *, now: float,
                     timeout: float | None | EllipsisType = ..., headers: list[dict[str, Any]] | None = None,
                     metadata: list[dict[str, Any]] | None = None) -> str:
        """Queue a request frame and return its id."""
        if self.closed:
            raise ConnectionLost(None, "the connection is closed")
        req_id = self._ids()
        if timeout is ...:
            timeout = self.default_timeout
        deadline = None if timeout is None else now + timeout
        self._correlator.add(req_id, type, deadline)
        self._outgoing.append(encode_request(req_id, type, body, headers, metadata))
        return req_id

    def deadline_of(self, req_id: str) -> float | None:
        """The deadline of a pending request, None when it has none or is not pending."""
        return self._correlator.deadline(req_id)

    def data_to_send(self) -> list[str]:
        out, self._outgoing = self._outgoing, []
        return out

    @property
    def pending_count(self) -> int:
        return len(self._correlator)

    # -- receiving -----------------------------------------------------------------------
    def receive_text(self, text: str | bytes) -> None:
        try:
            frame = decode(text)
        except MalformedFrame as exc:
            self._events.append(FrameRejected(exc))
            pending = self._correlator.resolve(_readable_req_id(text))
            if pending is not None:  # fail that request now rather than at its deadline
                self._events.append(RequestErrored(pending.req_id, ProtocolError(
                    f"malformed response to {pending.type} (request {pending.req_id}): {exc.reason}")))
            return
        if isinstance(frame, Response):
            self._receive_response(frame)
        elif isinstance(frame, Notification):
            try:
                self._events.append(NotificationReceived(parse_notification(frame)))
            except MalformedFrame as exc:
                self._events.append(FrameRejected(exc))
        elif isinstance(frame, Request):
            self._events.append(FrameRejected(MalformedFrame("server sent a request frame",
                                                             frame.encode())))

    def _receive_response(self, resp: Response) -> None:
        pending = self._correlator.resolve(resp.req_id)
        if pending is None:
            return  # late or unknown: the caller already got a timeout, or it is not ours
        if resp.ok:
            self._events.append(RequestCompleted(resp.req_id, resp))
        else:
            self._events.append(RequestErrored(resp.req_id,
                                               RequestFailed(resp.code, resp.body, pending.type)))

    def events_received(self) -> list[ProtocolEvent]:
        events, self._events = self._events, []
        return events

    # -- time and end ----------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        return self._correlator.next_deadline()

    def tick(self, now: float) -> None:
        for p in self._correlator.expire(now):
            self._events.append(RequestErrored(
                p.req_id, RequestTimeout(f"no response to {p.type} (request {p.req_id}) in time")))

    def connection_lost(self, code: int | None = None, reason: str = "") -> None:
        self.closed = True
        self._outgoing.clear()
        for p in self._correlator.fail_all():
            self._events.append(RequestErrored(p.req_id, ConnectionLost(code, reason)))


def _readable_req_id(text: str | bytes) -> str:
    """The ``reqId`` of a frame that failed to decode, when one can still be read."""
    try:
        obj = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return ""
    if isinstance(obj, dict) and obj.get("kind") == "resp":
        req_id = obj.get("reqId")
        if isinstance(req_id, (str, int)) and not isinstance(req_id, bool):
            return str(req_id)
    return ""
