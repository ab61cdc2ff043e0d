"""What the API's routes share: the error shape, SSE framing, body limits, callers."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aios.config import ApiConfig
from aios.errors import AiosError, TooLarge, Unavailable
from aios.kernel.caps import Caller
from aios.kernel.kernel import Kernel

__all__ = ["Api", "BodyLimit", "error_response", "sse_response"]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorDetail


_ERROR_STATUSES = {
    400: "bad request",
    401: "missing or invalid token",
    403: "not permitted",
    404: "not found",
    409: "conflict with the current state",
    413: "too large",
    422: "invalid request",
    429: "rate limited",
    500: "internal error",
    503: "unavailable",
    504: "deadline exceeded",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _ERROR_STATUSES.items()
}


class RateLimited(AiosError):
    code = "rate_limited"
    status = 429


def error_response(exc: AiosError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)


class BodyLimit:
    """Refuse bodies over the limit, declared or streamed, before they are read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_large = TooLarge(f"request body over {self.limit} bytes", limit=self.limit)
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await error_response(too_large)(scope, receive, send)
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


@dataclass
class _Bucket:
    tokens: float
    at: float


class Api:
    """The kernel as the routes see it: who is calling, and the syscall to make."""

    def __init__(self, kernel: Kernel, cfg: ApiConfig) -> None:
        self.kernel = kernel
        self.cfg = cfg
        self._buckets: dict[str, _Bucket] = {}

    def limit(self, key: str, rate: float, burst: int) -> None:
        """Token-bucket rate limit per credential; raise RateLimited when empty."""
        if rate <= 0:
            return
        now = time.monotonic()
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) > 100_000:  # bounded: forget idle credentials
                self._buckets.clear()
            b = self._buckets[key] = _Bucket(float(burst), now)
        b.tokens = min(float(burst), b.tokens + (now - b.at) * rate)
        b.at = now
        if b.tokens < 1:
            raise RateLimited(
                f"rate limit of {rate:g} requests/s exceeded",
                retry_after_s=round((1 - b.tokens) / rate, 3),
            )
        b.tokens -= 1

    async def call(self, caller: Caller, name: str, args: dict[str, Any] | BaseModel) -> Any:
        return await self.kernel.syscall(caller, name, args)

    def stream(
        self, caller: Caller, name: str, args: dict[str, Any] | BaseModel
    ) -> AsyncGenerator[dict[str, Any], None]:
        return self.kernel.syscall_stream(caller, name, args)


async def first_event(events: AsyncGenerator[dict[str, Any], None]) -> dict[str, Any] | None:
    """The first event, so that errors before it become a proper HTTP status."""
    try:
        return await events.__anext__()
    except StopAsyncIteration:
        return None


async def sse_response(
    events: AsyncGenerator[dict[str, Any], None], frame: Any = None
) -> StreamingResponse:
    """Server-Sent Events of a syscall stream. A client that goes away cancels the
    stream, and with it the generation behind it."""
    first = await first_event(events)
    fmt = frame or default_frame

    async def body() -> AsyncIterator[bytes]:
        try:
            if first is not None:
                yield fmt(first)
                async for event in events:
                    yield fmt(event)
        except AiosError as exc:
            yield default_frame({"type": "error", "error": exc.to_dict()})
        finally:
            await events.aclose()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def default_frame(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event, default=str)}\n\n".encode()


def caller_of(request: Request) -> Caller:
    return request.state.caller  # type: ignore[no-any-return]


def unavailable_fs(api: Api) -> None:
    if api.kernel.fs is None:
        raise Unavailable("LSFS is disabled (fs.enabled = false)")
