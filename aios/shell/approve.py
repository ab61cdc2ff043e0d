"""Asking a person about one line's work, through the kernel's approval queue:
``Line`` holds a line's session, output and way of answering (``Asker``, or
``--yes``, or nobody), asks with the exact calls the answer covers
(``approval.request`` with ``calls``), and while the line runs answers what the
daemon's own policy asks of the session. Every decision is a line of the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aios.errors import AiosError, BadRequest
from aios.shell.out import Out
from aios.shell.plans import safe_text
from aios.shell.session import ShellSession

__all__ = ["Asker", "Line", "message"]

log = logging.getLogger(__name__)

FIND_S = 10.0  # how long the shell looks for the approval its session just asked for
WATCH_S = 1.0  # how often a running line looks for approvals the daemon asks


class Asker(Protocol):
    async def choose(self, reasons: list[str]) -> str: ...  # yes | no | edit | explain

    async def edit(self, text: str) -> str | None: ...  # the edited plan; None: as it was


def message(exc: AiosError) -> str:
    return safe_text(exc.message)


class Line:
    """The state of one line: its session, its output, how approvals are answered."""

    def __init__(
        self, session: ShellSession, out: Out, policy: str, yes: bool, asker: Asker | None
    ) -> None:
        self.s, self.out, self.policy, self.yes, self.asker = session, out, policy, yes, asker
        self.ours: set[int] = set()  # approvals this line asked for itself

    # -- approvals -----------------------------------------------------------------

    async def _find(self, request: asyncio.Future[Any]) -> int:
        """The id of the approval ``request`` created (the session's newest pending)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIND_S
        while loop.time() < deadline:
            if request.done():
                request.result()  # refused before anyone was asked: raise its error
            fresh = [a["id"] for a in await self.s.pending() if a.get("id") not in self.ours]
            if fresh:
                self.ours.add(fresh[-1])
                return int(fresh[-1])
            await asyncio.sleep(0.05)
        raise AiosError("the daemon did not show the approval it was asked for")

    async def _outcome(self, request: asyncio.Future[Any]) -> bool:
        """Whether the request came back approved."""
        try:
            res = await request
        except AiosError as exc:
            if exc.code == "approval_denied":
                return False
            raise
        return isinstance(res, dict) and res.get("state") == "approved"

    async def ask(
        self, summary: str, details: Any, calls: list[dict[str, Any]], reasons: list[str],
        edit: Any = None,
    ) -> tuple[str, Any]:  # fmt: skip
        """Ask a person through the queue: ``("yes"|"no", None)`` or ``("edit", new)``
        (``edit``: an async callable the edited text goes through; it returns what to
        ask about next, or raises to keep asking about this)."""
        self.out.line("needs approval:")
        for r in reasons:
            self.out.line(f"  - {safe_text(r)}")
        if not self.yes and self.asker is None:
            self.out.line("not run: no terminal to ask on; use --yes to approve")
            await self.s.log("approval", decision="refused", why="no terminal and no --yes")
            return "no", None
        args = {"summary": summary[:500], "details": details, "destructive": True,
                "calls": calls}  # fmt: skip
        request = asyncio.ensure_future(self.s.call("approval.request", args))
        aid, answered = None, False
        try:
            aid = await self._find(request)
            choice, new = await self._decide(aid, reasons, edit)
            decision = {"yes": "approve"}.get(choice, "deny")
            note = {"yes": "--yes" if self.yes else None, "edit": "edited"}.get(choice)
            answered = True
            await self.s.respond(aid, decision, note or ("declined" if choice == "no" else None))
            approved = await self._outcome(request)
        finally:
            if aid is not None and not answered:  # cancelled (Ctrl-C) or failed: say no
                with contextlib.suppress(BaseException):
                    await asyncio.shield(self.s.respond(aid, "deny", "cancelled at the shell"))
            if not request.done():
                request.cancel()
                with contextlib.suppress(BaseException):
                    await request
        await self.s.log("approval", id=aid, decision=choice, approved=approved)
        if choice == "yes" and not approved:
            self.out.line("not run: the approval was answered no (elsewhere, or it expired)")
            return "no", None
        return choice, new

    async def _decide(self, aid: int, reasons: list[str], edit: Any) -> tuple[str, Any]:
        if self.yes:
            self.out.line("approved (--yes)")
            return "yes", None
        assert self.asker is not None
        while True:
            choice = await self.asker.choose(reasons)
            if choice in ("yes", "no"):
                return choice, None
            if choice == "explain" and edit is not None:
                await edit("explain")
            elif choice == "edit" and edit is not None:
                try:
                    new = await edit("edit")
                except (AiosError, BadRequest) as exc:
                    self.out.line(f"aios: {message(exc)}")
                    continue
                if new is not None:
                    return "edit", new
            elif choice in ("edit", "explain"):
                self.out.line(f"nothing to {choice} here: answer y or n")

    async def release(self) -> None:
        """The line is done: the approvals it asked for cover nothing more."""
        for aid in sorted(self.ours):
            try:
                await asyncio.shield(self.s.call("approval.release", {"id": aid}))
            except (AiosError, OSError) as exc:  # the daemon gone: its grants went with it
                log.debug("releasing approval %d: %s", aid, exc)

    @contextlib.asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """While the body runs, answer what the daemon's policy asks of the session."""
        watcher = asyncio.ensure_future(self._watch())
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await watcher

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_S)
            try:
                items = [a for a in await self.s.pending() if a.get("id") not in self.ours]
            except AiosError:
                continue
            for a in items:
                self.ours.add(int(a["id"]))
                await self._answer(a)

    async def _answer(self, a: dict[str, Any]) -> None:
        what = safe_text(str(a.get("summary") or a.get("tool") or a.get("syscall")))[:200]
        self.out.line(f"the daemon asks first ({safe_text(str(a.get('rule')))[:80]}): {what}")
        if self.yes:
            choice = "yes"
        elif self.asker is None:
            choice = "no"
            self.out.line("denied: no terminal to ask on; use --yes to approve")
        else:
            choice = await self.asker.choose([f"the daemon's policy: {what}"])
        decision = "approve" if choice == "yes" else "deny"
        with contextlib.suppress(AiosError):  # answered elsewhere meanwhile
            await self.s.respond(int(a["id"]), decision, "--yes" if self.yes else None)
        await self.s.log("approval", id=a.get("id"), decision=choice, asked_by="daemon")
