"""The agent SDK's one base class.

An agent is a class with ``run(task, ctx)``: ``async def`` runs on the daemon's
loop, a plain ``def`` runs in a worker thread and gets the same context with
blocking methods. ``ctx`` is the same surface whether the agent runs inside the
daemon or in its own confined OS process over HTTP (``aios.agents.client``): every
method is a syscall made as this process, so the manifest's capabilities apply.

This module imports nothing of the kernel: isolated agents import it in their
sandbox.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Agent"]


class Agent:
    """Subclass and write ``run``. ``name`` and ``description`` default to the
    manifest's (or the class name and docstring)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def run(self, task: str, ctx: Any) -> Any:  # pragma: no cover - the subclass's
        raise NotImplementedError(f"{type(self).__name__} does not implement run(task, ctx)")
