"""Who is calling: the admin token or a process token, as a Bearer token, or as the
password of HTTP Basic auth (for clients that cannot set headers but read ~/.netrc,
such as the Cerebrum SDK's requests). Constant-time on the admin token; process
tokens are looked up by digest. Rate-limited per credential.

Failed authentications are rate-limited per client address. The credential is
checked first (cheap: one digest) and only failures are counted, so a valid token
is always accepted, even from an address that is being limited; a guesser gets 429
with Retry-After on every guess after the burst. A request carrying a forwarding
header (X-Forwarded-For, Forwarded) counts against one shared bucket: uvicorn
believes those headers from loopback, so any local process could name a new address
per guess. Behind a real proxy, then, all clients' failures share that bucket
(their valid tokens still work). IPv6 clients are counted per /64. Tokens are only
read from the Authorization header, never from the query string.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress

from fastapi import Request

from aios.api.common import Api
from aios.errors import Unauthorized
from aios.kernel.caps import ADMIN, Caller

__all__ = ["authenticate", "client_key"]

# Tokens are ~50 characters; anything this long is not one, and is not worth hashing.
MAX_AUTHORIZATION = 1024


def _token(header: str) -> str | None:
    """The token an Authorization header carries, or None if it carries none."""
    if len(header) > MAX_AUTHORIZATION:
        return None
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic" and value:
        try:
            user_pass = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, _, password = user_pass.partition(":")
        return password or None
    return None


def client_key(request: Request) -> str:
    """The address that failed authentications are counted against."""
    headers = request.headers
    if "x-forwarded-for" in headers or "forwarded" in headers:
        return "forwarded"
    host = request.client.host if request.client else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))  # one holder has a /64
    return str(ip)


def _caller(api: Api, token: str) -> Caller | None:
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
    return None


def authenticate(api: Api, request: Request) -> Caller:
    header = request.headers.get("authorization")
    if header is None:  # not a guess: nothing to count
        raise Unauthorized(
            "missing credentials: send Authorization: Bearer <token> "
            "(or Basic auth with the token as password)"
        )
    token = _token(header)
    caller = _caller(api, token) if token is not None else None
    if caller is not None:
        return caller
    api.auth_failed(client_key(request))  # RateLimited once this address failed too often
    if token is None:
        raise Unauthorized(
            "malformed credentials: send Authorization: Bearer <token> "
            "(or Basic auth with the token as password)"
        )
    raise Unauthorized("invalid token")
