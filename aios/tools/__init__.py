"""Tools: the registry (langchain-core) and the built-in tools."""

from aios.tools.registry import ToolError, ToolRegistry, ToolSpec, external_spec

__all__ = ["ToolError", "ToolRegistry", "ToolSpec", "external_spec"]
