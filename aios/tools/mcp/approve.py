"""Pinned definitions against a server's listing, and the approvals that change them.

The first listing of a configured server pins every tool it shows: the admin who
configured the server approved them (docs/MCP.md). After that, a tool whose
definition differs from its pin, or a tool never seen before, is disabled and a
person is asked in the kernel's approval queue (one queue, the same ``aios
approvals``), shown the old definition and the new one. Approved: pinned and
enabled. Denied: it stays disabled, and that definition is not asked about again.
Expired (no answer in time): it stays disabled until the next listing asks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aios.errors import Conflict, PermissionDenied
from aios.tools.mcp.pins import Pin, PinStore, digest
from aios.tools.mcp.tools import Definition
from aios.tools.registry import ToolRegistry

if TYPE_CHECKING:  # the kernel package imports this one
    from aios.kernel.approvals import ApprovalQueue

__all__ = ["PIN_SYSCALL", "PinGuard"]

log = logging.getLogger(__name__)

PIN_SYSCALL = "mcp.pin"  # what the approval names as its call
MAX_ASKS_PER_SERVER = 8  # pending at once: one server cannot fill the queue's share
_ASK = {
    "changed": "its definition changed since it was approved; approve the new one with "
    "`aios approvals` (the request shows the old and the new definition)",
    "new": "it is a new tool of this server; approve it with `aios approvals`",
}
_DENIED = {
    "changed": "its changed definition was denied by a person; it stays disabled until the "
    "server offers a definition that is approved",
    "new": "this new tool was denied by a person",
}


class PinGuard:
    def __init__(
        self,
        pins: PinStore,
        approvals: ApprovalQueue,
        tools: ToolRegistry,
        on_approved: Callable[[str, str, str], None],
    ) -> None:
        self.pins = pins
        self.approvals = approvals
        self.tools = tools
        self._on_approved = on_approved  # (server, local name, pinned digest)
        self._asks: dict[tuple[str, str], tuple[str, asyncio.Task[None]]] = {}

    async def check(
        self, server: str, defs: dict[str, Definition], full: Callable[[str], str]
    ) -> list[str]:
        """The tools of this listing that may be enabled now; the others are disabled
        (and a person asked about each)."""
        listed, pins = await asyncio.to_thread(self.pins.load, server)
        ready: list[str] = []
        first: dict[str, tuple[str, dict[str, Any]]] = {}
        for local, d in defs.items():
            h = digest(d.pinned())
            pin = pins.get(local)
            if pin is not None and pin.digest == h:
                ready.append(local)
                self.cancel(server, local)
            elif pin is None and not listed:
                first[local] = (h, d.pinned())
                ready.append(local)
            else:
                kind = "changed" if pin is not None and pin.definition is not None else "new"
                if pin is not None and pin.denied_digest == h:
                    self.tools.disable(full(local), _DENIED[kind])
                    continue
                self.tools.disable(full(local), _ASK[kind])
                self._ask(server, full(local), d, h, pin if kind == "changed" else None)
        if first or not listed:
            await asyncio.to_thread(self.pins.pin, server, first, by="config", mark_listed=True)
        return ready

    def _ask(self, server: str, name: str, d: Definition, h: str, old: Pin | None) -> None:
        key = (server, d.local)
        current = self._asks.get(key)
        if current is not None and current[0] == h and not current[1].done():
            return  # this very definition is being asked about
        if current is not None:
            current[1].cancel()  # an older definition's request: superseded
        elif sum(1 for k in self._asks if k[0] == server) >= MAX_ASKS_PER_SERVER:
            kind = "changed" if old is not None else "new"
            self.tools.disable(
                name, _ASK[kind] + " (too many of this server's tools wait: answer those first)"
            )
            return
        task = asyncio.create_task(self._ask_person(server, name, d, h, old))
        self._asks[key] = (h, task)
        task.add_done_callback(lambda t: self._done(key, t))

    def _done(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._asks.get(key, (None, None))[1] is task:
            del self._asks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("mcp approval for %s failed", key, exc_info=task.exception())

    async def _ask_person(
        self, server: str, name: str, d: Definition, h: str, old: Pin | None
    ) -> None:
        kind = "changed" if old is not None else "new"
        what = f"changed the definition of {d.name!r}" if old else f"offers a new tool {d.name!r}"
        new, was = d.pinned(), (old.definition or {}) if old else {}
        fields = [k for k in new if was.get(k) != new[k]]  # first: lists cut long args short
        try:
            item = await self.approvals.ask(
                pid=0,
                process=f"mcp:{server}",
                syscall=PIN_SYSCALL,
                tool=name,
                args={
                    "server": server,
                    "tool": d.name,
                    "change": kind,
                    "fields": fields,
                    "new": new,
                    "old": old.definition if old else None,
                    "digest": h,
                },
                risk=d.risk,
                rule=f"mcp: {kind} tool definition",
                summary=f"MCP server {server} {what} ({', '.join(fields)}): approve to pin "
                f"and enable {name}",
            )
        except PermissionDenied as exc:  # ApprovalDenied: denied, or expired
            if exc.code != "approval_denied":
                raise
            if exc.details.get("state") == "denied":
                await asyncio.to_thread(self.pins.deny, server, d.local, h)
                self.tools.disable(name, _DENIED[kind])
            else:
                self.tools.disable(name, _ASK[kind] + " (the last request expired)")
            return
        except Conflict as exc:  # too many approvals waiting
            log.warning("mcp server %s: cannot ask about %s now: %s", server, name, exc.message)
            self.tools.disable(name, _ASK[kind] + " (the approval queue is full: refresh later)")
            return
        await asyncio.to_thread(
            self.pins.pin, server, {d.local: (h, d.pinned())}, by=item.decided_by or "admin"
        )
        log.info("mcp server %s: %s approved by %s", server, name, item.decided_by)
        self._on_approved(server, d.local, h)

    def cancel(self, server: str, local: str | None = None) -> None:
        """Stop asking about one tool's definition, or every one of a server's."""
        for key, (_, task) in list(self._asks.items()):
            if key[0] == server and (local is None or key[1] == local):
                task.cancel()

    def cancel_all(self) -> None:
        for _, task in list(self._asks.values()):
            task.cancel()
