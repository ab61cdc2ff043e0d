"""MCP servers as aios tools: connect each configured server in the background,
register its tools as ``<server>.<tool>``, keep the registry in step with it.

A slow or dead server never blocks the kernel's start or the other servers: each
runs in a task of its own that connects, lists, serves and reconnects with a capped
backoff; while it is away its tools stay known but disabled, with the reason.
Every call of such a tool is a ``tool.call`` syscall of the calling process (the
registry's function calls the session here), so capabilities, approvals,
accounting and audit are the kernel's. Definitions are pinned (pins.py and
``approve.py``): a changed or new tool is disabled until a person approves it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mcp.types as mt
from langchain_core.tools import StructuredTool
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter, ValidationError

from aios.config import McpConfig, McpServerConfig
from aios.errors import AiosError, Conflict, NotFound, Unavailable
from aios.tools.mcp.approve import PinGuard
from aios.tools.mcp.pins import PinStore, digest
from aios.tools.mcp.session import Connection, list_all_tools, open_connection
from aios.tools.mcp.tools import Definition, approval_rules, definition_of, result_of
from aios.tools.registry import ToolError, ToolRegistry

if TYPE_CHECKING:  # the kernel package imports this one
    from aios.kernel.approvals import ApprovalQueue
    from aios.kernel.sandbox import Sandbox
    from aios.kernel.store import Store

__all__ = ["McpManager"]

log = logging.getLogger(__name__)

_CONNECTION_CLOSED = -32000
_MIN_RELIST_S = 1.0  # a server announcing changes in a loop is listed at most this often
_STABLE_S = 30.0  # connected this long, a server that goes away is retried from 1 s again
# tools/call answers, read as sent: not through ClientSession.call_tool, which checks
# structured content against the server's outputSchema with jsonschema on the event
# loop (a hostile pattern such as "^(a+)+$" would stop the daemon) and may list again
_CALL_RESULT: TypeAdapter[mt.CallToolResult | mt.InputRequiredResult] = TypeAdapter(
    mt.CallToolResult | mt.InputRequiredResult
)


@dataclass(eq=False)
class ServerState:
    cfg: McpServerConfig
    source: str = "config"
    state: str = "stopped"  # connecting | connected | reconnecting | stopped
    error: str | None = None
    conn: Connection | None = None
    task: asyncio.Task[None] | None = None
    offered: dict[str, Definition] = field(default_factory=dict)  # by local name
    refused: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    relist: bool = False
    connects: int = 0
    connected_at: float | None = None
    syncing: asyncio.Lock = field(default_factory=asyncio.Lock)  # one listing at a time

    @property
    def name(self) -> str:
        return self.cfg.name

    def full(self, local: str) -> str:
        return f"{self.cfg.name}.{local}"


def _why(exc: BaseException) -> str:
    """A short reason from an exception (the first leaf of a group)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, AiosError):
        return exc.message[:500]
    if isinstance(exc, TimeoutError):
        return "it did not answer in time"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


