"""Where a plan that has stopped adding anything ends.

A small model does not end its plans: after the calls the question needs it
repeats one, walks through an enum's values for the same question, feeds a tool
its own output, or calls another tool with the same values. Each of those ends the
plan at that call (the calls before it stand). So does a later call whose values
hold only numbers earlier calls already used (``19 * 12`` after ``12 * 19``), and a
later call with no values at all that the question does not name (neither
its tool nor one of its choices): ``spacex_next_launch()`` after
``nasa_apod()`` for "the APOD and the next SpaceX launch" is a plan, while
``current_time()`` after ``calculator(...)`` for "sqrt of 144" is not. Nor does a
plan go on to change what the question does not ask to change: a later call of a
tool whose hints say it changes things, taking no earlier result, that the question
does not name (``fs_write("notes", ...)`` after ``fs_ls("notes")`` for "whats in my notes
folder"). The first call is never cut.
"""

from __future__ import annotations

import re
from typing import Any

from aios.kernel.compiler.narrow import lead_words
from aios.kernel.compiler.plan import Ref, Task
from aios.tools.registry import ToolSpec
from aios.tools.risk import UNKNOWN

__all__ = ["PlanStops"]


class PlanStops:
    """One plan's calls so far; ``why(task)`` says why the plan ends at ``task``."""

    def __init__(self, specs: dict[str, ToolSpec], query: str = "") -> None:
        self.specs = specs
        self.words = _WORD.findall(query.casefold())
        self.seen: set[str] = set()
        self.tools_of: dict[int, str] = {}
        self.used: set[str] = set()  # the values earlier calls took
        self.numbers: set[str] = set()  # the numbers in them

    def why(self, task: Task) -> str | None:
        props = self._props(task)
        exact, loose = call_key(task), "~" + _without_choices(task, props).render()
        values = _literals(task, props)
        later = bool(self.tools_of) and not task.deps  # a later call, taking no result
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
        elif later and values and values <= self.used:
            reason = "a repeat of values earlier calls already used"
        elif later and set() < _numbers(values) <= self.numbers:
            reason = "a repeat of numbers earlier calls already used"
        elif later and self.words and not values and not self._named(task, props):
            reason = "a call the question neither gives values for nor names"
        elif later and self.words and self._changes(task.tool) and not self._named(task, props):
            reason = "a change the question does not ask for"
        self.seen.update((exact, loose))
        self.tools_of[task.id] = task.tool
        self.used |= values
        self.numbers |= _numbers(values)
        return reason

    def _named(self, task: Task, props: dict[str, Any]) -> bool:
        """Whether the question names the call: a word that starts as a word of the
        tool's name (four letters or more), of its description (five or more) or of
        its description's leading verbs does, or one of the call's choices ("date"
        for ``shell(program="date")``)."""
        spec = self.specs.get(task.tool)
        parts = [p for p in _WORD.findall(task.tool.casefold()) if len(p) >= 4]
        if spec is not None:
            parts += [p for p in _WORD.findall(spec.description.casefold()) if len(p) >= 5]
            parts += lead_words(spec.description)  # "Write, create or save ...": "save"
        if any(_starts_alike(p, w) for p in parts for w in self.words):
            return True
        chosen = {str(v).casefold() for k, v in task.args.items() if _choice(props.get(k, {}), v)}
        return bool(chosen & set(self.words))

    def _changes(self, tool: str) -> bool:
        """Whether the tool is known to change something (writes, deletes, moves): its
        hints say so. A tool without hints may do anything, so this rule leaves it be:
        an external tool's later calls are plans' parallel parts more often than not."""
        spec = self.specs.get(tool)
        return spec is not None and spec.risk != UNKNOWN and not spec.risk.read_only

    def _props(self, task: Task) -> dict[str, Any]:
        spec = self.specs.get(task.tool)
        return spec.parameters.get("properties", {}) if spec is not None else {}


def call_key(task: Task) -> str:
    """What makes two calls the same call (refs included, ids not)."""
    return task.render().split(". ", 1)[1]


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z0-9]+")


def _starts_alike(part: str, word: str) -> bool:
    return word.startswith(part[:5]) or (len(word) >= 5 and part.startswith(word))


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
