"""Installed agents: registered in-process, or discovered as plugins (entry points
``aios.agents``/``aios.tools`` and plugin folders, ``discovery.py``).

An agent is an ``aios.agents.sdk.Agent`` subclass (``run(task, ctx)``), or, as
before the SDK, an async callable ``(ctx, task) -> result``, a plain function with
the same signature (run in a worker thread), or a class whose instances have such a
``run(ctx, task)`` method (one instance per process).
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aios.agents.discovery import (
    discover_plugins,
    folder_plugins,
    import_entry,
    load_folder_tools,
)
from aios.agents.manifest import ManifestError, Plugin, server_paths
from aios.agents.sdk import Agent
from aios.errors import AiosError, BadRequest, NotFound

if TYPE_CHECKING:
    from aios.config import Config
    from aios.config_plugins import McpServerConfig
    from aios.tools.registry import ToolRegistry

__all__ = ["AgentFn", "AgentRegistry", "adapt"]

log = logging.getLogger(__name__)

AgentFn = Callable[..., Any]
GROUP = "aios.agents"


class PluginLoadError(AiosError):
    code = "plugin_error"
    status = 422


class AgentRegistry:
    def __init__(self) -> None:
        self._agents: dict[str, Any] = {}  # registered in-process by the kernel's owner
        self._plugins: dict[str, Plugin] = {}  # discovered, by name (some with errors)
        self._failed: list[Plugin] = []  # failed ones whose name was taken by another
        self._locks_lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}  # per plugin: one import at a time
        self._config: Config | None = None  # where plugins are found (for rescan)
        self._servers: dict[str, str] = {}  # MCP server names taken, and by whom

    @classmethod
    def discover(
        cls, config: Config | None = None, tools: ToolRegistry | None = None
    ) -> AgentRegistry:
        """Entry points and plugin folders; ``tools``: where plugins' tools go."""
        reg = cls()
        reg._config = config
        # a server name already taken would give the plugin that one's tools ("<name>.*")
        if config is not None:
            reg._servers = {s.name: "the config (mcp.servers)" for s in config.mcp.servers}
        for plugin in discover_plugins(config, tools):
            reg._add_found(plugin)
        return reg

    def _add_found(self, plugin: Plugin) -> None:
        servers = plugin.manifest.mcp_servers if plugin.manifest is not None else []
        clash = next((s.name for s in servers if s.name in self._servers), None)
        if clash is not None and plugin.error is None:
            plugin.error = f"its MCP server name {clash!r} is taken by {self._servers[clash]}"
        self.add(plugin)
        if plugin.error is None:
            self._servers.update({s.name: f"plugin {plugin.name}" for s in servers})

    def rescan(self) -> list[str]:
        """Plugin folders added since the daemon started (those it knows keep what
        it read then: their code may be imported already); off the event loop.
        Returns the names found. Their code runs only after consent, as at start."""
        if self._config is None:
            return []
        with self._locks_lock:
            known = {p.folder.resolve() for p in self.plugins() if p.folder is not None}
            found = folder_plugins(self._config, None, skip=known)
            for plugin in found:
                self._add_found(plugin)
        return [p.name for p in found]

    def add(self, plugin: Plugin) -> None:
        """Add a discovered plugin; a second of the same name is kept with an error."""
        first = self._plugins.get(plugin.name)
        if first is not None or plugin.name in self._agents:
            by = first.source if first is not None else "registered"
            where = f" ({first.folder.name})" if first is not None and first.folder else ""
            plugin.error = plugin.error or f"duplicate name {plugin.name!r}: {by}{where} has it"
            if plugin.tools:  # its tools stay registered; only the agent name is taken
                plugin.error += f" (its tools {', '.join(plugin.tools)} are registered)"
            self._failed.append(plugin)
            return
        self._plugins[plugin.name] = plugin

    def register(self, name: str, agent: Any) -> None:
        if not (callable(agent) or hasattr(agent, "run")):
            raise BadRequest(f"agent {name!r} is neither callable nor has a run() method")
        self._agents[name] = agent

    # -- reading -------------------------------------------------------------------

    def plugin(self, name: str) -> Plugin | None:
        """The discovered plugin of that name (registered agents come first: None)."""
        if name in self._agents:
            return None
        return self._plugins.get(name)

    def plugins(self) -> list[Plugin]:
        """Every agent and plugin, failed ones included, by name."""
        registered = [
            Plugin(name=n, manifest=None, folder=None, source="registered", description=_doc(a))
            for n, a in self._agents.items()
        ]
        shadowed = [p for p in self._plugins.values() if p.name in self._agents]
        for p in shadowed:
            p.error = p.error or f"duplicate name {p.name!r}: an agent registered in-process has it"
        found = list(self._plugins.values())
        return sorted([*registered, *found, *self._failed], key=lambda p: (p.name, p.source))

    def load_tools(self, plugin: Plugin, tools: ToolRegistry) -> None:
        """Import and register a folder plugin's tools (after consent)."""
        with self._locks_lock:
            lock = self._load_locks.setdefault(plugin.name, threading.Lock())
        with lock:
            if not plugin.tools and plugin.error is None:
                load_folder_tools(plugin, tools)

    def mcp_servers(self, plugin: Plugin | None = None) -> list[McpServerConfig]:
        """The MCP servers plugins that loaded bring (``[[mcp_servers]]`` in their
        manifests; one plugin's, or all), for the kernel's MCP manager to start; their
        ``ro_paths`` made host paths in the plugin's folder (one that now leads out of
        it: not started)."""
        out = []
        for p in [plugin] if plugin is not None else self._plugins.values():
            if p.error is not None or p.manifest is None or p.folder is None:
                continue
            for cfg in p.manifest.mcp_servers:
                try:
                    paths = server_paths(cfg, p.folder, p.name)
                except (ManifestError, OSError) as exc:
                    log.warning("plugin %s: MCP server not started: %s", p.name, exc)
                    continue
                out.append(cfg.model_copy(update={"ro_paths": paths}))
        return out

    def describe(self, name: str) -> str:
        """The first line of an agent's description, without loading plugins."""
        if name in self._agents:
            return _doc(self._agents[name])
        plugin = self._plugins.get(name)
        return plugin.description if plugin is not None else ""

    def names(self) -> list[str]:
        """The agents that can be spawned."""
        ok = {n for n, p in self._plugins.items() if p.error is None and p.kind == "agent"}
        return sorted({*self._agents, *ok})

    # -- running -------------------------------------------------------------------

    def load(self, plugin: Plugin) -> tuple[str, AgentFn]:
        """Import a plugin's agent (its module runs now: after consent) and return
        (name, callable taking (ctx, task)). Off the event loop: imports may block."""
        if plugin.obj is None:
            with self._locks_lock:
                lock = self._load_locks.setdefault(plugin.name, threading.Lock())
            # a plugin whose import hangs holds its own lock only (and a worker thread)
            with lock:
                if plugin.obj is not None:
                    pass  # another spawn imported it meanwhile
                elif plugin.error is not None:
                    raise PluginLoadError(f"plugin {plugin.name!r}: {plugin.error}")
                elif plugin.loader is None and (plugin.folder is None or plugin.entry is None):
                    raise PluginLoadError(f"plugin {plugin.name!r} has no agent to run")
                else:
                    plugin.obj = self._import(plugin)
        try:
            return plugin.name, adapt(plugin.name, plugin.obj)
        except BadRequest as exc:
            plugin.error = exc.message
            raise

    def _import(self, plugin: Plugin) -> Any:
        try:
            if plugin.loader is not None:
                return plugin.loader()
            assert plugin.folder is not None and plugin.entry is not None
            return import_entry(plugin.folder, plugin.name, plugin.entry)
        except (Exception, SystemExit) as exc:  # sys.exit() at import must not stop the loop
            log.warning("plugin %s failed to import: %r", plugin.name, exc)
            plugin.error = f"failed to import {plugin.entry}: {type(exc).__name__}: {exc}"
            raise PluginLoadError(f"plugin {plugin.name!r} {plugin.error}") from None

    def resolve(self, agent: str | Any) -> tuple[str, AgentFn]:
        """Return (name, callable taking (ctx, task)); async agents stay coroutine
        functions. Discovered plugins that are not loaded yet are loaded here (the
        kernel loads them itself after consent: ``load``)."""
        if isinstance(agent, str):
            obj = self._agents.get(agent)
            if obj is not None:
                return agent, adapt(agent, obj)
            plugin = self._plugins.get(agent)
            if plugin is None:
                raise NotFound(f"no agent named {agent!r}", agent=agent, installed=self.names())
            return self.load(plugin)
        name = getattr(agent, "name", None) or getattr(agent, "__name__", None)
        return str(name or type(agent).__name__), adapt(name or "agent", agent)


