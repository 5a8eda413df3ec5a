"""Debug and control HTTP endpoints, and the skills list.

* ``GET /api/account/{acc}/configuration/le-users/skills`` (``Authorization: Bearer`` a brand
  bearer): the account's skills. [INF] the real response has many more fields; off-hours is
  reported as ``lpwebOffHours`` (:data:`OFF_HOURS_FIELD`), computed from the skill's flag or schedule.
* ``GET /_emulator/state``: accounts, users, agent states, conversations, routing tasks,
  open connections and active faults, as JSON (loopback peers only).
* ``POST /_emulator/faults`` ``{"op": <Faults method>, ...keyword arguments}`` (loopback
  only), e.g. ``{"op": "close_with", "target": "consumer", "code": 4401}``,
  ``{"op": "http_error", "path_pattern": "/login$", "status": 503, "times": 1}``,
  ``{"op": "clear"}``. Answers ``{"ok": true, "result": ...}``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .http_api import HttpApi, HttpReply, Req

__all__ = ["routes", "LOOPBACK", "FAULT_OPS", "OFF_HOURS_FIELD"]

LOOPBACK = {None, "127.0.0.1", "::1", "localhost"}
OFF_HOURS_FIELD = "lpwebOffHours"
FAULT_OPS = {"drop_connection", "close_with", "delay_notifications", "duplicate_notifications",
             "reorder_notifications", "expire_token", "revoke_token", "http_error", "clear", "clear_drops", "seed"}


def _skill_id(value: str) -> Any:
    return int(value) if value.lstrip("-").isdigit() else value


def state_snapshot(api: "HttpApi") -> dict[str, Any]:
    platform = api.platform
    return {
        "now": platform.clock(),
        "accounts": {aid: {
            "skills": [{"id": s.id, "name": s.name, "offHours": s.is_off_hours(platform.clock()),
                        "survey": bool(s.survey)} for s in a.skills.values()],
            "users": [{"name": u.name, "oldId": u.old_id, "pid": u.pid, "permissions": list(u.permissions),
                       "skills": None if u.skills is None else sorted(u.skills)} for u in a.users.values()],
            "agentStates": a.agent_states,
            "conversations": [{"id": c.conversation_id, "consumerId": c.consumer_id, "skillId": c.skill_id,
                               "stage": c.stage, "state": c.state,
                               "participants": [{"id": p.id, "oldId": p.old_id, "role": p.role, "state": p.state}
                                                for p in c.participants],
                               "dialogs": [{"id": d.dialog_id, "type": d.dialog_type, "state": d.state,
                                            "events": len(d.events)} for d in c.dialogs]}
                              for c in a.conversations.values()],
        } for aid, a in platform.accounts.items()},
        "routing": platform.router.snapshot(),
        "connections": [{"id": s.connection_id, "account": s.account_id, "brand": s.brand,
                         "user": s.user.name if s.user else None, "consumerId": s.consumer_id}
                        for s in platform.listeners if hasattr(s, "connection_id")],
        "faults": platform.faults.describe(),
    }


def routes(api: "HttpApi") -> list[tuple[re.Pattern[str], Callable[..., "HttpReply"]]]:
    from .http_api import json_reply
    platform = api.platform

    def skills(req: "Req", account_id: str) -> "HttpReply":
        account = platform.account(account_id)
        bearer = req.headers.get("authorization", "")[len("bearer "):].strip()
        session = platform.tokens.by_bearer(bearer) if req.headers.get("authorization", "").lower().startswith("bearer ") else None
        if account is None or session is None or session.account_id != account_id:
            return json_reply(401, {"error": {"message": "Unauthorized"}})
        now = platform.clock()
        return json_reply(200, [{"id": _skill_id(s.id), "name": s.name, "description": "", "deleted": False,
                                 OFF_HOURS_FIELD: s.is_off_hours(now)} for s in account.skills.values()])

    def state(req: "Req") -> "HttpReply":
        if req.remote not in LOOPBACK:
            return json_reply(403, {"error": "loopback only"})
        return json_reply(200, state_snapshot(api))

    def faults(req: "Req") -> "HttpReply":
        if req.remote not in LOOPBACK:
            return json_reply(403, {"error": "loopback only"})
        if req.method != "POST":
            return json_reply(405, {"error": "POST a JSON body"})
        try:
            body = json.loads(req.body or b"{}")
            op = body.pop("op")
        except (ValueError, KeyError, AttributeError, TypeError):
            return json_reply(400, {"error": "a JSON object with an op is required"})
        if op not in FAULT_OPS:
            return json_reply(400, {"error": f"unknown op {op!r}", "ops": sorted(FAULT_OPS)})
        try:
            result = getattr(platform.faults, op)(**body)
        except (TypeError, ValueError, KeyError) as exc:
            return json_reply(400, {"error": str(exc)})
        platform.flush()
        return json_reply(200, {"ok": True, "result": result})

    return [
        (re.compile(r"^/api/account/([^/]+)/configuration/le-users/skills$"), skills),
        (re.compile(r"^/_emulator/state$"), state),
        (re.compile(r"^/_emulator/faults$"), faults),
    ]
