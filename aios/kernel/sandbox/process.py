"""A confined program as the daemon sees it: its pipes, how it ended, the status of
the sandbox, and the pipe helpers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aios.errors import Unavailable

__all__ = [
    "ConfinedProcess",
    "Exit",
    "SandboxStatus",
    "SandboxUnavailable",
    "close_set_up_pipes",
    "connect_pipes",
    "reader",
    "take",
    "writer",
]


class SandboxUnavailable(Unavailable):
    code = "sandbox_unavailable"


@dataclass
class SandboxStatus:
    confined: bool
    reason: str | None = None
    landlock_abi: int = 0
    user: str = ""
    probe_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "confined": self.confined,
            "reason": self.reason,
            "landlock_abi": self.landlock_abi,
            "runs_as": self.user,
            "mechanism": "user, mount, PID, IPC, UTS and (empty) network namespaces, "
            "pivot_root, Landlock, rlimits, no capabilities",
            "probe_ms": self.probe_ms,
        }


@dataclass
class Exit:
    code: int | None
    signal: int | None
    cpu_s: float = 0.0
    max_rss_kb: int = 0

    @property
    def returncode(self) -> int:
        return self.code if self.code is not None else -(self.signal or 0)


@dataclass(eq=False)
class ConfinedProcess:
    """A running confined program: its pipes, its end."""

    rid: int
    pid: int
    owner: str
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader
    stdin: asyncio.StreamWriter | None
    exited: asyncio.Future[Exit]
    _kill: Callable[[], None] = field(repr=False)
    _pipes: list[asyncio.BaseTransport] = field(default_factory=list, repr=False)

    def kill(self) -> None:
        """SIGKILL for the program and everything it started (a no-op once ended)."""
        if not self.exited.done():
            self._kill()

    def close_pipes(self) -> None:
        for t in self._pipes:
            t.close()

    async def wait(self) -> Exit:
        return await asyncio.shield(self.exited)


async def reader(fd: int) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    pipe = os.fdopen(fd, "rb", buffering=0)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader, transport


async def writer(fd: int) -> asyncio.StreamWriter:
    loop = asyncio.get_running_loop()
    pipe = os.fdopen(fd, "wb", buffering=0)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, pipe)
    return asyncio.StreamWriter(transport, protocol, None, loop)


async def take(stream: asyncio.StreamReader, limit: int, proc: ConfinedProcess) -> bytes:
    """Up to limit+1 bytes; past that the program is killed (no endless draining)."""
    buf = b""
    while chunk := await stream.read(65536):
        buf += chunk[: limit + 1 - len(buf)]
        if len(buf) > limit:
            proc.kill()
            break
    return buf


async def connect_pipes(out_r: int, err_r: int, in_w: int) -> tuple[Any, ...]:
    stdout, t_out = await reader(out_r)
    try:
        stderr, t_err = await reader(err_r)
        stdin_w = await writer(in_w) if in_w >= 0 else None
    except BaseException:
        t_out.close()
        raise
    return stdout, t_out, stderr, t_err, stdin_w


def close_set_up_pipes(setup: asyncio.Future[tuple[Any, ...]]) -> None:
    """The pipes of a spawn given up while they were being set up."""
    if setup.cancelled() or setup.exception() is not None:
        return
    _, t_out, _, t_err, stdin_w = setup.result()
    t_out.close()
    t_err.close()
    if stdin_w is not None:
        stdin_w.close()
