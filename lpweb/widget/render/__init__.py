"""Safe rendering of LivePerson structured content (widget.md section 6).

:func:`render_content` is the entry point: parse with limits (:mod:`.limits`), validate
(:mod:`.validate`), build node descriptions (:mod:`.elements`), or fall back to the
payload's own text. Nothing here touches the DOM.
"""

from .elements import RenderResult, render_content, render_quick_replies
from .limits import Limits

__all__ = ["render_content", "render_quick_replies", "RenderResult", "Limits"]
