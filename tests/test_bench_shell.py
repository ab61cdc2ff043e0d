"""The shell benchmark's cases and scorer (bench/shell_cases.py, bench/shell_score.py):
no model, no daemon."""

from __future__ import annotations

from typing import Any

import pytest

from bench.shell import fast_command, run_fast
from bench.shell_cases import CASES, SEED
from bench.shell_score import (
    ANY,
    TOOLS,
    Call,
    Case,
    Evaluates,
    Has,
    OneOf,
    Ref,
    score_command,
    score_plan,
)

FAST = [c for c in CASES if c.path == "fast"]
MODEL = [c for c in CASES if c.path == "model"]
SYSCALLS = {
    "proc.list", "proc.kill", "fs.ls", "fs.read", "fs.retrieve", "fs.history", "fs.diff",
    "fs.rollback", "agent.list", "tool.list", "approval.list", "tool.call",
    "shell:help", "shell:exit",
}  # fmt: skip


def _task(i: int, tool: str, **args: Any) -> dict[str, Any]:
    return {"id": i, "tool": tool, "args": args}


def _ref(i: int, *path: str | int) -> dict[str, Any]:
    return {"$ref": i, "path": list(path)}


def _concrete(value: Any, tasks: list[dict[str, Any]]) -> Any:
    """A produced value that an expected one accepts (the first of its choices)."""
    if isinstance(value, OneOf):
        return _concrete(value.values[0], tasks)
    if isinstance(value, Has):
        return " ".join(value.words)
    if isinstance(value, Evaluates):
        return repr(value.value)
    if isinstance(value, Ref):
        return _ref(value.call + 1)
    if value is ANY:
        return "anything"
    if isinstance(value, dict):
        return {k: _concrete(v, tasks) for k, v in value.items()}
    return value


def _expected_plan(calls: tuple[Call, ...]) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for i, c in enumerate(calls, 1):
        tasks.append(_task(i, c.name, **{k: _concrete(v, tasks) for k, v in c.args.items()}))
    return tasks


# ---- the cases -----------------------------------------------------------------------


def test_enough_cases_on_each_path() -> None:
    assert len(CASES) >= 60
    assert len(FAST) >= 20 and len(MODEL) >= 40


def test_cases_are_well_formed() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len({c.text for c in CASES}) == len(CASES)
    for c in CASES:
        assert isinstance(c, Case) and c.text.strip() and c.expect, c.id
        assert c.id.startswith(c.path + "-"), c.id
        if c.path == "fast":
            assert len(c.expect) == 1 and c.expect[0].name in SYSCALLS, c.id
            assert not c.also and not c.needs, c.id
        for plan in (c.expect, *c.also) if c.path == "model" else ():
            for i, call in enumerate(plan):
                assert call.name in TOOLS, (c.id, call.name)
                assert set(call.args) <= set(TOOLS[call.name]), (c.id, call.name)
                for v in call.args.values():
                    if isinstance(v, Ref):
                        assert v.call < i, c.id  # a reference reads an earlier call
        assert set(c.needs) <= set(TOOLS), c.id


def test_seeded_files_cover_the_paths_the_requests_name() -> None:
    named = {
        v
        for c in CASES
        for plan in (c.expect, *c.also)
        for call in plan
        if call.name != "fs_write"  # a new file
        for k, v in call.args.items()
        if k in ("path", "src") and isinstance(v, str) and v
    }
    folders = {p.split("/")[0] for p in SEED}
    assert named <= set(SEED) | folders, named - set(SEED) - folders


@pytest.mark.parametrize("case", FAST, ids=lambda c: c.id)
def test_fast_case_is_answered_by_the_fast_path(case: Case) -> None:
    syscall, args, error = fast_command(case.text)
    assert syscall is not None, f"the fast path does not match {case.text!r} ({error})"
    verdict = score_command(syscall, args, case.expect[0])
    assert verdict.ok, verdict.why


def test_fast_path_captures_no_model_case() -> None:
    # requests whose words the fast path could read as a built-in's, though they ask
    # for more ("find X and show it"): the benchmark reports them as false captures
    captured = {c.id for c in MODEL if fast_command(c.text)[0] is not None}
    assert not captured, captured


def test_run_fast_reports_each_case() -> None:
    rows = run_fast(CASES[:3] + MODEL[:3])
    assert [r["id"] for r in rows] == [c.id for c in CASES[:3] + MODEL[:3]]
    assert all("right" in r for r in rows[:3]) and all("false_capture" in r for r in rows[3:])


# ---- the scorer: fast path ----------------------------------------------------------


def test_score_command_compares_syscall_and_the_arguments_that_matter() -> None:
    want = Call("fs.retrieve", {"query": Has("budget")})
    assert score_command("fs.retrieve", {"query": "the Budget", "top_k": 10}, want).ok
    assert score_command("fs.read", {"path": "budget"}, want).kind == "wrong tool"
    assert score_command("fs.retrieve", {"query": "owls"}, want).kind == "wrong argument"
    assert score_command(None, {}, want).kind == "no calls"
    ls = Call("fs.ls", {"path": ""})
    assert not score_command("fs.ls", {"path": "-la"}, ls).ok
    assert score_command("fs.read", {"path": "/Plan.md"}, Call("fs.read", {"path": "plan.md"})).ok


# ---- the scorer: model path ---------------------------------------------------------


