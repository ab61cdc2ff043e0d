"""Health, the generic syscall endpoint, metrics, shared links."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from aios.api.auth import client_key
from aios.api.common import Api, attachment_headers, sse_response
from aios.errors import NotFound, PermissionDenied
from aios.fs import compose
from aios.kernel.caps import Caller

__all__ = ["SyscallBody", "router"]


class SyscallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, examples=["llm.chat"])
    args: dict[str, Any] = Field(default_factory=dict)


class SyscallResult(BaseModel):
    result: Any


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(tags=["system"])

    @r.get("/v1/health")
    async def health() -> dict[str, Any]:
        """Liveness and what is loaded (no token needed)."""
        return api.kernel.health()

    @r.post("/v1/syscall", response_model=SyscallResult)
    async def syscall(body: SyscallBody, caller: Caller = Depends(auth)) -> Any:
        """Any syscall by name. With ``"stream": true`` in args (llm.chat, compile),
        Server-Sent Events of JSON events."""
        if body.args.get("stream") is True:
            return await sse_response(api.stream(caller, body.name, body.args))
        result = await api.call(caller, body.name, body.args)
        return {"result": result.model_dump(mode="json")}

    @r.get("/metrics", response_class=PlainTextResponse)
    async def metrics(caller: Caller = Depends(auth)) -> str:
        """Prometheus text format: queues, syscall latency, tokens, processes. The admin
        token only: it describes every process, not just the caller's."""
        if not caller.admin:
            raise PermissionDenied("metrics need the admin token")
        return api.kernel.metrics_text()

    @r.get("/v1/links/{token}", response_class=Response)
    async def link(token: str, request: Request) -> Response:
        """A shared file, as a sandboxed download. The link itself is the credential:
        unguessable and expiring; unknown links count as failed authentications."""
        try:
            if api.kernel.fs is None or len(token) > 100:
                raise NotFound("no such link")
            data, mime, name = await asyncio.to_thread(compose.open_link, api.kernel.fs, token)
        except NotFound:
            api.auth_failed(client_key(request))  # RateLimited once guessing links
            raise
        return Response(data, media_type=mime, headers=attachment_headers(name))

    return r
