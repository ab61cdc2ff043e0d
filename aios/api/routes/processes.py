"""Processes: spawn (with a process token), list, get, kill, wait, events (SSE)."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from aios.api.common import Api, queue_response
from aios.errors import AiosError, PermissionDenied
from aios.kernel.caps import Caller
from aios.kernel.process import ProcessInfo, ProcessState
from aios.kernel.sysproc import ListResult, SpawnArgs, SyscallsResult, WaitResult

__all__ = ["router"]

Pid = Annotated[int, Path(ge=1, le=2**53)]


class Spawned(BaseModel):
    process: ProcessInfo
    token: str


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(prefix="/v1/processes", tags=["processes"])

    @r.post("", status_code=201, response_model=Spawned)
    async def spawn(body: SpawnArgs, caller: Caller = Depends(auth)) -> Any:
        """Start an installed agent. The token returned acts as this process only.

        All or nothing: a caller that may not obtain the child's token (``proc.token``)
        is refused before anything starts, and a child whose token cannot be issued
        is killed, so no child runs that its parent cannot reach."""
        if not api.may_call(caller, "proc.token"):
            raise PermissionDenied(
                f"process {caller.pid} may not call proc.token, which spawning over HTTP "
                "needs (to return the child's token); nothing was started",
                syscall="proc.token",
                pid=caller.pid,
            )
        info = await api.call(caller, "proc.spawn", body)
        try:
            tok = await api.call(caller, "proc.token", {"pid": info.pid})
        except BaseException:
            # undo our own half-done work (not a kill on the caller's behalf)
            if api.kernel.procs.live(info.pid) is not None:
                with suppress(AiosError):
                    api.kernel.kill(info.pid)
            raise
        return Spawned(process=info, token=tok.token)

    @r.get("", response_model=ListResult)
    async def list_(
        state: list[ProcessState] | None = Query(default=None),
        parent: int | None = Query(default=None, ge=1, le=2**53),
        limit: int = Query(default=100, ge=1, le=10_000),
        caller: Caller = Depends(auth),
    ) -> Any:
        args: dict[str, Any] = {"limit": limit, "parent": parent}
        if state:
            args["states"] = [s.value for s in state]
        return await api.call(caller, "proc.list", args)

    @r.get("/{pid}", response_model=ProcessInfo)
    async def get(pid: Pid, caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "proc.get", {"pid": pid})

    @r.post("/{pid}/kill", response_model=ProcessInfo)
    async def kill(pid: Pid, caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "proc.kill", {"pid": pid})

    @r.post("/{pid}/suspend", response_model=ProcessInfo)
    async def suspend(pid: Pid, caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "proc.suspend", {"pid": pid})

    @r.post("/{pid}/resume", response_model=ProcessInfo)
    async def resume(pid: Pid, caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "proc.resume", {"pid": pid})

    @r.get("/{pid}/wait", response_model=WaitResult)
    async def wait(
        pid: Pid,
        timeout: float | None = Query(default=None, ge=0, le=86_400, allow_inf_nan=False),
        caller: Caller = Depends(auth),
    ) -> Any:
        return await api.call(caller, "proc.wait", {"pid": pid, "timeout": timeout})

    @r.get("/{pid}/syscalls", response_model=SyscallsResult)
    async def syscalls(
        pid: Pid, limit: int = Query(default=1000, ge=1, le=100_000), caller: Caller = Depends(auth)
    ) -> Any:
        return await api.call(caller, "proc.syscalls", {"pid": pid, "limit": limit})

    @r.get("/{pid}/events", response_class=StreamingResponse)
    async def events(pid: Pid, request: Request, caller: Caller = Depends(auth)) -> Any:
        """Server-Sent Events: state changes, syscalls, generated tokens; ends when the
        process does."""
        bus = api.kernel.events
        queue = bus.subscribe(pid)  # before reading the state: no change slips between
        try:
            info = await api.call(caller, "proc.get", {"pid": pid})  # permission and 404
        except BaseException:
            bus.unsubscribe(pid, queue)
            raise

        first = _frame({"type": "state", "pid": pid, "state": info.state.value})
        # not in the live table: nothing will ever be published for it (its row may
        # lag behind its end, or have lost it), so the stream ends here
        if info.state.terminal or api.kernel.procs.live(pid) is None:
            bus.unsubscribe(pid, queue)
            return StreamingResponse(iter([first]), media_type="text/event-stream")
        return queue_response(
            queue,
            first=first,
            release=lambda: bus.unsubscribe(pid, queue),
            last=lambda e: e["type"] == "state" and ProcessState(e["state"]).terminal,
        )

    return r


def _frame(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event, default=str)}\n\n".encode()
