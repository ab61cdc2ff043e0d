"""Plan references ($N.path) reach only dict keys, list indices and public fields of
pydantic models and dataclasses, never other attributes (model output is hostile)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel, PrivateAttr

from aios.kernel import ADMIN, Kernel
from aios.kernel.compiler.executor import Executor, TaskStatus
from aios.kernel.compiler.grammar import plan_grammar
from aios.kernel.compiler.plan import Ref, Task, parse_line
from aios.kernel.compiler.planner import _tasks_from_json
from aios.kernel.compiler.validate import PlanInvalid, validate_plan
from aios.tools.registry import external_spec
from tests.conftest import make_config
from tests.fakes import ScriptedCore, finish

SECRET = "s3cret"

TOOLS = {
    name: external_spec(
        {
            "name": name,
            "parameters": {
                "type": "object",
                "properties": {"value": {}},
                "required": ["value"],
            },
        }
    )
    for name in ("make", "echo")
}

ESCAPES = [
    "$1.__class__",
    "$1.__dict__",
    "$1._private",
    "$1.__class__.__init__.__globals__",
    "$1.__init__.__globals__",
    "$1.items[0].__class__",
]


class Model(BaseModel):
    name: str = "model"
    items: list[int] = [1, 2]
    _token: str = PrivateAttr(default=SECRET)


@dataclass
class Data:
    name: str = "data"
    _private: str = SECRET


class Plain:
    """Neither a model nor a dataclass: no attribute of it may be read."""

    def __init__(self) -> None:
        self.name = "plain"
        self._private = SECRET


@pytest.mark.parametrize("ref", ESCAPES)
def test_private_and_dunder_paths_are_invalid_at_validation(ref: str) -> None:
    plan = [Task(1, "make", {"value": 1}), parse_line(f"2. echo(value={ref})")]
    issues = validate_plan(plan, TOOLS)  # type: ignore[arg-type]
    assert [i.code for i in issues] == ["bad_ref"], issues
    assert "invalid" in issues[0].message and "private" in issues[0].message


@pytest.mark.parametrize(
    "path", [["__class__"], ["__dict__"], ["_private"], ["a", "__globals__"], [True], [1.5]]
)
def test_json_plan_paths_are_checked_like_plan_lines(path: list[Any]) -> None:
    text = json.dumps(
        {
            "tasks": [
                {"tool": "make", "args": {"value": 1}},
                {"tool": "echo", "args": {"value": {"$ref": 1, "path": path}}},
            ]
        }
    )
    issues = validate_plan(_tasks_from_json(text, 1), TOOLS)
    assert [i.code for i in issues] == ["bad_ref"], issues


@pytest.mark.parametrize("path", ["__class__", {"a": 1}, 7])
def test_json_plan_path_that_is_not_a_list_is_a_syntax_error(path: Any) -> None:
    text = json.dumps({"tasks": [{"tool": "echo", "args": {"value": {"$ref": 1, "path": path}}}]})
    with pytest.raises(PlanInvalid, match="path must be a list"):
        _tasks_from_json(text, 1)


def test_deeply_nested_json_plan_is_invalid_not_a_recursion_error() -> None:
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(PlanInvalid):
        _tasks_from_json('{"tasks": [{"tool": "echo", "args": {"value": ' + deep + "}}]}", 1)
    nested = {"value": 1}
    for _ in range(100):
        nested = {"value": nested}
    with pytest.raises(PlanInvalid, match="too deeply"):
        _tasks_from_json(json.dumps({"tasks": [{"tool": "echo", "args": nested}]}), 1)


def test_plan_grammar_paths_cannot_start_with_an_underscore() -> None:
    grammar = plan_grammar(list(TOOLS.values()), max_tasks=2)
    path = next(line for line in grammar.splitlines() if line.startswith("path ::="))
    assert '"." [a-zA-Z] [a-zA-Z0-9_]' in path


async def _resolve(result: Any, path: tuple[str | int, ...]) -> tuple[TaskStatus, Any, Any]:
    """Run make (returns ``result``) then echo($1<path>), with no validation at all."""
    seen: list[Any] = []

    async def invoke(task: Task, args: dict[str, Any]) -> Any:
        if task.tool == "make":
            return result
        seen.append(args["value"])
        return args["value"]

    ex = Executor(invoke)
    ex.add(Task(1, "make", {}))
    ex.add(Task(2, "echo", {"value": Ref(1, path)}))
    runs = await ex.wait()
    return runs[2].status, runs[2].error, seen


@pytest.mark.parametrize("result", [Model(), Data(), Plain(), {"name": "dict"}, [1, 2]])
@pytest.mark.parametrize(
    "path",
    [
        ("__class__",),
        ("__dict__",),
        ("_private",),
        ("_token",),
        ("__class__", "__init__", "__globals__"),
        ("__init__", "__globals__"),
        ("__reduce_ex__",),
    ],
)
async def test_resolution_refuses_private_and_dunder_steps(
    result: Any, path: tuple[str, ...]
) -> None:
    status, error, seen = await _resolve(result, path)
    assert status == TaskStatus.ERROR and error is not None and error["code"] == "bad_ref"
    assert seen == []  # the tool never received anything
    assert SECRET not in json.dumps(error)


async def test_plain_objects_expose_no_attributes_at_all() -> None:
    status, error, seen = await _resolve(Plain(), ("name",))
    assert status == TaskStatus.ERROR and error is not None and error["code"] == "bad_ref"
    assert seen == []
    for method in ("model_dump", "model_copy", "model_fields", "copy"):  # not fields
        status, _, seen = await _resolve(Model(), (method,))
        assert status == TaskStatus.ERROR and seen == []


@pytest.mark.parametrize(
    ("result", "path", "value"),
    [
        (Model(), ("name",), "model"),
        (Model(), ("items", 1), 2),
        (Data(), ("name",), "data"),
        ({"a": [{"b": 3}]}, ("a", 0, "b"), 3),
        ((10, 20), (1,), 20),
    ],
)
async def test_public_fields_keys_and_indices_still_resolve(
    result: Any, path: tuple[str | int, ...], value: Any
) -> None:
    status, error, seen = await _resolve(result, path)
    assert status == TaskStatus.OK, error
    assert seen == [value]


async def test_compile_refuses_a_plan_that_reaches_for_globals(tmp_path: Path) -> None:
    """End to end: the streamed plan fails validation, so the tool never runs."""
    bad = "1. make_secret(x=1)\n2. echo(value=$1.__class__.__init__.__globals__)\njoin()"
    again = "3. make_secret(x=2)\n4. echo(value=$3._private)\njoin()"  # the automatic replan
    core = ScriptedCore([bad, again], [finish("no")])
    k = Kernel(make_config(tmp_path, fs={"enabled": False}), cores=[core])
    await k.start()
    received: list[Any] = []

    @tool
    def make_secret(x: int) -> Any:
        """Returns an object with internals."""
        return Plain()

    @tool
    def echo(value: Any) -> Any:
        """Echo."""
        received.append(value)
        return str(value)

    k.tools.register(make_secret)
    k.tools.register(echo)
    try:
        res = await k.syscall(
            ADMIN, "compile", {"query": "q", "tools": ["make_secret", "echo"], "max_replans": 1}
        )
    finally:
        await k.close()
    assert res.status == "failed" and res.error["code"] == "plan_invalid"  # type: ignore[attr-defined]
    codes = {i["code"] for i in res.error["details"]["issues"]}  # type: ignore[attr-defined]
    assert codes == {"bad_ref"}
    assert received == []
