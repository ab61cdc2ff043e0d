"""The approval gate every process syscall passes: a suspended process waits here
until it is resumed, and a call the approval policy names waits for a person.

Three things spare the question:
- a grant: a person approved this very call ahead of time (``approval.request``
  with ``calls``); a grant whose arguments hold references (``$1``) covers only a
  call a plan makes, as the plan resolves them;
- an "always" answer for this process's calls like it;
- being made by a tool call a person approved, for it: an LSFS tool's own
  ``fs.delete``. Only the risk rules are spared there (the tool's approval covered
  its risk); a rule that names the syscall (``syscall:proc.kill``) still asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from aios.errors import Cancelled
from aios.kernel.systool import allowed_tool
from aios.tools.context import approved_tool, planned_by

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call, Syscall

__all__ = ["gate"]


async def gate(k: Kernel, call: Call, entry: Syscall, req: BaseModel) -> None:
    proc = call.proc
    if proc is None:
        return  # the admin is the person
    if proc.suspended:
        await proc.resumed.wait()
        if proc.state.terminal:
            raise Cancelled(f"process {proc.pid} ended while suspended")
    inner = entry.name != "tool.call" and approved_tool.get() == proc.pid
    tool, risk, rules = None, entry.risk, proc.capabilities.approvals
    if entry.name == "tool.call":
        # permission first: never ask a person about a call refused anyway
        spec = allowed_tool(k, call, req.name)  # type: ignore[attr-defined]
        tool, risk, rules = spec.name, spec.risk, [*rules, *spec.approvals]  # its provider's
        if k.approvals.always_for(proc.pid, entry.name, tool):
            call.extra["approved_tool"] = True
    rule = k.approvals.rule_for(rules, proc.pid, entry.name, tool, risk)
    if rule is None:
        return
    if inner and not rule.startswith("syscall:"):
        return  # the risk of a tool call a person approved, made for it
    args = req.args if tool else req.model_dump(mode="json", exclude_defaults=True)  # type: ignore[attr-defined]
    planned = planned_by.get() == proc.pid
    granted = k.approvals.grants.take(proc.pid, entry.name, tool, args, planned=planned)
    if granted is not None:  # a person approved this very call ahead of time
        call.extra["approval"] = granted
        call.extra["approved_tool"] = tool is not None
        return
    async with k.io_wait(proc, "approval"):
        await k.approvals.ask(
            pid=proc.pid,
            process=proc.name,
            syscall=entry.name,
            tool=tool,
            args=args,
            risk=risk,
            rule=rule,
        )
    call.extra["approved_tool"] = tool is not None
    if proc.suspended:  # suspended while a person decided: run once resumed
        await proc.resumed.wait()
    if proc.state.terminal:
        raise Cancelled(f"process {proc.pid} ended while waiting for approval")
