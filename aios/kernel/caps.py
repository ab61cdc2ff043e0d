"""Capabilities and callers: who may make which syscall.

A caller is either the admin (the daemon's token, the CLI, in-process code that
owns the kernel) or a process, limited by the capabilities it was spawned with.
A child never gets more than its parent.

Least privilege by default: a process spawned without capabilities may use only
the tools that do not reach the host (``@local``: no programs, no network) and
only its own LSFS home folder (``~``, which becomes ``home/<pid>`` at spawn).
Anything more is granted explicitly; ``tools: ["*"]`` stays possible.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ADMIN", "Caller", "Capabilities", "missing"]

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
    "proc.token",
    "proc.log",
    "agent.list",
    "approval.request",
    "approval.release",
    "approval.list",
    "approval.get",
]
HOME = "~"  # the process's own folder; resolved to home/<pid> when it is spawned
LOCAL_TOOLS = "@local"  # every tool that neither runs programs nor uses the network


class Capabilities(BaseModel):
    """What a process may do. Patterns are shell-style (``llm.*``)."""

    model_config = ConfigDict(extra="forbid")

    syscalls: list[str] = Field(default_factory=lambda: list(_DEFAULT_SYSCALLS))
    models: list[str] = Field(default_factory=lambda: ["*"])
    tools: list[str] = Field(
        default_factory=lambda: [LOCAL_TOOLS],
        description='tool names or patterns; "@local": the tools that reach no host; '
        '"*": all, programs and network included',
    )
    fs_read: list[str] = Field(
        default_factory=lambda: [HOME],
        description='LSFS folders it may read ("~": its home folder, "/": all)',
    )
    fs_write: list[str] = Field(
        default_factory=lambda: [HOME],
        description='LSFS folders it may write ("~": its home folder, "/": all)',
    )
    proc_admin: bool = Field(
        default=False, description="may see and kill processes other than its own descendants"
    )
    approvals: list[str] = Field(
        default_factory=list,
        description="calls that wait for a person, beyond the daemon's policy: risk hints "
        "(destructive, open_world, not_read_only, *) or tool:NAME / syscall:NAME patterns",
    )
    max_priority: int | None = Field(
        default=None, ge=-100, le=100, description="the highest priority it may run at"
    )
    llm_tokens: int | None = Field(
        default=None,
        ge=0,
        le=2**53,
        description="prompt+completion tokens it and its descendants may use in its life "
        "(none: no budget); a child's budget is at most what its parent has left",
    )

    @field_validator("syscalls", "models", "tools", "approvals", "fs_read", "fs_write")
    @classmethod
    def _printable(cls, values: list[str]) -> list[str]:
        """No control or format characters (escapes, carriage returns, bidi
        overrides): a person approves these sets as they are shown."""
        for v in values:
            if any(unicodedata.category(c) in ("Cc", "Cf") for c in v):
                raise ValueError(f"control or format characters in {v[:100]!r}")
        return values

    @field_validator("fs_read", "fs_write")
    @classmethod
    def _folders(cls, paths: list[str]) -> list[str]:
        """LSFS folders as plain prefixes: no "..", ".", control characters or
        backslashes, which a prefix check could misread."""
        for p in paths:
            parts = [s for s in p.strip("/").split("/") if s]
            if any(s in (".", "..") for s in parts) or any(c < " " or c == "\\" for c in p):
                raise ValueError(f"not a plain LSFS folder: {p[:100]!r}")
            if len(p) > 1024:
                raise ValueError("an LSFS folder is at most 1024 characters")
        return paths

    def allows_syscall(self, name: str) -> bool:
        return any(fnmatchcase(name, p) for p in self.syscalls)

    def allows_model(self, model: str) -> bool:
        return any(fnmatchcase(model, p) for p in self.models)

    def allows_tool(self, tool: str, *, host: bool = False) -> bool:
        """``host``: the tool runs programs or uses the network, so ``@local`` does not
        cover it and only its name or a pattern does."""
        return any((not host) if p == LOCAL_TOOLS else fnmatchcase(tool, p) for p in self.tools)

    def for_home(self, home: str) -> Capabilities:
        """The same set with ``~`` (and ``~/sub``) made into the folder ``home``."""

        def resolve(paths: list[str]) -> list[str]:
            out = []
            for p in paths:
                q = p.strip("/")
                if q == HOME or q.startswith(HOME + "/"):
                    q = home + q[1:]
                out.append(q)
            return out

        return self.model_copy(
            update={"fs_read": resolve(self.fs_read), "fs_write": resolve(self.fs_write)}
        )

    def excess_over(
        self, parent: Capabilities, is_host: Callable[[str], bool] | None = None
    ) -> list[str]:
        """What this set grants that ``parent`` does not (empty when it is a subset).
        ``is_host`` tells which tool names reach the host (``@local`` covers the
        others). Fewer approvals is more: a child keeps every approval rule of its
        parent."""
        out = [f"syscalls:{p}" for p in self.syscalls if not _covered(p, parent.syscalls)]
        out += [f"models:{p}" for p in self.models if not _covered(p, parent.models)]
        out += [f"tools:{p}" for p in self.tools if not _tool_covered(p, parent.tools, is_host)]
        out += [f"fs_read:{p}" for p in self.fs_read if not _prefix_covered(p, parent.fs_read)]
        out += [f"fs_write:{p}" for p in self.fs_write if not _prefix_covered(p, parent.fs_write)]
        if self.proc_admin and not parent.proc_admin:
            out.append("proc_admin")
        out += [f"approvals:-{r}" for r in parent.approvals if r not in self.approvals]
        if parent.max_priority is not None and (
            self.max_priority is None or self.max_priority > parent.max_priority
        ):
            out.append(f"max_priority:{self.max_priority}")
        if parent.llm_tokens is not None and (
            self.llm_tokens is None or self.llm_tokens > parent.llm_tokens
        ):
            out.append(f"llm_tokens:{self.llm_tokens}")
        return out


def missing(capability: str) -> str:
    """How a refusal names what was not granted: ``missing capability tools:shell``."""
    return f"missing capability {capability}"


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


def _tool_covered(pattern: str, parents: list[str], is_host: Callable[[str], bool] | None) -> bool:
    """``@local`` is covered by itself or ``*``; a plain name of a local tool by
    ``@local`` too; anything else by the usual rule (a wildcard under ``@local`` may
    match a host tool registered later, so it is not covered)."""
    if pattern == LOCAL_TOOLS:
        return LOCAL_TOOLS in parents or "*" in parents
    plain = not any(c in pattern for c in "*?[")
    if plain and LOCAL_TOOLS in parents and is_host is not None and not is_host(pattern):
        return True
    return _covered(pattern, [p for p in parents if p != LOCAL_TOOLS])


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
