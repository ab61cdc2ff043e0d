"""compile: streaming planning, execution, joining and replanning, on a scripted LLM."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import tool

from aios.errors import BadRequest
from aios.kernel import ADMIN, Kernel, ProcessState
from aios.tools.risk import READ_ONLY
from tests.conftest import make_config
from tests.fakes import ScriptedCore, finish, replan


class Probe:
    """Tools that record what they receive and when."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, float]] = []
        self.cancelled = 0
        self.flaky_failures = 1

    def register(self, k: Kernel) -> None:
        probe = self

        @tool
        async def fetch(city: str) -> dict[str, Any]:
            """Weather of a city (0.3 s of I/O)."""
            probe.calls.append(("fetch", city, time.monotonic()))
            await asyncio.sleep(0.3)
            return {"city": city, "temp": len(city)}

        @tool
        def combine(items: list[Any]) -> dict[str, Any]:
            """Combine results."""
            probe.calls.append(("combine", items, time.monotonic()))
            return {"n": len(items), "items": items}

        @tool
        def flaky(x: int) -> int:
            """Fails the first time."""
            probe.calls.append(("flaky", x, time.monotonic()))
            if probe.flaky_failures > 0:
                probe.flaky_failures -= 1
                raise RuntimeError("service unavailable")
            return x * 10

        @tool
        async def hang(x: int) -> int:
            """Never returns."""
            probe.calls.append(("hang", x, time.monotonic()))
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                probe.cancelled += 1
                raise
            return x

        for t in (fetch, combine, flaky, hang):
            k.tools.register(t, risk=READ_ONLY)  # local tools: processes may use them


async def compiler_kernel(
    tmp_path: Path,
    plans: list[str],
    decisions: list[str] | None = None,
    *,
    delay: float = 0.0,
    grammar: bool = True,
    **cfg: Any,
) -> tuple[Kernel, ScriptedCore, Probe]:
    core = ScriptedCore(plans, decisions, token_delay=delay, grammar=grammar)
    k = Kernel(make_config(tmp_path, compiler=cfg) if cfg else make_config(tmp_path), cores=[core])
    await k.start()
    probe = Probe()
    probe.register(k)
    return k, core, probe


async def compile_(k: Kernel, query: str = "q", **args: Any) -> Any:
    return await k.syscall(ADMIN, "compile", {"query": query, **args})


async def test_tasks_are_dispatched_while_the_plan_is_still_streaming(tmp_path: Path) -> None:
    plan = (
        '1. fetch(city="Oslo")\n2. fetch(city="Rome")\n3. fetch(city="Lima")\n'
        "4. combine(items=[$1, $2, $3])\njoin()"
    )
    k, _core, _probe = await compiler_kernel(tmp_path, [plan], [finish("done")], delay=0.01)
    try:
        res = await compile_(k, tools=["fetch", "combine"])
    finally:
        await k.close()
    assert res.status == "ok" and res.answer == "done"
    t = res.timings
    assert t["first_dispatch_0_s"] < t["plan_0_done_s"] - 0.1  # overlap with planning
    tasks = {x["id"]: x for x in res.tasks}
    starts = [tasks[i]["started_s"] for i in (1, 2, 3)]
    ends = [tasks[i]["finished_s"] for i in (1, 2, 3)]
    assert max(starts) < min(ends)  # the three fetches ran concurrently
    assert tasks[4]["started_s"] >= max(ends)
    # the dependent task received the objects themselves
    combined = tasks[4]["result"]
    assert combined["n"] == 3 and combined["items"][0] == {"city": "Oslo", "temp": 4}
    assert res.critical_path["tasks"][-1] == 4


async def test_failed_task_triggers_a_replan_that_succeeds(tmp_path: Path) -> None:
    k, core, _probe = await compiler_kernel(
        tmp_path,
        ["1. flaky(x=4)\njoin()", "2. flaky(x=4)\n3. combine(items=[$2])\njoin()"],
        [finish("40")],
    )
    try:
        res = await compile_(k, tools=["flaky", "combine"], max_replans=2)
    finally:
        await k.close()
    tasks = {x["id"]: x for x in res.tasks}
    assert res.status == "ok" and res.replans == 1
    assert tasks[1]["status"] == "error" and "service unavailable" in tasks[1]["error"]["message"]
    assert tasks[2]["status"] == "ok" and tasks[3]["result"]["items"] == [40]
    second = core.requests[1].messages[-1]["content"]  # the planner saw the failure
    assert "service unavailable" in second and "numbered from 2" in second


async def test_joiner_replan_continues_numbering_and_sees_earlier_results(tmp_path: Path) -> None:
    k, core, _probe = await compiler_kernel(
        tmp_path,
        ['1. fetch(city="Oslo")\njoin()', "2. combine(items=[$1, $1.temp])\njoin()"],
        [replan("combine them"), finish("ok")],
    )
    try:
        res = await compile_(k, tools=["fetch", "combine"])
    finally:
        await k.close()
    tasks = {x["id"]: x for x in res.tasks}
    assert res.replans == 1 and res.answer == "ok"
    assert tasks[2]["result"]["items"] == [{"city": "Oslo", "temp": 4}, 4]
    joiner_schemas = [r.params.json_schema for r in core.requests if r.params.json_schema]
    assert "anyOf" in json.dumps(joiner_schemas[0])  # replan allowed the first time


