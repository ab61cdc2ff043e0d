"""MCP servers as aios tools (the client side of MCP; docs/MCP.md)."""

from aios.tools.mcp.manager import McpManager

__all__ = ["McpManager"]