class McpManager:
    def __init__(
        self,
        cfg: McpConfig,
        tools: ToolRegistry,
        sandbox: Sandbox,
        approvals: ApprovalQueue,
        store: Store,
    ) -> None:
        """``store``: the kernel's database (its engine holds the pins)."""
        self.tools = tools
        self.sandbox = sandbox
        self.pins = PinStore(store.engine)
        self.guard = PinGuard(self.pins, approvals, tools, self._enable_if_current)
        self._servers: dict[str, ServerState] = {}
        self._started = False
        self._closing = False
        for server in cfg.servers:
            if server.enabled:
                self._servers[server.name] = ServerState(server)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect every server in the background; returns at once."""
        self._started = True
        for s in list(self._servers.values()):
            self._launch(s)

    def add_server(self, cfg: McpServerConfig, *, source: str = "plugin") -> None:
        """Add a server (a plugin's); it connects now if the manager has started."""
        if cfg.name in self._servers:
            raise Conflict(f"an MCP server named {cfg.name!r} is already configured")
        s = self._servers[cfg.name] = ServerState(cfg, source=source)
        if self._started and not self._closing:
            self._launch(s)

    async def remove_server(self, name: str) -> None:
        s = self._servers.pop(name, None)
        if s is None:
            raise NotFound(f"no MCP server named {name!r}")
        await self._stop(s)

    async def close(self) -> None:
        self._closing = True
        await asyncio.gather(*(self._stop(s) for s in self._servers.values()))
        self.guard.cancel_all()

    async def _stop(self, s: ServerState) -> None:
        if s.task is not None:
            s.task.cancel()
            await asyncio.wait({s.task}, timeout=10)
        mine = [*self.tools.names(), *self.tools.disabled()]
        for name in [n for n in mine if n.startswith(s.name + ".")]:
            self.tools.unregister(name)
        self.guard.cancel(s.name)
        s.state, s.offered = "stopped", {}

    def _launch(self, s: ServerState) -> None:
        s.state = "connecting"
        s.task = asyncio.create_task(self._run(s), name=f"mcp-{s.name}")

    # -- reading ------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "transport": s.cfg.transport,
                "source": s.source,
                "state": s.state,
                "error": s.error,
                "tools": sorted(s.full(n) for n in s.offered),
                "disabled": {
                    k: v for k, v in self.tools.disabled().items() if k.startswith(s.name + ".")
                },
                "refused": dict(s.refused),
                "truncated": s.truncated,
                "connects": s.connects,
            }
            for s in self._servers.values()
        ]

    async def refresh(self, name: str) -> dict[str, Any]:
        """List a connected server's tools again now (and ask again about any
        definition whose approval expired)."""
        s = self._servers.get(name)
        if s is None:
            raise NotFound(f"no MCP server named {name!r}")
        if s.conn is None:
            raise Unavailable(f"MCP server {name} is not connected: {s.error or s.state}")
        await self._sync(s, s.conn)
        return next(x for x in self.status() if x["name"] == name)

    # -- one server's life ------------------------------------------------------------

    async def _run(self, s: ServerState) -> None:
        delay = 1.0
        await self._known_offline(s)
        while not self._closing:
            why, up_at = "the connection ended", None
            try:
                async with open_connection(
                    s.cfg, self.sandbox, lambda m: self._on_message(s, m)
                ) as conn:
                    conn.on_lost = s.wake.set
                    s.conn, s.connects, s.connected_at = conn, s.connects + 1, time.time()
                    await self._sync(s, conn)
                    s.state, s.error, up_at = "connected", None, time.monotonic()
                    log.info("mcp server %s: connected, %d tools", s.name, len(s.offered))
                    await self._serve(s, conn)
                    why = conn.why_lost or why
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # a group from the SDK's task groups, or ours
                task = asyncio.current_task()
                if isinstance(exc, KeyboardInterrupt | SystemExit) or (task and task.cancelling()):
                    raise
                why = _why(exc)
            finally:
                s.conn = None
                self._offline(s, why)
            s.state, s.error = "reconnecting", why
            if up_at is not None and time.monotonic() - up_at > _STABLE_S:
                delay = 1.0  # it had been fine: a fresh start (one that crashes at once backs off)
            log.warning("mcp server %s: unavailable (%s); retrying in %.0fs", s.name, why, delay)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, s.cfg.backoff_max_s)

    async def _serve(self, s: ServerState, conn: Connection) -> None:
        """Wait for the connection to end, re-list on tools/list_changed, ping."""
        while not conn.lost.is_set():
            try:
                async with asyncio.timeout(s.cfg.ping_interval_s):
                    await s.wake.wait()
            except TimeoutError:
                try:
                    async with asyncio.timeout(s.cfg.connect_timeout_s):
                        await conn.session.send_ping()
                except Exception as exc:
                    conn.mark_lost(f"it did not answer a ping ({_why(exc)})")
                continue
            s.wake.clear()
            if s.relist and not conn.lost.is_set():
                s.relist = False
                await self._sync(s, conn)
                await asyncio.sleep(_MIN_RELIST_S)

    async def _on_message(self, s: ServerState, message: Any) -> None:
        if isinstance(message, mt.ToolListChangedNotification):
            s.relist = True
            s.wake.set()

    async def _known_offline(self, s: ServerState) -> None:
        """Before the first connection: the tools pinned last time are known, disabled."""
        try:
            _, pins = await asyncio.to_thread(self.pins.load, s.name)
        except Exception:
            log.exception("mcp server %s: reading its pins failed", s.name)
            return
        for local, pin in pins.items():
            if pin.definition is not None and s.full(local) not in self.tools.names():
                self.tools.disable(s.full(local), f"MCP server {s.name} is connecting")

    def _offline(self, s: ServerState, why: str) -> None:
        for local in s.offered:
            self.tools.disable(s.full(local), f"MCP server {s.name} is unavailable ({why})")

    # -- the listing ------------------------------------------------------------------

    async def _sync(self, s: ServerState, conn: Connection) -> None:
        async with s.syncing:
            await self._sync_now(s, conn)

    async def _sync_now(self, s: ServerState, conn: Connection) -> None:
        """Make the registry match the server's listing, under the pins."""
        listing, s.truncated = await list_all_tools(conn, s.cfg)
        if s.truncated:
            log.warning(
                "mcp server %s lists over %d tools: the rest ignored", s.name, s.cfg.max_tools
            )
        defs: dict[str, Definition] = {}
        refused: dict[str, str] = {}
        for tool in listing:
            try:
                d = definition_of(tool)
            except AiosError as exc:
                # the name as an escaped ASCII string: it is shown on the admin's terminal
                refused[ascii(str(tool.name)[:80])[1:-1]] = exc.message[:300]
                continue
            if d.local in defs or d.local in refused:
                refused[d.local] = "two of its tools have this name"
                continue
            defs[d.local] = d
        for local in refused:
            defs.pop(local, None)
        if refused:
            log.warning("mcp server %s: refused tools %s", s.name, refused)
        s.refused = refused
        for local in set(s.offered) - set(defs):
            self.tools.unregister(s.full(local))
            self.guard.cancel(s.name, local)
        s.offered = defs
        ready = await self.guard.check(s.name, defs, s.full)
        for local in ready:
            self._enable(s, defs[local])

    def _enable_if_current(self, server: str, local: str, pinned: str) -> None:
        """An approval came: enable the tool if the server still offers that definition."""
        s = self._servers.get(server)
        d = s.offered.get(local) if s is not None else None
        if s is not None and d is not None and digest(d.pinned()) == pinned and s.conn:
            self._enable(s, d)

    def _enable(self, s: ServerState, d: Definition) -> None:
        full = s.full(d.local)

        async def call(**args: Any) -> Any:
            return await self._call(s, d, args)

        tool = StructuredTool.from_function(
            coroutine=call, name=full, description=d.description, args_schema=d.schema
        )
        try:
            self.tools.register(
                tool,
                name=full,
                timeout_s=s.cfg.call_timeout_s,
                risk=d.risk,
                approvals=approval_rules(s.name, s.cfg.require_approval),
                replace=True,
            )
        except AiosError as exc:
            s.refused[d.local] = exc.message[:300]
            self.tools.disable(full, f"its definition was refused: {exc.message[:300]}")

    # -- calls ----------------------------------------------------------------------------

    async def _call(self, s: ServerState, d: Definition, args: dict[str, Any]) -> Any:
        full = s.full(d.local)
        conn = s.conn
        if conn is None or conn.lost.is_set():
            raise Unavailable(f"MCP server {s.name} is not connected ({s.error or s.state})")
        try:
            res = await conn.session.send_request(
                mt.CallToolRequest(params=mt.CallToolRequestParams(name=d.name, arguments=args)),
                _CALL_RESULT,
            )
        except MCPError as exc:
            if exc.code == _CONNECTION_CLOSED:
                conn.mark_lost("the connection closed")
                raise Unavailable(
                    f"MCP server {s.name} went away during the call to {full}; it is reconnecting",
                    tool=full,
                ) from None
            raise ToolError(f"tool {full} failed: {exc.message[:500]}", tool=full) from None
        except (RuntimeError, ValidationError) as exc:  # an answer the SDK found invalid
            raise ToolError(f"tool {full}: invalid answer from the server: {_why(exc)}") from None
        if not isinstance(res, mt.CallToolResult):
            raise ToolError(f"tool {full}: the server answered something that is not a result")
        return result_of(full, res, s.cfg.max_result_chars)
