"""The plan language, validation and the critical path (no model)."""

from __future__ import annotations

import pytest

from aios.kernel.compiler.plan import PlanSyntaxError, Ref, Task, parse_line, parse_plan
from aios.kernel.compiler.validate import critical_path, validate_plan
from aios.tools.registry import ToolSpec, external_spec

TOOLS = {
    "weather": external_spec(
        {
            "name": "weather",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer", "minimum": 1},
                },
                "required": ["city"],
            },
        }
    ),
    "add": external_spec(
        {
            "name": "add",
            "parameters": {
                "type": "object",
                "properties": {"values": {"type": "array", "items": {"type": "number"}}},
                "required": ["values"],
            },
        }
    ),
}


def test_parses_json_values_and_typed_references() -> None:
    t = parse_line('3. f(a="x\\"y", b=$1.temp, c=[$1, $2[0]], d={"k": $2}, e=-1.5e3, f=null)')
    assert t is not None and t.id == 3 and t.tool == "f"
    assert t.args == {
        "a": 'x"y',
        "b": Ref(1, ("temp",)),
        "c": [Ref(1), Ref(2, (0,))],
        "d": {"k": Ref(2)},
        "e": -1500.0,
        "f": None,
    }
    assert t.deps == {1, 2}


def test_render_round_trips() -> None:
    line = '4. add(values=[$1.x, 2, "3"], opts={"deep": [true, $2]})'
    t = parse_line(line)
    assert t is not None and parse_line(t.render()) == t


def test_a_dollar_amount_in_a_string_is_not_a_reference() -> None:
    t = parse_line('2. search(query="the $2 billion deal")')
    assert t is not None and t.deps == set()


def test_join_ends_a_plan() -> None:
    tasks, done = parse_plan('1. weather(city="Oslo")\n\n2. weather(city="Rome")\njoin()\n9. x()')
    assert [t.id for t in tasks] == [1, 2] and done


@pytest.mark.parametrize(
    "line",
    [
        "1. f(x=)",
        "f(x=1)",
        "1. f(x=1",
        "1. f(x=1) extra",
        '1. f(x="unterminated)',
        "1. f(x=1, x=2)",
        "1. f(x=$)",
    ],
)
def test_syntax_errors_say_where(line: str) -> None:
    with pytest.raises(PlanSyntaxError, match="column"):
        parse_line(line)


def _plan(text: str) -> list[Task]:
    return parse_plan(text)[0]


def issues(text: str, tools: dict[str, ToolSpec] = TOOLS) -> set[str]:
    return {i.code for i in validate_plan(_plan(text), tools)}


def test_a_valid_plan_has_no_issues() -> None:
    assert (
        issues(
            '1. weather(city="Oslo")\n2. weather(city="Rome", days=2)\n'
            "3. add(values=[$1.temp, $2.temp])"
        )
        == set()
    )


def test_unknown_tool() -> None:
    assert issues('1. teleport(to="Mars")') == {"unknown_tool"}


def test_args_not_matching_the_schema() -> None:
    assert issues("1. weather(city=3)") == {"bad_args"}
    assert issues('1. weather(city="x", days=0)') == {"bad_args"}  # minimum
    assert issues('1. weather(town="x")') == {"bad_args"}  # missing + unknown
    assert issues('1. weather(city="x")\n2. add(values=["a", $1])') == {"bad_args"}


def test_reference_to_a_later_task_is_a_forward_ref() -> None:
    assert issues('1. weather(city=$2)\n2. weather(city="Oslo")') == {"forward_ref"}


def test_reference_to_a_missing_task() -> None:
    assert issues('1. weather(city="a")\n2. weather(city=$7)') == {"unknown_ref"}


def test_cycle_and_duplicate_ids() -> None:
    found = validate_plan(
        [Task(1, "weather", {"city": Ref(2)}), Task(2, "weather", {"city": Ref(1)})], TOOLS
    )
    assert {i.code for i in found} == {"forward_ref", "cycle"}
    cycle = next(i for i in found if i.code == "cycle")
    assert "1 -> 2 -> 1" in cycle.message or "2 -> 1 -> 2" in cycle.message
    assert issues('1. weather(city="a")\n1. weather(city="b")') == {"duplicate_id"}


def test_critical_path_follows_the_longest_weighted_chain() -> None:
    tasks = _plan(
        '1. weather(city="a")\n2. weather(city="b")\n3. add(values=[$1])\n4. add(values=[$2, $3])'
    )
    path, length = critical_path(tasks, {1: 1.0, 2: 5.0, 3: 1.0, 4: 1.0})
    assert path == [2, 4] and length == 6.0
    path, length = critical_path(tasks, {1: 3.0, 2: 1.0, 3: 3.0, 4: 1.0})
    assert path == [1, 3, 4] and length == 7.0
