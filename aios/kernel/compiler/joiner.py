"""The joiner: after a plan has run, finish with an answer or ask for a replan."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aios.kernel.compiler.executor import TaskRun
from aios.kernel.compiler.grammar import joiner_schema
from aios.kernel.compiler.planner import LLM
from aios.kernel.compiler.prompts import history, joiner_messages

__all__ = ["Decision", "Joiner"]


@dataclass(frozen=True)
class Decision:
    action: str  # "finish" | "replan"
    thought: str
    answer: str | None = None
    feedback: str | None = None


class Joiner:
    def __init__(self, llm: LLM, *, max_tokens: int) -> None:
        self.llm = llm
        self.max_tokens = max_tokens

    async def decide(self, query: str, runs: list[TaskRun], *, can_replan: bool) -> Decision:
        res = await self.llm.chat(
            joiner_messages(query, runs),
            json_schema=joiner_schema(can_replan=can_replan),
            max_tokens=self.max_tokens,
            temperature=0,
        )
        try:
            data = json.loads(res.text)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            # Cut short by the token budget (or not a decision at all, from a core that
            # ignores schemas): answer with the results themselves.
            return Decision("finish", "the decision was cut short", answer=history(runs))
        if data.get("action") == "replan" and can_replan:
            return Decision("replan", data.get("thought", ""), feedback=data.get("feedback"))
        return Decision("finish", data.get("thought", ""), answer=data.get("answer"))
