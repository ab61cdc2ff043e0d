"""Files: one POST route per fs.* syscall, generated from the syscall table (so the
HTTP surface cannot drift from the kernel's), plus binary-safe content transfer."""

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from aios.api.common import Api, attachment_headers
from aios.fs import codec
from aios.kernel.caps import Caller
from aios.kernel.syscalls import Syscall
from aios.kernel.sysfs import FileInfo

__all__ = ["router"]


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(prefix="/v1/fs", tags=["files"])

    @r.get("/content/{path:path}", response_class=Response)
    async def download(
        path: str, version: int | None = Query(default=None, ge=1), caller: Caller = Depends(auth)
    ) -> Response:
        """The file's bytes, exactly as stored (any content, any size within limits), as
        a sandboxed download: stored HTML or SVG never runs as the API's origin."""
        res = await api.call(caller, "fs.read", {"path": path, "version": version})
        data = await asyncio.to_thread(_content, res.text, res.content_b64)  # up to 25 MB
        return Response(
            data,
            media_type=res.info.mime or "application/octet-stream",
            headers={
                **attachment_headers(res.info.path.rsplit("/", 1)[-1]),
                "X-Aios-Version": str(res.info.version),
            },
        )

    @r.put("/content/{path:path}", response_model=FileInfo)
    async def upload(path: str, request: Request, caller: Caller = Depends(auth)) -> Any:
        """Write the request body, as bytes, to the file (a new version if it changed)."""
        data = await request.body()
        b64 = await asyncio.to_thread(codec.b64encode, data)  # not on the loop
        return await api.call(caller, "fs.write", {"path": path, "content_b64": b64})

    for entry in sorted(api.kernel.syscalls.entries("fs."), key=lambda e: e.name):
        _add(r, api, auth, entry)
    return r


def _content(text: str | None, b64: str | None) -> bytes:
    return codec.utf8_encode(text) if text is not None else codec.b64decode(b64 or "")


def _add(r: APIRouter, api: Api, auth: Any, entry: Syscall) -> None:
    verb = entry.name.removeprefix("fs.")
    request_model = entry.request

    async def endpoint(body: request_model, caller: Caller = Depends(auth)) -> Any:  # type: ignore[valid-type]
        return await api.call(caller, entry.name, body)

    endpoint.__name__ = f"fs_{verb}"
    r.add_api_route(
        f"/{verb}",
        endpoint,
        methods=["POST"],
        response_model=entry.response,
        summary=entry.summary,
        name=f"fs.{verb}",
    )
