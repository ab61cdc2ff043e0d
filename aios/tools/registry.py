"""The tool registry: langchain-core tools, their argument schemas, and how they run.

Any ``BaseTool`` (``StructuredTool``, a ``@tool`` function, a subclass) can be
registered; its args schema is the contract the planner's grammar and the
validator use. Sync tools run in the registry's own thread pool (so a hung tool
cannot starve the event loop's default executor), async tools on the loop. Each
tool may have a timeout, a concurrency limit and a retry flag.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ValidationError

from aios.errors import AiosError, BadRequest, Conflict, DeadlineExceeded, NotFound
from aios.tools.risk import UNKNOWN, Risk
from aios.tools.schema_limits import check_schema, inline_refs

__all__ = ["ToolDisabled", "ToolError", "ToolRegistry", "ToolSpec", "external_spec"]

log = logging.getLogger(__name__)


class ToolDisabled(Conflict):
    """The tool is known but may not be called now; the message says why."""

    code = "tool_disabled"


class ToolError(AiosError):
    """The tool ran and raised; the message says what it raised."""

    code = "tool_error"
    status = 422


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema of the arguments (an object)
    tool: BaseTool | None = None  # None: an external tool, for planning only
    retryable: bool = False
    timeout_s: float | None = None
    max_concurrency: int | None = None
    is_async: bool = False
    semaphore: asyncio.Semaphore | None = field(default=None, compare=False, repr=False)
    risk: Risk = UNKNOWN
    approvals: tuple[str, ...] = ()  # rules of its provider (an MCP server's config)

    @property
    def external(self) -> bool:
        return self.tool is None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "external": self.external,
            "retryable": self.retryable,
            "timeout_s": self.timeout_s,
            "max_concurrency": self.max_concurrency,
            "risk": self.risk.model_dump(),
        }


def _clean_schema(schema: dict[str, Any], what: str = "parameters") -> dict[str, Any]:
    """Check a schema's limits, then inline its $refs and drop titles: the planner
    sees a compact, flat schema (and no $ref can loop or explode)."""
    check_schema(schema, what)
    out = inline_refs(schema, drop=frozenset({"title"}))
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out


def _schema_of(tool: BaseTool) -> dict[str, Any]:
    schema = tool.tool_call_schema
    raw = schema.model_json_schema() if isinstance(schema, type) else dict(schema)  # type: ignore[union-attr]
    raw.pop("description", None)
    return _clean_schema(raw, f"tool {tool.name}: args schema")


def _is_async(tool: BaseTool) -> bool:
    if isinstance(tool, StructuredTool):
        return tool.coroutine is not None
    return type(tool)._arun is not BaseTool._arun


def _is_name(name: Any) -> bool:
    """What the plan language can write: an ASCII identifier."""
    return isinstance(name, str) and name.isascii() and name.isidentifier()


def external_spec(schema: dict[str, Any]) -> ToolSpec:
    """A tool the caller describes with an OpenAI-style function schema."""
    if not isinstance(schema, dict):
        raise BadRequest("a tool schema must be an object")
    fn = schema.get("function", schema)
    if not isinstance(fn, dict):
        raise BadRequest("a tool schema's 'function' must be an object")
    name = fn.get("name")
    if not isinstance(name, str) or not _is_name(name) or len(name) > 64:
        shown = repr(name[:80]) if isinstance(name, str) else f"a {type(name).__name__}"
        raise BadRequest(f"tool schema needs a 'name' that is an identifier, got {shown}")
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    if not isinstance(params, dict) or params.get("type", "object") != "object":
        raise BadRequest(f"tool {name}: 'parameters' must be a JSON schema of an object")
    params = _clean_schema(params, f"tool {name}: parameters")
    props = params.get("properties")
    # plans write arguments as name=value: other names could never be called
    bad = [k for k in props if not _is_name(k)] if isinstance(props, dict) else ["?"]
    if bad:
        raise BadRequest(
            f"tool {name}: parameter names must be identifiers, got {bad[0][:80]!r}", tool=name
        )
    description = fn.get("description", "")
    return ToolSpec(
        name=name,
        description=description if isinstance(description, str) else "",
        parameters=params,
    )


class ToolRegistry:
    def __init__(self, *, threads: int = 32, default_timeout_s: float = 60.0) -> None:
        self._tools: dict[str, ToolSpec] = {}
        self._disabled: dict[str, str] = {}  # name -> why it cannot be called now
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, "aios-tool")
        self.default_timeout_s = default_timeout_s

    def register(
        self,
        tool: BaseTool | Callable[..., Any],
        *,
        name: str | None = None,
        retryable: bool = False,
        timeout_s: float | None = None,
        max_concurrency: int | None = None,
        replace: bool = False,
        risk: Risk | None = None,
        approvals: tuple[str, ...] = (),
    ) -> ToolSpec:
        """Register a langchain tool, or a plain function (wrapped as a StructuredTool).
        ``risk``: its hints; without them a tool is assumed to reach the host and to
        be destructive, so only processes granted it by name may call it."""
        if not isinstance(tool, BaseTool):
            if not callable(tool):
                raise BadRequest(f"cannot register {tool!r}: not a tool or a function")
            if asyncio.iscoroutinefunction(tool):
                tool = StructuredTool.from_function(coroutine=tool, name=name)
            else:
                tool = StructuredTool.from_function(tool, name=name)
        tool_name = name or tool.name
        if not all(part.isidentifier() for part in tool_name.split(".", 1)):
            raise BadRequest(f"tool name {tool_name!r} must be an identifier (or two, dotted)")
        if tool_name in self._tools and not replace:
            raise Conflict(f"a tool named {tool_name!r} is already registered")
        spec = ToolSpec(
            name=tool_name,
            description=(tool.description or "").strip(),
            parameters=_schema_of(tool),
            tool=tool,
            retryable=retryable,
            timeout_s=timeout_s,
            max_concurrency=max_concurrency,
            is_async=_is_async(tool),
            semaphore=asyncio.Semaphore(max_concurrency) if max_concurrency else None,
            risk=risk or UNKNOWN,
            approvals=tuple(approvals),
        )
        self._tools[tool_name] = spec
        self._disabled.pop(tool_name, None)
        return spec

    def is_host(self, name: str) -> bool:
        """Whether a tool reaches the host (unknown names are assumed to)."""
        spec = self._tools.get(name)
        return spec is None or spec.risk.host

    def unregister(self, name: str) -> None:
        self._tools.pop(name, None)
        self._disabled.pop(name, None)

    def disable(self, name: str, reason: str) -> None:
        """Take a tool out of use (not listed, not planned); calling it names ``reason``."""
        self._tools.pop(name, None)
        self._disabled[name] = reason

    def disabled(self) -> dict[str, str]:
        return dict(self._disabled)

    def get(self, name: str) -> ToolSpec:
        spec = self._tools.get(name)
        if spec is None:
            if name in self._disabled:
                raise ToolDisabled(f"tool {name!r} is disabled: {self._disabled[name]}", tool=name)
            raise NotFound(f"no tool named {name!r}", tool=name, tools=self.names())
        return spec

    def names(self) -> list[str]:
        return sorted(self._tools)

    def specs(self) -> list[ToolSpec]:
        return [self._tools[n] for n in self.names()]

    def validate_args(self, spec: ToolSpec, args: dict[str, Any]) -> None:
        """Raise BadRequest if ``args`` do not match the tool's schema."""
        schema = spec.tool.tool_call_schema if spec.tool is not None else None
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            try:
                schema.model_validate(args)
            except ValidationError as exc:
                errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
                raise BadRequest(
                    f"arguments do not match tool {spec.name}'s schema",
                    tool=spec.name,
                    errors=errors,
                ) from None
            return
        props = spec.parameters.get("properties", {})
        missing = [k for k in spec.parameters.get("required", []) if k not in args]
        unknown = [k for k in args if props and k not in props]
        if missing or unknown:
            raise BadRequest(
                f"arguments do not match tool {spec.name}'s schema",
                tool=spec.name,
                missing=missing,
                unknown=unknown,
            )

    async def invoke(
        self, spec: ToolSpec, args: dict[str, Any], timeout_s: float | None = None
    ) -> Any:
        """Run a tool once: limits, timeout, and errors turned into ToolError."""
        if spec.tool is None:
            raise BadRequest(f"tool {spec.name!r} is external: it can be planned, not run here")
        limit = timeout_s or spec.timeout_s or self.default_timeout_s
        if spec.semaphore is not None:
            async with spec.semaphore:
                return await self._invoke(spec, spec.tool, args, limit)
        return await self._invoke(spec, spec.tool, args, limit)

    async def _invoke(
        self, spec: ToolSpec, tool: BaseTool, args: dict[str, Any], limit: float
    ) -> Any:
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(limit):
                if spec.is_async:
                    return await tool.ainvoke(args)
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._pool, tool.invoke, args)
        except TimeoutError:
            raise DeadlineExceeded(
                f"tool {spec.name} timed out after {limit:g}s", tool=spec.name, timeout_s=limit
            ) from None
        except ValidationError as exc:
            raise BadRequest(
                f"arguments do not match tool {spec.name}'s schema",
                tool=spec.name,
                errors=[e["msg"] for e in exc.errors()],
            ) from None
        except AiosError:
            raise
        except Exception as exc:
            log.debug("tool %s raised after %.3fs", spec.name, time.monotonic() - t0, exc_info=True)
            raise ToolError(
                f"tool {spec.name} failed: {type(exc).__name__}: {exc}", tool=spec.name
            ) from exc

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
