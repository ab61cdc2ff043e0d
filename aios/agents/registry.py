"""Installed agents: found through the ``aios.agents`` entry-point group.

An agent is an async callable ``(ctx, task) -> result``, a plain function with
the same signature (run in a worker thread), or a class whose instances have
such a ``run`` method (one instance per process).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
from collections.abc import Callable
from typing import Any

from aios.errors import BadRequest, NotFound

__all__ = ["AgentFn", "AgentRegistry"]

log = logging.getLogger(__name__)

AgentFn = Callable[..., Any]
GROUP = "aios.agents"


class AgentRegistry:
    def __init__(self) -> None:
        self._agents: dict[str, Any] = {}
        self._entry_points: dict[str, importlib.metadata.EntryPoint] = {}

    @classmethod
    def discover(cls) -> AgentRegistry:
        reg = cls()
        for ep in importlib.metadata.entry_points(group=GROUP):
            reg._entry_points.setdefault(ep.name, ep)
        return reg

    def register(self, name: str, agent: Any) -> None:
        if not (callable(agent) or hasattr(agent, "run")):
            raise BadRequest(f"agent {name!r} is neither callable nor has a run() method")
        self._agents[name] = agent

    def describe(self, name: str) -> str:
        """The first line of an agent's docstring, without loading plugins that fail."""
        try:
            _, fn = self.resolve(name)
        except Exception:
            return ""
        obj = self._agents.get(name, fn)
        doc = getattr(obj, "__doc__", None) or ""
        return doc.strip().split("\n")[0]

    def names(self) -> list[str]:
        return sorted({*self._agents, *self._entry_points})

    def resolve(self, agent: str | Any) -> tuple[str, AgentFn]:
        """Return (name, callable taking (ctx, task)); async agents stay coroutine functions."""
        obj: Any
        if isinstance(agent, str):
            obj = self._agents.get(agent)
            if obj is None:
                ep = self._entry_points.get(agent)
                if ep is None:
                    raise NotFound(f"no agent named {agent!r}", agent=agent, installed=self.names())
                try:
                    obj = ep.load()
                except Exception as exc:
                    log.exception("agent %s failed to load", agent)
                    raise NotFound(f"agent {agent!r} failed to load: {exc}") from exc
                self._agents[agent] = obj
            name = agent
        else:
            obj = agent
            name = (
                getattr(agent, "name", None)
                or getattr(agent, "__name__", None)
                or type(agent).__name__
            )
        if inspect.isclass(obj):
            klass: Any = obj
            run = getattr(klass, "run", None)
            if run is None:
                raise BadRequest(f"agent class {name!r} has no run(ctx, task) method")
            if inspect.iscoroutinefunction(run):

                async def run_async(ctx: Any, task: str) -> Any:
                    return await klass().run(ctx, task)

                return name, run_async
            return name, lambda ctx, task: klass().run(ctx, task)
        if hasattr(obj, "run") and not inspect.isfunction(obj):
            return name, obj.run
        if callable(obj):
            return name, obj
        raise BadRequest(f"agent {name!r} is not runnable")
