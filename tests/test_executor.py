"""The executor: event-driven DAG execution, failures, limits (no model)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from aios.errors import BadRequest
from aios.kernel.compiler.executor import Executor, TaskStatus, ToolPolicy
from aios.kernel.compiler.plan import Ref, Task, parse_plan
from aios.tools.registry import ToolError


class Tools:
    """Test tools: sleep, echo, fail, flaky, hang."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.active = 0
        self.peak = 0
        self.flaky_left = 2

    async def __call__(self, task: Task, args: dict[str, Any]) -> Any:
        self.calls.append((task.tool, args))
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if task.tool == "sleep":
                await asyncio.sleep(args.get("s", 0.2))
                return {"slept": args.get("s", 0.2), "tag": args.get("tag")}
            if task.tool == "echo":
                return args["value"]
            if task.tool == "fail":
                raise ToolError("fail: always fails")
            if task.tool == "bad":
                raise BadRequest("arguments do not match")
            if task.tool == "flaky":
                if self.flaky_left > 0:
                    self.flaky_left -= 1
                    raise ToolError("flaky: try again")
                return "finally"
            if task.tool == "hang":
                await asyncio.sleep(3600)
            raise AssertionError(task.tool)
        finally:
            self.active -= 1


def tasks(text: str) -> list[Task]:
    return parse_plan(text)[0]


async def run(text: str, tools: Tools | None = None, **kw: Any) -> dict[int, Any]:
    ex = Executor(tools or Tools(), **kw)
    for t in tasks(text):
        ex.add(t)
    return await ex.wait()


async def test_independent_tasks_run_concurrently() -> None:
    tools = Tools()
    t0 = time.monotonic()
    runs = await run("\n".join(f'{i}. sleep(s=0.3, tag="{i}")' for i in range(1, 9)), tools)
    assert time.monotonic() - t0 < 0.6  # not 8 x 0.3
    assert tools.peak == 8
    starts = [r.started_at for r in runs.values()]
    ends = [r.finished_at for r in runs.values()]
    assert max(starts) < min(ends)  # all overlapped


async def test_dependent_task_starts_when_its_inputs_are_ready() -> None:
    runs = await run("1. sleep(s=0.2)\n2. sleep(s=0.05)\n3. echo(value=[$1.slept, $2])")
    assert runs[3].result == [0.2, {"slept": 0.05, "tag": None}]  # objects, not strings
    assert runs[3].started_at >= runs[1].finished_at
    assert runs[3].started_at - runs[1].finished_at < 0.05


async def test_references_pass_the_object_not_its_string() -> None:
    tools = Tools()
    await run('1. echo(value={"price": "$2 billion", "n": 3})\n2. echo(value=$1)', tools)
    assert tools.calls[1][1]["value"] == {"price": "$2 billion", "n": 3}


async def test_reference_into_a_string_parameter_becomes_text() -> None:
    tools = Tools()
    await run(
        '1. echo(value={"a": 1})\n2. echo(value=$1.a)',
        tools,
        policies={"echo": ToolPolicy(string_params=frozenset({"value"}))},
    )
    assert tools.calls[1][1]["value"] == "1"


async def test_failure_marks_dependents_upstream_failed_without_hanging() -> None:
    runs = await run("1. fail()\n2. echo(value=$1)\n3. echo(value=[$2])\n4. echo(value=4)")
    assert runs[1].status == TaskStatus.ERROR and runs[1].error["code"] == "tool_error"
    assert runs[2].status == runs[3].status == TaskStatus.UPSTREAM_FAILED
    assert runs[4].status == TaskStatus.OK and runs[4].result == 4


async def test_bad_reference_path_is_an_error_of_that_task() -> None:
    runs = await run('1. echo(value={"a": 1})\n2. echo(value=$1.nope)')
    assert runs[2].status == TaskStatus.ERROR and runs[2].error["code"] == "bad_ref"
    assert "$1.nope" in runs[2].error["message"]


async def test_task_timeout_ends_a_hanging_tool() -> None:
    t0 = time.monotonic()
    runs = await run("1. hang()\n2. echo(value=$1)", task_timeout_s=0.2)
    assert time.monotonic() - t0 < 1
    assert runs[1].error["code"] == "deadline_exceeded"
    assert runs[2].status == TaskStatus.UPSTREAM_FAILED


async def test_retryable_tool_is_retried_with_backoff() -> None:
    tools = Tools()
    runs = await run(
        "1. flaky()",
        tools,
        retries=2,
        backoff_s=0.05,
        policies={"flaky": ToolPolicy(retryable=True)},
    )
    assert runs[1].status == TaskStatus.OK and runs[1].attempts == 3
    tools2 = Tools()
    runs = await run("1. flaky()", tools2, retries=2)  # not retryable: fails once
    assert runs[1].status == TaskStatus.ERROR and runs[1].attempts == 1


