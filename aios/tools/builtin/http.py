"""http_get: fetch a URL. Off unless configured, and only for allowed hosts.

Server-side request forgery is the risk: a plan (model output) chooses the URL, and
the daemon can reach what the caller cannot (loopback services, the LAN, a cloud's
169.254.169.254 metadata). So every hop is checked on the addresses the host
resolves to, not on how the URL spells it (127.1, 0x7f000001, 2130706433,
[::ffff:127.0.0.1] and localhost. all are loopback), and internal addresses are
refused unless an allow entry names that host or address; "*" is any public host.
The connection goes to the address that was checked, with the original Host header
and TLS server name, so a DNS answer that changes between the check and the connect
(rebinding) cannot move it. Redirects are followed here, each hop checked again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from langchain_core.tools import StructuredTool

from aios.config import HttpToolConfig
from aios.errors import BadRequest, PermissionDenied

__all__ = ["Resolver", "internal_reason", "make_http_get"]

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]  # host, port -> IP addresses

# Not global, whatever this Python's ipaddress says (3.11 calls some of them global).
_INTERNAL = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]
_NAT64 = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48")]


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: mapped, compatible, 6to4, NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64) or (int(ip) >> 32 == 0 and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # NAT64, or ::a.b.c.d
    return None


def internal_reason(ip: Address) -> str | None:
    """Why ``ip`` is not a public internet address, or None if it is one."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped (link-local) address"
        v4 = _embedded_v4(ip)
        if v4 is not None:
            inner = internal_reason(v4)
            return f"an IPv6 form of {v4}, {inner}" if inner else None
    for name in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            kind = name.replace("_", "-")
            return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    if any(ip in net for net in _INTERNAL if net.version == ip.version) or not ip.is_global:
        return "not a public address"
    return None


def _ip_literal(host: str) -> Address | None:
    """The address a host names itself, in every spelling a resolver accepts
    (127.1, 0x7f000001, 2130706433, 0177.0.0.1, ::ffff:127.0.0.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def _system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _Policy:
    def __init__(self, allow: list[str]) -> None:
        self.any_public = "*" in allow
        self.names = {_norm(a) for a in allow if a != "*"}
        self.addresses = {ip for a in self.names if (ip := _ip_literal(a)) is not None}

    def host_allowed(self, host: str, literal: Address | None) -> bool:
        return self.any_public or host in self.names or literal in self.addresses

    def address_allowed(self, host: str, ip: Address) -> str | None:
        """None if ``ip`` may be reached for ``host``, else why not."""
        why = internal_reason(ip)
        if why is None or host in self.names or ip in self.addresses:
            return None  # internal ones only when an entry names the host or address
        return why


def _norm(host: str) -> str:
    host = host.strip().lower().removeprefix("[").removesuffix("]")
    return host[:-1] if host.endswith(".") else host


class _Target:
    """One hop: the URL as the caller spelled it, and what it asks to connect to."""

    def __init__(self, url: str) -> None:
        try:
            self.url = httpx.URL(url)
            port = self.url.port
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise BadRequest(f"invalid URL: {exc}") from None
        if self.url.scheme not in ("http", "https"):
            raise BadRequest("only http and https URLs")
        if self.url.userinfo:
            raise BadRequest("URLs with user names or passwords are not fetched")
        try:
            self.host = _norm(self.url.raw_host.decode("ascii"))
        except UnicodeDecodeError:
            raise BadRequest("invalid host name") from None
        if not self.host:
            raise BadRequest("the URL names no host")
        self.port = (443 if self.url.scheme == "https" else 80) if port is None else port
        if not 0 < self.port < 65536:
            raise BadRequest(f"invalid port {self.port}")
        self.literal = _ip_literal(self.host)

    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.url.port is None else f"{shown}:{self.port}"

    def pinned(self, ip: Address) -> httpx.URL:
        """The same URL, connecting to ``ip`` (the Host header and SNI keep the name)."""
        return self.url.copy_with(host=str(ip), port=self.port)


async def _addresses(
    t: _Target, policy: _Policy, resolve: Resolver, timeout_s: float
) -> list[Address]:
    """Every address of the hop's host that may be reached; PermissionDenied if none."""
    if not policy.host_allowed(t.host, t.literal):
        raise PermissionDenied(f"host {t.host!r} is not allowed", host=t.host)
    if t.literal is not None:
        found: list[Address] = [t.literal]
    else:
        try:
            async with asyncio.timeout(timeout_s):
                raw = await resolve(t.host, t.port)
            found = [ipaddress.ip_address(a) for a in dict.fromkeys(raw)]
        except (OSError, UnicodeError, ValueError, TimeoutError) as exc:
            raise PermissionDenied(f"host {t.host!r} does not resolve: {exc}") from None
    if not found:
        raise PermissionDenied(f"host {t.host!r} does not resolve", host=t.host)
    usable = [ip for ip in found if policy.address_allowed(t.host, ip) is None]
    if not usable:
        why = policy.address_allowed(t.host, found[0])
        raise PermissionDenied(
            f"host {t.host!r} is not allowed: {found[0]} is {why}",
            host=t.host,
            address=str(found[0]),
        )
    return usable


def make_http_get(cfg: HttpToolConfig, *, resolver: Resolver | None = None) -> StructuredTool:
    policy = _Policy(list(cfg.allow_hosts))
    resolve = resolver or _system_resolver

    async def fetch(client: httpx.AsyncClient, t: _Target) -> httpx.Response:
        last: Exception | None = None
        for ip in await _addresses(t, policy, resolve, cfg.timeout_s):
            req = client.build_request(
                "GET",
                t.pinned(ip),
                headers={"Host": t.host_header()},
                extensions={"sni_hostname": t.host} if t.url.scheme == "https" else {},
            )
            try:
                return await client.send(req, stream=True)
            except httpx.ConnectError as exc:  # the next checked address, if any
                last = exc
        raise httpx.ConnectError(f"cannot connect to {t.host}: {last}")

    async def http_get(url: str) -> dict[str, Any]:
        t = _Target(url)
        # trust_env=False: a proxy from the environment would resolve names itself
        async with httpx.AsyncClient(
            timeout=cfg.timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                resp = await fetch(client, t)
                location = resp.headers.get("location")
                if resp.status_code not in _REDIRECTS or not location:
                    break
                await resp.aclose()
                try:
                    nxt = t.url.join(location)
                except (httpx.InvalidURL, ValueError) as exc:
                    raise BadRequest(f"invalid redirect to {location[:200]!r}: {exc}") from None
                log.debug("http_get: %s redirects to %s", t.url, nxt)
                t = _Target(str(nxt))
            else:
                raise BadRequest(f"more than {MAX_REDIRECTS} redirects")
            body = b""
            try:
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > cfg.max_bytes:
                        break
            finally:
                await resp.aclose()
        return {
            "status": resp.status_code,
            "url": str(t.url),
            "content_type": resp.headers.get("content-type"),
            "text": body[: cfg.max_bytes].decode(errors="replace"),
            "truncated": len(body) > cfg.max_bytes,
        }

    return StructuredTool.from_function(
        coroutine=http_get,
        name="http_get",
        description="Fetch a web page (GET) and return its status and text.",
    )
