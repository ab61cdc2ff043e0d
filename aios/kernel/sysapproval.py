"""Approval syscalls: ``approval.list``, ``approval.get``, ``approval.respond``
(admin only), ``approval.request`` (a process asks a person) and ``approval.release``
(it is done with what it was approved)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aios.errors import BadRequest, NotFound, PermissionDenied
from aios.kernel.approvals import ApprovalInfo, ApprovalState
from aios.kernel.grants import is_ref
from aios.tools.risk import Risk

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["ApprovalList", "ListApprovalsArgs", "RequestArgs", "RespondArgs"]


class _Args(BaseModel):
    # NaN and infinities are refused (a 400), never passed on to a timer
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ListApprovalsArgs(_Args):
    state: ApprovalState | None = Field(default=None, description="default: every state")
    pid: int | None = Field(default=None, ge=1, le=2**53)
    limit: int = Field(default=100, ge=1, le=10_000)


class ApprovalList(BaseModel):
    approvals: list[ApprovalInfo]


class IdArgs(_Args):
    id: int = Field(ge=1, le=2**53)


class RespondArgs(_Args):
    id: int = Field(ge=1, le=2**53)
    decision: Literal["approve", "deny", "always"] = Field(
        description="always: approve, and approve calls like it from this process from now on"
    )
    note: str | None = Field(default=None, max_length=2000)


MAX_CALLS_CHARS = 65_536  # what a person can be shown of the calls they approve


class GrantCall(_Args):
    syscall: str = Field(default="tool.call", max_length=100)
    tool: str | None = Field(default=None, max_length=200, description="for tool.call")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description='its arguments; {"$ref": N, "path": [...]} stands for a result of task N',
    )


class RequestArgs(_Args):
    summary: str = Field(min_length=1, max_length=500, description="what the person approves")
    details: Any = Field(default=None, description="anything they should see (e.g. a plan)")
    destructive: bool = False
    timeout_s: float | None = Field(default=None, gt=0, le=7 * 86400)
    calls: list[GrantCall] | None = Field(
        default=None,
        max_length=64,
        description="the calls approved with it (a plan's tool calls, a command's syscall): "
        "once approved, each may run once without asking again",
    )


async def _visible(k: Kernel, call: Call) -> set[int] | None:
    """The pids whose approvals the caller may see: the admin all, a process its own
    and its descendants' (ended ones included: the queue keeps their decisions)."""
    caller = call.caller
    if caller.admin or (caller.caps is not None and caller.caps.proc_admin):
        return None
    assert caller.pid is not None
    asking = {a.pid for a in k.approvals.list(limit=sys.maxsize)}  # bounded by the queue
    return await k.procs.descendants_among(asking, caller.pid)


async def list_(k: Kernel, call: Call, args: ListApprovalsArgs) -> ApprovalList:
    """Approvals, newest first: pending ones and recent decisions."""
    pids = await _visible(k, call)
    if args.pid is not None:
        pids = {args.pid} if pids is None or args.pid in pids else set()
    items = k.approvals.list(state=args.state, pids=pids, limit=args.limit)
    return ApprovalList(approvals=[a.info() for a in items])


async def get(k: Kernel, call: Call, args: IdArgs) -> ApprovalInfo:
    """One approval."""
    item = k.approvals.get(args.id)
    caller = call.caller
    sees_all = caller.admin or (caller.caps is not None and caller.caps.proc_admin)
    if not sees_all and not await k.procs.is_descendant(item.pid, caller.pid or 0):
        # the same answer as a missing one
        raise NotFound(f"no approval {args.id}", approval=args.id)
    return item.info()


async def respond(k: Kernel, call: Call, args: RespondArgs) -> ApprovalInfo:
    """Answer a pending approval: approve, deny, or approve always for its process."""
    by = call.caller.owner if call.caller.admin else call.caller.label
    return k.approvals.respond(args.id, args.decision, by=by, note=args.note).info()


def _granted(k: Kernel, calls: list[GrantCall]) -> list[dict[str, Any]]:
    """The calls as the approval gate will see them: a syscall's arguments validated
    and written as the gate writes them, a tool call's as sent."""
    size = len(json.dumps([c.model_dump(mode="json") for c in calls], default=str))
    if size > MAX_CALLS_CHARS:
        raise BadRequest(
            f"the calls to approve are {size} characters of JSON, at most {MAX_CALLS_CHARS}"
        )
    out: list[dict[str, Any]] = []
    for n, c in enumerate(calls, 1):
        if c.syscall == "tool.call":
            if not c.tool:
                raise BadRequest(f"call {n}: a tool.call names its tool", call=n)
            if is_ref(c.args):
                raise BadRequest(f"call {n}: its arguments are named, never one reference", call=n)
            out.append({"syscall": c.syscall, "tool": c.tool, "args": c.args})
            continue
        if c.tool is not None:
            raise BadRequest(f"call {n}: only a tool.call names a tool", call=n)
        entry = k.syscalls.get(c.syscall)
        if entry.admin_only or c.syscall.startswith("approval."):
            raise BadRequest(f"call {n}: {c.syscall} is never approved ahead", call=n)
        try:
            req = entry.request.model_validate(c.args)
        except ValidationError as exc:
            errors = json.loads(exc.json(include_url=False, include_input=False))
            raise BadRequest(
                f"call {n}: invalid arguments for {c.syscall}", call=n, errors=errors
            ) from None
        args = req.model_dump(mode="json", exclude_defaults=True)
        out.append({"syscall": c.syscall, "tool": None, "args": args})
    return out


class Released(BaseModel):
    id: int
    released: int  # the unused grants dropped


async def release(k: Kernel, call: Call, args: IdArgs) -> Released:
    """A process is done with the work it asked approval for: the calls approved
    with it that did not run may no longer run unasked."""
    proc = call.proc
    if proc is None:
        raise PermissionDenied("only the process that asked releases its approval")
    return Released(id=args.id, released=k.approvals.release(proc.pid, args.id))


async def request(k: Kernel, call: Call, args: RequestArgs) -> ApprovalInfo:
    """Ask a person (the calling process waits); denied or timed out: an error.
    With ``calls``, approving it approves them: each may then run once unasked."""
    proc = call.proc
    if proc is None:
        raise PermissionDenied("only a process asks for approval; the admin decides")
    calls = _granted(k, args.calls) if args.calls is not None else None
    async with k.io_wait(proc, "approval"):
        item = await k.approvals.ask(
            pid=proc.pid,
            process=proc.name,
            syscall=call.name,
            tool=None,
            args=args.details,
            risk=Risk(destructive=args.destructive),
            rule="asked by the process",
            summary=args.summary,
            timeout_s=args.timeout_s,
            calls=calls,
        )
    return item.info()
