"""compile with a given plan: the caller's plan runs exactly as written (no planner
call for it), refused whole when invalid, validated only on a dry run, and its tool
calls are the caller's tool.call syscalls (permissions and approvals apply)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from aios.errors import BadRequest
from aios.kernel import ADMIN, Capabilities, Kernel, ProcessState
from tests.conftest import make_config
from tests.fakes import ScriptedCore, finish, replan
from tests.test_compiler import Probe, compile_, compiler_kernel

TWO = '1. fetch(city="Oslo")\n2. combine(items=[$1, $1.temp])\njoin()'


async def test_a_given_plan_runs_exactly_its_calls_without_the_planner(tmp_path: Path) -> None:
    k, core, probe = await compiler_kernel(tmp_path, [], [finish("done")])
    try:
        res = await compile_(k, tools=["fetch", "combine"], plan=TWO, max_replans=0)
    finally:
        await k.close()
    assert res.status == "ok" and res.answer == "done" and res.replans == 0
    assert [(c[0], c[1]) for c in probe.calls] == [
        ("fetch", "Oslo"),
        ("combine", [{"city": "Oslo", "temp": 4}, 4]),  # refs resolved to the objects
    ]
    assert [t["tool"] for t in res.tasks] == ["fetch", "combine"]
    assert res.tasks[1]["deps"] == [1] and res.tasks[1]["result"]["n"] == 2
    assert res.plans[0]["given"] is True and res.plans[0]["text"] == TWO
    assert len(core.requests) == 1 and core.requests[0].params.json_schema  # the joiner only


async def test_a_given_plan_runs_its_repeats_too(tmp_path: Path) -> None:
    # the degenerate-plan stops are for the model's plans: a person's plan is run whole
    plan = '1. fetch(city="Oslo")\n2. fetch(city="Oslo")\njoin()'
    k, _core, probe = await compiler_kernel(tmp_path, [], [finish("twice")])
    try:
        res = await compile_(k, tools=["fetch"], plan=plan, max_replans=0)
    finally:
        await k.close()
    assert res.answer == "twice" and len(probe.calls) == 2


async def test_the_default_toolset_and_no_join_line(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(tmp_path, [], [finish("ok")])
    try:
        res = await compile_(k, plan='\n1. fetch(city="Rome")\n\n', max_replans=0)
    finally:
        await k.close()
    assert res.status == "ok" and [c[1] for c in probe.calls] == ["Rome"]


async def test_later_rounds_are_planned_as_usual(tmp_path: Path) -> None:
    k, core, probe = await compiler_kernel(
        tmp_path, ["2. combine(items=[$1])\njoin()"], [replan("combine it"), finish("ok")]
    )
    try:
        res = await compile_(k, tools=["fetch", "combine"], plan='1. fetch(city="Lima")')
    finally:
        await k.close()
    assert res.status == "ok" and res.replans == 1
    assert [c[0] for c in probe.calls] == ["fetch", "combine"]
    assert res.plans[0].get("given") and not res.plans[1].get("given")
    assert "numbered from 2" in core.requests[1].messages[-1]["content"]


async def test_a_failed_given_task_is_replanned_within_max_replans(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(tmp_path, ["2. flaky(x=4)\njoin()"], [finish("40")])
    try:
        res = await compile_(k, tools=["flaky"], plan="1. flaky(x=4)\njoin()", max_replans=1)
    finally:
        await k.close()
    assert res.status == "ok" and res.replans == 1 and len(probe.calls) == 2


@pytest.mark.parametrize(
    ("plan", "needle"),
    [
        ('1. fetch(city="x"\njoin()', "plan line 1"),
        ('1. fetch(city="x")\n2. fetch(city=)\njoin()', "plan line 2"),
        ('1. teleport(to="Mars")\njoin()', "no tool 'teleport'"),
        ('1. fetch(city=$2)\n2. fetch(city="x")\njoin()', "not before it"),
        ("1. fetch(city=$7)\njoin()", "does not exist"),
        ('1. fetch(city="x")\n1. fetch(city="y")', "numbers must increase"),
        ('2. fetch(city="x")\n1. fetch(city="y")', "numbers must increase"),
        ("1. fetch(city=3)\njoin()", "fetch(city=...)"),
        ('1. fetch(city="x")\n2. fetch(city=$1.__class__)', "private"),
        ('1. fetch(city="x")\njoin()\n2. fetch(city="y")', "text after join()"),
        ("join()", "no tasks"),
        ("   \n\n", "no tasks"),
        ("1. combine(items=[$1])\njoin()", "cycle"),  # its own result
    ],
)
async def test_an_invalid_plan_is_refused_and_runs_nothing(
    tmp_path: Path, plan: str, needle: str
) -> None:
    k, core, probe = await compiler_kernel(tmp_path, [])
    try:
        with pytest.raises(BadRequest) as info:
            await compile_(k, tools=["fetch", "combine"], plan=plan)
    finally:
        await k.close()
    assert needle in info.value.message, info.value.message
    assert probe.calls == [] and core.requests == []


async def test_the_refusal_names_the_line(tmp_path: Path) -> None:
    k, _core, _probe = await compiler_kernel(tmp_path, [])
    try:
        with pytest.raises(BadRequest) as info:
            await compile_(k, tools=["fetch"], plan='\n1. fetch(city="x")\n\n2. nope(a=1)')
    finally:
        await k.close()
    assert info.value.code == "plan_invalid"
    assert info.value.message.startswith("plan line 4: task 2: no tool 'nope'")
    assert info.value.details["issues"][0]["code"] == "unknown_tool"


async def test_a_tool_outside_the_toolset_is_refused(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(tmp_path, [])
    try:
        with pytest.raises(BadRequest, match="no tool 'combine'"):
            await compile_(k, tools=["fetch"], plan="1. combine(items=[1])")
    finally:
        await k.close()
    assert probe.calls == []


async def test_a_tool_the_process_may_not_call_is_refused(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(tmp_path, [])

    async def agent(ctx: Any, task: str) -> Any:
        try:
            await ctx.compile(task, plan='1. combine(items=[1])\n2. fetch(city="x")')
        except BadRequest as exc:
            return exc.to_dict()
        return "ran"

    try:
        proc = await k.spawn(agent, "q", capabilities=Capabilities(tools=["combine"]))
        info = await k.wait(proc.pid, 5)
        rows = k.store.list_syscalls(pid=proc.pid)
    finally:
        await k.close()
    assert info.result["code"] == "plan_invalid", info
    assert "no tool 'fetch'" in info.result["message"]
    assert probe.calls == [] and "tool.call" not in [r.name for r in rows]


async def test_dry_run_with_a_plan_only_validates(tmp_path: Path) -> None:
    ext = {
        "type": "function",
        "function": {
            "name": "book_flight",
            "description": "Book a flight.",
            "parameters": {
                "type": "object",
                "properties": {"to": {"type": "string"}},
                "required": ["to"],
            },
        },
    }
    plan = '1. fetch(city="Oslo")\n2. book_flight(to=$1.city)\njoin()'
    k, core, probe = await compiler_kernel(tmp_path, [])
    try:
        res = await compile_(k, tools=["fetch", ext], plan=plan, dry_run=True)
        with pytest.raises(BadRequest, match="dry_run"):  # caller schemas: dry runs only
            await compile_(k, tools=["fetch", ext], plan=plan)
        with pytest.raises(BadRequest, match="needs to"):
            await compile_(k, tools=["fetch", ext], plan="1. book_flight()", dry_run=True)
    finally:
        await k.close()
    assert res.status == "planned" and probe.calls == [] and core.requests == []
    assert [t["tool"] for t in res.tasks] == ["fetch", "book_flight"]
    assert res.tasks[1]["args"] == {"to": {"$ref": 1, "path": ["city"]}}
    assert res.critical_path["tasks"] == [1, 2] and res.plans[0]["given"] is True


async def test_a_given_plan_still_asks_for_approval(tmp_path: Path) -> None:
    core = ScriptedCore([], [finish("approved and ran")])
    cfg = make_config(tmp_path, approvals={"require": ["tool:fetch"]}, fs={"enabled": False})
    k = Kernel(cfg, cores=[core])
    await k.start()
    probe = Probe()
    probe.register(k)

    async def agent(ctx: Any, task: str) -> Any:
        res = await ctx.compile(task, tools=["fetch"], plan='1. fetch(city="Oslo")', max_replans=0)
        return res.answer

    try:
        proc = await k.spawn(agent, "q")
        async with asyncio.timeout(5):
            while not (items := k.approvals.list(state="pending")):
                await asyncio.sleep(0.01)
        assert probe.calls == []  # nothing ran before a person said so
        (item,) = items
        assert item.tool == "fetch" and item.args == {"city": "Oslo"}
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        info = await k.wait(proc.pid, 5)
    finally:
        await k.close()
    assert info.state == ProcessState.EXITED and info.result == "approved and ran"
    assert [c[1] for c in probe.calls] == ["Oslo"]


def _hostile() -> list[tuple[str, str]]:
    many = "\n".join(f'{i}. fetch(city="c{i}")' for i in range(1, 10_001))
    deep = "1. combine(items=" + "[" * 5000 + "]" * 5000 + ")"
    return [
        ("x" * 20_001, "at most 20000"),
        (many[:20_000], "at most 12 tasks"),
        ("\n".join(f"{i}. f()" for i in range(1, 14)), "at most 12 tasks"),
        ('1. fetch(city="a\x00b")', "plan line 1"),
        ('1. fetch(city="x")\x00', "plan line 1"),
        ("\x00" * 20_000, "plan line 1"),
        (deep[:20_000], "nested too deeply"),
        ("1. fetch(city=" + "1" * 19_000 + ")", "too large"),
        ("99999999999. fetch(city=1)", "too large"),
        ("\u2028".join(['1. fetch(city="x")', "join()", "3. x()"]), "after join()"),
    ]


@pytest.mark.parametrize(("plan", "needle"), _hostile())
async def test_hostile_plans_are_refused_cleanly(tmp_path: Path, plan: str, needle: str) -> None:
    k, core, probe = await compiler_kernel(tmp_path, [])
    try:
        with pytest.raises(BadRequest) as info:
            await compile_(k, tools=["fetch", "combine"], plan=plan)
    finally:
        await k.close()
    shown = info.value.message + str(info.value.details)
    assert needle in shown, shown[:300]
    assert len(info.value.message) < 4000
    assert probe.calls == [] and core.requests == []


async def test_a_given_plan_streams_like_a_planned_one(tmp_path: Path) -> None:
    k, core, _probe = await compiler_kernel(tmp_path, [], [finish("two")])
    args = {"query": "q", "tools": ["fetch"], "max_replans": 0}
    plan = '1. fetch(city="Oslo")\n2. fetch(city="Rome")\njoin()'
    try:
        events = [e async for e in k.syscall_stream(ADMIN, "compile", {**args, "plan": plan})]
        with pytest.raises(BadRequest, match="plan line 1"):
            async for _ in k.syscall_stream(ADMIN, "compile", {**args, "plan": "1. fetch("}):
                pass
    finally:
        await k.close()
    kinds = [(e["type"], e.get("event")) for e in events]
    assert kinds.count(("plan", None)) == 2 and kinds.count(("task", "finished")) == 2
    assert events[-1]["result"]["answer"] == "two" and len(core.requests) == 1
