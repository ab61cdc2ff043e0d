"""Compiler, tools and agents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from aios.api.common import Api, sse_response
from aios.errors import PermissionDenied
from aios.kernel.caps import Caller
from aios.kernel.process import ProcessInfo
from aios.kernel.syscompile import CompileArgs, CompileResult
from aios.kernel.sysproc import AgentsResult
from aios.kernel.systool import ToolCallResult, ToolListResult

__all__ = ["router"]


class ToolCallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    args: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(default=None, gt=0, le=3600)


class AgentRunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str = Field(default="", max_length=200_000)
    priority: int | None = Field(
        default=None, ge=-100, le=100, description="default: 0, or the caller's"
    )
    wait: bool = Field(default=True, description="wait for the process to end")
    timeout: float | None = Field(default=600, ge=0, le=86_400)


class AgentRun(BaseModel):
    done: bool
    process: ProcessInfo


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(tags=["work"])

    @r.post("/v1/compile", response_model=CompileResult)
    async def compile_(body: CompileArgs, caller: Caller = Depends(auth)) -> Any:
        """LLMCompiler. With ``stream: true``: plan, task and decision events (SSE)."""
        if body.stream:
            return await sse_response(api.stream(caller, "compile", body))
        return await api.call(caller, "compile", body)

    @r.get("/v1/tools", response_model=ToolListResult)
    async def tools(caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "tool.list", {})

    @r.post("/v1/tools/{name}/call", response_model=ToolCallResult)
    async def call_tool(name: str, body: ToolCallBody, caller: Caller = Depends(auth)) -> Any:
        res = await api.call(caller, "tool.call", {"name": name, **body.model_dump()})
        return ToolCallResult(name=res.name, result=_plain(res.result), duration_s=res.duration_s)

    @r.get("/v1/agents", response_model=AgentsResult)
    async def agents(caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "agent.list", {})

    @r.post("/v1/agents/{name}/run", response_model=AgentRun)
    async def run_agent(name: str, body: AgentRunBody, caller: Caller = Depends(auth)) -> Any:
        """Start an agent as a child of the caller (with the caller's capabilities, at
        most its priority) and, unless ``wait`` is false, wait for it to end."""
        if body.wait and not api.may_call(caller, "proc.wait"):
            # refuse before spawning: a child started and then not waited on would be
            # left running behind a 403
            raise PermissionDenied(
                f"process {caller.pid} may not call proc.wait; run with wait=false "
                "(nothing was started)",
                syscall="proc.wait",
                pid=caller.pid,
            )
        info = await api.call(
            caller, "proc.spawn", {"agent": name, "task": body.task, "priority": body.priority}
        )
        if not body.wait:
            return AgentRun(done=False, process=info)
        res = await api.call(caller, "proc.wait", {"pid": info.pid, "timeout": body.timeout})
        return AgentRun(done=res.done, process=res.process)

    return r


def _plain(value: Any) -> Any:
    """A tool's result as JSON can carry it."""
    import json

    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)
