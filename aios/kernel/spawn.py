"""What a spawn runs and with which capabilities: the agent (a registered one, a
discovered plugin, a Cerebrum folder), the capabilities it gets (its manifest's,
the caller's, never more than its parent's), its priority, and what happens before
its code runs (a person's consent to a plugin, then importing it, or starting it
isolated).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aios.errors import BadRequest, NotFound, PermissionDenied
from aios.kernel.caps import Caller, Capabilities, missing
from aios.kernel.sysllm import budget_left

if TYPE_CHECKING:
    from aios.agents.context import ProcessContext
    from aios.agents.manifest import Plugin
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import Process

__all__ = ["SpawnPlan", "grant", "plan_spawn", "prepare"]


@dataclass
class SpawnPlan:
    name: str
    fn: Any = None  # the callable (ctx, task); None: made by ``prepare``
    plugin: Plugin | None = None
    isolated: bool = False
    cerebrum: Path | None = None
    ceiling: Capabilities | None = None  # the manifest's: never more than this

    @property
    def needs_prepare(self) -> bool:
        return self.fn is None


def plan_spawn(
    k: Kernel, agent: str | Any, *, isolated: bool, cerebrum: str | None, caller: Caller
) -> SpawnPlan:
    if cerebrum is not None:
        if not caller.admin:
            raise PermissionDenied(
                f"process {caller.pid} may not run a Cerebrum folder: {missing('admin')}",
                capability="admin",
            )
        folder = Path(cerebrum)
        if not folder.is_absolute():
            raise BadRequest("cerebrum is an absolute folder path on the daemon's host")
        if not folder.is_dir():
            raise NotFound(f"no Cerebrum agent folder at {cerebrum!r}", cerebrum=cerebrum)
        return SpawnPlan(name=f"cerebrum:{folder.name}"[:200], isolated=True, cerebrum=folder)
    plugin = k.agents.plugin(agent) if isinstance(agent, str) else None
    if plugin is None:
        if isolated:
            raise BadRequest(
                f"agent {agent if isinstance(agent, str) else '(in-process)'!r} is not a "
                "plugin: only plugins run isolated"
            )
        name, fn = k.agents.resolve(agent)
        return SpawnPlan(name=name, fn=fn)
    if plugin.error is not None:
        raise BadRequest(f"agent {plugin.name!r} cannot run: {plugin.error}", agent=plugin.name)
    if plugin.kind != "agent":
        raise BadRequest(f"plugin {plugin.name!r} provides tools, not an agent")
    ceiling = plugin.manifest.to_capabilities() if plugin.manifest is not None else None
    if plugin.builtin and not isolated:  # shipped with aios: no consent, loaded already
        name, fn = k.agents.load(plugin)
        return SpawnPlan(name=name, fn=fn, plugin=plugin, ceiling=ceiling)
    return SpawnPlan(
        name=plugin.name, plugin=plugin, isolated=isolated or plugin.isolated, ceiling=ceiling
    )


def _lower(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def grant(
    k: Kernel,
    plan: SpawnPlan,
    capabilities: Capabilities | None,
    priority: int | None,
    caller: Caller,
    parent: Process | None,
    home: str,
) -> tuple[Capabilities, int]:
    """The capabilities (``~`` not yet resolved) and priority of the new process."""
    is_host = k.tools.is_host
    if capabilities is not None and plan.ceiling is not None:
        excess = capabilities.excess_over(plan.ceiling, is_host)
        if excess:
            raise PermissionDenied(
                f"more than agent {plan.name!r}'s manifest grants: {missing(excess[0])}",
                excess=excess,
                capability=excess[0],
            )
    if parent is None:  # the admin's
        caps = capabilities or plan.ceiling or Capabilities()
        default = 0
    else:
        assert caller.caps is not None
        caps = capabilities or plan.ceiling or caller.caps
        left = budget_left(k, parent)
        if capabilities is None:  # inherited, or the manifest's: bounded by the parent
            caps = caps.model_copy(
                update={
                    "llm_tokens": _lower(caps.llm_tokens, left),
                    "max_priority": _lower(caps.max_priority, caller.caps.max_priority),
                }
            )
        bound = caller.caps.model_copy(update={"llm_tokens": left})
        excess = caps.for_home(home).excess_over(bound, is_host)
        if excess:
            raise PermissionDenied(  # ``excess`` names every missing capability
                f"a child cannot have capabilities its parent lacks: {missing(excess[0])}",
                excess=excess,
            )
        default = parent.priority
        if priority is not None and priority > parent.priority:
            raise PermissionDenied(
                f"a child cannot have a higher priority ({priority}) than its parent "
                f"({parent.priority})"
            )
    if priority is None:
        priority = default if caps.max_priority is None else min(default, caps.max_priority)
    elif caps.max_priority is not None and priority > caps.max_priority:
        raise PermissionDenied(
            f"priority {priority} is above the highest agent {plan.name!r} may run at "
            f"({caps.max_priority}): {missing(f'max_priority:{priority}')}",
            capability=f"max_priority:{priority}",
        )
    return caps, priority


async def prepare(k: Kernel, proc: Process, plan: SpawnPlan, requested: Capabilities) -> Any:
    """Before any of its code runs: a person's consent to a plugin (its process
    WAITING on "approval"), then the callable that runs it. ``requested``: its
    capabilities as the person sees them (``~`` unresolved)."""
    if plan.cerebrum is not None:
        folder = plan.cerebrum

        async def cerebrum(ctx: ProcessContext, task: str) -> Any:
            from aios.agents.cerebrum_run import run_cerebrum

            return await run_cerebrum(ctx, folder, task)

        return cerebrum
    plugin = plan.plugin
    assert plugin is not None
    from aios.agents.consent import ensure_consent
    from aios.agents.extras import activate

    await ensure_consent(k, proc, plugin, requested, isolated=plan.isolated)
    await activate(k, plugin, in_process=not plan.isolated)  # its tools, its MCP servers
    if plan.isolated:

        async def isolated(ctx: ProcessContext, task: str) -> Any:
            from aios.agents.isolated import run_isolated

            return await run_isolated(ctx, plugin, task)

        return isolated
    _, fn = await asyncio.to_thread(k.agents.load, plugin)
    return fn
