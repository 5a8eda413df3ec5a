"""``publish_message``: publish a text message with only a bearer, no Connection (REST-*).

::

    resp = await lpweb.publish_message(account_id, bearer, conversation_id, dialog_id, "hello",
                                       message_audience="AGENTS_AND_MANAGERS")
    resp.status, resp.json()      # 200, {"sequence": 4}

[INF] The endpoint lp-messaging-sdk's REST call uses is not documented anywhere (protocol.md
§11), and guessing a URL would only fail against the real platform. lpweb therefore sends
the same ``PublishEvent`` a connection sends, over a short-lived brand websocket authenticated
with ``token`` (the bearer in the URL path, protocol.md §4.2): one request, one response, then
the socket closes. No subscription, no default conversation load. The result is an
:class:`~lpweb.transports.HttpResponse` whose ``status`` is the response code and whose
``json()`` is the response body, so code written against the JS ``AxiosResponse`` keeps
working. ``originator_id`` / ``originator_role`` are sent as the body's
``originatorMetadata`` for server-JWT callers (REST-02/03). The token never appears in
errors (the brand URL is redacted).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from .endpoints import DEFAULT_CSDS_DOMAIN, discover
from .enums import ParticipantRole
from .errors import ConnectionLost, LPError, RequestTimeout, UsageError
from .protocol import ProtocolConnection, RequestCompleted, RequestErrored
from .protocol import requests as rq
from .transports.base import HttpResponse, TransportClosed

__all__ = ["publish_message"]


def _required(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise UsageError(f"publish_message needs {name} (a non-empty string)")
    return str(value)


async def publish_message(account_id: str, token: str, conversation_id: str, dialog_id: str, text: str,
                          metadata: Any = None, message_audience: str | None = None,
                          quick_replies: dict[str, Any] | None = None, originator_id: str | None = None,
                          originator_role: ParticipantRole | str | None = None, *,
                          csds_domain: str | None = None, transport: Any = None,
                          response_timeout: int = 10_000) -> HttpResponse:
    """Publish ``text`` to ``dialog_id`` of ``conversation_id`` (REST-01..04).

    Raises :class:`~lpweb.errors.UsageError` for missing or malformed arguments,
    :class:`~lpweb.errors.HttpError` when the bearer is refused at the handshake,
    :class:`~lpweb.errors.RequestFailed` when the platform refuses the message,
    :class:`~lpweb.errors.RequestTimeout` after ``response_timeout`` ms and
    :class:`~lpweb.errors.TransportError` when the platform cannot be reached.
    """
    account_id = _required(account_id, "account_id")
    token = _required(token, "token")
    conversation_id = _required(conversation_id, "conversation_id")
    dialog_id = _required(dialog_id, "dialog_id")
    if not isinstance(text, str):
        raise UsageError("publish_message takes the message text as a str")
    if originator_role is not None:
        try:
            originator_role = ParticipantRole(originator_role)
        except ValueError:
            raise UsageError("originator_role must be a ParticipantRole") from None
    body = rq.publish_body(dialog_id, rq.text_event(text, quick_replies), conversation_id, message_audience)
    if originator_id is not None or originator_role is not None:
        body["originatorMetadata"] = {k: str(v) for k, v in (("id", originator_id), ("role", originator_role))
                                      if v is not None}
    meta = rq.as_metadata_list(metadata)

    own = transport is None
    if own:
        from .proxy import proxied_default_transport
        transport = proxied_default_transport()
    try:
        domain = csds_domain or os.environ.get("LPWEB_CSDS_DOMAIN") or DEFAULT_CSDS_DOMAIN
        endpoints = await discover(transport, domain, account_id)
        service = endpoints.first("facadeMsg", "asyncMessagingEnt")
        url = endpoints.ws_url(service, f"/ws_api/account/{account_id}/messaging/brand/{token}?v=2.1")
        ws = await transport.connect_websocket(url, {})
        try:
            protocol = ProtocolConnection(default_timeout=None)
            loop = asyncio.get_running_loop()
            req_id = protocol.send_request(rq.PUBLISH_EVENT.brand, body, now=loop.time(), metadata=meta)
            for frame in protocol.data_to_send():
                await ws.send(frame)
            response = await asyncio.wait_for(_response(ws, protocol, req_id), response_timeout / 1000)
        except asyncio.TimeoutError:
            raise RequestTimeout(f"no response to the publish within {response_timeout} ms") from None
        finally:
            try:
                await ws.close(1000, "")
            except LPError:
                pass
    finally:
        if own:
            await transport.aclose()
    content = json.dumps(response.body).encode() if response.body is not None else b""
    return HttpResponse(response.code, {"content-type": "application/json"}, content, "")


async def _response(ws: Any, protocol: ProtocolConnection, req_id: str) -> Any:
    while True:
        try:
            protocol.receive_text(await ws.receive())
        except TransportClosed as exc:
            raise ConnectionLost(exc.code, exc.reason) from None
        for event in protocol.events_received():
            if isinstance(event, RequestCompleted) and event.req_id == req_id:
                return event.response
            if isinstance(event, RequestErrored) and event.req_id == req_id:
                raise event.error
