"""lpweb: LivePerson's Messaging Platform SDK for Python, natively and in the browser.

Start with :func:`create_connection`::

    import lpweb
    connection = lpweb.create_connection(app_id="quick_start", account_id="12345678",
                                         user_type=lpweb.UserType.CONSUMER)
    await connection.open()
    conversation = await connection.create_conversation()
    await conversation.send_message("hello")

Importing lpweb needs no third-party package: the native transport (websockets, httpx)
and the browser transport (Pyodide's ``js``) are imported when first used. So is the brand
side (:class:`BrandConnection`, rings, the token maintainer, REST publishing): a consumer
page in the browser does not pay for compiling it at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal, Mapping, overload

from . import errors
from .builders import (create_client_properties, create_customer_info_sde, create_jwt_claims_set,
                       create_personal_info_sde)
from ._version import __version__
from .enums import *  # noqa: F403 - the enums are part of the top-level API (API-01)
from .enums import UserType
from .enums import __all__ as _enum_names
from .errors import (AuthError, ConnectionLost, ConversationClosed, InvalidState, LPError, ProtocolError,
                     RequestFailed, RequestTimeout, TransportError, UsageError)
from .model.connection import Connection
from .model.consumer import ConsumerConnection
from .model.conversation import Conversation
from .model.details import ConversationDetails
from .model.dialog import Dialog
from .model.message import Message
from .model.participant import Participant, Skill
from .model.subscription import ConversationSubscription
from .options import parse_options
from .transports import default_token_store, default_transport
from .proxy import UnsupportedInBrowser, configure_proxy, remove_proxy, reset_proxy

if TYPE_CHECKING:
    from .auth.maintainer import TokenMaintainer
    from .model.brand import BrandConnection, MessageStatistics
    from .model.ring import AgentStateSubscription, Ring, RoutingTaskSubscription
    from .rest import publish_message

# Imported on first use (module __getattr__): name -> module that defines it.
_LAZY = {"BrandConnection": ".model.brand", "MessageStatistics": ".model.brand", "Ring": ".model.ring",
         "RoutingTaskSubscription": ".model.ring", "AgentStateSubscription": ".model.ring",
         "TokenMaintainer": ".auth.maintainer", "publish_message": ".rest"}

__all__ = [
    "__version__", "create_connection", "Connection", "ConsumerConnection", "BrandConnection", "Conversation", "Dialog", "Message", "Participant",
    "Skill", "ConversationDetails", "ConversationSubscription", "default_token_store", "default_transport", "errors", "LPError",
    "UsageError", "InvalidState", "ConversationClosed", "ProtocolError", "RequestFailed", "RequestTimeout",
    "TransportError", "ConnectionLost", "AuthError", "create_client_properties", "create_customer_info_sde",
    "create_personal_info_sde", "create_jwt_claims_set", *_enum_names,
    # brand side (issue #5)
    "TokenMaintainer", "MessageStatistics", "Ring", "RoutingTaskSubscription", "AgentStateSubscription",
    "UnsupportedInBrowser", "configure_proxy", "remove_proxy", "reset_proxy", "publish_message",
]


@overload
def create_connection(options: Mapping[str, Any] | None = None, *,
                      user_type: Literal[UserType.CONSUMER, "CONSUMER"], **kwargs: Any) -> ConsumerConnection: ...
@overload
def create_connection(options: Mapping[str, Any] | None = None, *,
                      user_type: Literal[UserType.BRAND, "BRAND"], **kwargs: Any) -> BrandConnection: ...
@overload
def create_connection(options: Mapping[str, Any] | None = None, **kwargs: Any) -> Connection: ...
def create_connection(options: Mapping[str, Any] | None = None, **kwargs: Any) -> Connection:
    """Build a :class:`Connection` (CONN-01); no I/O happens until ``await connection.open()``.

    Options are keyword arguments (``app_id=``, ``account_id=``, ``user_type=``, …, see
    features.md §2) or one dict with the JS camelCase keys. Consumer connections also take
    ``csds_domain`` (the only host ever configured), ``token=`` to resume a session and
    ``token_store=`` to keep the token between runs (``localStorage`` in the browser).
    Raises :class:`~lpweb.errors.UsageError` for unknown, missing or conflicting options.
    """
    opts = parse_options(options, **kwargs)
    if opts.is_brand:
        from .model.brand import BrandConnection

        return BrandConnection(opts)
    return ConsumerConnection(opts)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
