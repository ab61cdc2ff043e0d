"""The daemon's HTTP surface: a thin translation of HTTP into syscalls.

``GET /v1/health`` needs no token; everything else needs the admin token as
``Authorization: Bearer``. Errors always have one shape:
``{"error": {"code", "message", "details"}}`` and never carry a stack trace.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aios import __version__
from aios.errors import AiosError, BadRequest, NotFound, TooLarge, Unauthorized
from aios.kernel.caps import ADMIN, Caller
from aios.kernel.kernel import Kernel

__all__ = ["SyscallBody", "create_app"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024


class SyscallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, examples=["llm.chat"])
    args: dict[str, Any] = Field(default_factory=dict)


def _error(exc: AiosError) -> JSONResponse:
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.status)


class _BodyLimit:
    """Refuse bodies over the limit, declared or streamed, before they are read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_large = TooLarge(f"request body over {self.limit} bytes", limit=self.limit)
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _error(too_large)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise too_large
            return msg

        await self.app(scope, limited, send)


def create_app(kernel: Kernel, admin_token: str) -> FastAPI:
    app = FastAPI(
        title="aios",
        version=__version__,
        description="The aios kernel's syscall API.",
    )
    app.add_middleware(_BodyLimit, limit=MAX_BODY_BYTES)
    expected = admin_token.encode()

    def caller_of(request: Request) -> Caller:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
        if not hmac.compare_digest(token.strip().encode(), expected):
            raise Unauthorized("invalid token")
        return ADMIN

    @app.exception_handler(AiosError)
    async def _aios_error(_: Request, exc: AiosError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = json.loads(json.dumps(exc.errors(), default=str))
        ctype = request.headers.get("content-type", "")
        hint = "" if "json" in ctype else " (send JSON with Content-Type: application/json)"
        return _error(BadRequest(f"invalid request body{hint}", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        err = AiosError(str(exc.detail))
        err.status = exc.status_code
        err.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(err)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the API")
        return _error(AiosError("internal error"))

    @app.get("/v1/health")
    async def health() -> dict[str, Any]:
        return kernel.health()

    @app.get("/v1/links/{token}", response_class=Response)
    async def link(token: str) -> Response:
        """A shared file: the token is the credential (unguessable, expiring)."""
        if kernel.fs is None or len(token) > 100:
            raise NotFound("no such link")
        data, mime, name = await asyncio.to_thread(kernel.fs.open_link, token)
        safe = "".join(c for c in name if c.isalnum() or c in "._- ") or "file"
        return Response(
            data,
            media_type=mime,
            headers={
                "Content-Disposition": f'inline; filename="{safe}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @app.post("/v1/syscall")
    async def syscall(body: SyscallBody, request: Request) -> Any:
        """Any syscall by name. With ``"stream": true`` in args (llm.chat), the
        answer is a Server-Sent Events stream of JSON events."""
        caller = caller_of(request)
        if body.args.get("stream") is True:
            events = kernel.syscall_stream(caller, body.name, body.args)
            first = await _first(events)  # errors before the first event get a status
            return StreamingResponse(
                _sse(first, events),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache"},
            )
        result = await kernel.syscall(caller, body.name, body.args)
        return {"result": result.model_dump(mode="json")}

    return app


async def _first(events: AsyncGenerator[dict[str, Any], None]) -> dict[str, Any] | None:
    try:
        return await events.__anext__()
    except StopAsyncIteration:
        return None


async def _sse(
    first: dict[str, Any] | None, events: AsyncGenerator[dict[str, Any], None]
) -> AsyncIterator[bytes]:
    try:
        if first is not None:
            yield _frame(first)
            async for event in events:
                yield _frame(event)
    except AiosError as exc:
        yield _frame({"type": "error", "error": exc.to_dict()})
    finally:
        await events.aclose()  # a disconnect lands here: cancel the generation


def _frame(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event, default=str)}\n\n".encode()
