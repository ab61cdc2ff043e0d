"""Tool syscalls: ``tool.list`` and ``tool.call``.

A tool call is a syscall of the calling process: permission-checked against its
capabilities, accounted (the process is WAITING, not holding an LLM core, and the
time counts as tool time) and audited like any other.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from aios.errors import PermissionDenied
from aios.tools.context import current_caller

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call
    from aios.tools.registry import ToolSpec

__all__ = ["ToolCallArgs", "ToolCallResult", "ToolListArgs", "ToolListResult"]


class ToolListArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolListResult(BaseModel):
    tools: list[dict[str, Any]]


class ToolCallArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    args: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(default=None, gt=0, le=3600)


class ToolCallResult(BaseModel):
    name: str
    result: Any
    duration_s: float


def may_use(call: Call, spec: ToolSpec) -> bool:
    caps = call.caller.caps
    return caps is None or caps.allows_tool(spec.name, host=spec.risk.host)


def allowed_tool(k: Kernel, call: Call, name: str) -> ToolSpec:
    spec = k.tools.get(name)
    if not may_use(call, spec):
        raise PermissionDenied(
            f"process {call.caller.pid} may not call tool {name!r}: "
            f"missing capability tools:{name}",
            tool=name,
            capability=f"tools:{name}",
        )
    return spec


async def tool_list(k: Kernel, call: Call, args: ToolListArgs) -> ToolListResult:
    """The tools this caller may call."""
    return ToolListResult(tools=[s.describe() for s in k.tools.specs() if may_use(call, s)])


async def tool_call(k: Kernel, call: Call, args: ToolCallArgs) -> ToolCallResult:
    """Run one tool."""
    spec = allowed_tool(k, call, args.name)
    k.tools.validate_args(spec, args.args)
    t0 = time.monotonic()
    call.started_at = time.time()
    token = current_caller.set(call.caller)  # tools that call back act as this caller
    try:
        if call.proc is not None:
            async with k.io_wait(call.proc, "tool"):
                result = await k.tools.invoke(spec, args.args, args.timeout_s)
        else:
            result = await k.tools.invoke(spec, args.args, args.timeout_s)
    finally:
        current_caller.reset(token)
        call.run_s = time.monotonic() - t0
        call.core = f"tool:{spec.name}"
    return ToolCallResult(name=spec.name, result=result, duration_s=call.run_s)
