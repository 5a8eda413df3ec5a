"""Client-made image previews for uploads (widget.md parity item 16): browser-only.

:func:`make_preview` scales a picked image down into a canvas and encodes it as a JPEG data
URL under LP's 30 KB preview limit (lowering the size and quality until it fits), so the
agent sees a thumbnail before downloading. No HTML is parsed; None when the browser can't.
"""

from __future__ import annotations

import logging
from typing import Any

from ..files import MAX_PREVIEW_SIZE

log = logging.getLogger("lpweb.widget")

__all__ = ["make_preview"]

STEPS = ((240, 0.8), (160, 0.7), (120, 0.6), (80, 0.5))     # (longest side px, JPEG quality)


async def make_preview(js: Any, file: Any) -> str | None:
    try:
        bitmap = await js.createImageBitmap(file)
    except Exception as exc:          # not decodable here: upload without a preview
        log.info("no preview: %s", exc)
        return None
    try:
        w, h = int(bitmap.width), int(bitmap.height)
        if not w or not h:
            return None
        for side, quality in STEPS:
            scale = min(1.0, side / max(w, h))
            canvas = js.document.createElement("canvas")
            canvas.width, canvas.height = max(1, round(w * scale)), max(1, round(h * scale))
            ctx = canvas.getContext("2d")
            ctx.fillStyle = "#ffffff"          # JPEG has no alpha: transparent areas become white
            ctx.fillRect(0, 0, canvas.width, canvas.height)
            ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
            url = str(canvas.toDataURL("image/jpeg", quality))
            if url.startswith("data:image/") and len(url) < MAX_PREVIEW_SIZE:
                return url
        return None
    finally:
        bitmap.close()