async def test_max_replans_bounds_the_rounds(tmp_path: Path) -> None:
    k, core, probe = await compiler_kernel(tmp_path, ["1. flaky(x=1)\njoin()"], [finish("gave up")])
    probe.flaky_failures = 10
    try:
        res = await compile_(k, tools=["flaky"], max_replans=0)
    finally:
        await k.close()
    assert res.replans == 0 and res.answer == "gave up"
    decision_schema = core.requests[-1].params.json_schema
    assert "replan" not in json.dumps(decision_schema)  # no budget left: finish only


@pytest.mark.parametrize(
    ("plan", "code", "next_id"),
    [
        ('1. fetch(city=$2)\n2. fetch(city="x")\njoin()', "forward_ref", 1),
        ('1. teleport(to="Mars")\njoin()', "unknown_tool", 1),
        ("1. fetch(city=3)\njoin()", "bad_args", 1),
        ('1. fetch(city="x")\n1. fetch(city="y")\njoin()', "duplicate_id", 2),  # 1 ran
        ('1. fetch(city="x"\njoin()', "syntax", 1),
    ],
)
async def test_invalid_plan_gets_one_automatic_replan(
    tmp_path: Path, plan: str, code: str, next_id: int
) -> None:
    good = f'{next_id}. fetch(city="Oslo")\njoin()'
    k, core, _probe = await compiler_kernel(tmp_path, [plan, good], [finish("fine")])
    try:
        res = await compile_(k, tools=["fetch"])
    finally:
        await k.close()
    assert res.status == "ok" and res.answer == "fine"
    assert res.plans[0]["error"]["details"]["issues"][0]["code"] == code
    assert "The plan was invalid" in core.requests[1].messages[-1]["content"]


async def test_invalid_plan_twice_is_a_structured_error(tmp_path: Path) -> None:
    bad = "1. fetch(city=$5)\njoin()"
    k, _core, probe = await compiler_kernel(tmp_path, [bad, bad])
    try:
        t0 = time.monotonic()
        res = await compile_(k, tools=["fetch"], deadline_s=5)
    finally:
        await k.close()
    assert time.monotonic() - t0 < 5
    assert res.status == "failed" and res.error["code"] == "plan_invalid"
    assert res.error["details"]["issues"][0]["code"] == "forward_ref"
    assert probe.calls == []


async def test_json_plans_on_cores_without_grammars(tmp_path: Path) -> None:
    cyclic = json.dumps(
        {
            "tasks": [
                {"tool": "fetch", "args": {"city": {"$ref": 2}}},
                {"tool": "combine", "args": {"items": [{"$ref": 1}]}},
            ]
        }
    )
    good = json.dumps(
        {
            "tasks": [
                {"tool": "fetch", "args": {"city": "Oslo"}},
                {"tool": "combine", "args": {"items": [{"$ref": 1}]}},
            ]
        }
    )
    k, core, _probe = await compiler_kernel(
        tmp_path, [cyclic, good], [finish("json ok")], grammar=False
    )
    try:
        res = await compile_(k, tools=["fetch", "combine"])
    finally:
        await k.close()
    assert res.status == "ok" and res.answer == "json ok"
    assert res.tasks[1]["result"]["items"][0]["city"] == "Oslo"
    retry = core.requests[1].messages[-1]["content"]
    assert "invalid" in retry and "cycle" in retry and core.requests[0].params.grammar is None


