"""The daemon's HTTP API: a thin translation of HTTP into syscalls.

Every endpoint except ``/v1/health`` (and shared links, whose URL is the
credential) needs a token: the admin token, or a process token that carries that
process's capabilities (``/metrics`` takes the admin token only). Errors always
have one shape, ``{"error": {"code", "message", "details"}}``, with the matching
status and never a stack trace or a server path. Stored files are served as
sandboxed attachments. CORS is off unless origins are configured.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aios import __version__
from aios.api.auth import authenticate
from aios.api.body import BodyLimit
from aios.api.common import ERROR_RESPONSES, Api, error_response
from aios.api.routes import agents, approvals, cerebrum, fs, llm, processes, system, work
from aios.api.routes.system import SyscallBody
from aios.errors import AiosError, BadRequest
from aios.kernel.caps import Caller
from aios.kernel.kernel import Kernel
from aios.mcpserver.http import McpHttp

__all__ = ["SyscallBody", "create_app"]

log = logging.getLogger(__name__)


def create_app(kernel: Kernel, admin_token: str) -> FastAPI:
    kernel.tokens.set_admin(admin_token)
    cfg = kernel.config.api
    api = Api(kernel, cfg)
    mcp = McpHttp(api)  # /mcp: aios as an MCP server (aios/mcpserver)
    app = FastAPI(
        title="aios",
        version=__version__,
        description="The aios kernel's syscall API. Authenticate with "
        "`Authorization: Bearer <token>` (`aios token`).",
        lifespan=mcp.lifespan,
    )
    app.add_middleware(_LastResort)  # innermost: the body was checked by then
    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)
    if cfg.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cfg.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type"],
        )

    async def auth(request: Request) -> Caller:
        caller = authenticate(api, request)
        request.state.caller = caller
        return caller

    @app.exception_handler(AiosError)
    async def _aios_error(_: Request, exc: AiosError) -> Response:
        return error_response(api.scrub(exc))  # with Retry-After where it says when

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = json.loads(json.dumps(exc.errors(), default=repr))
        for e in errors:
            e.pop("input", None)  # do not echo what was sent (it may be large or secret)
            e.pop("url", None)
        ctype = request.headers.get("content-type", "")
        hint = "" if "json" in ctype else " (send JSON with Content-Type: application/json)"
        err = BadRequest(f"invalid request{hint}", errors=errors)
        err.status = 422
        return error_response(api.scrub(err))  # a validator's message may name a path

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        err = AiosError(str(exc.detail))
        err.status = exc.status_code
        err.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(api.scrub(err))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        # Only for a failure outside the routes (a middleware): _LastResort answers for
        # the routes. The log gets the trace; the caller learns it was not its fault.
        log.exception("unhandled error in the API")
        return error_response(AiosError("internal error"))

    for module in (system, processes, agents, approvals, llm, work, fs, cerebrum):
        for route in module.router(api, auth).routes:
            if isinstance(route, APIRoute):
                route.responses = {**ERROR_RESPONSES, **route.responses}
            app.router.routes.append(route)
    app.router.routes.append(mcp.route())
    _declare_security(app, auth)
    return app


class _LastResort:
    """A 500 in the one shape for an exception no handler took, answered here rather
    than by Starlette's outermost handler, which re-raises it to the server: uvicorn
    then closes the connection, and the client's next request on it fails too. Bad
    input never gets here (the body checks, the validators); this is for bugs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(msg: Message) -> None:
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:  # too late for a status: the server ends the response
                raise
            log.exception("unhandled error in the API")
            await error_response(AiosError("internal error"))(scope, receive, send)


def _uses(dependant: Any, fn: Any) -> bool:
    return dependant.call is fn or any(_uses(d, fn) for d in dependant.dependencies)


def _declare_security(app: FastAPI, auth: Any) -> None:
    """Declare in OpenAPI the credentials that ``auth`` checks, on every operation that
    depends on it. (A security dependency would do the same, but it runs per request.)"""
    protected = {
        (route.path_format, method.lower())
        for route in app.routes
        if isinstance(route, APIRoute) and _uses(route.dependant, auth)
        for method in route.methods or ()
    }
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = app.openapi_schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the admin token (`aios token`) or a process token",
                },
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "any user name, the token as password (~/.netrc)",
                },
            }
            for path, ops in schema.get("paths", {}).items():
                for method, op in ops.items():
                    if (path, method) in protected:
                        op["security"] = [{"bearer": []}, {"basic": []}]
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
