"""aios's syscalls as MCP tools, for one caller at a time.

Each MCP tool call is exactly one syscall made as the caller, through a ``Backend``
(the kernel itself for ``/mcp``, the daemon's HTTP API for ``aios mcp``), so the
caller's capabilities, the approval queue, accounting and the audit log apply as to
any other syscall. The LSFS verbs and ``compile`` are offered under MCP-safe names;
the registry's tools (those the caller may call) as ``tool_<name>``. Input schemas
come from the syscalls' pydantic request models, output schemas from their response
models, and the MCP annotations from the syscall's (or the tool's) risk.

A failed call is an MCP tool error (``isError``) carrying the aios error's code and
message, already scrubbed of server paths by the backend; never a stack trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.shared.tool_name_validation import TOOL_NAME_REGEX
from pydantic import BaseModel

from aios import __version__
from aios.errors import AiosError, NotFound
from aios.kernel.syscalls import SyscallTable
from aios.tools.risk import UNKNOWN, Risk
from aios.tools.schema_limits import inline_refs

__all__ = ["TOOL_PREFIX", "Backend", "McpTools", "build_server"]

log = logging.getLogger(__name__)

TOOL_PREFIX = "tool_"  # the registry's tools, as MCP tools

# MCP name, syscall, description (the syscall's summary says it for the API; an MCP
# client's model reads these, so they say what the arguments mean).
_BUILTINS: tuple[tuple[str, str, str], ...] = (
    (
        "fs_read",
        "fs.read",
        "Read a file from the aios file store (LSFS), or one of its earlier versions. "
        "Paths are relative to the store, e.g. 'notes/todo.md'. Text comes back as 'text', "
        "other bytes as base64 in 'content_b64'.",
    ),
    (
        "fs_write",
        "fs.write",
        "Write a file in the aios file store (creating it and its folders if needed). "
        "Every change is kept as a new version: fs_history lists them, fs_rollback restores one.",
    ),
    (
        "fs_ls",
        "fs.ls",
        "List a folder of the aios file store ('' is the top); recursive: everything under it.",
    ),
    (
        "fs_retrieve",
        "fs.retrieve",
        "Search the aios file store by meaning and keywords (hybrid by default); "
        "returns the best matching files or chunks with their scores.",
    ),
    (
        "fs_history",
        "fs.history",
        "Every version of a file in the aios file store: when, by whom, how.",
    ),
    (
        "fs_rollback",
        "fs.rollback",
        "Restore an earlier version of a file (n versions back, or as of a UNIX time), "
        "written as a new version so nothing is lost.",
    ),
    (
        "compile",
        "compile",
        "Answer a question with a parallel plan of tool calls (an LLM compiler): aios's planner "
        "picks the tools, runs them, and joins the results into an answer. 'tools' limits the "
        "tools it may use; dry_run returns the plan without running it.",
    ),
)
_HIDDEN = {"compile": frozenset({"stream"})}  # MCP answers whole results, never SSE


class Backend(Protocol):
    """Where a caller's syscalls go. ``syscall`` raises AiosError (scrubbed) on failure."""

    async def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]: ...

    def allows(self, syscall: str) -> bool:
        """Whether to offer the tools that make ``syscall`` (the call is checked anyway)."""
        ...


@dataclass(frozen=True)
class _Builtin:
    tool: types.Tool
    syscall: str
    hidden: frozenset[str]


def _schema(model: type[BaseModel], *, mode: str, hidden: frozenset[str]) -> dict[str, Any]:
    raw = model.model_json_schema(mode=mode)  # type: ignore[arg-type]
    # our own models: no caller limits to check, and no $ref cycles
    schema = inline_refs(raw, drop=frozenset({"title"}))
    for name in hidden:
        schema.get("properties", {}).pop(name, None)
    schema.setdefault("type", "object")
    schema.pop("description", None)  # the model's docstring: the tool says it better
    return schema


def tool_hints(risk: Risk, title: str | None = None) -> types.ToolAnnotations:
    return types.ToolAnnotations(
        title=title,
        read_only_hint=risk.read_only,
        destructive_hint=risk.destructive,
        idempotent_hint=risk.read_only,
        open_world_hint=risk.open_world or risk.host,
    )


