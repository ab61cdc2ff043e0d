"""The approval queue over HTTP: list, get, respond, and events as SSE."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from aios.api.common import Api, queue_response
from aios.kernel.approvals import ApprovalInfo, ApprovalState
from aios.kernel.caps import Caller
from aios.kernel.sysapproval import ApprovalList

__all__ = ["router"]

Id = Annotated[int, Path(ge=1, le=2**53)]


class RespondBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "deny", "always"] = Field(
        description="always: approve, and approve calls like it from this process from now on"
    )
    note: str | None = Field(default=None, max_length=2000)


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(prefix="/v1/approvals", tags=["approvals"])

    @r.get("", response_model=ApprovalList)
    async def list_(
        state: ApprovalState | None = Query(default=None),
        pid: int | None = Query(default=None, ge=1, le=2**53),
        limit: int = Query(default=100, ge=1, le=10_000),
        caller: Caller = Depends(auth),
    ) -> Any:
        """Pending approvals and recent decisions, newest first (``state=pending``)."""
        args: dict[str, Any] = {"state": state, "pid": pid, "limit": limit}
        return await api.call(caller, "approval.list", args)

    @r.get("/events", response_class=StreamingResponse)
    async def events(caller: Caller = Depends(auth)) -> Any:
        """Server-Sent Events: each new approval and each decision. The admin sees all;
        a process its own and its descendants'."""
        queue = api.kernel.approvals.watch()  # before the check: nothing slips between
        try:
            await api.call(caller, "approval.list", {"limit": 1})  # permission
        except BaseException:
            api.kernel.approvals.unwatch(queue)
            raise
        procs = api.kernel.procs

        def visible(event: dict[str, Any]) -> bool:
            if caller.admin or (caller.caps is not None and caller.caps.proc_admin):
                return True
            pid = event["approval"]["pid"]
            # from memory (live and recently ended processes): a stream cannot wait
            # on the database per event; an approval of a process long gone is hidden
            return caller.pid is not None and procs.known_descendant(pid, caller.pid) is True

        return queue_response(
            queue,
            first=b": approvals\n\n",
            release=lambda: api.kernel.approvals.unwatch(queue),
            keep=visible,
        )

    @r.get("/{approval_id}", response_model=ApprovalInfo)
    async def get(approval_id: Id, caller: Caller = Depends(auth)) -> Any:
        return await api.call(caller, "approval.get", {"id": approval_id})

    @r.post("/{approval_id}", response_model=ApprovalInfo)
    async def respond(approval_id: Id, body: RespondBody, caller: Caller = Depends(auth)) -> Any:
        """Answer a pending approval (the admin token)."""
        return await api.call(
            caller,
            "approval.respond",
            {"id": approval_id, "decision": body.decision, "note": body.note},
        )

    return r
