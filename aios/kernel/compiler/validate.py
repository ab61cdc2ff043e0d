"""Plan validation (networkx) and the critical path.

Each problem is a structured ``PlanIssue``; ``PlanInvalid`` carries them all, so a
replan can show the planner exactly what was wrong. Values that are references
are checked when they are resolved, against the referenced object itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import jsonschema
import networkx as nx

from aios.errors import BadRequest
from aios.kernel.compiler.plan import Ref, Task, iter_refs
from aios.tools.registry import ToolSpec

__all__ = ["PlanInvalid", "PlanIssue", "check_task", "critical_path", "plan_graph", "validate_plan"]


@dataclass(frozen=True)
class PlanIssue:
    code: str  # unknown_tool, bad_args, unknown_ref, forward_ref, bad_ref, cycle, duplicate_id
    task: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PlanInvalid(BadRequest):
    code = "plan_invalid"

    def __init__(self, issues: list[PlanIssue]) -> None:
        super().__init__("; ".join(i.message for i in issues), issues=[i.to_dict() for i in issues])
        self.issues = issues


def _has_ref(value: Any) -> bool:
    return bool(iter_refs(value))


def check_args(spec: ToolSpec, task_id: int | None, args: dict[str, Any]) -> list[PlanIssue]:
    """Schema problems of the arguments that are known now (not references)."""
    issues = []
    props = spec.parameters.get("properties", {})
    missing = [k for k in spec.parameters.get("required", []) if k not in args]
    if missing:
        issues.append(
            PlanIssue(
                "bad_args", task_id, f"task {task_id}: {spec.name} needs {', '.join(missing)}"
            )
        )
    for key, value in args.items():
        if props and key not in props:
            issues.append(
                PlanIssue(
                    "bad_args", task_id, f"task {task_id}: {spec.name} has no argument {key!r}"
                )
            )
            continue
        problem = _check_value(value, props.get(key, {}))
        if problem:
            issues.append(
                PlanIssue("bad_args", task_id, f"task {task_id}: {spec.name}({key}=...): {problem}")
            )
    return issues


def _check_value(value: Any, schema: dict[str, Any]) -> str | None:
    """Check what is known now: references are checked once resolved."""
    if isinstance(value, Ref):
        return None
    if _has_ref(value):
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return next((p for v in value if (p := _check_value(v, schema["items"]))), None)
        if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
            props = schema["properties"]
            return next(
                (p for k, v in value.items() if k in props and (p := _check_value(v, props[k]))),
                None,
            )
        return None
    try:
        plain = _without_regexes(schema)
        _VALIDATOR.check_schema(plain)
        error = next(iter(_VALIDATOR(plain).iter_errors(value)), None)
    except (jsonschema.SchemaError, RecursionError):
        return None  # a tool schema jsonschema cannot read: leave it to the tool
    return None if error is None else error.message


# The draft is fixed, so a schema's $schema cannot pick another validator.
_VALIDATOR = jsonschema.Draft202012Validator


def _without_regexes(schema: Any) -> Any:
    """The schema without what jsonschema matches with ``re``: re backtracks, and a
    caller's pattern such as (a+)+$ or a*a*a*a*$ against a model's string would take
    forever. Registered tools check theirs when they run (pydantic's regex engine is
    linear); external tools never run. (Recursion is bounded: the schema passed
    check_schema.)"""
    if isinstance(schema, list):
        return [_without_regexes(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for k, v in schema.items():
        if k in _REGEX_KEYS:
            continue
        if k in _DATA_KEYS:
            out[k] = v
        elif k in _MAP_KEYS and isinstance(v, dict):  # names, then schemas
            out[k] = {name: _without_regexes(sub) for name, sub in v.items()}
        else:
            out[k] = _without_regexes(v)
    if "patternProperties" in schema:
        out.pop("additionalProperties", None)  # which are additional needs the regexes
    return out


_REGEX_KEYS = frozenset({"pattern", "patternProperties"})
_DATA_KEYS = frozenset({"const", "enum", "default", "examples"})  # values, not schemas
_MAP_KEYS = frozenset({"properties", "$defs", "definitions", "dependentSchemas"})


def check_task(
    task: Task, tools: dict[str, ToolSpec], known: Iterable[int], later: Iterable[int] | None = None
) -> list[PlanIssue]:
    """Problems of one task, given the ids defined before it and, for a whole plan,
    after it (None while the plan is still streaming)."""
    known = set(known)
    later = set(later) if later is not None else None
    if task.id in known:
        return [PlanIssue("duplicate_id", task.id, f"task {task.id} is defined twice")]
    spec = tools.get(task.tool)
    if spec is None:
        return [
            PlanIssue(
                "unknown_tool",
                task.id,
                f"task {task.id}: no tool {task.tool!r} (tools: {sorted(tools)})",
            )
        ]
    issues = check_args(spec, task.id, task.args)
    for ref in sorted(iter_refs(task.args), key=lambda r: r.task):
        why = ref.bad_step()
        if why is not None:
            issues.append(
                PlanIssue(
                    "bad_ref", task.id, f"task {task.id}: {ref.render()[:120]} is invalid: {why}"
                )
            )
            continue
        if ref.task in known:
            continue
        if (ref.task in later) if later is not None else ref.task >= task.id:
            issues.append(
                PlanIssue(
                    "forward_ref",
                    task.id,
                    f"task {task.id} refers to ${ref.task}, which is not before it",
                )
            )
        elif ref.task not in known:
            issues.append(
                PlanIssue(
                    "unknown_ref",
                    task.id,
                    f"task {task.id} refers to ${ref.task}, which does not exist",
                )
            )
    return issues


def plan_graph(tasks: Iterable[Task]) -> nx.DiGraph:
    g = nx.DiGraph()
    for t in tasks:
        g.add_node(t.id)
        for d in t.deps:
            g.add_edge(d, t.id)
    return g


def validate_plan(
    tasks: list[Task], tools: dict[str, ToolSpec], earlier: Iterable[int] = ()
) -> list[PlanIssue]:
    """Every problem of a whole plan (for plans that did not come from the grammar)."""
    issues: list[PlanIssue] = []
    defined = set(earlier)
    for i, t in enumerate(tasks):
        issues += check_task(t, tools, defined, later={u.id for u in tasks[i + 1 :]})
        defined.add(t.id)
    g = plan_graph(tasks)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " -> ".join(str(a) for a, _ in cycle) + f" -> {cycle[0][0]}"
        issues.append(PlanIssue("cycle", cycle[0][0], f"tasks form a cycle: {path}"))
    return issues


def critical_path(tasks: Iterable[Task], durations: dict[int, float]) -> tuple[list[int], float]:
    """The longest chain of dependent tasks, weighted by duration (s)."""
    g = plan_graph(tasks)
    if g.number_of_nodes() == 0 or not nx.is_directed_acyclic_graph(g):
        return [], 0.0
    best: dict[int, tuple[float, list[int]]] = {}
    for node in nx.topological_sort(g):
        own = durations.get(node, 0.0)
        preds = [best[p] for p in g.predecessors(node) if p in best]
        length, path = max(preds, default=(0.0, []), key=lambda x: x[0])
        best[node] = (length + own, [*path, node])
    length, path = max(best.values(), key=lambda x: x[0])
    return path, length