@pytest.mark.parametrize("case", MODEL, ids=lambda c: c.id)
def test_scorer_accepts_every_expected_plan(case: Case) -> None:
    for plan in (case.expect, *case.also):
        verdict = score_plan(_expected_plan(plan), case)
        assert verdict.ok, (plan, verdict)


def _case(*calls: Call, also: tuple[tuple[Call, ...], ...] = ()) -> Case:
    return Case("model-x", "x", "model", calls, also)


def test_scorer_paths_ignore_slashes_case_and_whitespace() -> None:
    case = _case(Call("fs_delete", {"path": "tmp", "recursive": True}))
    assert score_plan([_task(1, "fs_delete", path=" /TMP/ ", recursive=True)], case).ok
    assert score_plan([_task(1, "fs_delete", path="tmp")], case).kind == "missing argument"
    wrong = score_plan([_task(1, "fs_delete", path="tmp", recursive=False)], case)
    assert wrong.kind == "wrong argument"


def test_scorer_defaults_may_be_given_or_left_out() -> None:
    case = _case(Call("fs_delete", {"path": "old.md"}))
    assert score_plan([_task(1, "fs_delete", path="old.md", recursive=False)], case).ok
    invented = score_plan([_task(1, "fs_delete", path="old.md", recursive=True)], case)
    assert invented.kind == "invented argument"
    rollback = _case(Call("fs_rollback", {"path": "plan.md", "n": 1}))
    assert score_plan([_task(1, "fs_rollback", path="plan.md")], rollback).ok
    assert score_plan([_task(1, "fs_rollback", path="plan.md", n="1")], rollback).ok
    assert not score_plan([_task(1, "fs_rollback", path="plan.md", n=2)], rollback).ok


def test_scorer_reasons() -> None:
    case = _case(Call("fs_mv", {"src": "draft.md", "dst": "final.md"}))
    assert score_plan([], case).kind == "no calls"
    assert score_plan([_task(1, "fs_read", path="draft.md")], case).kind == "wrong tool"
    two = [_task(1, "fs_mv", src="draft.md", dst="final.md"), _task(2, "fs_mv", src="a", dst="b")]
    assert score_plan(two, case).kind == "extra step"
    swapped = [_task(1, "fs_mv", src="final.md", dst="draft.md")]
    assert score_plan(swapped, case).kind == "wrong argument"
    copy = _case(Call("fs_read", {"path": "a"}), Call("fs_write", {"path": "b", "content": Ref(0)}))
    assert score_plan([_task(1, "fs_read", path="a")], copy).kind == "missing step"


def test_scorer_order_matters_only_through_references() -> None:
    two = _case(Call("fs_read", {"path": "a.md"}), Call("fs_read", {"path": "b.md"}))
    assert score_plan([_task(1, "fs_read", path="b.md"), _task(2, "fs_read", path="a.md")], two).ok
    copy = _case(Call("fs_read", {"path": "a"}), Call("fs_write", {"path": "b", "content": Ref(0)}))
    good = [_task(1, "fs_read", path="a"), _task(2, "fs_write", path="b", content=_ref(1))]
    assert score_plan(good, copy).ok
    literal = [_task(1, "fs_read", path="a"), _task(2, "fs_write", path="b", content="text")]
    assert score_plan(literal, copy).kind == "wrong reference"
    self_ref = [_task(1, "fs_read", path="a"), _task(2, "fs_write", path="b", content=_ref(2))]
    assert score_plan(self_ref, copy).kind == "wrong reference"
    search = _case(Call("fs_search", {"query": Has("x")}), Call("fs_read", {"path": Ref(0)}))
    hit = [_task(1, "fs_search", query="x"), _task(2, "fs_read", path=_ref(1, 0, "path"))]
    assert score_plan(hit, search).ok
    # a literal argument may not be a reference to something else
    ref = score_plan([_task(1, "fs_read", path=_ref(1))], _case(Call("fs_read", {"path": "a"})))
    assert ref.kind == "wrong argument"


def test_scorer_expressions_by_value() -> None:
    case = _case(Call("calculator", {"expression": Evaluates(391)}))
    for expr in ("0.17 * 2300", "2300*17/100", " 17/100 * 2300 ", "391"):
        assert score_plan([_task(1, "calculator", expression=expr)], case).ok, expr
    for expr in ("17 * 2300", "17% of 2300", "", 391):
        assert not score_plan([_task(1, "calculator", expression=expr)], case).ok, expr


def test_scorer_has_and_one_of() -> None:
    case = _case(Call("fs_write", {"path": "todo.txt", "content": Has("buy milk")}))
    assert score_plan([_task(1, "fs_write", path="todo.txt", content="- Buy milk\n")], case).ok
    assert not score_plan([_task(1, "fs_write", path="todo.txt", content="milk")], case).ok
    echo = _case(Call("shell", {"program": "echo", "args": OneOf(["hi", "you"], ["hi you"])}))
    assert score_plan([_task(1, "shell", program="echo", args=["hi you"])], echo).ok
    assert not score_plan([_task(1, "shell", program="echo", args=["hi"])], echo).ok
    alt = _case(
        Call("fs_search", {"query": Has("budget")}), also=((Call("fs_read", {"path": "b"}),),)
    )
    assert score_plan([_task(1, "fs_read", path="b")], alt).ok
    assert score_plan([_task(1, "fs_ls")], alt).kind == "wrong tool"  # the main plan's reason
