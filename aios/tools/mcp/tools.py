"""MCP tool definitions as aios tools, and MCP results as JSON.

Everything here reads what an untrusted server sent: names are checked (and made
safe, or refused), schemas bounded (aios/tools/schema_limits.py), annotations read
with the spec's cautious defaults, results bounded in size.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import mcp.types as mt

from aios.errors import BadRequest
from aios.tools.registry import ToolError
from aios.tools.risk import Risk
from aios.tools.schema_limits import check_schema

__all__ = ["Definition", "approval_rules", "definition_of", "registry_name", "result_of", "risk_of"]

_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MAX_DESCRIPTION = 4000  # characters of a description kept (the planner reads it)
_MAX_ERROR = 2000


@dataclass(frozen=True)
class Definition:
    """One tool as the server described it, checked."""

    name: str  # the server's name for it (what tools/call is sent)
    local: str  # the part after "<server>." in aios (an identifier)
    description: str
    schema: dict[str, Any]
    annotations: dict[str, Any] | None
    risk: Risk

    def pinned(self) -> dict[str, Any]:
        """What is hashed and pinned: everything a person approves."""
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": self.schema,
            "annotations": self.annotations,
        }


def registry_name(name: Any) -> str | None:
    """The identifier a server's tool name becomes (dashes and dots to underscores),
    or None when no safe name can be made of it."""
    if not isinstance(name, str) or len(name) > 64:
        return None
    local = name.replace("-", "_").replace(".", "_")
    return local if _SAFE.fullmatch(local) else None


def risk_of(ann: mt.ToolAnnotations | None) -> Risk:
    """MCP's defaults: not read-only unless it says so; then destructive and
    open-world unless it says otherwise. Always ``host``: the tool runs in another
    program, so only a grant by name (``<server>.*``) reaches it, never ``@local``."""
    read_only = bool(ann is not None and ann.read_only_hint)
    destructive = not read_only and (ann is None or ann.destructive_hint is not False)
    open_world = ann is None or ann.open_world_hint is not False
    return Risk(read_only=read_only, destructive=destructive, open_world=open_world, host=True)


def definition_of(tool: mt.Tool) -> Definition:
    """A checked definition, or BadRequest saying what is wrong with it."""
    local = registry_name(tool.name)
    if local is None:
        raise BadRequest(f"tool name {str(tool.name)[:80]!r} cannot be made a safe name")
    schema = tool.input_schema
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise BadRequest(f"tool {local}: its input schema is not an object schema")
    check_schema(schema, f"tool {local}: input schema")
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise BadRequest(f"tool {local}: 'properties' is not an object")
    ann = (
        tool.annotations.model_dump(mode="json", by_alias=True, exclude_none=True)
        if tool.annotations is not None
        else None
    )
    return Definition(
        name=tool.name,
        local=local,
        description=(tool.description or "")[:_MAX_DESCRIPTION],
        schema=schema,
        annotations=ann,
        risk=risk_of(tool.annotations),
    )


def approval_rules(server: str, rules: list[str]) -> tuple[str, ...]:
    """The server's ``require_approval`` as approval rules. A ``tool:NAME`` names one
    of this server's tools, as the server spells it (``delete-file``, ``files.delete``)
    or as aios does (``delete_file``, ``<server>.delete_file``): it becomes the
    registry's name, or a rule the admin wrote would silently match nothing."""
    out = []
    for r in rules:
        if r.startswith("tool:"):
            name = r[5:].removeprefix(f"{server}.")
            r = f"tool:{server}." + name.replace("-", "_").replace(".", "_")
        out.append(r)
    return tuple(out)


def _bounded(text: str, limit: int) -> str:
    return (
        text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"
    )


def _block(block: Any, limit: int) -> dict[str, Any]:
    """A content block as JSON: text kept (bounded), binary described, not carried."""
    if isinstance(block, mt.TextContent):
        return {"type": "text", "text": _bounded(block.text, limit)}
    if isinstance(block, mt.ImageContent | mt.AudioContent):
        return {"type": block.type, "mime_type": block.mime_type, "base64_chars": len(block.data)}
    if isinstance(block, mt.ResourceLink):
        return {"type": "resource_link", "uri": str(block.uri), "name": block.name}
    if isinstance(block, mt.EmbeddedResource):
        res = block.resource
        text = getattr(res, "text", None)
        out: dict[str, Any] = {"type": "resource", "uri": str(res.uri)}
        if isinstance(text, str):
            out["text"] = _bounded(text, limit)
        return out
    return {"type": str(getattr(block, "type", "unknown"))[:40]}


def result_of(tool: str, res: mt.CallToolResult, limit: int) -> Any:
    """What aios returns for a tools/call: the structured content if any (unwrapped
    from ``{"result": ...}``), else the text (one block) or the blocks; isError is
    a ToolError. Bounded by ``limit`` characters of JSON."""
    blocks = [_block(b, limit) for b in res.content[:100]]
    if res.is_error:
        text = " ".join(b.get("text", "") for b in blocks).strip() or "no message"
        raise ToolError(f"tool {tool} failed: {_bounded(text, _MAX_ERROR)}", tool=tool)
    if res.structured_content is not None:
        value: Any = res.structured_content
        if isinstance(value, dict) and list(value) == ["result"]:
            value = value["result"]  # the SDKs' wrapping of a value that is not an object
    elif len(blocks) == 1 and blocks[0]["type"] == "text":
        return blocks[0]["text"]
    else:
        value = {"content": blocks}
    if isinstance(value, str):
        return _bounded(value, limit)
    text = json.dumps(value, default=str)
    if len(text) > limit:
        return {"truncated": text[:limit], "chars": len(text)}
    return value
