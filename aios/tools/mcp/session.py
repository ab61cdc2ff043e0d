"""One connection to one MCP server: the transport, the SDK's ClientSession,
the handshake, and what tells the connection is gone."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2
import mcp.types as mt
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from aios import __version__
from aios.config import McpServerConfig
from aios.errors import BadRequest
from aios.tools.mcp.stdio_sandbox import StderrTail, confined_stdio

if TYPE_CHECKING:  # the kernel package imports this one
    from aios.kernel.sandbox import Sandbox

__all__ = ["MAX_PAGES", "Connection", "list_all_tools", "open_connection"]

log = logging.getLogger(__name__)

MAX_PAGES = 100  # tools/list pages read, at most, per listing
MAX_BAD_MESSAGES = 100  # malformed messages from a server before it is restarted
_MIN_GET_INTERVAL_S = 1.0  # the server's event stream is (re)opened at most this often
_CLIENT = mt.Implementation(name="aios", version=__version__)


@dataclass
class Connection:
    session: ClientSession
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    tail: StderrTail = field(default_factory=StderrTail)
    why_lost: str = ""
    bad_messages: int = 0
    on_lost: Callable[[], None] | None = None

    def mark_lost(self, why: str) -> None:
        if not self.lost.is_set():
            self.why_lost = why
            self.lost.set()
            if self.on_lost is not None:
                self.on_lost()


class _BoundedBody(httpx2.AsyncByteStream):
    """A body that stops at ``limit`` bytes: one JSON answer is one message, and a
    message is at most ``max_message_bytes`` (as on stdio), not all the daemon's memory."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int, encoded: bool) -> None:
        self._inner, self._limit, self._encoded = inner, limit, encoded

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._encoded:  # compressed: the bound would hold on bytes the decoder multiplies
            raise httpx2.StreamError("the server compressed its answer (not accepted)")
        size = 0
        async for chunk in self._inner:
            size += len(chunk)
            if size > self._limit:
                raise httpx2.StreamError(
                    f"the server's answer is over max_message_bytes ({self._limit} bytes)"
                )
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _bound_answers(limit: int) -> Callable[[httpx2.Response], Awaitable[None]]:
    """A response hook bounding every answer but SSE streams (whose events the SDK
    bounds itself); a hook, so a proxy's transport is covered as well."""

    async def hook(resp: httpx2.Response) -> None:
        if resp.headers.get("content-type", "").lower().startswith("text/event-stream"):
            return
        assert isinstance(resp.stream, httpx2.AsyncByteStream)
        encoded = resp.headers.get("content-encoding", "identity").lower() != "identity"
        resp.stream = _BoundedBody(resp.stream, limit, encoded)

    return hook


def _bound_requests(timeout_s: float) -> Callable[[httpx2.Request], Awaitable[None]]:
    """A request hook. The DELETE that ends the session at close waits ``timeout_s`` at
    most (the client has no read timeout, for its long-lived streams), or a server that
    never answers it would hold the daemon's shutdown. The GET stream is opened at most
    once a second: the SDK opens it again after the server's ``retry`` (which may be 0)
    whenever the server ends it, so a server could keep the daemon dialling."""
    last_get = [-_MIN_GET_INTERVAL_S]

    async def hook(request: httpx2.Request) -> None:
        if request.method == "DELETE":
            timeout = httpx2.Timeout(timeout_s).as_dict()
            request.extensions = {**request.extensions, "timeout": timeout}
        elif request.method == "GET":
            wait = last_get[0] + _MIN_GET_INTERVAL_S - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            last_get[0] = time.monotonic()

    return hook


def _headers(cfg: McpServerConfig) -> dict[str, str]:
    headers = {"Accept-Encoding": "identity", **cfg.headers}
    for header, var in cfg.headers_from_env.items():
        value = os.environ.get(var)
        if value is None:
            raise BadRequest(f"mcp server {cfg.name}: environment variable {var} is not set")
        headers[header] = value
    return headers


@asynccontextmanager
async def open_connection(
    cfg: McpServerConfig,
    sandbox: Sandbox,
    on_message: Callable[[Any], Awaitable[None]],
) -> AsyncIterator[Connection]:
    """Connect and initialize (within ``connect_timeout_s``); the connection is
    usable inside the block. Must be entered and left in one task (anyio)."""
    async with AsyncExitStack() as stack:
        tail = StderrTail()
        if cfg.transport == "stdio":
            read, write, proc = await stack.enter_async_context(confined_stdio(sandbox, cfg, tail))
        else:
            assert cfg.url is not None
            client = await stack.enter_async_context(
                httpx2.AsyncClient(
                    headers=_headers(cfg),
                    timeout=httpx2.Timeout(cfg.connect_timeout_s, read=None),
                    event_hooks={
                        "request": [_bound_requests(cfg.connect_timeout_s)],
                        "response": [_bound_answers(cfg.max_message_bytes)],
                    },
                )
            )
            read, write = await stack.enter_async_context(
                streamable_http_client(
                    cfg.url, http_client=client, max_sse_event_size=cfg.max_message_bytes
                )
            )
            proc = None

        made: list[Connection] = []  # the handler may run before the connection is made

        async def handler(message: Any) -> None:
            if isinstance(message, Exception):
                if not made:
                    return
                made[0].bad_messages += 1
                if made[0].bad_messages <= 3:
                    log.warning("mcp server %s: %s", cfg.name, str(message)[:300])
                if made[0].bad_messages > MAX_BAD_MESSAGES:
                    made[0].mark_lost(f"it sent over {MAX_BAD_MESSAGES} malformed messages")
                return
            await on_message(message)

        session = await stack.enter_async_context(
            ClientSession(read, write, message_handler=handler, client_info=_CLIENT)
        )
        conn = Connection(session, tail=tail)
        made.append(conn)
        if proc is not None:

            def exited(fut: asyncio.Future[Any]) -> None:
                code = fut.result().returncode if not fut.cancelled() else None
                why = f"the server exited ({code})" + (f": {tail.text()}" if tail.lines else "")
                conn.mark_lost(why)

            proc.exited.add_done_callback(exited)
        async with asyncio.timeout(cfg.connect_timeout_s):
            await session.initialize()
        yield conn


async def list_all_tools(conn: Connection, cfg: McpServerConfig) -> tuple[list[mt.Tool], bool]:
    """Every page of tools/list, up to ``max_tools`` (and MAX_PAGES pages): the tools,
    and whether the listing was cut short."""
    tools: list[mt.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        params = mt.PaginatedRequestParams(cursor=cursor) if cursor else None
        async with asyncio.timeout(cfg.connect_timeout_s):
            page = await conn.session.list_tools(params=params)
        tools.extend(page.tools)
        if len(tools) > cfg.max_tools:
            return tools[: cfg.max_tools], True
        cursor = page.next_cursor
        if not cursor:
            return tools, False
    return tools, True
