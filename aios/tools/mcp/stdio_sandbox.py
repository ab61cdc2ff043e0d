"""A stdio MCP server run confined: the sandbox's pipes as an MCP session's streams.

The SDK's ``stdio_client`` would start the server unconfined; here the program is
started by ``Sandbox.spawn`` (namespaces, Landlock, limits, its own folder) and
its stdout/stdin are bridged to the anyio memory streams ``ClientSession`` reads
and writes: newline-delimited JSON-RPC, each message at most
``max_message_bytes`` (a longer one ends the server: a line without end must not
grow without end). Its stderr is drained and its tail kept, for the error shown
when it dies.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

import anyio
import mcp.types as mt
from mcp.shared.message import SessionMessage

from aios.config import McpServerConfig
from aios.errors import BadRequest

if TYPE_CHECKING:  # the kernel package imports this one
    from aios.kernel.sandbox import Sandbox
    from aios.kernel.sandbox.process import ConfinedProcess

__all__ = ["StderrTail", "confined_stdio", "owner_of"]

log = logging.getLogger(__name__)

_CHUNK = 65_536
_STOP_S = 2.0


def owner_of(server: str) -> str:
    """The sandbox owner of a server's program (alphanumerics and dashes)."""
    return "mcp-" + server.replace("_", "-")


class StderrTail:
    """The last lines a server wrote to stderr (bounded)."""

    def __init__(self, lines: int = 20) -> None:
        self.lines: deque[str] = deque(maxlen=lines)

    def text(self) -> str:
        return " | ".join(self.lines)[-1000:]


def _env(cfg: McpServerConfig) -> dict[str, str]:
    env = dict(cfg.env)
    for name, host in cfg.env_from.items():
        value = os.environ.get(host)
        if value is None:
            raise BadRequest(f"mcp server {cfg.name}: environment variable {host} is not set")
        env[name] = value
    return env


def _parse(line: bytes) -> SessionMessage | Exception:
    try:
        return SessionMessage(mt.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:
        return ValueError(f"not a JSON-RPC message ({str(exc)[:200]})")


async def _pump_out(proc: ConfinedProcess, send: Any, limit: int, server: str) -> None:
    buf = bytearray()
    async with send:
        while chunk := await proc.stdout.read(_CHUNK):
            buf += chunk
            while (i := buf.find(b"\n")) >= 0:
                line = bytes(buf[:i])
                del buf[: i + 1]
                if line.strip():
                    await send.send(_parse(line))
            if len(buf) > limit:
                log.warning(
                    "mcp server %s sent a message over %d bytes: stopping it", server, limit
                )
                proc.kill()
                return


async def _pump_in(proc: ConfinedProcess, receive: Any, closing: Any) -> None:
    assert proc.stdin is not None
    try:
        async with receive:
            async for msg in receive:
                data = msg.message.model_dump_json(by_alias=True, exclude_unset=True)
                proc.stdin.write(data.encode() + b"\n")
                await proc.stdin.drain()
    except (OSError, anyio.ClosedResourceError, anyio.BrokenResourceError):
        await closing.aclose()  # the server is gone: waiting requests see it closed


async def _pump_err(proc: ConfinedProcess, tail: StderrTail, server: str) -> None:
    """Drain stderr; keep the tail of its lines (each cut to 500 characters)."""
    rest = b""
    while chunk := await proc.stderr.read(_CHUNK):
        *lines, rest = (rest + chunk).split(b"\n")
        rest = rest[-4096:]  # a line without end is kept bounded
        for line in lines:
            text = line.decode(errors="replace").rstrip()[:500]
            if text:
                tail.lines.append(text)
                log.debug("mcp server %s: %s", server, text)


@asynccontextmanager
async def confined_stdio(
    sandbox: Sandbox, cfg: McpServerConfig, tail: StderrTail
) -> AsyncIterator[tuple[Any, Any, ConfinedProcess]]:
    """Start the server confined; yield (read stream, write stream, process)."""
    limits: dict[str, int] = {"cpu_s": cfg.cpu_s}
    if cfg.memory_bytes is not None:
        limits["memory_bytes"] = cfg.memory_bytes
    proc = await sandbox.spawn(
        cfg.command,
        owner=owner_of(cfg.name),
        network=cfg.network,
        env=_env(cfg),
        stdin=True,
        ro_paths=cfg.ro_paths,
        limits=limits,
    )
    read_send, read_recv = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_send, write_recv = anyio.create_memory_object_stream[SessionMessage](0)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_pump_out, proc, read_send, cfg.max_message_bytes, cfg.name)
            tg.start_soon(_pump_in, proc, write_recv, read_send)
            tg.start_soon(_pump_err, proc, tail, cfg.name)
            try:
                yield read_recv, write_send, proc
            finally:
                proc.kill()
                tg.cancel_scope.cancel()
    finally:
        proc.kill()
        for s in (read_send, read_recv, write_send, write_recv):
            s.close()
        with suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), _STOP_S)
        proc.close_pipes()
        sandbox.release(owner_of(cfg.name))
