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

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import Process

__all__ = ["Call", "Syscall", "SyscallTable", "builtin_syscalls"]

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

    def names(self) -> list[str]:
        return sorted(self._entries)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "name": e.name,
                "summary": e.summary,
                "stream": e.stream is not None,
                "admin_only": e.admin_only,
                "args": e.request.model_json_schema(),
            }
            for e in sorted(self._entries.values(), key=lambda e: e.name)
        ]


def builtin_syscalls() -> list[Syscall]:
    """The kernel's own table. Tool and file syscalls join it with their subsystems."""
    from aios.kernel import sysllm, sysproc

    S = Syscall
    return [
        S(
            "llm.chat",
            sysllm.ChatArgs,
            sysllm.ChatResult,
            sysllm.chat,
            sysllm.chat_stream,
            summary="chat completion on a scheduled LLM core",
        ),
        S(
            "llm.models",
            sysllm.ModelsArgs,
            sysllm.ModelsResult,
            sysllm.models,
            summary="the models the cores serve",
        ),
        S(
            "proc.spawn",
            sysproc.SpawnArgs,
            sysproc.ProcessInfo,
            sysproc.spawn,
            summary="start an agent process",
        ),
        S(
            "proc.list",
            sysproc.ListArgs,
            sysproc.ListResult,
            sysproc.list_,
            summary="processes, newest first",
        ),
        S("proc.get", sysproc.PidArgs, sysproc.ProcessInfo, sysproc.get, summary="one process"),
        S(
            "proc.wait",
            sysproc.WaitArgs,
            sysproc.WaitResult,
            sysproc.wait,
            summary="wait for a process to end",
        ),
        S(
            "proc.kill",
            sysproc.PidArgs,
            sysproc.ProcessInfo,
            sysproc.kill,
            summary="kill a process and cancel its syscalls",
        ),
        S(
            "proc.suspend",
            sysproc.PidArgs,
            sysproc.ProcessInfo,
            sysproc.suspend,
            summary="pause a process: its syscalls wait, its generation yields",
        ),
        S(
            "proc.resume",
            sysproc.PidArgs,
            sysproc.ProcessInfo,
            sysproc.resume,
            summary="resume a suspended process",
        ),
        S(
            "proc.syscalls",
            sysproc.SyscallsArgs,
            sysproc.SyscallsResult,
            sysproc.syscalls,
            summary="the accounting rows of a process's syscalls",
        ),
        S(
            "sched.get",
            sysproc.EmptyArgs,
            sysproc.SchedInfo,
            sysproc.sched_get,
            summary="scheduler policy and queues",
        ),
        S(
            "sched.set",
            sysproc.SchedSetArgs,
            sysproc.SchedInfo,
            sysproc.sched_set,
            admin_only=True,
            summary="switch the scheduling policy at run time",
        ),
    ]
