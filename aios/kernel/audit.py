"""The audit log and accounting: one row per syscall (refused ones included) and per
decision on an approval, the syscall metrics, the per-process event and counters."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aios.errors import AiosError

if TYPE_CHECKING:
    from aios.kernel.approvals import Approval
    from aios.kernel.events import EventBus
    from aios.kernel.metrics import Metrics
    from aios.kernel.process import ProcessTable
    from aios.kernel.store import Store
    from aios.kernel.syscalls import Call

__all__ = ["Audit", "audit_args"]

_AUDIT_ARGS_CHARS = 2000


def audit_args(raw: Any) -> Any:
    """The arguments as the audit row keeps them: at most _AUDIT_ARGS_CHARS of JSON.
    Whatever was sent (nested past any depth, unserialisable) never fails the call."""
    try:
        args = (
            raw.model_dump(mode="json", exclude_defaults=True)
            if isinstance(raw, BaseModel)
            else raw
        )
        text = json.dumps(args, default=str)
    except (ValueError, TypeError, RecursionError):
        return {"unrecorded": "arguments too deep or not serialisable"}
    if len(text) <= _AUDIT_ARGS_CHARS:
        return json.loads(text)
    return {"truncated": text[:_AUDIT_ARGS_CHARS]}


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
        args = audit_args(call.args)
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
            self.procs.account(proc)

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
