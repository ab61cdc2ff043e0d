"""Agents shipped with the kernel."""

from __future__ import annotations

from typing import Any

from aios.agents.context import ProcessContext

__all__ = ["ChatAgent"]


class ChatAgent:
    """Answers its task with one LLM call. The task is the user's message."""

    name = "chat"
    system = "You are a helpful assistant. Answer briefly."
    # Greedy: small local models answer best, and a process's answer is repeatable.
    temperature = 0.0

    async def run(self, ctx: ProcessContext, task: str) -> Any:
        return await ctx.chat(
            task, system=self.system, max_tokens=256, temperature=self.temperature
        )


class SleepAgent:
    """Waits for ``task`` seconds (at most an hour), holding no LLM core: the
    process-control counterpart of the sleep command."""

    name = "sleep"

    async def run(self, ctx: ProcessContext, task: str) -> Any:
        import asyncio

        try:
            seconds = min(max(float(task or "1"), 0.0), 3600.0)
        except ValueError:
            raise ValueError(f"the task of sleep is a number of seconds, not {task!r}") from None
        async with ctx.waiting("timer"):
            await asyncio.sleep(seconds)
        return seconds
