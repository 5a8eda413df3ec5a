"""A scripted agent for the widget's browser flows: a second lpweb brand connection of the
demo's "bot" user (native SDK, on the emulator's loop thread), plus read-only looks at the
emulator's stored events.

The demo bot answers what the consumer types; this agent lets a test act on its own
(send while the widget is closed or disconnected) and observe what the widget publishes
(chat states, which are not stored, and ACCEPT/READ receipts, which are).
"""

from __future__ import annotations

import asyncio
from typing import Any

import lpweb
from lpweb import UserType

T = 20


class ScriptedAgent:
    def __init__(self, emulator: Any, loop: Any) -> None:
        self.emu = emulator
        self.loop = loop                     # conftest's emulator_loop (run(coro) -> result)
        self.conn: Any = None
        self.chat_states: list[tuple[str, str]] = []   # (conversation id, state) from the consumer

    def start(self) -> "ScriptedAgent":
        async def go():
            conn = lpweb.create_connection(app_id="lpweb_test_agent", account_id=self.emu.account_id,
                                           user_type=UserType.BRAND, csds_domain=self.emu.csds_domain,
                                           auth_data={"username": "bot", "password": "bot-password"})
            await conn.open()
            self.conn = conn
        self.loop.run(go())
        return self

    def stop(self) -> None:
        if self.conn is not None:
            self.loop.run(self.conn.close())

    def _conv(self, cid: str) -> Any:
        conv = self.conn.conversations.get(cid)
        if conv is None:
            raise LookupError(f"the scripted agent does not see conversation {cid}")
        if not getattr(conv, "_e2e_watched", False):
            conv._e2e_watched = True
            conv.on("chat-state", lambda e: self._chat_state(cid, e))
        return conv

    def _chat_state(self, cid: str, e: dict) -> None:
        p = e.get("participant")
        if p is not None and str(getattr(p.role, "value", p.role)) == "CONSUMER":
            self.chat_states.append((cid, str(e.get("chat_state"))))

    def watch(self, cid: str) -> None:
        async def go():
            for _ in range(100):
                if cid in self.conn.conversations:
                    self._conv(cid)
                    return
                await asyncio.sleep(0.05)
            self._conv(cid)
        self.loop.run(go())

    def send(self, cid: str, text: str) -> int:
        async def go():
            resp = await self._conv(cid).send_message(text)
            return resp.get("sequence")
        return self.loop.run(go())

    def send_rich(self, cid: str, content: dict[str, Any]) -> int:
        """Publish structured content (a carousel, say) as the agent."""
        async def go():
            resp = await self._conv(cid).send_rich_text(content)
            return resp.get("sequence")
        return self.loop.run(go())

    def drop_consumer(self) -> int:
        """Abort every consumer socket now (close code 1006, as a network drop)."""
        async def go():
            return self.emu.faults.drop_connection("consumer")
        return self.loop.run(go())

    # -- the emulator's stored events (read on its loop) ------------------------------------
    def events(self, cid: str, dialog_type: str = "MAIN") -> list[dict[str, Any]]:
        """Stored events of one dialog as plain dicts: sequence, role, event, metadata."""
        async def go():
            conv = self.emu.platform.conversation(self.emu.account_id, cid)
            out = []
            for d in conv.dialogs:
                if d.dialog_type != dialog_type:
                    continue
                for r in d.events:
                    out.append({"sequence": r.sequence, "role": r.originator.role, "event": dict(r.event),
                                "metadata": r.metadata, "dialog_id": d.dialog_id})
            return out
        return self.loop.run(go())

    def conversation_info(self, cid: str) -> dict[str, Any]:
        async def go():
            conv = self.emu.platform.conversation(self.emu.account_id, cid)
            run = conv.survey
            return {"stage": conv.stage, "survey_answers": list(run.answers) if run else None,
                    "dialogs": [(d.dialog_type, d.state) for d in conv.dialogs]}
        return self.loop.run(go())

    def receipts(self, cid: str, status: str) -> set[int]:
        """Sequences the consumer marked ``status`` (ACCEPT or READ) in the MAIN dialog."""
        seqs: set[int] = set()
        for e in self.events(cid):
            ev = e["event"]
            if e["role"] == "CONSUMER" and ev.get("type") == "AcceptStatusEvent" and ev.get("status") == status:
                seqs.update(ev.get("sequenceList") or [])
        return seqs
