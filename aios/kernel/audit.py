"""The audit log and accounting: one row per syscall (refused ones included) and per
decision on an approval, the syscall metrics, the per-process event and counters."""

from __future__ import annotations

import reprlib
import time
from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aios.errors import AiosError, Unavailable

if TYPE_CHECKING:
    from aios.kernel.approvals import Approval
    from aios.kernel.events import EventBus
    from aios.kernel.metrics import Metrics
    from aios.kernel.process import ProcessTable
    from aios.kernel.store import Store
    from aios.kernel.syscalls import Call

__all__ = ["Audit", "audit_args"]

_AUDIT_ARGS_CHARS = 2000  # about the JSON size of what a row keeps of the arguments
_MAX_DEPTH = 8
_MAX_ITEMS = 50  # of one list or object
_MAX_KEY = 100
_MAX_STR = 500  # of one string, so one long argument leaves room for the others
_LOG_CHARS = 4000  # a proc.log line, kept whole (proc.log refuses longer ones)


class _Budget:
    """What is left of the row's characters; every value shown spends some."""

    def __init__(self, chars: int) -> None:
        self.left = chars

    def spend(self, n: int) -> None:
        self.left -= n


def _short(text: str, budget: _Budget) -> str:
    keep = max(0, min(len(text), budget.left, _MAX_STR))
    budget.spend(keep + 2)
    if keep == len(text):
        return text
    return f"{text[:keep]}...(+{len(text) - keep} chars)"


def _bounded(value: Any, budget: _Budget, depth: int) -> Any:
    """A JSON-able copy of ``value`` that costs O(budget), not O(its size): long
    strings and bytes are cut before anything is serialised, lists and objects keep
    their first items, depth is capped."""
    if value is None or isinstance(value, bool | int | float):
        budget.spend(8)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            return f"<int of {value.bit_length()} bits>"  # str() of a huge int is slow
        return value
    if isinstance(value, str):
        return _short(value, budget)
    if isinstance(value, bytes | bytearray | memoryview):
        budget.spend(16)
        return f"<{len(value)} bytes>"
    if isinstance(value, Enum):
        return _bounded(value.value, budget, depth)
    if depth >= _MAX_DEPTH or budget.left <= 0:
        budget.spend(4)
        return "..."
    if isinstance(value, BaseModel):  # its fields, without model_dump of all of it
        value = {
            name: v
            for name, field in type(value).model_fields.items()
            if (v := getattr(value, name, None)) is not field.default
            and not (isinstance(v, str | int | float | bool) and v == field.default)
        }
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for n, (k, v) in enumerate(value.items()):
            if n >= _MAX_ITEMS or budget.left <= 0:
                out["..."] = f"+{len(value) - n} more"
                break
            key = str(k) if isinstance(k, str | int | float | bool) or k is None else "?"
            key = _short(key[:_MAX_KEY], budget)  # before the value spends the budget
            out[key] = _bounded(v, budget, depth + 1)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items: list[Any] = []
        for n, v in enumerate(value):
            if n >= _MAX_ITEMS or budget.left <= 0:
                items.append(f"...(+{len(value) - n} items)")
                break
            items.append(_bounded(v, budget, depth + 1))
        return items
    return _short(reprlib.repr(value), budget)  # reprlib bounds what it builds


def audit_args(raw: Any) -> Any:
    """The arguments as the audit row keeps them: about _AUDIT_ARGS_CHARS of JSON,
    bounded while walking them (a 25 MB write is never serialised whole). Whatever
    was sent (nested past any depth, unserialisable) never fails the call."""
    try:
        return _bounded(raw, _Budget(_AUDIT_ARGS_CHARS), 0)
    except Exception:  # a hostile __repr__, a mapping that fails to iterate
        return {"unrecorded": "arguments not recordable"}


def _log_line(call: Call) -> dict[str, Any] | None:
    """A validated ``proc.log`` line, kept whole (its syscall bounds it): what a
    process logs is what it asked to have recorded (the shell's log is these)."""
    msg, level = getattr(call.args, "message", None), getattr(call.args, "level", None)
    if call.name != "proc.log" or not isinstance(msg, str) or len(msg) > _LOG_CHARS:
        return None
    return {"level": level, "message": msg}


class Audit:
    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        events: EventBus,
        procs: ProcessTable,
        *,
        known: Callable[[str], bool],
    ) -> None:
        self.store, self.metrics, self.events, self.procs = store, metrics, events, procs
        self._known = known  # syscall names the metrics may carry

    def syscall(self, call: Call, status: str, err: AiosError | None) -> None:
        """The row of one syscall, its metrics, its event, its process's counters."""
        now = time.time()
        # Refused because the database is behind: counted, not logged, or the rows of
        # the refusals would grow the very backlog that refused them.
        shed = isinstance(err, Unavailable) and self.store.overloaded
        if not shed:
            self._row(call, status, err, now)
        # unknown names are counted as one: callers must not grow the metric families
        name = call.name if self._known(call.name) else "unknown"
        self.metrics.syscall(
            name, status, now - call.queued_at, call.prompt_tokens, call.completion_tokens
        )
        self.events.publish(
            call.caller.pid,
            "syscall",
            name=call.name,
            status=status,
            error=err.to_dict() if err else None,
            seconds=round(now - call.queued_at, 6),
        )
        proc = call.proc
        if proc is not None:
            c = proc.counters
            c.syscalls += 1
            c.prompt_tokens += call.prompt_tokens
            c.completion_tokens += call.completion_tokens
            c.llm_wait_s += call.wait_s
            c.llm_run_s += call.run_s
            if not shed:
                self.procs.account(proc)

    def _row(self, call: Call, status: str, err: AiosError | None, now: float) -> None:
        args = _log_line(call) or audit_args(call.args)
        self.store.add_syscall(
            pid=call.caller.pid,
            caller=call.caller.label,
            name=call.name,
            args=args,
            status=status,
            error_code=err.code if err else None,
            error=err.message if err else None,
            queued_at=call.queued_at,
            started_at=call.started_at,
            finished_at=now,
            wait_s=call.wait_s,
            run_s=call.run_s,
            turnaround_s=now - call.queued_at,
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            prefill_tokens=call.prefill_tokens,
            resume_tokens=call.resume_tokens,
            preemptions=call.preemptions,
            core=call.core,
        )

    def decision(self, item: Approval) -> None:
        """Each decision on an approval is a row of the audit log."""
        now = time.time()
        self.store.add_syscall(
            pid=item.pid,
            caller=item.decided_by or "kernel",
            name="approval.decision",
            args={
                "id": item.id,
                "syscall": item.syscall,
                "tool": item.tool,
                "rule": item.rule,
                "decision": item.state.value,
                "always": item.always,
                "note": item.note,
            },
            status="ok",
            queued_at=item.created_at,
            finished_at=now,
            turnaround_s=now - item.created_at,
        )
