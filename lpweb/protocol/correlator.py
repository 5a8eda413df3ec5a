"""The pending-request table: request id -> (request type, deadline).

Theory of operation: the connection registers every request it sends with the absolute
deadline (in the caller's clock, passed in) by which a response must arrive. A response
resolves its entry by ``reqId`` only; response ``type`` strings vary between deployments
and are never used for matching (protocol.md §0.1). ``expire(now)`` removes and returns
every entry whose deadline has passed; ``fail_all()`` empties the table when the socket
closes. Late responses (for expired or unknown ids) resolve to ``None`` and are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Pending", "Correlator"]


@dataclass(frozen=True, slots=True)
class Pending:
    req_id: str
    type: str
    deadline: float | None


class Correlator:
    def __init__(self) -> None:
        self._pending: dict[str, Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, req_id: str) -> bool:
        return req_id in self._pending

    def add(self, req_id: str, type: str, deadline: float | None) -> None:
        if req_id in self._pending:
            raise ValueError(f"request id {req_id!r} is already pending")
        self._pending[req_id] = Pending(req_id, type, deadline)

    def deadline(self, req_id: str) -> float | None:
        """The deadline of a pending request (None: none, or not pending)."""
        pending = self._pending.get(req_id)
        return pending.deadline if pending is not None else None

    def resolve(self, req_id: str) -> Pending | None:
        return self._pending.pop(req_id, None)

    def next_deadline(self) -> float | None:
        return min((p.deadline for p in self._pending.values() if p.deadline is not None), default=None)

    def expire(self, now: float) -> list[Pending]:
        expired = [p for p in self._pending.values() if p.deadline is not None and p.deadline <= now]
        for p in expired:
            del self._pending[p.req_id]
        return expired

    def fail_all(self) -> list[Pending]:
        pending = list(self._pending.values())
        self._pending.clear()
        return pending
