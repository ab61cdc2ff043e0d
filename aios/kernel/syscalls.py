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
                "args": e.request.model_json_schema(),
            }
            for e in sorted(self._entries.values(), key=lambda e: e.name)
        ]


def entry(
    name: str, handler: Handler, *, stream: StreamHandler | None = None, admin_only: bool = False
) -> Syscall:
    """A table entry; the request and response models come from the handler's hints."""
    hints = handler.__annotations__
    ns = handler.__globals__  # type: ignore[attr-defined]
    request = hints["args"] if isinstance(hints["args"], type) else eval(hints["args"], ns)
    response = hints["return"] if isinstance(hints["return"], type) else eval(hints["return"], ns)
    summary = (handler.__doc__ or "").strip().split("\n")[0]
    return Syscall(name, request, response, handler, stream, admin_only, summary)


def builtin_syscalls() -> list[Syscall]:
    """The kernel's own table: one line per syscall, naming its handler."""
    from aios.kernel import syscompile, sysfs, sysfs_semantic, sysllm, sysproc, systool

    fs = sysfs
    sem = sysfs_semantic

    return [
        entry("llm.chat", sysllm.chat, stream=sysllm.chat_stream),
        entry("llm.models", sysllm.models),
        entry("tool.list", systool.tool_list),
        entry("tool.call", systool.tool_call),
        entry("compile", syscompile.compile_, stream=syscompile.compile_stream),
        entry("fs.create", fs.create),
        entry("fs.write", fs.write),
        entry("fs.append", fs.append),
        entry("fs.read", fs.read),
        entry("fs.delete", fs.delete),
        entry("fs.mkdir", fs.mkdir),
        entry("fs.ls", fs.ls),
        entry("fs.stat", fs.stat),
        entry("fs.mv", fs.mv),
        entry("fs.lock", fs.lock),
        entry("fs.unlock", fs.unlock),
        entry("fs.history", fs.history),
        entry("fs.rollback", fs.rollback),
        entry("fs.diff", fs.diff),
        entry("fs.join", fs.join),
        entry("fs.retrieve", sem.retrieve),
        entry("fs.group_by", sem.group_by),
        entry("fs.summarize", sem.summarize),
        entry("fs.change_summary", sem.change_summary),
        entry("fs.link", sem.link),
        entry("fs.index_status", sem.index_status),
        entry("proc.spawn", sysproc.spawn),
        entry("proc.list", sysproc.list_),
        entry("proc.get", sysproc.get),
        entry("proc.wait", sysproc.wait),
        entry("proc.kill", sysproc.kill),
        entry("proc.suspend", sysproc.suspend),
        entry("proc.resume", sysproc.resume),
        entry("proc.syscalls", sysproc.syscalls),
        entry("proc.token", sysproc.token),
        entry("agent.list", sysproc.agent_list),
        entry("sched.get", sysproc.sched_get),
        entry("sched.set", sysproc.sched_set, admin_only=True),
    ]