async def test_bad_arguments_are_not_retried() -> None:
    runs = await run("1. bad()", retries=3, policies={"bad": ToolPolicy(retryable=True)})
    assert runs[1].attempts == 1 and runs[1].error["code"] == "bad_request"


async def test_global_deadline_cancels_everything_in_time() -> None:
    t0 = time.monotonic()
    runs = await run(
        "1. hang()\n2. sleep(s=5)\n3. echo(value=$2)",
        deadline=time.monotonic() + 0.3,
        task_timeout_s=100,
    )
    assert time.monotonic() - t0 < 1
    assert {r.error["code"] for r in runs.values()} <= {"deadline_exceeded", "upstream_failed"}
    assert all(r.status.terminal for r in runs.values())


async def test_cancel_stops_in_flight_tasks() -> None:
    tools = Tools()
    ex = Executor(tools)
    for t in tasks("1. hang()\n2. hang()\n3. echo(value=$1)"):
        ex.add(t)
    await asyncio.sleep(0.05)
    assert tools.active == 2
    ex.cancel()
    runs = await asyncio.wait_for(ex.wait(), 1)
    await asyncio.sleep(0)
    assert tools.active == 0
    assert [r.status for r in runs.values()] == [TaskStatus.CANCELLED] * 3


async def test_tasks_can_arrive_while_others_run() -> None:
    tools = Tools()
    ex = Executor(tools)
    ex.add(Task(1, "sleep", {"s": 0.1}))
    await asyncio.sleep(0.05)
    assert ex.runs[1].status == TaskStatus.RUNNING
    ex.add(tasks("2. echo(value=$1.slept)")[0])
    runs = await ex.wait()
    assert runs[2].result == 0.1


async def test_prior_results_can_be_referenced_after_a_replan() -> None:
    first = await run('1. echo(value="kept")')
    runs = await run("2. echo(value=$1)", prior=first)
    assert runs[2].result == "kept"


async def test_reused_call_gets_the_earlier_result() -> None:
    tools = Tools()
    first = await run('1. echo(value="once")', tools)
    ex = Executor(tools, prior=first)
    ex.reuse(Task(2, "echo", {"value": "once"}), first[1])
    ex.add(tasks("3. echo(value=$2)")[0])
    runs = await ex.wait()
    assert runs[3].result == "once" and runs[2].reused_from == 1
    assert len(tools.calls) == 2  # the repeat did not call the tool again


async def test_large_random_dag_completes() -> None:
    import random

    rng = random.Random(7)

    async def noop(task: Task, args: dict[str, Any]) -> int:
        return task.id

    ex = Executor(noop)
    for i in range(1, 2001):
        deps = rng.sample(range(1, i), k=min(i - 1, rng.randint(0, 3)))
        ex.add(Task(i, "noop", {"in": [Ref(d) for d in deps]}))
    runs = await asyncio.wait_for(ex.wait(), 10)
    assert all(r.status == TaskStatus.OK for r in runs.values())
    for r in runs.values():  # every task started after all of its inputs finished
        for d in r.task.deps:
            assert runs[d].finished_at <= r.started_at


@pytest.mark.parametrize("limit", [1, 3])
async def test_per_tool_concurrency_limit(tmp_path: Any, limit: int) -> None:
    """Limits live in the tool registry; the executor respects what it returns."""
    from aios.tools.registry import ToolRegistry

    reg = ToolRegistry()
    active = peak = 0

    async def slow(x: int) -> int:
        """Slow."""
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        return x

    spec = reg.register(slow, max_concurrency=limit)

    async def invoke(task: Task, args: dict[str, Any]) -> Any:
        return await reg.invoke(spec, args)

    ex = Executor(invoke)
    for i in range(1, 9):
        ex.add(Task(i, "slow", {"x": i}))
    runs = await ex.wait()
    assert all(r.status == TaskStatus.OK for r in runs.values())
    assert peak == limit
    reg.close()


async def test_a_failure_at_the_head_of_a_5000_task_chain_fails_the_whole_chain() -> None:
    # each task reads the one before: the failure travels 4,999 links (no recursion)
    ex = Executor(Tools())
    ex.add(Task(1, "fail"))
    for i in range(2, 5001):
        ex.add(Task(i, "echo", {"value": Ref(i - 1)}))
    runs = await ex.wait()
    assert runs[1].status == TaskStatus.ERROR
    assert all(runs[i].status == TaskStatus.UPSTREAM_FAILED for i in range(2, 5001))
    assert runs[5000].error is not None and "task 4999" in runs[5000].error["message"]
