"""What the API's routes share: the error shape, SSE framing, body limits, callers,
rate limits, and the headers that keep served files inert."""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
import unicodedata
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

import aios
from aios.config import ApiConfig
from aios.errors import AiosError, Unavailable
from aios.kernel.caps import Caller
from aios.kernel.kernel import Kernel

__all__ = [
    "Api",
    "Redactor",
    "TokenBuckets",
    "attachment_headers",
    "error_response",
    "sse_response",
]


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
JSON = "application/json"
SEP = (",", ":")
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _ERROR_STATUSES.items()
}


class RateLimited(AiosError):
    code = "rate_limited"
    status = 429


def error_response(exc: AiosError, headers: dict[str, str] | None = None) -> Response:
    """The one error shape. Never fails itself: details that JSON cannot carry (NaN, a
    lone surrogate, an object) are written as text. An error that says when to come
    back (``retry_after_s``, on a 429 or 503) says it in ``Retry-After`` too."""
    body = {"error": exc.to_dict()}
    try:
        content = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=SEP).encode()
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        content = json.dumps(_json_safe(body), ensure_ascii=False, separators=SEP).encode()
    retry = exc.details.get("retry_after_s")
    if exc.status in (429, 503) and isinstance(retry, int | float) and math.isfinite(retry):
        headers = {"Retry-After": str(max(1, math.ceil(retry))), **(headers or {})}
    return Response(content, status_code=exc.status, headers=headers, media_type=JSON)


def _json_safe(value: Any) -> Any:
    """``value`` as plain JSON: text for what JSON cannot carry. Iterative over a copy,
    so nesting cannot make it recurse."""
    root: list[Any] = [value]
    stack: list[tuple[Any, list[Any] | dict[str, Any], Any]] = [(value, root, 0)]
    while stack:
        v, parent, key = stack.pop()
        if isinstance(v, dict):
            out: Any = {}
            stack.extend((x, out, _text(str(k))) for k, x in v.items())
        elif isinstance(v, list | tuple):
            out = [None] * len(v)
            stack.extend((x, out, i) for i, x in enumerate(v))
        elif isinstance(v, str):
            out = _text(v)
        elif isinstance(v, bool | int) or v is None or (isinstance(v, float) and math.isfinite(v)):
            out = v
        else:
            out = _text(str(v))[:200]
        parent[key] = out
    return root[0]


def _text(s: str) -> str:
    return s.encode("utf-8", "backslashreplace").decode("utf-8")