async def test_tool_timeout_ends_within_the_deadline(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(
        tmp_path,
        ["1. hang(x=1)\n2. combine(items=[$1])\njoin()"],
        [finish("late")],
        task_timeout_s=0.3,
    )
    try:
        t0 = time.monotonic()
        res = await compile_(k, tools=["hang", "combine"], max_replans=0)
    finally:
        await k.close()
    tasks = {x["id"]: x for x in res.tasks}
    assert time.monotonic() - t0 < 3
    assert tasks[1]["error"]["code"] == "deadline_exceeded"
    assert tasks[2]["status"] == "upstream_failed"
    assert probe.cancelled == 1


async def test_deadline_bounds_the_whole_compile(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(tmp_path, ["1. hang(x=1)\njoin()"])
    try:
        t0 = time.monotonic()
        res = await compile_(k, tools=["hang"], deadline_s=0.5)
        elapsed = time.monotonic() - t0
    finally:
        await k.close()
    assert res.status == "deadline_exceeded" and res.error["code"] == "deadline_exceeded"
    assert elapsed < 1.5
    assert res.tasks[0]["status"] == "cancelled" and probe.cancelled == 1


async def test_kill_cancels_in_flight_tasks(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(tmp_path, ["1. hang(x=1)\n2. hang(x=2)\njoin()"])

    async def agent(ctx: Any, task: str) -> Any:
        return await ctx.compile(task, tools=["hang"])

    try:
        proc = await k.spawn(agent, "wait forever")
        while len(probe.calls) < 2:
            await asyncio.sleep(0.01)
        k.kill(proc.pid)
        info = await k.wait(proc.pid, 2)
        await asyncio.sleep(0.05)
        rows = k.store.list_syscalls(pid=proc.pid)
    finally:
        await k.close()
    assert info.state == ProcessState.KILLED and probe.cancelled == 2
    assert {r.name: r.status for r in rows}["tool.call"] == "cancelled"


async def test_dry_run_plans_without_running_anything(tmp_path: Path) -> None:
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
    k, core, probe = await compiler_kernel(
        tmp_path, ['1. fetch(city="Oslo")\n2. book_flight(to=$1.city)\njoin()']
    )
    try:
        res = await compile_(k, tools=["fetch", ext], dry_run=True)
        with pytest.raises(BadRequest, match="dry_run"):
            await compile_(k, tools=["fetch", ext])
    finally:
        await k.close()
    assert res.status == "planned" and probe.calls == []
    assert [t["tool"] for t in res.tasks] == ["fetch", "book_flight"]
    assert res.tasks[1]["deps"] == [1] and res.critical_path["tasks"] == [1, 2]
    grammar = core.requests[0].params.grammar
    assert "book_flight(" in grammar and "combine(" not in grammar


async def test_compile_runs_as_the_calling_process(tmp_path: Path) -> None:
    k, _core, _probe = await compiler_kernel(
        tmp_path, ['1. fetch(city="Oslo")\njoin()'], [finish("sunny")]
    )

    async def agent(ctx: Any, task: str) -> Any:
        return (await ctx.compile(task, tools=["fetch"])).answer

    try:
        proc = await k.spawn(agent, "weather in Oslo?")
        info = await k.wait(proc.pid, 5)
        names = [r.name for r in k.store.list_syscalls(pid=proc.pid)]
    finally:
        await k.close()
    assert info.result == "sunny"
    assert sorted(names) == ["compile", "llm.chat", "llm.chat", "tool.call"]
    assert info.tool_s >= 0.3 and info.completion_tokens > 0


async def test_compile_refuses_tools_the_process_may_not_call(tmp_path: Path) -> None:
    from aios.kernel import Capabilities

    k, _core, _probe = await compiler_kernel(tmp_path, [])

    async def agent(ctx: Any, task: str) -> Any:
        return await ctx.compile(task, tools=["fetch"])

    try:
        proc = await k.spawn(agent, "q", capabilities=Capabilities(tools=["combine"]))
        info = await k.wait(proc.pid, 5)
    finally:
        await k.close()
    assert "may not call tool 'fetch'" in (info.error or "")


async def test_compile_stream_yields_plan_and_task_events(tmp_path: Path) -> None:
    k, _core, _probe = await compiler_kernel(
        tmp_path, ['1. fetch(city="Oslo")\n2. fetch(city="Rome")\njoin()'], [finish("two")]
    )
    try:
        events = [
            e async for e in k.syscall_stream(ADMIN, "compile", {"query": "q", "tools": ["fetch"]})
        ]
    finally:
        await k.close()
    kinds = [(e["type"], e.get("event")) for e in events]
    assert kinds.count(("plan", None)) == 2
    assert kinds.count(("task", "finished")) == 2
    assert kinds[-1] == ("result", None) and events[-1]["result"]["answer"] == "two"
    second_plan_event = [i for i, kind in enumerate(kinds) if kind == ("plan", None)][1]
    assert kinds.index(("task", "started")) < second_plan_event  # ran before planning ended


async def test_a_repeated_call_ends_a_degenerate_plan(tmp_path: Path) -> None:
    loop = "\n".join(f'{i}. fetch(city="Oslo")' for i in range(1, 9)) + "\njoin()"
    k, _core, probe = await compiler_kernel(tmp_path, [loop], [finish("once")])
    try:
        res = await compile_(k, tools=["fetch"])
    finally:
        await k.close()
    assert len(res.tasks) == 1 and len(probe.calls) == 1
    assert "repeat" in res.plans[0]["note"]


async def test_closing_a_compile_stream_stops_the_compile_before_it_returns(
    tmp_path: Path,
) -> None:
    # a client that goes away closes the stream: the compile behind it must have
    # unwound by then (its tools cancelled), not be left as a pending task
    k, _core, probe = await compiler_kernel(tmp_path, ["1. hang(x=1)\njoin()"])
    try:
        events = k.syscall_stream(ADMIN, "compile", {"query": "q", "tools": ["hang"]})
        async for e in events:
            if e["type"] == "task" and e.get("event") == "started":
                break
        while not probe.calls:
            await asyncio.sleep(0.01)
        await events.aclose()
        assert probe.cancelled == 1
        left = [t for t in asyncio.all_tasks() if "Compiler.run" in repr(t.get_coro())]
        assert left == []
    finally:
        await k.close()
