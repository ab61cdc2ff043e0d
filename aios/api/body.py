"""Request bodies, before any route sees them: the size limit, and JSON that Python
would parse but that nothing downstream can carry.

Python's ``json`` accepts ``NaN`` and ``Infinity`` (not JSON: they cannot be written
back into a response, an audit row or a database) and ``"\\ud800"``, a lone UTF-16
surrogate (not Unicode: it cannot be encoded into a file name, SQLite or a response).
Each reached handlers as a value they then failed on with a 500, so they are refused
here, once, for every route, as a 400 in the one error shape. So is JSON nested
deeper than any request needs, which handlers that walk it would recurse on.

The body is read whole before the route runs (every route reads it whole anyway, and
FastAPI reads it before the dependencies), so a body over the limit is a 413 whether
it was declared or streamed, and is never read past the limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aios.errors import AiosError, BadRequest, TooLarge

__all__ = ["MAX_JSON_DEPTH", "BodyLimit", "check_json"]

MAX_JSON_DEPTH = 128  # schemas are bounded at 64 (aios/tools/schema_limits.py)

# a \uD800-\uDFFF escape: only a body with one of these can hold a surrogate
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _is_json(scope: Scope) -> bool:
    """The content types FastAPI parses as JSON (it is strict: none means not JSON)."""
    ctype = dict(scope.get("headers") or []).get(b"content-type", b"")
    media = ctype.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _constant(name: str) -> Any:
    raise BadRequest(f"request body: {name} is not a JSON number; send a finite number or null")


def _where(path: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "$"


def _walk(value: Any, surrogates: bool) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and (if ``surrogates``) strings or
    keys that are not Unicode. Iterative: a hostile body cannot make it recurse."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        v, path = stack.pop()
        if len(path) > MAX_JSON_DEPTH:
            raise BadRequest(
                f"request body: JSON nested deeper than {MAX_JSON_DEPTH} levels",
                where=_where(path[:20]) + "...",
                limit=MAX_JSON_DEPTH,
            )
        if isinstance(v, str):
            if surrogates and not _unicode(v):
                raise BadRequest(
                    "request body: a string holds a lone UTF-16 surrogate (such as "
                    "\\ud800), which is not Unicode",
                    where=_where(path),
                )
        elif isinstance(v, dict):
            for k, x in v.items():
                if surrogates and not _unicode(k):
                    raise BadRequest(
                        "request body: a key holds a lone UTF-16 surrogate (such as "
                        "\\ud800), which is not Unicode",
                        where=_where(path),
                    )
                stack.append((x, [*path, k[:100]]))
        elif isinstance(v, list):
            stack.extend((x, [*path, i]) for i, x in enumerate(v))


def _unicode(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json(body: bytes) -> None:
    """Raise BadRequest if ``body`` is JSON that holds NaN or Infinity, a lone
    surrogate, or nesting deeper than MAX_JSON_DEPTH. Bodies that are not JSON at all
    pass: FastAPI answers those with its own 422, which says where they broke."""
    try:
        text = body.decode("utf-8")  # strict: raw surrogate bytes are not UTF-8
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"request body is not UTF-8 (byte {exc.start}): JSON must be", position=exc.start
        ) from None
    try:
        value = json.loads(text, parse_constant=_constant)
    except json.JSONDecodeError:
        return
    except RecursionError:
        raise BadRequest(
            f"request body: JSON nested deeper than {MAX_JSON_DEPTH} levels",
            limit=MAX_JSON_DEPTH,
        ) from None
    # the walk is Python-speed: the cheap scan spares it on bodies that cannot hold one
    _walk(value, surrogates=_SURROGATE_ESCAPE.search(text) is not None)


class BodyLimit:
    """Read each request body up to ``limit`` bytes before the app runs: 413 past it
    (declared or streamed; nothing more is read), 400 for JSON the API cannot carry
    (``check_json``), else the app gets the body as one message."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from aios.api.common import error_response  # common imports the kernel

        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_large = TooLarge(f"request body over {self.limit} bytes", limit=self.limit)
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await error_response(too_large)(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":  # the client went away
                return
            chunk = msg.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await error_response(too_large)(scope, receive, send)
                return
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        body = b"".join(chunks)
        del chunks
        if body and _is_json(scope):
            try:
                check_json(body)
            except AiosError as exc:
                await error_response(exc)(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: http.disconnect, for streams

        await self.app(scope, replay, send)