def _doc(obj: Any) -> str:
    text = getattr(obj, "description", "") or getattr(obj, "__doc__", None) or ""
    return text.strip().split("\n")[0] if isinstance(text, str) else ""


def adapt(name: str, obj: Any) -> AgentFn:
    """The callable ``(ctx, task)`` of an agent object: an SDK ``Agent`` subclass or
    instance (``run(task, ctx)``), a legacy class or object (``run(ctx, task)``), or a
    function."""
    if inspect.isclass(obj):
        klass: Any = obj
        run = getattr(klass, "run", None)
        if run is None:
            raise BadRequest(f"agent class {name!r} has no run(task, ctx) method")
        sdk = issubclass(klass, Agent)
        if inspect.iscoroutinefunction(run):

            async def run_async(ctx: Any, task: str) -> Any:
                inst = klass()
                return await (inst.run(task, ctx) if sdk else inst.run(ctx, task))

            return run_async

        def run_sync(ctx: Any, task: str) -> Any:
            inst = klass()
            return inst.run(task, ctx) if sdk else inst.run(ctx, task)

        return run_sync
    if isinstance(obj, Agent):
        inst: Any = obj
        if inspect.iscoroutinefunction(inst.run):

            async def run_instance(ctx: Any, task: str) -> Any:
                return await inst.run(task, ctx)

            return run_instance
        return lambda ctx, task: inst.run(task, ctx)
    if hasattr(obj, "run") and not inspect.isfunction(obj):
        return obj.run  # type: ignore[no-any-return]
    if callable(obj):
        return obj  # type: ignore[no-any-return]
    raise BadRequest(f"agent {name!r} is not runnable (an Agent subclass or a function)")
