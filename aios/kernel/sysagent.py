"""Agent syscalls: ``agent.list`` (every agent and plugin, failed ones with their
error), ``agent.info`` (one, with its manifest and the capabilities it runs with) and
``agent.approve`` (the admin consents to a plugin ahead of its first run: the way
for one that only provides tools)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from aios.agents.consent import APPROVED, consent_book, origin
from aios.agents.extras import activate
from aios.errors import BadRequest, NotFound
from aios.kernel.caps import Capabilities

if TYPE_CHECKING:
    from aios.agents.manifest import Plugin
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = [
    "AgentEntry",
    "AgentInfo",
    "AgentInfoArgs",
    "AgentsArgs",
    "AgentsResult",
    "agent_approve",
    "agent_info",
    "agent_list",
]


class AgentsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentInfoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class AgentEntry(BaseModel):
    name: str
    version: str = ""
    description: str = ""
    source: str = Field(description='"builtin", "registered", "folder", "entry_point:<dist>"')
    kind: str = Field(default="agent", description='"agent", or "tools" (tools only)')
    isolated: bool = False
    error: str | None = Field(default=None, description="why it cannot run")
    consent: str = Field(
        description='"not needed" (shipped with aios or registered in-process), '
        '"approved", "required" (its next run asks a person), "denied" (it asks again), '
        '"-" (it cannot run)'
    )
    tools: list[str] = Field(default_factory=list, description="tools it registered")


class AgentsResult(BaseModel):
    agents: list[AgentEntry]


class AgentInfo(AgentEntry):
    entry: str | None = None
    manifest: dict[str, Any] | None = None
    capabilities: Capabilities | None = Field(
        default=None, description='what it runs with when spawned by the admin ("~": its home)'
    )
    approved_version: str | None = Field(
        default=None, description="the version whose approval covers this one"
    )
    folder: str | None = Field(default=None, description="its folder (shown to the admin)")


def _caps(plugin: Plugin) -> Capabilities | None:
    if plugin.error is not None:
        return None
    return plugin.manifest.to_capabilities() if plugin.manifest is not None else Capabilities()


def _states(k: Kernel, plugins: list[Plugin]) -> list[tuple[str, str | None]]:
    """Off the loop: each plugin's consent state (and the version approved)."""
    book = consent_book(k)
    out: list[tuple[str, str | None]] = []
    for p in plugins:
        caps = _caps(p)
        if p.builtin:
            out.append(("not needed", None))
        elif caps is None:
            out.append(("-", None))
        else:
            # as a plain run would: in the daemon's process unless the manifest isolates it
            state, d = book.state(
                p.name, p.version, caps, k.tools.is_host, origin(p), not p.isolated
            )
            out.append((state, d.version if d is not None and state != "required" else None))
    return out


def _entry(p: Plugin, consent: str) -> dict[str, Any]:
    return {
        "name": p.name,
        "version": p.version,
        "description": p.description,
        "source": p.source,
        "kind": p.kind,
        "isolated": p.isolated,
        "error": p.error,
        "consent": consent,
        "tools": p.tools,
    }


async def agent_list(k: Kernel, call: Call, args: AgentsArgs) -> AgentsResult:
    """The installed agents and plugins; a plugin that failed is listed with its error.
    The admin's call also finds plugin folders added since the daemon started."""
    if call.caller.admin:
        await asyncio.to_thread(k.agents.rescan)
    plugins = k.agents.plugins()
    states = await asyncio.to_thread(_states, k, plugins)
    return AgentsResult(
        agents=[AgentEntry(**_entry(p, s)) for p, (s, _) in zip(plugins, states, strict=True)]
    )


async def agent_info(k: Kernel, call: Call, args: AgentInfoArgs) -> AgentInfo:
    """One agent or plugin: its manifest, capabilities and consent state."""
    found = [p for p in k.agents.plugins() if p.name == args.name]
    if not found and call.caller.admin and args.name in await asyncio.to_thread(k.agents.rescan):
        found = [p for p in k.agents.plugins() if p.name == args.name]
    if not found:
        raise NotFound(f"no agent named {args.name!r}", agent=args.name)
    # the one that runs under this name first (a duplicate after it, with its error)
    plugin = next((p for p in found if p.error is None), found[0])
    ((state, approved),) = await asyncio.to_thread(_states, k, [plugin])
    return AgentInfo(
        **_entry(plugin, state),
        entry=plugin.entry,
        manifest=plugin.manifest.model_dump(mode="json") if plugin.manifest else None,
        capabilities=_caps(plugin),
        approved_version=approved,
        folder=str(plugin.folder) if plugin.folder is not None and call.caller.admin else None,
    )


async def agent_approve(k: Kernel, call: Call, args: AgentInfoArgs) -> AgentInfo:
    """Consent to a plugin with its manifest's capabilities (admin), as its first run
    would ask; its tools and MCP servers start now."""
    plugin = k.agents.plugin(args.name)
    if plugin is None:
        raise NotFound(f"no plugin named {args.name!r}", agent=args.name)
    caps = _caps(plugin)
    if caps is None:
        raise BadRequest(f"plugin {plugin.name!r} cannot run: {plugin.error}", agent=plugin.name)
    if not plugin.builtin:
        in_process = not plugin.isolated
        book = consent_book(k)
        await asyncio.to_thread(
            book.record,
            plugin.name,
            plugin.version,
            caps,
            APPROVED,
            call.caller.label,
            origin(plugin),
            in_process,
        )
        await activate(k, plugin, in_process=in_process)
    return await agent_info(k, call, args)