def _builtins(table: SyscallTable) -> dict[str, _Builtin]:
    out = {}
    for name, syscall, description in _BUILTINS:
        entry = table.get(syscall)
        hidden = _HIDDEN.get(name, frozenset())
        tool = types.Tool(
            name=name,
            description=description,
            input_schema=_schema(entry.request, mode="validation", hidden=hidden),
            output_schema=_schema(entry.response, mode="serialization", hidden=frozenset()),
            annotations=tool_hints(entry.risk),
        )
        out[name] = _Builtin(tool, syscall, hidden)
    return out


def _registry_tool(spec: Mapping[str, Any]) -> types.Tool | None:
    name = f"{TOOL_PREFIX}{spec.get('name', '')}"
    if not TOOL_NAME_REGEX.match(name):
        log.debug("mcp: tool %r has no MCP-safe name; not offered", spec.get("name"))
        return None
    try:
        risk = Risk(**spec["risk"]) if isinstance(spec.get("risk"), dict) else UNKNOWN
    except ValueError:
        risk = UNKNOWN
    params = spec.get("parameters")
    return types.Tool(
        name=name,
        description=str(spec.get("description") or ""),
        input_schema=params if isinstance(params, dict) else {"type": "object"},
        annotations=tool_hints(risk),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _error(exc: AiosError) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(text=f"{exc.code}: {exc.message}")],
        structured_content={"error": exc.to_dict()},
        is_error=True,
    )


class McpTools:
    """The MCP tools over one syscall table (the kernel's, or the same built-in table
    on the client side of ``aios mcp``)."""

    def __init__(self, table: SyscallTable) -> None:
        self._builtins = _builtins(table)

    async def list(self, backend: Backend) -> list[types.Tool]:
        """The tools this backend's caller may use."""
        tools = [b.tool for b in self._builtins.values() if backend.allows(b.syscall)]
        if backend.allows("tool.list") and backend.allows("tool.call"):
            try:
                listed = await backend.syscall("tool.list", {})
            except AiosError as exc:  # the daemon is not up yet, or this token may not
                log.warning("mcp: the registry's tools are not offered: %s", exc.message)
                listed = {}
            for spec in listed.get("tools", []):
                tool = _registry_tool(spec)
                if tool is not None:
                    tools.append(tool)
        return tools

    async def call(
        self, backend: Backend, name: str, arguments: Mapping[str, Any] | None
    ) -> types.CallToolResult:
        """One syscall; any failure is a tool error, never an exception."""
        args = dict(arguments or {})
        try:
            builtin = self._builtins.get(name)
            if builtin is not None:
                for hidden in builtin.hidden:
                    args.pop(hidden, None)
                result = await backend.syscall(builtin.syscall, args)
                return types.CallToolResult(
                    content=[types.TextContent(text=_text(result))], structured_content=result
                )
            if name.startswith(TOOL_PREFIX) and len(name) > len(TOOL_PREFIX):
                res = await backend.syscall(
                    "tool.call", {"name": name[len(TOOL_PREFIX) :], "args": args}
                )
                value = res.get("result")
                return types.CallToolResult(
                    content=[types.TextContent(text=_text(value))],
                    structured_content={"result": value},
                )
            raise NotFound(f"no tool {name[:100]!r}", tool=name[:100])
        except AiosError as exc:
            return _error(exc)
        except Exception:  # a bug here must not become a stack in the client's hands
            log.exception("mcp: tool %r failed", name[:100])
            return _error(AiosError("internal error"))


BackendOf = Callable[[ServerRequestContext[Any, Any]], Backend]


def build_server(tools: McpTools, backend_of: BackendOf) -> Server[Any]:
    """A low-level MCP server whose every request is answered for ``backend_of(ctx)``:
    the caller that sent it (``/mcp``), or the one token ``aios mcp`` holds."""

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        try:
            listed = await tools.list(backend_of(ctx))
        except AiosError as exc:
            raise MCPError(types.INTERNAL_ERROR, f"{exc.code}: {exc.message}") from None
        # per caller, and the registry changes: no client may cache it for another
        return types.ListToolsResult(tools=listed, ttl_ms=0, cache_scope="private")

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return await tools.call(backend_of(ctx), params.name, params.arguments)

    return Server(
        "aios",
        version=__version__,
        instructions="aios: an agent operating system. Its file store (LSFS, versioned, "
        "searchable), its planner (compile) and its tools, as the token you connected with "
        "allows.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        # Mcp-Param header checks would list the tools again per call; aios's schemas
        # declare no headers and the kernel validates every argument itself.
        get_tool_input_schema=lambda _name: None,
    )
