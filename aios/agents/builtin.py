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
