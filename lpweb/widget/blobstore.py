"""Durable queued uploads (widget.md parity item 7): the picked File objects, kept in
IndexedDB so an upload not yet sent survives a reload or a closed tab. Browser-only.

One object store of records ``{id, file, name, status, created}`` keyed by the upload's
client id. The controller writes a record when a file is picked, marks it ``failed`` when
the consumer cancels, and deletes it once the file is shared or the consumer deletes it;
at start-up it restores every record (queued ones are uploaded again once connected).
Every call degrades to a no-op when IndexedDB is unavailable (private modes, old browsers).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger("lpweb.widget")

__all__ = ["BlobStore"]

STORE = "uploads"


class BlobStore:
    def __init__(self, js: Any, name: str) -> None:
        self.js = js
        self.name = name
        self._db: Any = None

    async def _request(self, req: Any) -> Any:
        from pyodide.ffi import create_once_callable

        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def ok(_event: Any = None) -> None:
            if not done.done():
                done.set_result(req.result)

        def fail(_event: Any = None) -> None:
            if not done.done():
                done.set_exception(OSError(f"IndexedDB: {getattr(req.error, 'name', 'error')}"))

        req.onsuccess = create_once_callable(ok)
        req.onerror = create_once_callable(fail)
        return await done

    async def _open(self) -> Any:
        if self._db is None:
            from pyodide.ffi import create_once_callable

            from .dom import to_object

            req = self.js.indexedDB.open(self.name, 1)

            def upgrade(_event: Any = None) -> None:
                db = req.result
                if not db.objectStoreNames.contains(STORE):
                    db.createObjectStore(STORE, to_object({"keyPath": "id"}))

            req.onupgradeneeded = create_once_callable(upgrade)
            self._db = await self._request(req)
        return self._db

    async def _store(self, mode: str) -> Any:
        db = await self._open()
        return db.transaction(STORE, mode).objectStore(STORE)

    async def put(self, client_id: str, file: Any, name: str, created: int, status: str = "queued") -> None:
        try:
            record = self.js.Object.new()
            record.id, record.file, record.name, record.status, record.created = client_id, file, name, status, created
            await self._request((await self._store("readwrite")).put(record))
        except Exception as exc:
            log.info("queued upload not kept: %s", exc)

    async def set_status(self, client_id: str, status: str) -> None:
        try:
            store = await self._store("readwrite")
            record = await self._request(store.get(client_id))
            if record is not None:
                record.status = status
                await self._request(store.put(record))
        except Exception as exc:
            log.info("queued upload not updated: %s", exc)

    async def delete(self, client_id: str) -> None:
        try:
            await self._request((await self._store("readwrite")).delete(client_id))
        except Exception as exc:
            log.info("queued upload not removed: %s", exc)

    async def all(self) -> list[dict[str, Any]]:
        """Every kept upload, oldest first: ``{id, file, name, status, created}`` (file stays a JS File)."""
        try:
            records = await self._request((await self._store("readonly")).getAll())
        except Exception as exc:
            log.info("queued uploads not read: %s", exc)
            return []
        out = [{"id": str(r.id), "file": r.file, "name": str(r.name), "status": str(r.status),
                "created": int(r.created)} for r in records]
        return sorted(out, key=lambda r: r["created"])
