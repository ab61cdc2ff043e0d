"""Syscalls for the MCP client: ``mcp.servers`` (their state, tools, disabled tools
and why) and ``mcp.refresh`` (list a server's tools again now). Admin only; the
table's lines::

    entry("mcp.servers", sysmcp.servers, admin_only=True, risk=ro),
    entry("mcp.refresh", sysmcp.refresh, admin_only=True),
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["McpRefreshArgs", "McpServerInfo", "McpServersArgs", "McpServersResult"]


class McpServersArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class McpRefreshArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)


class McpServerInfo(BaseModel):
    name: str
    transport: str
    source: str
    state: str
    error: str | None
    tools: list[str]
    disabled: dict[str, str]
    refused: dict[str, str]
    truncated: bool
    connects: int


class McpServersResult(BaseModel):
    servers: list[McpServerInfo]


async def servers(k: Kernel, call: Call, args: McpServersArgs) -> McpServersResult:
    """The MCP servers used as tools: state, tools, disabled tools and why."""
    return McpServersResult(servers=[McpServerInfo(**s) for s in k.mcp.status()])


async def refresh(k: Kernel, call: Call, args: McpRefreshArgs) -> McpServerInfo:
    """List an MCP server's tools again now (changed definitions ask for approval)."""
    info: dict[str, Any] = await k.mcp.refresh(args.name)
    return McpServerInfo(**info)