class Redactor:
    """Takes the server's own paths (data dir, LSFS root, installation, home) and
    stack traces out of error text, whatever raised it: a caller learns what was
    wrong with its request, never where the daemon keeps things."""

    _TRACE = "Traceback (most recent call last)"

    def __init__(self, paths: list[tuple[str, str]]) -> None:
        labels: dict[str, str] = {}
        for path, label in paths:
            labels.setdefault(path, label)  # the first name given for a path wins
        # longest first: the LSFS root inside the data dir gets its own label
        self._paths = sorted(labels.items(), key=lambda p: -len(p[0]))

    @classmethod
    def for_kernel(cls, kernel: Kernel) -> Redactor:
        cfg = kernel.config
        named: list[tuple[str, Any]] = [
            ("<data>", cfg.data_dir),
            ("<files>", cfg.fs.mount),
            ("<files>", kernel.fs.paths.root if kernel.fs is not None else None),
            ("<models>", cfg.fs.embedding_path),
            ("<config>", cfg.config_file.parent if cfg.config_file else None),
            ("<install>", Path(aios.__file__).parents[1]),
            ("<install>", sys.prefix),
            ("<install>", sys.base_prefix),
            ("<install>", sys.exec_prefix),
            ("<cwd>", os.getcwd()),
            ("<home>", os.path.expanduser("~")),
        ]
        named += [("<models>", getattr(c, "model_path", None)) for c in cfg.llm.cores]
        paths = []
        for label, p in named:
            if p is None:
                continue
            for form in (str(p).rstrip("/"), os.path.realpath(p).rstrip("/")):
                if form.count("/") >= 2:  # not "/" or "/usr": they say nothing
                    paths.append((form, label))
        return cls(paths)

    def text(self, s: str) -> str:
        if self._TRACE in s:
            s = s.split(self._TRACE, 1)[0] + "(trace omitted)"
        for path, label in self._paths:
            if path in s:
                s = s.replace(path, label)
        return s

    def value(self, v: Any) -> Any:
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [self.value(x) for x in v]
        return v

    def error(self, exc: AiosError) -> AiosError:
        exc.message = self.text(exc.message)
        exc.details = self.value(exc.details)
        return exc


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """Token buckets by key, at most ``cap`` of them: when full, the least recently
    used bucket is dropped (it has refilled the longest), so memory stays bounded
    and a busy key is never the one forgotten."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, rate: float, burst: int) -> float:
        """Take one token: 0.0 if there was one, else the seconds until there is."""
        now = time.monotonic()
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= self.cap:
                self._buckets.popitem(last=False)
            b = self._buckets[key] = _Bucket(float(burst), now)
        else:
            self._buckets.move_to_end(key)
            b.tokens = min(float(burst), b.tokens + (now - b.at) * rate)
            b.at = now
        if b.tokens < 1:
            return (1 - b.tokens) / rate
        b.tokens -= 1
        return 0.0


class Api:
    """The kernel as the routes see it: who is calling, and the syscall to make."""

    def __init__(self, kernel: Kernel, cfg: ApiConfig) -> None:
        self.kernel = kernel
        self.cfg = cfg
        self._limits = TokenBuckets(100_000)
        self._failures = TokenBuckets(10_000)
        self._redactor = Redactor.for_kernel(kernel)

    def limit(self, key: str, rate: float, burst: int) -> None:
        """Token-bucket rate limit per credential; raise RateLimited when empty."""
        if rate <= 0:
            return
        wait = self._limits.take(key, rate, burst)
        if wait:
            raise RateLimited(
                f"rate limit of {rate:g} requests/s exceeded", retry_after_s=round(wait, 3)
            )

    def auth_failed(self, client: str) -> None:
        """Count a failed authentication from ``client`` (an address); RateLimited once
        it has failed more than the burst allows. Only failures are counted, so a
        valid credential is never refused because of someone else's guesses."""
        rate = self.cfg.auth_fail_rate_per_s
        if rate <= 0:
            return
        wait = self._failures.take(client, rate, self.cfg.auth_fail_burst)
        if wait:
            raise RateLimited(
                "too many failed authentications from this address",
                retry_after_s=round(wait, 3),
            )

    def may_call(self, caller: Caller, name: str) -> bool:
        """Whether ``caller``'s capabilities allow syscall ``name`` (checked before
        work that would be left half done if a later syscall were refused)."""
        if caller.admin:
            return True
        entry = self.kernel.syscalls.get(name)
        return caller.caps is not None and not entry.admin_only and caller.caps.allows_syscall(name)

    def scrub(self, exc: AiosError) -> AiosError:
        """``exc`` with the server's own paths and any stack trace taken out."""
        return self._redactor.error(exc)

    async def call(self, caller: Caller, name: str, args: dict[str, Any] | BaseModel) -> Any:
        return await self.kernel.syscall(caller, name, args)

    def stream(
        self, caller: Caller, name: str, args: dict[str, Any] | BaseModel
    ) -> AsyncGenerator[dict[str, Any], None]:
        return self._scrubbed(self.kernel.syscall_stream(caller, name, args))

    async def _scrubbed(
        self, events: AsyncGenerator[dict[str, Any], None]
    ) -> AsyncGenerator[dict[str, Any], None]:
        # an error mid-stream is written into the stream: it must be scrubbed too
        try:
            async for event in events:
                yield event
        except AiosError as exc:
            raise self.scrub(exc) from None
        finally:
            await events.aclose()


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


def queue_response(
    queue: asyncio.Queue[dict[str, Any]],
    *,
    first: bytes,
    release: Callable[[], None],
    keep: Callable[[dict[str, Any]], bool] = lambda _: True,
    last: Callable[[dict[str, Any]], bool] = lambda _: False,
) -> StreamingResponse:
    """Server-Sent Events of a watcher's queue: ``first``, then each event ``keep``
    lets through, until one that is ``last``; keep-alive comments while idle.
    ``release`` unsubscribes, however the stream ends."""

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if keep(event):
                    yield default_frame(event)
                if last(event):
                    return
        finally:
            release()

    return StreamingResponse(
        body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def default_frame(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event, default=str)}\n\n".encode()


def attachment_headers(name: str) -> dict[str, str]:
    """Headers for serving a stored file: always a download (never rendered inline),
    never sniffed, and sandboxed with no sources even if a browser renders it, so an
    HTML or SVG file cannot run script as the API's origin. The file name is quoted
    safely, with the RFC 6266 ``filename*`` form for names that are not plain ASCII."""
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in "/\\")
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in name)
    plain = plain.strip(" .") or "file"
    disposition = f'attachment; filename="{plain}"'
    if name and name != plain:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    return {
        "Content-Disposition": disposition,
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def caller_of(request: Request) -> Caller:
    return request.state.caller  # type: ignore[no-any-return]


def unavailable_fs(api: Api) -> None:
    if api.kernel.fs is None:
        raise Unavailable("LSFS is disabled (fs.enabled = false)")
