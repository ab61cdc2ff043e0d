"""The shell tool: an allow-listed program with a list of arguments, run confined.

Two layers. The allow-list says which programs an agent may ask for; it is policy,
not protection. Protection is the sandbox (aios.kernel.sandbox): the program sees
only read-only system folders and the calling process's own sandbox folder, has no
network, no privileges and bounded CPU, memory, files and processes. Where the
sandbox cannot confine, the tool refuses to run anything. It never goes through a
shell, so there is no quoting to escape.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, ConfigDict, Field, create_model

from aios.config import ShellToolConfig
from aios.kernel.sandbox import Sandbox
from aios.tools.context import current_caller

__all__ = ["make_shell", "sandbox_owner"]


class ShellArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")  # no env, no cwd: nothing else to pass

    program: str = Field(description="the program to run (allow-listed)", max_length=100)
    # required: a plan states a program's arguments ([] for none); the planner leaves
    # out the optional parameters a request does not name, and "echo hi" names no args
    args: list[str] = Field(description="its arguments, one per item", max_length=256)


def _args_for(allowed: list[str]) -> type[BaseModel]:
    """ShellArgs whose program is one of the allowed ones: the schema says so, so a
    plan's grammar offers those names and nothing else (never "echo hi" or "date.py")."""
    if not allowed:
        return ShellArgs
    names: Any = Literal[tuple(allowed)]  # built at run time from the config
    return create_model(
        "ShellArgs", __base__=ShellArgs, program=(names, Field(description="the program to run"))
    )


def sandbox_owner() -> str:
    """Whose sandbox folder a tool call uses: the calling process's, or the admin's."""
    caller = current_caller.get()
    pid = getattr(caller, "pid", None)
    return str(pid) if pid is not None else "admin"


def make_shell(cfg: ShellToolConfig, sandbox: Sandbox) -> StructuredTool:
    allowed = sorted(cfg.allow)

    async def shell(program: str, args: list[str] | None = None) -> dict[str, Any]:
        args = list(args or [])
        if program not in allowed:
            raise ValueError(f"program {program!r} is not allowed; allowed: {allowed}")
        if any("\x00" in a for a in args) or sum(len(a) for a in args) > 65_536:
            raise ValueError("arguments must be strings without NUL bytes, 64 KiB in all")
        return await sandbox.run(
            [program, *args],
            owner=sandbox_owner(),
            timeout_s=cfg.timeout_s,
            max_output=cfg.max_output_bytes,
        )

    return StructuredTool.from_function(
        coroutine=shell,
        name="shell",
        args_schema=_args_for(allowed),
        description=f"Run an allowed program ({', '.join(allowed)}) with a list of "
        "arguments, confined to its own folder (the current directory), with no network.",
    )
