"""Agents shipped with the kernel (no consent needed: they are aios's own code)."""

from __future__ import annotations

import asyncio
from typing import Any

from aios.agents.sdk import Agent

__all__ = ["ChatAgent", "SessionAgent", "SleepAgent"]


class ChatAgent(Agent):
    """Answers its task with one LLM call. The task is the user's message."""

    name = "chat"
    system = "You are a helpful assistant. Answer briefly."
    # Greedy: small local models answer best, and a process's answer is repeatable.
    temperature = 0.0

    async def run(self, task: str, ctx: Any) -> Any:
        return await ctx.llm.chat(
            task, system=self.system, max_tokens=256, temperature=self.temperature
        )


class SleepAgent(Agent):
    """Waits for ``task`` seconds (at most an hour), holding no LLM core: the
    process-control counterpart of the sleep command."""

    name = "sleep"

    async def run(self, task: str, ctx: Any) -> Any:
        try:
            seconds = min(max(float(task or "1"), 0.0), 3600.0)
        except ValueError:
            raise ValueError(f"the task of sleep is a number of seconds, not {task!r}") from None
        waiting = getattr(ctx, "waiting", None)  # in the daemon: WAITING on a timer
        if waiting is None:
            await asyncio.sleep(seconds)
        else:
            async with waiting("timer"):
                await asyncio.sleep(seconds)
        return seconds


class SessionAgent(Agent):
    """Stands for a client outside aios (``aios mcp``): it does nothing and waits
    until it is killed, or for ``task`` seconds (default and at most 30 days), so the
    client's calls are a process's, with its capabilities, accounting and approvals."""

    name = "session"

    async def run(self, task: str, ctx: Any) -> Any:
        limit = 30 * 86400.0
        try:
            seconds = min(max(float(task or limit), 0.0), limit)
        except ValueError:
            raise ValueError(f"the task of session is a number of seconds, not {task!r}") from None
        waiting = getattr(ctx, "waiting", None)
        if waiting is None:
            await asyncio.sleep(seconds)
        else:
            async with waiting("client"):
                await asyncio.sleep(seconds)
        return "ended"
