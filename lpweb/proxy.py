"""``configure_proxy`` / ``remove_proxy``: a process-wide HTTP proxy for the SDK (PRX-*).

::

    lpweb.configure_proxy({"host": "proxy.example", "port": 8080, "protocol": "http",
                           "path": "user/1", "auth": {"username": "u", "password": "p"}})
    lpweb.remove_proxy()          # reset_proxy() is the legacy alias (PRX-07)

The setting applies to every connection (and token maintainer) that creates its default
transport after the call (PRX-08): the SDK's HTTP traffic (CSDS, agentVep, sentinel, file
storage, REST helpers) goes through the proxy. Connections given an explicit ``transport=``
are not changed, and neither are transports already created. The websocket is not proxied
(A-54: the seeds only speak of requests). ``path`` is appended to the proxy URL.

In the browser (Pyodide) a page cannot choose or authenticate to a forward proxy, the browser
does; both functions raise :class:`~lpweb.errors.UnsupportedInBrowser` there (PRX-09, B-04).
The proxy password never appears in a ``repr`` or an error text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .endpoints import quote_segment
from .errors import UsageError

__all__ = ["ProxyConfig", "configure_proxy", "remove_proxy", "reset_proxy", "current_proxy",
           "proxied_default_transport", "UnsupportedInBrowser"]


class UnsupportedInBrowser(UsageError):
    """The operation cannot work in a web page (Pyodide); the message says why."""


@dataclass(frozen=True)
class ProxyConfig:
    host: str
    port: int
    protocol: str = "http"
    path: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """``protocol://[user:password@]host:port[/path]`` for the HTTP client."""
        auth = ""
        if self.username is not None:
            auth = quote_segment(self.username) + ":" + quote_segment(self.password or "") + "@"
        path = "/" + self.path.lstrip("/") if self.path else ""
        return f"{self.protocol}://{auth}{self.host}:{self.port}{path}"


_current: ProxyConfig | None = None


def _in_browser() -> bool:
    from .transports import in_browser
    return in_browser()


def _browser_error(what: str) -> UnsupportedInBrowser:
    return UnsupportedInBrowser(
        f"{what}() is not available in the browser: a web page cannot choose or authenticate to an HTTP "
        "proxy (the browser and the operating system do). Configure the proxy in the browser, or serve "
        "the LivePerson APIs through a same-origin reverse proxy and point csds_domain at it.")


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise UsageError(f"proxy {name} must be a non-empty string or number")
    return str(value)


def configure_proxy(config: Mapping[str, Any] | None = None, **kwargs: Any) -> ProxyConfig:
    """Send the SDK's HTTP requests through a proxy (PRX-01..06); returns the parsed setting.

    ``config`` is the JS object (``host``, ``port``, ``protocol``, ``path``, ``auth``) or the
    same as keyword arguments. Raises :class:`~lpweb.errors.UsageError` naming the bad key
    (missing host/port, a host or path ending with ``/``, a protocol other than http/https),
    and :class:`UnsupportedInBrowser` under Pyodide.
    """
    global _current
    if _in_browser():
        raise _browser_error("configure_proxy")
    merged = {**(config or {}), **kwargs}
    unknown = set(merged) - {"host", "port", "protocol", "path", "auth"}
    if unknown:
        raise UsageError(f"unknown proxy option(s): {', '.join(sorted(unknown))}")
    host = merged.get("host")
    if not isinstance(host, str) or not host:
        raise UsageError("configure_proxy needs host= (a name or an address)")
    if host.endswith("/"):
        raise UsageError("the proxy host must not end with '/'")
    port = merged.get("port")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise UsageError("configure_proxy needs port= (a number between 1 and 65535)")
    protocol = merged.get("protocol") or "http"
    if protocol not in ("http", "https"):
        raise UsageError("the proxy protocol must be 'http' (the default) or 'https'")
    path = merged.get("path")
    if path is not None:
        if not isinstance(path, str):
            raise UsageError("the proxy path must be a string")
        if path.endswith("/"):
            raise UsageError("the proxy path must not end with '/'")
    auth = merged.get("auth")
    username = password = None
    if auth is not None:
        if not isinstance(auth, Mapping) or "username" not in auth or "password" not in auth:
            raise UsageError("proxy auth must be {'username': ..., 'password': ...}")
        username, password = _text(auth["username"], "username"), _text(auth["password"], "password")
    _current = ProxyConfig(host, port, protocol, path or None, username, password)
    return _current


def remove_proxy() -> None:
    """Remove the proxy setting (PRX-07); new transports connect directly again.
    Raises :class:`UnsupportedInBrowser` under Pyodide."""
    global _current
    if _in_browser():
        raise _browser_error("remove_proxy")
    _current = None


reset_proxy = remove_proxy          # [LEGACY] 001's name (A-08)


def current_proxy() -> ProxyConfig | None:
    return _current


def proxied_default_transport() -> Any:
    """The default transport, with the configured proxy (natively) if there is one."""
    from .transports import default_transport
    if _current is None or _in_browser():
        return default_transport()
    from .transports.native import NativeTransport
    return NativeTransport(proxy=_current.url)
