"""A sandboxed shell tool: allow-listed programs, arguments as a list, limits on
time and output. It never goes through a shell, so there is no quoting to escape.
This is an allow-list, not a jail: allow only programs safe to run with any
arguments."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from aios.config import ShellToolConfig

__all__ = ["make_shell"]


class ShellArgs(BaseModel):
    program: str = Field(description="the program to run (allow-listed)")
    args: list[str] = Field(default_factory=list, description="its arguments, one per item")


def make_shell(cfg: ShellToolConfig, sandbox: str) -> StructuredTool:
    allowed = sorted(cfg.allow)

    async def shell(program: str, args: list[str] | None = None) -> dict[str, Any]:
        args = list(args or [])
        if program not in allowed:
            raise ValueError(f"program {program!r} is not allowed; allowed: {allowed}")
        if any("\x00" in a for a in args) or len(args) > 256:
            raise ValueError("arguments must be at most 256 strings without NUL bytes")
        path = shutil.which(program)
        if path is None:
            raise ValueError(f"program {program!r} is allowed but not installed")
        Path(sandbox).mkdir(parents=True, exist_ok=True)
        proc = await asyncio.create_subprocess_exec(
            path,
            *args,
            cwd=sandbox,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(_read(proc, cfg.max_output_bytes), cfg.timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise TimeoutError(f"{program} did not finish within {cfg.timeout_s:g}s") from None
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        limit = cfg.max_output_bytes
        return {
            "exit_code": proc.returncode,
            "stdout": out[:limit].decode(errors="replace"),
            "stderr": err[:limit].decode(errors="replace"),
            "truncated": len(out) > limit or len(err) > limit,
        }

    return StructuredTool.from_function(
        coroutine=shell,
        name="shell",
        args_schema=ShellArgs,
        description=f"Run an allowed program ({', '.join(allowed)}) with a list of arguments.",
    )


async def _read(proc: asyncio.subprocess.Process, limit: int) -> tuple[bytes, bytes]:
    """Read both pipes, keeping at most limit+1 bytes of each (the rest is drained)."""

    async def take(stream: asyncio.StreamReader | None) -> bytes:
        buf = b""
        while stream is not None and (chunk := await stream.read(65536)):
            if len(buf) <= limit:
                buf += chunk[: limit + 1 - len(buf)]
        return buf

    out, err = await asyncio.gather(take(proc.stdout), take(proc.stderr))
    await proc.wait()
    return out, err
