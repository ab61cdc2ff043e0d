"""Who is calling: the admin token or a process token, as a Bearer token, or as the
password of HTTP Basic auth (for clients that cannot set headers but read ~/.netrc,
such as the Cerebrum SDK's requests). Constant-time on the admin token; process
tokens are looked up by digest. Rate-limited per credential."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request

from aios.api.common import Api
from aios.errors import Unauthorized
from aios.kernel.caps import ADMIN, Caller

__all__ = ["authenticate"]


def _token(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic" and value:
        try:
            user_pass = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials") from None
        _, _, password = user_pass.partition(":")
        if password:
            return password
    raise Unauthorized(
        "missing credentials: send Authorization: Bearer <token> "
        "(or Basic auth with the token as password)"
    )


def authenticate(api: Api, request: Request) -> Caller:
    token = _token(request)
    tokens = api.kernel.tokens
    cfg = api.cfg
    if tokens.is_admin(token):
        api.limit("admin", cfg.admin_rate_per_s, cfg.admin_burst)
        return ADMIN
    pid = tokens.pid_of(token)
    if pid is not None:
        proc = api.kernel.procs.live(pid)
        if proc is not None and not proc.state.terminal:
            api.limit(f"pid:{pid}", cfg.process_rate_per_s, cfg.process_burst)
            return Caller(pid=pid, caps=proc.capabilities, owner=proc.owner)
    raise Unauthorized("invalid token")
