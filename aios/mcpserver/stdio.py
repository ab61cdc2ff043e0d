"""``aios mcp``: an MCP server on stdin/stdout for editors and desktop assistants.

It holds no kernel: every tool call is forwarded to the running daemon as one
syscall over its HTTP API (``AIOS_URL``, else the daemon the data dir names), so the
daemon checks, accounts and audits it like any other call. Whose call: the process
token in ``AIOS_TOKEN``; else a ``session`` process spawned for this client with the
capabilities given on the command line (least privilege by default, destructive
calls waiting for a person) and killed when the client goes; the admin only when
asked for (``--admin``): the admin is the person, whose calls never wait for an
approval. stdout carries the protocol only: logs go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from aios.agents.client import AsyncHttpTransport
from aios.client import Client
from aios.config import Config
from aios.errors import AiosError, PermissionDenied, Unauthorized, Unavailable

__all__ = ["DaemonBackend", "main", "serve"]

log = logging.getLogger(__name__)


class DaemonBackend:
    """The daemon's syscalls over its HTTP API (aios.agents.client's transport), as
    the token's caller, or as a session process spawned for this client."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        session: tuple[str, dict[str, Any]] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self._transport = transport
        self._calls = self._http(token) if token else None
        # (admin token, capabilities): spawn the session process on first need
        self._admin = self._http(session[0]) if session else None
        self._caps = session[1] if session else {}
        self._pid: int | None = None
        self._starting = asyncio.Lock()

    @classmethod
    def from_config(
        cls, config: Config, *, admin: bool = False, capabilities: dict[str, Any] | None = None
    ) -> DaemonBackend:
        """The daemon the CLI would use, as ``AIOS_TOKEN``'s caller, the admin
        (``admin``), or a new session process with ``capabilities``."""
        from aios.kernel.daemon import read_token

        with Client.from_config(config) as client:  # finds the URL as the CLI does
            url = client.base_url
        token = os.environ.get("AIOS_TOKEN")
        if token:
            return cls(url, token)
        admin_token = read_token(Path(config.data_dir))
        if admin:
            log.warning(
                "aios mcp --admin: the client acts as the admin (every file and tool, no approvals)"
            )
            return cls(url, admin_token)
        return cls(url, None, session=(admin_token, capabilities or {}))

    async def start(self) -> None:
        """Spawn the session process this client's calls are made as (if it has one)."""
        if self._admin is None or self._pid is not None:
            return
        spawn = {"agent": "session", "name": "mcp-session", "capabilities": self._caps}
        pid = int((await self._admin.syscall("proc.spawn", spawn))["pid"])
        try:
            token = (await self._admin.syscall("proc.token", {"pid": pid}))["token"]
        except BaseException:  # no token: no session (the next call starts another)
            with contextlib.suppress(AiosError):
                await self._admin.syscall("proc.kill", {"pid": pid})
            raise
        self._calls = self._http(token)
        self._pid = pid  # only now: a call never goes out without the session's token
        log.info("aios mcp: calls are made as process %d (mcp-session)", pid)

    async def aclose(self) -> None:
        if self._admin is not None:
            if self._pid is not None:
                with contextlib.suppress(AiosError):
                    await self._admin.syscall("proc.kill", {"pid": self._pid})
            await self._admin.aclose()
        if self._calls is not None:
            await self._calls.aclose()

    async def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        if self._admin is not None and self._pid is None:  # the daemon came up later
            async with self._starting:
                await self.start()
        if self._admin is not None and name == "proc.token" and self._is_session(args):
            # a new token replaces the one this client's calls are made with
            raise PermissionDenied("the session's own token is not given to its client")
        assert self._calls is not None
        try:
            return await self._calls.syscall(name, args)
        except Unauthorized:
            if self._admin is None:
                raise
            # not started again: ending the session (proc.kill) must cut this client off
            raise Unavailable(
                f"this client's session process {self._pid} has ended (the daemon restarted, "
                "or it was killed): start aios mcp again"
            ) from None

    def _http(self, token: str) -> AsyncHttpTransport:
        return AsyncHttpTransport(url=self.url, token=token, transport=self._transport)

    def _is_session(self, args: dict[str, Any]) -> bool:
        """``args`` name the session process, as the daemon will read them ("7" is 7)."""
        from pydantic import ValidationError

        from aios.kernel.sysproc import PidArgs

        try:
            return PidArgs.model_validate(args).pid == self._pid
        except ValidationError:
            return False  # the daemon refuses it

    def allows(self, syscall: str) -> bool:
        return True  # the daemon decides on each call; refusals come back as tool errors

    async def health(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=5.0) as http:
                (await http.get(f"{self.url}/v1/health")).raise_for_status()
        except httpx.HTTPError as exc:
            raise Unavailable(f"the aios daemon at {self.url} does not answer ({exc})") from None


async def serve(backend: DaemonBackend) -> None:
    """Serve MCP on this process's stdin/stdout until the client closes them."""
    from mcp.server.stdio import stdio_server

    from aios.kernel.syscalls import SyscallTable, builtin_syscalls
    from aios.mcpserver.tools import McpTools, build_server

    server = build_server(McpTools(SyscallTable(builtin_syscalls())), lambda _ctx: backend)
    try:
        await backend.health()
        await backend.start()
    except AiosError as exc:  # the daemon may start later; each call says so meanwhile
        log.warning("aios mcp: %s", exc.message)
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        await backend.aclose()


def main(config: Config, *, admin: bool = False, capabilities: dict[str, Any] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if config.log_level != "debug":  # the SDK and httpx log every request at info
        for name in ("mcp", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)
    backend = DaemonBackend.from_config(config, admin=admin, capabilities=capabilities)
    log.info("aios mcp: forwarding to %s", backend.url)
    try:
        asyncio.run(serve(backend))
    except KeyboardInterrupt:
        return 130
    return 0
