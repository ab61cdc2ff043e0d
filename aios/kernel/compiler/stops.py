"""Where a plan that has stopped adding anything ends.

A small model does not end its plans: after the calls the question needs it
repeats one, walks through an enum's values for the same question, feeds a tool
its own output, or calls another tool with the same values. Each of those ends the
plan at that call (the calls before it stand). So does a later call whose values
hold only numbers earlier calls already used (``19 * 12`` after ``12 * 19``). A
later call with no values at all is not cut: ``spacex_next_launch()`` after
``nasa_apod()`` is a plan, though ``current_time()`` after ``calculator(...)`` is not.
"""

from __future__ import annotations

import re
from typing import Any

from aios.kernel.compiler.plan import Ref, Task
from aios.tools.registry import ToolSpec

__all__ = ["PlanStops"]


class PlanStops:
    """One plan's calls so far; ``why(task)`` says why the plan ends at ``task``."""

    def __init__(self, specs: dict[str, ToolSpec]) -> None:
        self.specs = specs
        self.seen: set[str] = set()
        self.tools_of: dict[int, str] = {}
        self.used: set[str] = set()  # the values earlier calls took
        self.numbers: set[str] = set()  # the numbers in them

    def why(self, task: Task) -> str | None:
        props = self._props(task)
        exact, loose = call_key(task), "~" + _without_choices(task, props).render()
        values = _literals(task, props)
        reason = None
        if exact in self.seen:
            reason = "a repeat of an earlier call"
        elif loose in self.seen:
            reason = "a repeat of an earlier call with other choices"
        elif task.args and all(
            isinstance(v, Ref) and self.tools_of.get(v.task) == task.tool
            for v in task.args.values()
        ):
            reason = "a repeat fed only by its own tool's results"
        elif self.tools_of and values and not task.deps and values <= self.used:
            reason = "a repeat of values earlier calls already used"
        elif self.tools_of and not task.deps and set() < _numbers(values) <= self.numbers:
            reason = "a repeat of numbers earlier calls already used"
        self.seen.update((exact, loose))
        self.tools_of[task.id] = task.tool
        self.used |= values
        self.numbers |= _numbers(values)
        return reason

    def _props(self, task: Task) -> dict[str, Any]:
        spec = self.specs.get(task.tool)
        return spec.parameters.get("properties", {}) if spec is not None else {}


def call_key(task: Task) -> str:
    """What makes two calls the same call (refs included, ids not)."""
    return task.render().split(". ", 1)[1]


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _numbers(values: set[str]) -> set[str]:
    return {n for v in values for n in _NUMBER.findall(v)}


def _choice(sub: dict[str, Any], value: Any) -> bool:
    return "enum" in sub or sub.get("type") == "boolean" or sub.get("default", object()) == value


def _without_choices(task: Task, props: dict[str, Any]) -> Task:
    """The call less its enum, boolean and default arguments."""
    kept = {k: v for k, v in task.args.items() if not _choice(props.get(k, {}), v)}
    return Task(0, task.tool, kept)


def _literals(task: Task, props: dict[str, Any]) -> set[str]:
    """The values a call takes from the question (strings and numbers, not choices)."""
    out: set[str] = set()
    for k, v in task.args.items():
        if _choice(props.get(k, {}), v):
            continue
        for item in v if isinstance(v, list) else [v]:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                out.add(str(item).casefold())
    return out
