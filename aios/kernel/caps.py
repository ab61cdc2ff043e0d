"""Capabilities and callers: who may make which syscall.

A caller is either the admin (the daemon's token, the CLI, in-process code that
owns the kernel) or a process, limited by the capabilities it was spawned with.
A child never gets more than its parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ADMIN", "Caller", "Capabilities"]

_DEFAULT_SYSCALLS = [
    "llm.*",
    "tool.*",
    "compile",
    "fs.*",
    "proc.spawn",
    "proc.list",
    "proc.get",
    "proc.wait",
    "proc.kill",
    "agent.list",
]


class Capabilities(BaseModel):
    """What a process may do. Patterns are shell-style (``llm.*``)."""

    model_config = ConfigDict(extra="forbid")

    syscalls: list[str] = Field(default_factory=lambda: list(_DEFAULT_SYSCALLS))
    models: list[str] = Field(default_factory=lambda: ["*"])
    tools: list[str] = Field(default_factory=lambda: ["*"])
    fs_read: list[str] = Field(
        default_factory=lambda: ["/"], description='LSFS folders it may read ("/": all)'
    )
    fs_write: list[str] = Field(
        default_factory=lambda: ["/"], description='LSFS folders it may write ("/": all)'
    )
    proc_admin: bool = Field(
        default=False, description="may see and kill processes other than its own descendants"
    )

    def allows_syscall(self, name: str) -> bool:
        return any(fnmatchcase(name, p) for p in self.syscalls)

    def allows_model(self, model: str) -> bool:
        return any(fnmatchcase(model, p) for p in self.models)

    def allows_tool(self, tool: str) -> bool:
        return any(fnmatchcase(tool, p) for p in self.tools)

    def excess_over(self, parent: Capabilities) -> list[str]:
        """What this set grants that ``parent`` does not (empty when it is a subset)."""
        out = [f"syscalls:{p}" for p in self.syscalls if not _covered(p, parent.syscalls)]
        out += [f"models:{p}" for p in self.models if not _covered(p, parent.models)]
        out += [f"tools:{p}" for p in self.tools if not _covered(p, parent.tools)]
        out += [f"fs_read:{p}" for p in self.fs_read if not _prefix_covered(p, parent.fs_read)]
        out += [f"fs_write:{p}" for p in self.fs_write if not _prefix_covered(p, parent.fs_write)]
        if self.proc_admin and not parent.proc_admin:
            out.append("proc_admin")
        return out


def _covered(pattern: str, parents: list[str]) -> bool:
    """True if every name ``pattern`` matches is matched by one of ``parents``.

    Decided conservatively: the same pattern, or a parent of the form
    ``prefix*`` (with no other wildcard) whose prefix starts ``pattern``.
    """
    for p in parents:
        if p == pattern or p == "*":
            return True
        head = p[:-1]
        if p.endswith("*") and not any(c in head for c in "*?[") and pattern.startswith(head):
            return True
    return False


def _prefix_covered(path: str, parents: list[str]) -> bool:
    path = path.strip("/")
    return any((q := p.strip("/")) == "" or path == q or path.startswith(q + "/") for p in parents)


@dataclass(frozen=True)
class Caller:
    """Who is making a syscall."""

    pid: int | None = None
    admin: bool = False
    caps: Capabilities | None = None
    owner: str = "admin"

    @property
    def label(self) -> str:
        return "admin" if self.admin else f"pid:{self.pid}"


ADMIN = Caller(admin=True)
