"""Plans: tasks, typed references, and the plan language.

A plan is one task per line, then ``join()``::

    1. weather(city="Paris")
    2. weather(city="Rome")
    3. calculator(expression=$1.summary)
    join()

Argument values are JSON, or a reference ``$N`` to task N's output, optionally
followed by a path (``$1.temp``, ``$2[0]``); references may also appear inside
lists and objects. A reference is replaced by the referenced object itself, never
by its string form. The parser is a small recursive-descent parser over this
grammar (the same grammar the planner's output is constrained to).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from aios.errors import BadRequest

__all__ = [
    "JOIN",
    "PlanSyntaxError",
    "Ref",
    "Task",
    "iter_refs",
    "parse_line",
    "parse_plan",
    "render_value",
]

JOIN = "join()"
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")  # "<server>.<tool>"
_INT = re.compile(r"[0-9]+")


class PlanSyntaxError(BadRequest):
    code = "plan_syntax"


@dataclass(frozen=True)
class Ref:
    """The output of task ``task``, or a part of it reached by ``path``."""

    task: int
    path: tuple[str | int, ...] = ()

    def render(self) -> str:
        return f"${self.task}" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path
        )

    def bad_step(self) -> str | None:
        """Why the path may not be followed, or None. A step is a dict key, a list
        index or a public field; a name starting with _ never is: it is the way into
        Python's internals ($1.__class__.__init__.__globals__)."""
        for step in self.path:
            if isinstance(step, bool) or not isinstance(step, (int, str)):
                return f"{str(step)[:40]!r} is neither a field name nor an index"
            if isinstance(step, str) and (not step or step.startswith("_")):
                return f"field {step[:40]!r} is private (names starting with _ are never read)"
        return None

    def follow(self, result: Any, field: str = "") -> Any:
        """The part of ``result`` the path names; LookupError if it names none or may
        not be followed (checked here too: validation is not the only way in). With
        no path, ``field`` (a scalar parameter's name) reads ``field_for`` it."""
        why = self.bad_step()
        if why is not None:
            raise LookupError(f"{self.render()[:120]} is an invalid reference: {why}")
        out = result
        for step in self.path:
            try:
                out = _step(out, step)
            except (LookupError, TypeError):
                raise LookupError(
                    f"{self.render()[:120]}: the result of task {self.task} has no {step!r}"
                ) from None
        if field and not self.path and isinstance(out, (dict, list)):
            found, inner = field_for(out, field)
            return inner if found else out
        return out


_ID_PARAM = ("_id", "Id", "ID")
_MAX_LOOKS = 256


def field_for(result: Any, param: str, depth: int = 3) -> tuple[bool, Any]:
    """What a whole-result reference given to scalar parameter ``param`` reads: the
    first field of that name in ``result``, breadth first through objects and the
    first item of lists (``$1`` to ``place_id`` reads ``$1.candidates[0].place_id``);
    for an id parameter (``user_id``) also a field ``id``. (False, None) if none.
    Like a path, never a name starting with _; each object is looked in once, and at
    most ``_MAX_LOOKS`` of them (a result may share or nest itself)."""
    if not param or param.startswith("_"):
        return False, None
    names = [param] + (["id"] if param.endswith(_ID_PARAM) else [])
    for name in names:
        level, seen = [result], set[int]()
        for _ in range(depth + 1):
            nxt: list[Any] = []
            for v in level:
                if id(v) in seen or len(seen) >= _MAX_LOOKS:
                    continue
                seen.add(id(v))
                if isinstance(v, dict):
                    if name in v and not isinstance(v[name], (dict, list)):
                        return True, v[name]
                    room = _MAX_LOOKS - len(seen) - len(nxt)
                    subs = (x for x in v.values() if isinstance(x, (dict, list)))
                    nxt.extend(itertools.islice(subs, max(room, 0)))
                elif isinstance(v, list) and v and isinstance(v[0], (dict, list)):
                    nxt.append(v[0])
            level = nxt
    return False, None


def _step(value: Any, step: str | int) -> Any:
    """One step of a path: a dict key, a list index, or a public field of a pydantic
    model or a dataclass. Never any other attribute: getattr on an arbitrary object
    leads to its class, its module and their globals."""
    if isinstance(value, dict):
        return value[step]
    if isinstance(value, (list, tuple)):
        if isinstance(step, int) and not isinstance(step, bool):
            return value[step]
        raise LookupError(step)
    if isinstance(step, str) and not step.startswith("_"):
        if isinstance(value, BaseModel) and step in type(value).model_fields:
            return getattr(value, step)
        if (
            dataclasses.is_dataclass(value)
            and not isinstance(value, type)
            and step in {f.name for f in dataclasses.fields(value)}
        ):
            return getattr(value, step)
    raise LookupError(step)


