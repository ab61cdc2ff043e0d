"""What a plugin brings beside its agent: in-process tools (``provides_tools``) and
MCP servers. Both are its code, so they start only once a person consented to the
plugin: at the kernel's start for a plugin consented to before, after the consent of
its first run otherwise, or when the admin approves it (``agent.approve``, ``aios
agents approve NAME``: the way for a plugin that only provides tools).

Its tools run in the daemon's process, so they need a consent to run in process;
its MCP servers are confined programs, so a consent to run isolated is enough.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aios.errors import AiosError

if TYPE_CHECKING:
    from aios.agents.manifest import Plugin
    from aios.kernel.kernel import Kernel

__all__ = ["activate", "activate_consented", "has_extras"]

log = logging.getLogger(__name__)

START_WAIT_S = 20.0  # per plugin at the kernel's start: an import that hangs holds no start


def has_extras(plugin: Plugin) -> bool:
    m = plugin.manifest
    return m is not None and (m.provides_tools is not None or bool(m.mcp_servers))


def _done(k: Kernel) -> dict[str, set[str]]:
    """Per plugin, what was started: "tools", "mcp" (on the kernel: made on first use)."""
    done: dict[str, set[str]] | None = k.__dict__.get("_plugin_extras")
    if done is None:
        done = k.__dict__["_plugin_extras"] = {}
    return done


async def activate(k: Kernel, plugin: Plugin, *, in_process: bool) -> None:
    """Start what ``plugin`` brings (once each); failures become its error."""
    if not has_extras(plugin) or plugin.error is not None or plugin.folder is None:
        return
    assert plugin.manifest is not None
    done = _done(k).setdefault(plugin.name, set())
    if "mcp" not in done:
        done.add("mcp")
        for cfg in k.agents.mcp_servers(plugin):
            try:
                k.mcp.add_server(cfg)
            except AiosError as exc:  # a name taken meanwhile: not started
                log.warning("plugin %s: MCP server %r: %s", plugin.name, cfg.name, exc.message)
    if in_process and plugin.manifest.provides_tools is not None and "tools" not in done:
        done.add("tools")
        await asyncio.to_thread(k.agents.load_tools, plugin, k.tools)


async def activate_consented(k: Kernel) -> None:
    """At the kernel's start: what plugins consented to before bring."""
    from aios.agents.consent import APPROVED, consent_book, origin

    book = consent_book(k)
    for plugin in k.agents.plugins():
        if not has_extras(plugin) or plugin.error is not None or plugin.manifest is None:
            continue
        caps = plugin.manifest.to_capabilities()
        for in_process in (True, False):
            state, _ = await asyncio.to_thread(
                book.state,
                plugin.name,
                plugin.version,
                caps,
                k.tools.is_host,
                origin(plugin),
                in_process,
            )
            if state == APPROVED:
                try:  # on time out its import goes on in its thread; the kernel starts
                    await asyncio.wait_for(activate(k, plugin, in_process=in_process), START_WAIT_S)
                except TimeoutError:
                    log.warning(
                        "plugin %s: its tools still load after %.0f s; starting without them",
                        plugin.name,
                        START_WAIT_S,
                    )
                break
