"""Compiler and tools (agents: routes/agents.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from aios.api.common import Api, sse_response
from aios.kernel.caps import Caller
from aios.kernel.syscompile import CompileArgs, CompileResult
from aios.kernel.systool import ToolCallResult, ToolListResult

__all__ = ["router"]


class ToolCallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    args: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(default=None, gt=0, le=3600)


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

    return r


def _plain(value: Any) -> Any:
    """A tool's result as JSON can carry it."""
    import json

    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)