@dataclass
class Task:
    id: int
    tool: str
    args: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def deps(self) -> frozenset[int]:
        """The tasks this one reads (args are not changed after parsing)."""
        return frozenset(r.task for r in iter_refs(self.args))

    def render(self) -> str:
        args = ", ".join(f"{k}={render_value(v)}" for k, v in self.args.items())
        return f"{self.id}. {self.tool}({args})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tool": self.tool,
            "args": _jsonable_args(self.args),
            "deps": sorted(self.deps),
            "text": self.render(),
        }


def _jsonable_args(value: Any) -> Any:
    if isinstance(value, Ref):
        return {"$ref": value.task, "path": list(value.path)}
    if isinstance(value, dict):
        return {k: _jsonable_args(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable_args(v) for v in value]
    return value


def iter_refs(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in iter_refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in iter_refs(v)]
    return []


def render_value(value: Any) -> str:
    if isinstance(value, Ref):
        return value.render()
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)}: {render_value(v)}" for k, v in value.items()) + "}"
        )
    return json.dumps(value, ensure_ascii=False)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def fail(self, what: str) -> PlanSyntaxError:
        return PlanSyntaxError(
            f"plan line {self.s!r}: {what} at column {self.i + 1}", line=self.s, column=self.i + 1
        )

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1

    def expect(self, lit: str) -> None:
        self.ws()
        if not self.s.startswith(lit, self.i):
            raise self.fail(f"expected {lit!r}")
        self.i += len(lit)

    def match(self, pattern: re.Pattern[str], what: str) -> str:
        self.ws()
        m = pattern.match(self.s, self.i)
        if m is None:
            raise self.fail(f"expected {what}")
        self.i = m.end()
        return m.group()

    def peek(self) -> str:
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def whole(self, what: str) -> int:
        text = self.match(_INT, what)
        if len(text) > 9:
            raise self.fail(f"{what} {text[:40]!r} is too large")
        return int(text)

    def value(self, depth: int = 0) -> Any:
        if depth > 20:
            raise self.fail("values nested too deeply")
        c = self.peek()
        if c == "$":
            self.i += 1
            ref_id = self.whole("a task number after $")
            path: list[str | int] = []
            while self.i < len(self.s) and self.s[self.i] in ".[":
                if self.s[self.i] == ".":
                    self.i += 1
                    path.append(self.match(_NAME, "a field name"))
                else:
                    self.i += 1
                    path.append(self.whole("an index"))
                    self.expect("]")
            return Ref(ref_id, tuple(path))
        if c == '"':
            try:
                text, end = json.decoder.scanstring(self.s, self.i + 1)  # type: ignore[attr-defined]
            except json.JSONDecodeError as exc:
                raise self.fail(f"bad string ({exc.msg})") from None
            self.i = end
            return text
        if c == "[":
            self.i += 1
            items: list[Any] = []
            if self.peek() == "]":
                self.i += 1
                return items
            while True:
                items.append(self.value(depth + 1))
                if self.peek() == ",":
                    self.i += 1
                    continue
                self.expect("]")
                return items
        if c == "{":
            self.i += 1
            obj: dict[str, Any] = {}
            if self.peek() == "}":
                self.i += 1
                return obj
            while True:
                key = self.value(depth + 1)
                if not isinstance(key, str):
                    raise self.fail("object keys must be strings")
                self.expect(":")
                obj[key] = self.value(depth + 1)
                if self.peek() == ",":
                    self.i += 1
                    continue
                self.expect("}")
                return obj
        for lit, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(lit, self.i):
                self.i += len(lit)
                return val
        num = self.match(_NUMBER, "a value")
        try:  # over 4300 digits int() refuses; 1e999 is inf, which JSON has no way to write
            out = json.loads(num)
        except ValueError:
            raise self.fail(f"number {num[:40]!r} is too large") from None
        if isinstance(out, float) and not math.isfinite(out):
            raise self.fail(f"number {num[:40]!r} is too large")
        return out

    def task(self) -> Task:
        task_id = self.whole("a task number")
        self.expect(".")
        tool = self.match(_TOOL, "a tool name")
        self.expect("(")
        args: dict[str, Any] = {}
        if self.peek() != ")":
            while True:
                name = self.match(_NAME, "an argument name")
                if name in args:
                    raise self.fail(f"argument {name!r} given twice")
                self.expect("=")
                args[name] = self.value()
                if self.peek() == ",":
                    self.i += 1
                    continue
                break
        self.expect(")")
        self.ws()
        if self.i != len(self.s):
            raise self.fail("unexpected text after the call")
        return Task(task_id, tool, args)


def parse_line(line: str) -> Task | None:
    """One plan line: a Task, or None for ``join()``."""
    text = line.strip()
    if text == JOIN:
        return None
    return _Parser(text).task()


def parse_plan(text: str) -> tuple[list[Task], bool]:
    """A whole plan: its tasks and whether it ended with join()."""
    tasks: list[Task] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        task = parse_line(line)
        if task is None:
            return tasks, True
        tasks.append(task)
    return tasks, False
