"""``/mcp``: aios as an MCP server over streamable HTTP, inside the daemon's API.

The bearer token (the admin token or a process token) is checked by the API's own
``authenticate``, with its rate limits, before any MCP handling: no token, a bad
one, or one of an ended process is a 401 in the API's error shape. Each request is
then answered for that token's Caller, so a process token reaches exactly what its
process may (a tool call is that process's syscall).

A browser page of another origin is refused (403) unless ``api.cors_origins`` names
it: the Origin check MCP asks of servers against DNS rebinding (Host names are not
checked: behind a proxy, in a container or on the Unix socket they are not known).

Stateless: every POST stands alone (the caller is checked on each), so the daemon
keeps no MCP sessions a client could pile up. Answers are JSON, not SSE streams. The
API's middleware (body limit, JSON checks, CORS) is outside this app and applies.

The SDK's session manager needs a running task group: the app's lifespan enters it
(``lifespan``); where the server runs without lifespan events (uvicorn with
``lifespan="off"``), the first request starts it on a task of its own, which the
event loop's shutdown ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from mcp.server import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from aios.api.auth import authenticate
from aios.api.common import Api, error_response
from aios.errors import AiosError, PermissionDenied, Unavailable
from aios.kernel.caps import Caller
from aios.mcpserver.tools import Backend, McpTools, build_server

__all__ = ["KernelBackend", "McpHttp"]

log = logging.getLogger(__name__)

PATH = "/mcp"
_STATE_KEY = "aios_mcp_backend"
_LOOPBACK_ORIGINS = ("http://127.0.0.1", "http://localhost", "http://[::1]")


class _NotAllowed(AiosError):
    code = "method_not_allowed"
    status = 405


class KernelBackend:
    """One caller's syscalls, made in this daemon's kernel."""

    def __init__(self, api: Api, caller: Caller) -> None:
        self._api = api
        self.caller = caller

    async def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            res = await self._api.call(self.caller, name, args)
        except AiosError as exc:
            raise self._api.scrub(exc) from None
        out: dict[str, Any] = res.model_dump(mode="json")
        return out

    def allows(self, syscall: str) -> bool:
        return self._api.may_call(self.caller, syscall)


def _backend_of(ctx: ServerRequestContext[Any, Any]) -> Backend:
    request = ctx.request
    backend = getattr(request, "scope", {}).get("state", {}).get(_STATE_KEY)
    if backend is None:  # only requests that passed McpHttp reach the server
        raise Unavailable("no caller for this MCP request")
    return backend  # type: ignore[no-any-return]


def _loopback(origin: str) -> bool:
    return any(origin == o or origin.startswith(o + ":") for o in _LOOPBACK_ORIGINS)


class McpHttp:
    """The ``/mcp`` ASGI endpoint: authentication, then the SDK's streamable HTTP."""

    def __init__(self, api: Api) -> None:
        self._api = api
        self.server = build_server(McpTools(api.kernel.syscalls), _backend_of)
        self._manager = StreamableHTTPSessionManager(
            app=self.server,
            json_response=True,
            stateless=True,
            security_settings=None,  # Origin is checked here; Host names are not known
            max_request_body_size=api.cfg.max_body_bytes,
        )
        self._origins = frozenset(api.cfg.cors_origins)
        self._ready = asyncio.Event()
        self._starting: asyncio.Task[None] | None = None

    def route(self) -> Route:
        return Route(PATH, endpoint=self, include_in_schema=False)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        """Run the session manager for as long as the app runs."""
        if self._ready.is_set() or self._starting is not None:  # already started lazily
            yield
            return
        async with self._manager.run():
            self._ready.set()
            try:
                yield
            finally:
                self._ready.clear()

    async def _ensure_running(self) -> None:
        if self._ready.is_set():
            return
        if self._starting is None:
            self._starting = asyncio.create_task(self._hold(), name="mcp-session-manager")
        waiter = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait([self._starting, waiter], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if not self._ready.is_set():
            raise Unavailable("the MCP endpoint could not start")

    async def _hold(self) -> None:
        try:
            async with self._manager.run():
                self._ready.set()
                await asyncio.Event().wait()  # until the loop's shutdown cancels it
        except Exception:
            log.exception("mcp: the session manager failed")
        finally:
            self._ready.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers: dict[str, str] | None = None
        try:
            request = Request(scope)
            caller = authenticate(self._api, request)
            origin = request.headers.get("origin")
            if origin is not None and not (_loopback(origin) or origin in self._origins):
                # a web page of another origin (DNS rebinding, or just a page the user
                # opened): MCP says to refuse it; trusted web clients go in cors_origins
                raise PermissionDenied(
                    f"origin {origin[:200]!r} may not use {PATH} (add it to api.cors_origins)"
                )
            if scope["method"] != "POST":
                # stateless: no session to stream to (GET) or to end (DELETE); the
                # spec's answer for a server that offers no SSE stream is a 405
                headers = {"Allow": "POST"}
                raise _NotAllowed(f"{scope['method']} is not served at {PATH}: POST requests")
            await self._ensure_running()
        except AiosError as exc:
            if exc.status == 401:
                headers = {"WWW-Authenticate": 'Bearer realm="aios"'}
            await error_response(self._api.scrub(exc), headers)(scope, receive, send)
            return
        state = {**(scope.get("state") or {}), _STATE_KEY: KernelBackend(self._api, caller)}
        await self._manager.handle_request({**scope, "state": state}, receive, send)
