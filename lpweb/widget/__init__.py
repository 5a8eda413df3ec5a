"""The lpweb consumer chat widget (widget.md), mounted by a page with a few lines::

    <div id="chat" data-lpweb-widget data-account="1234567" data-csds="lp-csds.example">…plain-HTML launcher…</div>
    <script src="./widget-boot.js"></script>
    <script type="py" config="./pyscript.json">
    import lpweb.widget
    await lpweb.widget.mount("#chat")
    </script>

Pure modules (``state``, ``outbox``, ``markdown``, ``render``, ``i18n``, ``announce``,
``vdom``) import and are tested under CPython; ``app`` and ``dom`` need the browser.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["mount", "Hooks"]


def __getattr__(name: str) -> Any:
    if name == "Hooks":
        from .app import Hooks

        return Hooks
    raise AttributeError(name)


async def mount(selector: str, *, account_id: str | None = None, csds: str | None = None, skill: str | None = None,
                theme: Any = None, locale: str = "en", context: dict[str, Any] | None = None,
                campaign: dict[str, Any] | None = None, open: bool = False,  # noqa: A002
                image_hosts: tuple[str, ...] | list[str] = (), link_hosts: tuple[str, ...] | list[str] = (),
                title: str | None = None,
                before_send: Callable[[str], str | None] | None = None, on_message: Callable | None = None,
                on_state_change: Callable | None = None, renderers: dict[str, Callable] | None = None,
                on_action: Callable | None = None) -> Any:
    """Mount the widget into the element matching ``selector`` (in a Shadow DOM) and connect.

    ``account_id`` and ``csds`` default to the element's ``data-account`` and ``data-csds``
    attributes. Given there, ``widget-boot.js`` asks CSDS while Python is still loading and
    the connection takes that answer: one round trip (and, on the real cloud, its TLS
    handshake) off the time to a ready chat.
    ``link_hosts`` are the brand's own domains: links elsewhere pass a "You're leaving for
    <host>" step. Returns the :class:`~lpweb.widget.app.Widget`. Messages typed in the pre-Python
    launcher are sent once connected. A failure to connect is shown in the widget's
    status line (and in the host's ``data-chat-error``) and re-raised.
    """
    import js

    js.performance.mark("lpweb:mount")
    from .app import Hooks, Widget, WidgetOptions, boot_queue

    host = js.document.querySelector(selector)
    if not host:
        raise LookupError(f"no element matches {selector!r}")
    account_id = account_id or getattr(host.dataset, "account", None) or ""
    csds = csds or getattr(host.dataset, "csds", None)
    boot = getattr(js.window, "lpwebBoot", None)
    if boot:
        try:
            open = open or bool(boot.isOpen())  # noqa: A001
        except Exception:
            pass
    opts = WidgetOptions(account_id=str(account_id), csds=csds, skill=skill, theme=theme, locale=locale,
                         context=context, campaign=campaign, open=open, image_hosts=tuple(image_hosts),
                         link_hosts=tuple(link_hosts), title=title)
    hooks = Hooks(before_send=before_send, on_message=on_message, on_state_change=on_state_change,
                  renderers=dict(renderers or {}), on_action=on_action)
    widget = Widget(host, opts, hooks)
    try:
        await widget.start(boot_queue(js))
    except Exception as exc:
        widget.fail(exc)
        raise
    host.dataset.chatReady = "1"
    host.dataset.chatReadyMs = str(round(js.performance.now()))
    return widget
