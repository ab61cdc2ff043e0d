"""The daemon's HTTP API: a thin translation of HTTP into syscalls.

Every endpoint except ``/v1/health`` (and shared links, whose URL is the
credential) needs a token: the admin token, or a process token that carries that
process's capabilities. Errors always have one shape,
``{"error": {"code", "message", "details"}}``, with the matching status and never
a stack trace. CORS is off unless origins are configured.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from aios import __version__
from aios.api.auth import authenticate
from aios.api.common import ERROR_RESPONSES, Api, BodyLimit, RateLimited, error_response
from aios.api.routes import cerebrum, fs, llm, processes, system, work
from aios.api.routes.system import SyscallBody
from aios.errors import AiosError, BadRequest
from aios.kernel.caps import Caller
from aios.kernel.kernel import Kernel

__all__ = ["SyscallBody", "create_app"]

log = logging.getLogger(__name__)


def create_app(kernel: Kernel, admin_token: str) -> FastAPI:
    kernel.tokens.set_admin(admin_token)
    cfg = kernel.config.api
    api = Api(kernel, cfg)
    app = FastAPI(
        title="aios",
        version=__version__,
        description="The aios kernel's syscall API. Authenticate with "
        "`Authorization: Bearer <token>` (`aios token`).",
    )
    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)
    if cfg.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cfg.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type"],
        )
    bearer = HTTPBearer(auto_error=False, description="the admin token or a process token")

    async def auth(request: Request, _: Any = None) -> Caller:
        caller = authenticate(api, request)
        request.state.caller = caller
        return caller

    # Show the scheme in OpenAPI while our own authenticate() decides.
    auth.__signature__ = _with_security(auth, bearer)  # type: ignore[attr-defined]

    @app.exception_handler(AiosError)
    async def _aios_error(_: Request, exc: AiosError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(max(1, round(exc.details.get("retry_after_s", 1))))}
        return error_response(exc, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = json.loads(json.dumps(exc.errors(), default=str))
        for e in errors:
            e.pop("input", None)  # do not echo what was sent (it may be large or secret)
        ctype = request.headers.get("content-type", "")
        hint = "" if "json" in ctype else " (send JSON with Content-Type: application/json)"
        err = BadRequest(f"invalid request{hint}", errors=errors)
        err.status = 422
        return error_response(err)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        err = AiosError(str(exc.detail))
        err.status = exc.status_code
        err.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(err)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the API")
        return error_response(AiosError("internal error"))

    for module in (system, processes, llm, work, fs, cerebrum):
        app.include_router(module.router(api, auth), responses=ERROR_RESPONSES)
    return app


def _with_security(fn: Any, bearer: HTTPBearer) -> Any:
    import inspect

    from fastapi import Depends

    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    params[1] = params[1].replace(default=Depends(bearer))
    return sig.replace(parameters=params)
