"""Agents and plugins: list (failed ones with their error), info, run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from aios.api.common import Api
from aios.errors import PermissionDenied
from aios.kernel.caps import Caller, Capabilities
from aios.kernel.process import ProcessInfo
from aios.kernel.sysagent import AgentInfo, AgentsResult

__all__ = ["AgentRun", "AgentRunBody", "router"]

Name = PathParam(min_length=1, max_length=200)


class AgentRunBody(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    task: str = Field(default="", max_length=200_000)
    priority: int | None = Field(
        default=None, ge=-100, le=100, description="default: 0, or the caller's"
    )
    capabilities: Capabilities | None = Field(
        default=None, description="default: its manifest's (never more than that)"
    )
    isolated: bool = Field(default=False, description="in its own confined OS process")
    wait: bool = Field(default=True, description="wait for the process to end")
    timeout: float | None = Field(default=600, ge=0, le=86_400)


class AgentRun(BaseModel):
    done: bool
    process: ProcessInfo


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(prefix="/v1/agents", tags=["agents"])

    @r.get("", response_model=AgentsResult)
    async def list_(caller: Caller = Depends(auth)) -> Any:
        """Every agent and plugin; one that failed to load is listed with its error."""
        return await api.call(caller, "agent.list", {})

    @r.get("/{name}", response_model=AgentInfo)
    async def info(name: str = Name, caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "agent.info", {"name": name})

    @r.post("/{name}/run", response_model=AgentRun)
    async def run(body: AgentRunBody, name: str = Name, caller: Caller = Depends(auth)) -> Any:
        """Start an agent as a child of the caller and, unless ``wait`` is false, wait
        for it to end. A plugin's first run waits for a person's consent (an approval
        of ``agent.consent``): with ``wait`` this request waits for that too."""
        if body.wait and not api.may_call(caller, "proc.wait"):
            # refuse before spawning: a child started and then not waited on would be
            # left running behind a 403
            raise PermissionDenied(
                f"process {caller.pid} may not call proc.wait; run with wait=false "
                "(nothing was started)",
                syscall="proc.wait",
                pid=caller.pid,
            )
        args = body.model_dump(exclude={"wait", "timeout"}, exclude_none=True)
        info = await api.call(caller, "proc.spawn", {"agent": name, **args})
        if not body.wait:
            return AgentRun(done=False, process=info)
        res = await api.call(caller, "proc.wait", {"pid": info.pid, "timeout": body.timeout})
        return AgentRun(done=res.done, process=res.process)

    return r
