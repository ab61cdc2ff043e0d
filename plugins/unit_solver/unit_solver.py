"""unit-solver: arithmetic and unit word problems, answered by a plan of exact tools.

A plain conversion ("72 F in C", "how many feet are in 3 m") is parsed and answered
with one ``convert_units`` call (a ``tool.call`` syscall): exact, and no model
needed. Anything else goes to the kernel's planner (``ctx.compile``, LLMCompiler)
with two tools: the built-in ``calculator`` and this plugin's ``convert_units``
(``unit_tools.py``, an exact unit table). The model only plans; every number in
the result comes from a tool, so it is exact whatever the model's size (a small
model may still plan the wrong calls: the steps show what it computed). The
result carries each step (the call, its exact result or its error), ``value``
(the last step's result) and the answer the planner's joiner wrote.

    aios agents run unit-solver "A runner does 10 km in 50 minutes. What is her speed in mph?"
"""

from __future__ import annotations

import re
from typing import Any

from aios.agents.sdk import Agent

__all__ = ["TOOLS", "UnitSolver"]

TOOLS = ["calculator", "convert_units"]
MAX_TASK_CHARS = 2000

# Small models imitate examples closely, the last one most: one per shape of
# problem, the chained one (a product, then its conversion) last. Plain conversions
# never reach the planner (``direct``).
EXAMPLES = [
    {
        "question": "What is 350 degrees Fahrenheit in Celsius?",
        "plan": '1. convert_units(value=350, from_unit="F", to_unit="C")\njoin()',
    },
    {
        "question": "What is 15 percent of 240?",
        "plan": '1. calculator(expression="240 * 15 / 100")\njoin()',
    },
    {
        "question": "A truck drives 3 hours at 60 miles per hour. "
        "How many kilometers does it cover?",
        "plan": '1. calculator(expression="3 * 60")\n'
        '2. convert_units(value=$1, from_unit="mi", to_unit="km")\njoin()',
    },
]


_NUMBER = r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|an?|one)"
_UNIT = r"([^\d?]+?)"
_DIRECT = [  # (pattern, group of the value, of the source unit, of the target unit)
    (
        re.compile(
            rf"^(?:what is|what's|convert|how much is)?\s*{_NUMBER}\s*{_UNIT}\s+"
            rf"(?:in|to|into|as)\s+{_UNIT}\s*\??$",
            re.I,
        ),
        1,
        2,
        3,
    ),
    (
        re.compile(
            rf"^how many\s+{_UNIT}\s+(?:is|are|make|makes|equal|equals|in)(?:\s+in)?\s+{_NUMBER}\s*"
            rf"{_UNIT}\s*\??$",
            re.I,
        ),
        2,
        3,
        1,
    ),
]


def direct(problem: str) -> tuple[float, str, str] | None:
    """(value, from, to) if the problem is one plain conversion, else None. Only
    the shape is checked here; convert_units judges the units."""
    text = " ".join(problem.split()).rstrip(".")
    for pattern, v, a, b in _DIRECT:
        m = pattern.match(text)
        if m:
            n = m.group(v)
            value = 1.0 if n.lower() in ("a", "an", "one") else float(n)
            return value, m.group(a).strip(), m.group(b).strip()
    return None


class UnitSolver(Agent):
    """Solves math and unit word problems with exact calculator and unit tools."""

    max_replans = 1

    async def run(self, task: str, ctx: Any) -> dict[str, Any]:
        problem = (task or "").strip()
        if not problem:
            raise ValueError('give a problem, e.g. "How many feet is 3 meters?"')
        if len(problem) > MAX_TASK_CHARS:
            raise ValueError(f"a problem is at most {MAX_TASK_CHARS} characters")
        conversion = direct(problem)
        if conversion is not None:
            out = await self._convert(ctx, problem, *conversion)
            if out is not None:
                return out
        res = await ctx.compile(
            problem, tools=TOOLS, examples=EXAMPLES, max_replans=self.max_replans
        )
        steps = [_step(t) for t in res.get("tasks", [])]
        ctx.log.info("planned %d step(s): %s", len(steps), res.get("status"))
        last = next((st for st in reversed(steps) if st["status"] == "ok"), None)
        return {
            "problem": problem,
            "method": "plan",
            "status": res.get("status"),
            "answer": res.get("answer"),
            "value": None if last is None else last["result"],
            "unit": _unit_of(last),
            "steps": steps,
            "replans": res.get("replans", 0),
            "error": res.get("error"),
        }

    async def _convert(
        self, ctx: Any, problem: str, value: float, src: str, dst: str
    ) -> dict[str, Any] | None:
        """One exact conversion; None if convert_units refuses the units (then the
        planner gets the problem: "5 apples in boxes" is no conversion)."""
        args = {"value": value, "from_unit": src, "to_unit": dst}
        try:
            result = await ctx.tools.call("convert_units", **args)
        except Exception as exc:  # the tool's ValueError, as a tool_error
            ctx.log.info("not a plain conversion (%s): planning", str(exc)[:200])
            return None
        call = f'convert_units(value={value:g}, from_unit="{src}", to_unit="{dst}")'
        step = {"id": 1, "call": call, "tool": "convert_units", "args": args, "status": "ok"}
        return {
            "problem": problem,
            "method": "direct",
            "status": "ok",
            "answer": f"{value:g} {src} = {result:.10g} {dst}",
            "value": result,
            "unit": dst,
            "steps": [{**step, "result": result, "error": None}],
            "replans": 0,
            "error": None,
        }


def _unit_of(step: dict[str, Any] | None) -> str | None:
    if step is None or step["tool"] != "convert_units" or not isinstance(step["args"], dict):
        return None
    unit = step["args"].get("to_unit")
    return unit if isinstance(unit, str) else None


def _step(task: dict[str, Any]) -> dict[str, Any]:
    """One tool call of the plan as the user should see it: the call and its exact
    result (or why it failed)."""
    err = task.get("error")
    return {
        "id": task.get("id"),
        "call": task.get("text"),
        "tool": task.get("tool"),
        "args": task.get("args"),
        "status": task.get("status"),
        "result": task.get("result"),
        "error": err.get("message") if isinstance(err, dict) else err,
    }
