"""The approval queue: calls that wait for a person.

A policy (``[approvals] require`` in the configuration, plus the ``approvals``
capability of the calling process) names the calls that need a person: by risk
hint (``destructive``, ``open_world``, ``host``, ``not_read_only``, ``*``) or by
name (``tool:shell``, ``syscall:fs.delete``, shell-style patterns). Such a call
creates a pending approval and its process waits (WAITING on "approval", holding no
LLM core) until someone answers ``approval.respond`` (approve, deny, or approve
always for this process), the approval times out (denied), or the process ends.
Agents can also ask a person directly (``approval.request``). The shell, the CLI,
the API and MCP answer this one queue. Every decision is written to the audit log.

Admin calls never wait: the admin token holder is the person.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel

from aios.config import ApprovalsConfig
from aios.errors import Conflict, NotFound, PermissionDenied
from aios.kernel.grants import Grants
from aios.tools.risk import Risk

__all__ = ["Approval", "ApprovalDenied", "ApprovalInfo", "ApprovalQueue", "ApprovalState"]

log = logging.getLogger(__name__)

_WHY = {"expired": "timed out", "cancelled": "was cancelled"}  # how a refusal reads
_MAX_ARGS_CHARS = 65_536  # what a person is shown; past this, a digest of the rest
_MAX_DEPTH = 32  # deeper arguments are shown as their JSON text
_WATCH_LIMIT = 1000


class ApprovalDenied(PermissionDenied):
    code = "approval_denied"


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ApprovalInfo(BaseModel):
    id: int
    pid: int
    process: str
    syscall: str
    tool: str | None
    args: Any
    summary: str
    risk: dict[str, bool]
    rule: str
    state: ApprovalState
    created_at: float
    expires_at: float
    decided_at: float | None = None
    decided_by: str | None = None
    always: bool = False
    note: str | None = None
    calls: list[dict[str, Any]] | None = None


@dataclass(eq=False)
class Approval:
    id: int
    pid: int
    process: str
    syscall: str
    tool: str | None
    args: Any
    summary: str
    risk: Risk
    rule: str
    created_at: float
    expires_at: float
    state: ApprovalState = ApprovalState.PENDING
    decided_at: float | None = None
    decided_by: str | None = None
    always: bool = False
    note: str | None = None
    calls: list[dict[str, Any]] | None = None  # approved: each may then run once, unasked
    decided: asyncio.Event = field(default_factory=asyncio.Event)
    asker_ended: bool = False  # its process ended: no answer is taken any more

    def info(self) -> ApprovalInfo:
        data = {k: v for k, v in self.__dict__.items() if k not in ("decided", "asker_ended")}
        return ApprovalInfo(**{**data, "risk": self.risk.model_dump()})


def _depth(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 0)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, dict | list):
            if d >= limit:
                return True
            stack.extend((v, d + 1) for v in (node.values() if isinstance(node, dict) else node))
    return False


def _shown(args: Any) -> Any:
    """The arguments as a person sees them: whole, unless they are huge or deep (then
    as text); never something that cannot be shown again."""
    try:
        text = json.dumps(args, default=str)
    except (ValueError, TypeError, RecursionError):
        return {"unshown": "arguments that cannot be serialised (cyclic or too deep)"}
    if len(text) > _MAX_ARGS_CHARS:
        return {"truncated": text[:_MAX_ARGS_CHARS], "chars": len(text)}
    value = json.loads(text)
    return {"nested": text} if _depth(value, _MAX_DEPTH) else value


def _matches(rule: str, syscall: str, tool: str | None, risk: Risk) -> bool:
    if rule == "*":
        return True
    if rule.startswith("tool:"):
        return tool is not None and fnmatchcase(tool, rule[5:])
    if rule.startswith("syscall:"):
        return fnmatchcase(syscall, rule[8:])
    return rule in risk.hints()


class ApprovalQueue:
    """Pending and recently decided approvals (the audit log keeps them all)."""

    def __init__(
        self,
        cfg: ApprovalsConfig,
        *,
        audit: Callable[[Approval], None],
        publish: Callable[[int, str, dict[str, Any]], None],
    ) -> None:
        self.cfg = cfg
        self._audit = audit
        self._publish = publish
        self._next = 0
        self._items: OrderedDict[int, Approval] = OrderedDict()
        self._always: dict[int, set[str]] = {}
        self.grants = Grants()
        self._watchers: set[asyncio.Queue[dict[str, Any]]] = set()

    # -- policy ----------------------------------------------------------------------

    def rule_for(
        self, rules: list[str], pid: int, syscall: str, tool: str | None, risk: Risk
    ) -> str | None:
        """The first rule that makes this call need a person, or None."""
        if syscall.startswith("approval."):
            return None  # asking or answering can never itself wait
        rule = next(
            (r for r in [*self.cfg.require, *rules] if _matches(r, syscall, tool, risk)), None
        )
        if rule is not None and self._key(syscall, tool) in self._always.get(pid, set()):
            return None
        return rule

    def always_for(self, pid: int, syscall: str, tool: str | None) -> bool:
        """Whether a person answered "always" for this process's calls like this one."""
        return self._key(syscall, tool) in self._always.get(pid, set())

    @staticmethod
    def _key(syscall: str, tool: str | None) -> str:
        return f"tool:{tool}" if tool else f"syscall:{syscall}"

    # -- asking ------------------------------------------------------------------------

    async def ask(
        self,
        *,
        pid: int,
        process: str,
        syscall: str,
        tool: str | None,
        args: Any,
        risk: Risk,
        rule: str,
        summary: str = "",
        timeout_s: float | None = None,
        calls: list[dict[str, Any]] | None = None,
    ) -> Approval:
        """Wait for a person. Returns the approval if approved; raises ApprovalDenied
        if denied or timed out; cancelled if the caller is (the process ended)."""
        waiting = sum(
            1 for a in self._items.values() if a.pid == pid and a.state == ApprovalState.PENDING
        )
        if waiting >= self.cfg.max_pending_per_process:
            raise Conflict(
                f"process {pid} already has {waiting} approvals pending",
                limit=self.cfg.max_pending_per_process,
            )
        now = time.time()
        limit = min(timeout_s or self.cfg.timeout_s, self.cfg.timeout_s)
        self._next += 1
        item = Approval(
            id=self._next,
            pid=pid,
            process=process,
            syscall=syscall,
            tool=tool,
            args=_shown(args),
            summary=summary or (f"{tool}(...)" if tool else syscall),
            risk=risk,
            rule=rule,
            created_at=now,
            expires_at=now + limit,
            calls=calls,
        )
        self._items[item.id] = item
        self._trim()
        self._announce(item)
        try:
            await asyncio.wait_for(item.decided.wait(), limit)
        except TimeoutError:
            self._decide(item, ApprovalState.EXPIRED, by="timeout")
        except asyncio.CancelledError:
            if item.state == ApprovalState.PENDING:
                self._decide(item, ApprovalState.CANCELLED, by="process ended")
            raise
        if item.state != ApprovalState.APPROVED:
            why = _WHY.get(item.state, "was denied")
            raise ApprovalDenied(
                f"approval {item.id} for {item.summary} {why}"
                + (f": {item.note}" if item.note else ""),
                approval=item.id,
                state=item.state.value,
            )
        return item

    # -- answering ---------------------------------------------------------------------

    def respond(
        self, approval_id: int, decision: str, *, by: str, note: str | None = None
    ) -> Approval:
        item = self.get(approval_id)
        if item.state != ApprovalState.PENDING:
            raise Conflict(
                f"approval {approval_id} is already {item.state.value}", state=item.state.value
            )
        if item.asker_ended:  # its syscall is being cancelled: a yes would grant a dead pid
            raise Conflict(f"approval {approval_id}: the process that asked has ended")
        if decision == "always":
            self._always.setdefault(item.pid, set()).add(self._key(item.syscall, item.tool))
            item.always = True
        state = ApprovalState.DENIED if decision == "deny" else ApprovalState.APPROVED
        if state == ApprovalState.APPROVED and item.calls:
            self.grants.add(item.pid, item.id, item.calls)
        self._decide(item, state, by=by, note=note)
        return item

    def _decide(self, item: Approval, state: ApprovalState, *, by: str, note: str | None = None):
        item.state, item.decided_by, item.note = state, by, note
        item.decided_at = time.time()
        item.decided.set()
        log.info("approval %d (%s, pid %d): %s by %s", item.id, item.summary, item.pid, state, by)
        self._audit(item)
        self._announce(item)

    def forget_process(self, pid: int) -> None:
        """A process ended: its "always" answers go, and so do its unused grants. Its
        pending questions take no answer from now on (a yes before its syscalls'
        tasks are cancelled would give an ended process grants); the cancellation
        of those tasks then marks them cancelled, as before."""
        for item in list(self._items.values()):
            if item.pid == pid and item.state == ApprovalState.PENDING:
                item.asker_ended = True
        self._always.pop(pid, None)
        self.grants.forget_process(pid)

    def release(self, pid: int, approval_id: int) -> int:
        """The process is done with what it asked about: its unused grants from that
        approval go, and if it is still pending it is cancelled (a later yes grants
        nothing). Grants are kept by process, so another's approval releases nothing;
        an approval trimmed from the queue still has its grants released."""
        item = self._items.get(approval_id)
        if item is not None and item.pid == pid and item.state == ApprovalState.PENDING:
            self._decide(item, ApprovalState.CANCELLED, by="released by the process")
        return self.grants.release(pid, approval_id)

    # -- reading ---------------------------------------------------------------------

    def get(self, approval_id: int) -> Approval:
        item = self._items.get(approval_id)
        if item is None:
            raise NotFound(f"no approval {approval_id}", approval=approval_id)
        return item

    def list(
        self, *, state: ApprovalState | None = None, pids: set[int] | None = None, limit: int = 100
    ) -> list[Approval]:
        out = [
            a
            for a in reversed(self._items.values())
            if (state is None or a.state == state) and (pids is None or a.pid in pids)
        ]
        return out[:limit]

    def pending(self) -> int:
        return sum(1 for a in self._items.values() if a.state == ApprovalState.PENDING)

    def _trim(self) -> None:
        """Keep every pending approval and the last ``keep`` decided ones."""
        decided = [i for i, a in self._items.items() if a.state != ApprovalState.PENDING]
        for i in decided[: max(0, len(decided) - self.cfg.keep)]:
            del self._items[i]

    # -- watching --------------------------------------------------------------------

    def watch(self) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_WATCH_LIMIT)
        self._watchers.add(q)
        return q

    def unwatch(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._watchers.discard(q)

    def _announce(self, item: Approval) -> None:
        event = {"type": "approval", "approval": item.info().model_dump(mode="json")}
        for q in self._watchers:
            if not q.full():  # a slow watcher loses events, never slows the kernel
                q.put_nowait(event)
        self._publish(item.pid, "approval", {"id": item.id, "state": item.state.value})
