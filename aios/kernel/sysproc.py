"""Process and scheduler syscalls: ``proc.*`` and ``sched.*``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aios.errors import Conflict, PermissionDenied
from aios.kernel.caps import Capabilities
from aios.kernel.process import ProcessInfo, ProcessState
from aios.kernel.scheduler import Policy

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = [
    "EmptyArgs",
    "ListArgs",
    "ListResult",
    "PidArgs",
    "ProcessInfo",
    "SchedInfo",
    "SchedSetArgs",
    "SpawnArgs",
    "SyscallsArgs",
    "SyscallsResult",
    "WaitArgs",
    "WaitResult",
]


class _Args(BaseModel):
    # NaN and infinities are refused (a 400), never passed on to a timer
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class EmptyArgs(_Args):
    pass


class SpawnArgs(_Args):
    agent: str = Field(
        default="", max_length=200, description="an installed agent's name (not with cerebrum)"
    )
    task: str = Field(default="", max_length=200_000)
    name: str | None = Field(default=None, max_length=200)
    priority: int | None = Field(
        default=None, ge=-100, le=100, description="default: 0, or the parent's for a child"
    )
    capabilities: Capabilities | None = Field(
        default=None,
        description="default: its manifest's, else its home folder and local tools (a "
        "child: its parent's); never more than its manifest grants",
    )
    isolated: bool = Field(
        default=False, description="run the plugin in its own confined OS process"
    )
    cerebrum: str | None = Field(
        default=None,
        max_length=4096,
        description="admin only: an absolute path to an AIOS/Cerebrum agent folder on the "
        "daemon's host, run isolated",
    )

    @model_validator(mode="after")
    def _what(self) -> SpawnArgs:
        if not self.agent and self.cerebrum is None:
            raise ValueError("give an agent's name (or a cerebrum folder)")
        return self


class PidArgs(_Args):
    pid: int = Field(ge=1, le=2**53)


class WaitArgs(_Args):
    pid: int = Field(ge=1, le=2**53)
    timeout: float | None = Field(default=None, ge=0, le=86_400)


class WaitResult(BaseModel):
    done: bool
    process: ProcessInfo


class ListArgs(_Args):
    states: list[ProcessState] | None = None
    parent: int | None = Field(default=None, ge=1, le=2**53)
    limit: int = Field(default=100, ge=1, le=10_000)


class ListResult(BaseModel):
    processes: list[ProcessInfo]


class SyscallsArgs(_Args):
    pid: int = Field(ge=1, le=2**53)
    limit: int = Field(default=1000, ge=1, le=100_000)


class SyscallsResult(BaseModel):
    syscalls: list[dict[str, Any]]


class SchedSetArgs(_Args):
    policy: Policy
    quantum_tokens: int | None = Field(default=None, ge=1, le=100_000)
    aging_s: float | None = Field(default=None, gt=0, le=86_400)


class SchedInfo(BaseModel):
    policy: str
    quantum_tokens: int
    aging_s: float
    queued: int
    queued_by_model: dict[str, int]
    running: dict[str, int]
    held_pids: list[int]


def _sees_all(call: Call) -> bool:
    caller = call.caller
    return caller.admin or (caller.caps is not None and caller.caps.proc_admin)


async def _check_target(k: Kernel, call: Call, pid: int) -> None:
    """A process may act on itself and its descendants, unless it has proc_admin."""
    if _sees_all(call):
        return
    caller = call.caller
    assert caller.pid is not None
    if not await k.procs.is_descendant(pid, caller.pid):
        raise PermissionDenied(f"process {caller.pid} may not act on process {pid}", pid=pid)


async def _ended(k: Kernel, pid: int) -> None:
    """Not in the table: NotFound, or the Conflict of an ended process."""
    await k.procs.get(pid)
    raise Conflict(f"process {pid} is not running", pid=pid)


async def spawn(k: Kernel, call: Call, args: SpawnArgs) -> ProcessInfo:
    """Start an agent process."""
    proc = await k.spawn(
        args.agent,
        args.task,
        name=args.name,
        priority=args.priority,
        capabilities=args.capabilities,
        caller=call.caller,
        isolated=args.isolated,
        cerebrum=args.cerebrum,
    )
    return proc.info()


async def list_(k: Kernel, call: Call, args: ListArgs) -> ListResult:
    """Processes, newest first."""
    states = [s.value for s in args.states] if args.states else None
    # a process sees its own subtree: filtered in the query, so the limit counts
    # only what it may see
    under = None if _sees_all(call) else call.caller.pid
    procs = await k.procs.list(states=states, parent=args.parent, under=under, limit=args.limit)
    return ListResult(processes=procs)


async def get(k: Kernel, call: Call, args: PidArgs) -> ProcessInfo:
    """One process."""
    await _check_target(k, call, args.pid)
    return await k.procs.get(args.pid)


async def wait(k: Kernel, call: Call, args: WaitArgs) -> WaitResult:
    """Wait for a process to end (or the timeout)."""
    await _check_target(k, call, args.pid)
    info = await k.wait(args.pid, args.timeout)
    return WaitResult(done=info.state.terminal, process=info)


async def kill(k: Kernel, call: Call, args: PidArgs) -> ProcessInfo:
    """Kill a process and cancel its syscalls."""
    await _check_target(k, call, args.pid)
    if k.procs.live(args.pid) is None:
        return await k.procs.get(args.pid)  # ended: its final info
    return k.kill(args.pid)


async def suspend(k: Kernel, call: Call, args: PidArgs) -> ProcessInfo:
    """Pause a process: its syscalls wait, its generation yields."""
    await _check_target(k, call, args.pid)
    if k.procs.live(args.pid) is None:
        await _ended(k, args.pid)
    return k.suspend(args.pid)


async def resume(k: Kernel, call: Call, args: PidArgs) -> ProcessInfo:
    """Resume a suspended process."""
    await _check_target(k, call, args.pid)
    if k.procs.live(args.pid) is None:
        await _ended(k, args.pid)
    return k.resume(args.pid)


async def syscalls(k: Kernel, call: Call, args: SyscallsArgs) -> SyscallsResult:
    """The accounting rows of a process's syscalls."""
    await _check_target(k, call, args.pid)
    rows = await k.store.alist_syscalls(pid=args.pid, limit=args.limit)
    cols = [c.name for c in rows[0].__table__.columns] if rows else []
    return SyscallsResult(syscalls=[{c: getattr(r, c) for c in cols} for r in rows])


class TokenResult(BaseModel):
    pid: int
    token: str


async def token(k: Kernel, call: Call, args: PidArgs) -> TokenResult:
    """A bearer token for a process, limited to its capabilities (replaces the last)."""
    await _check_target(k, call, args.pid)
    proc = k.procs.live(args.pid)
    if proc is None or proc.state.terminal:
        raise Conflict(f"process {args.pid} is not running", pid=args.pid)
    return TokenResult(pid=args.pid, token=k.tokens.issue(args.pid))


async def sched_get(k: Kernel, call: Call, args: EmptyArgs) -> SchedInfo:
    """Scheduler policy and queues."""
    return SchedInfo(**k.scheduler.stats())


async def sched_set(k: Kernel, call: Call, args: SchedSetArgs) -> SchedInfo:
    """Switch the scheduling policy at run time."""
    k.scheduler.set_policy(args.policy, quantum_tokens=args.quantum_tokens, aging_s=args.aging_s)
    return SchedInfo(**k.scheduler.stats())
