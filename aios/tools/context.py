"""Who a tool is running for: set by the tool.call syscall for the duration of a call,
so tools that reach back into the kernel (the LSFS tools) act as the calling
process, with its permissions, and never as the daemon."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

__all__ = ["approved_tool", "current_caller", "planned_by"]

# Per-task context, not shared state: each tool call sees its own caller.
current_caller: ContextVar[Any] = ContextVar("aios_tool_caller", default=None)
# The pid whose tool call a person approved, while that call runs: the syscalls the
# tool makes for it (an LSFS tool's fs.delete) are that approved work, not asked again.
approved_tool: ContextVar[int | None] = ContextVar("aios_approved_tool", default=None)
# The pid whose compile is running a plan, in that plan's own task: a call it makes
# resolves the plan's references, so a grant's reference may stand for its value.
planned_by: ContextVar[int | None] = ContextVar("aios_planned_by", default=None)
