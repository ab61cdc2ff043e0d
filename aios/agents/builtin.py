"""Agents shipped with the kernel (no consent needed: they are aios's own code)."""

from __future__ import annotations

import asyncio
from typing import Any

from aios.agents.sdk import Agent

__all__ = ["ChatAgent", "SleepAgent"]


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
