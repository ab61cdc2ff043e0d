"""The syscall table: the only way into the kernel.

Each entry names a syscall (``<area>.<verb>``), its pydantic request and
response models and its handler. ``Kernel.syscall`` looks the name up here,
validates the arguments, checks the caller's capabilities, runs the handler and
writes one audit/accounting row, whatever the outcome.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aios.errors import NotFound
from aios.kernel.caps import Caller
from aios.tools.risk import DESTRUCTIVE, READ_ONLY, WRITES, Risk

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import Process

__all__ = ["Call", "Syscall", "SyscallTable", "builtin_syscalls", "entry"]

Handler = Callable[["Kernel", "Call", Any], Awaitable[BaseModel]]
StreamHandler = Callable[["Kernel", "Call", Any], AsyncIterator[dict[str, Any]]]


@dataclass(eq=False)
class Call:
    """One syscall in progress: who made it and what it cost."""

    caller: Caller
    name: str
    proc: Process | None
    queued_at: float
    started_at: float | None = None
    wait_s: float = 0.0
    run_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prefill_tokens: int = 0
    resume_tokens: int = 0
    preemptions: int = 0
    core: str | None = None
    args: Any = None  # the validated request, or what was sent if it did not validate
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Syscall:
    name: str
    request: type[BaseModel]
    response: type[BaseModel]
    handler: Handler
    stream: StreamHandler | None = None
    admin_only: bool = False
    summary: str = ""
    risk: Risk = WRITES  # tool.call takes the risk of the tool it calls


class SyscallTable:
    def __init__(self, entries: Iterable[Syscall] = ()) -> None:
        self._entries: dict[str, Syscall] = {}
        for e in entries:
            self.register(e)

    def register(self, entry: Syscall) -> None:
        if entry.name in self._entries:
            raise ValueError(f"syscall {entry.name!r} is already registered")
        self._entries[entry.name] = entry

    def get(self, name: str) -> Syscall:
        try:
            return self._entries[name]
        except KeyError:
            raise NotFound(
                f"no syscall {name!r}", syscall=name, known=sorted(self._entries)
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def entries(self, prefix: str = "") -> list[Syscall]:
        return [e for n, e in self._entries.items() if n.startswith(prefix)]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "name": e.name,
                "summary": e.summary,
                "stream": e.stream is not None,
                "admin_only": e.admin_only,
                "risk": e.risk.model_dump(),
                "args": e.request.model_json_schema(),
            }
            for e in sorted(self._entries.values(), key=lambda e: e.name)
        ]


def entry(
    name: str,
    handler: Handler,
    *,
    stream: StreamHandler | None = None,
    admin_only: bool = False,
    risk: Risk = WRITES,
) -> Syscall:
    """A table entry; the request and response models come from the handler's hints."""
    hints = handler.__annotations__
    ns = handler.__globals__  # type: ignore[attr-defined]
    request = hints["args"] if isinstance(hints["args"], type) else eval(hints["args"], ns)
    response = hints["return"] if isinstance(hints["return"], type) else eval(hints["return"], ns)
    summary = (handler.__doc__ or "").strip().split("\n")[0]
    return Syscall(name, request, response, handler, stream, admin_only, summary, risk)


def builtin_syscalls() -> list[Syscall]:
    """The kernel's own table: one line per syscall, naming its handler."""
    from aios.kernel import (
        sysagent,
        sysapproval,
        syscompile,
        sysfs,
        sysfs_semantic,
        sysllm,
        syslog,
        sysproc,
        systool,
    )
    from aios.tools.mcp import syscalls as sysmcp

    fs = sysfs
    sem = sysfs_semantic
    ro, gone = READ_ONLY, DESTRUCTIVE
    shares = Risk(open_world=True)  # a public link to a file

    return [
        entry("llm.chat", sysllm.chat, stream=sysllm.chat_stream, risk=ro),
        entry("llm.models", sysllm.models, risk=ro),
        entry("tool.list", systool.tool_list, risk=ro),
        entry("tool.call", systool.tool_call),
        entry("compile", syscompile.compile_, stream=syscompile.compile_stream, risk=ro),
        entry("fs.create", fs.create),
        entry("fs.write", fs.write),
        entry("fs.append", fs.append),
        entry("fs.read", fs.read, risk=ro),
        entry("fs.delete", fs.delete, risk=gone),
        entry("fs.mkdir", fs.mkdir),
        entry("fs.ls", fs.ls, risk=ro),
        entry("fs.stat", fs.stat, risk=ro),
        entry("fs.mv", fs.mv, risk=gone),
        entry("fs.lock", fs.lock),
        entry("fs.unlock", fs.unlock),
        entry("fs.history", fs.history, risk=ro),
        entry("fs.rollback", fs.rollback, risk=gone),
        entry("fs.diff", fs.diff, risk=ro),
        entry("fs.join", fs.join),
        entry("fs.retrieve", sem.retrieve, risk=ro),
        entry("fs.group_by", sem.group_by),
        entry("fs.summarize", sem.summarize, risk=ro),
        entry("fs.change_summary", sem.change_summary, risk=ro),
        entry("fs.link", sem.link, risk=shares),
        entry("fs.index_status", sem.index_status, risk=ro),
        entry("proc.spawn", sysproc.spawn),
        entry("proc.list", sysproc.list_, risk=ro),
        entry("proc.get", sysproc.get, risk=ro),
        entry("proc.wait", sysproc.wait, risk=ro),
        entry("proc.kill", sysproc.kill, risk=gone),
        entry("proc.suspend", sysproc.suspend),
        entry("proc.resume", sysproc.resume),
        entry("proc.syscalls", sysproc.syscalls, risk=ro),
        entry("proc.token", sysproc.token, risk=ro),
        entry("proc.log", syslog.log, risk=ro),
        entry("agent.list", sysagent.agent_list, risk=ro),
        entry("agent.info", sysagent.agent_info, risk=ro),
        entry("agent.approve", sysagent.agent_approve, admin_only=True),
        entry("mcp.servers", sysmcp.servers, admin_only=True, risk=ro),
        entry("mcp.refresh", sysmcp.refresh, admin_only=True),
        entry("approval.list", sysapproval.list_, risk=ro),
        entry("approval.get", sysapproval.get, risk=ro),
        entry("approval.respond", sysapproval.respond, admin_only=True),
        entry("approval.request", sysapproval.request, risk=ro),
        entry("approval.release", sysapproval.release, risk=ro),
        entry("sched.get", sysproc.sched_get, risk=ro),
        entry("sched.set", sysproc.sched_set, admin_only=True),
    ]
