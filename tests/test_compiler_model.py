"""compile on the real bundled model: every plan valid, parallel runs, replans, kills."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.tools import tool

from aios.config import Config
from aios.kernel import ADMIN, Kernel, ProcessState
from aios.tools.risk import READ_ONLY
from tests.plan_prompts import PROMPTS

pytestmark = pytest.mark.model


@tool
async def weather(city: str) -> dict[str, Any]:
    """Current weather in a city: temperature in Celsius and a summary."""
    # long enough that the fan-out's calls overlap even when planning is slowed by a
    # loaded machine (a line of plan can take most of a second then)
    await asyncio.sleep(1.5)
    return {"city": city, "temp_c": 10 + len(city), "summary": "clear"}


@tool
def search(query: str) -> str:
    """Search the web; returns a short text."""
    return f"Top result for {query!r}."


@pytest.fixture
async def k(config: Config) -> AsyncIterator[Kernel]:
    async with Kernel(config) as kernel:
        kernel.tools.register(weather, risk=READ_ONLY)
        kernel.tools.register(search, risk=READ_ONLY)
        yield kernel


async def test_every_prompt_gets_a_valid_plan(k: Kernel) -> None:
    assert len(PROMPTS) >= 30
    tools = ["weather", "search", "calculator", "current_time"]
    for prompt in PROMPTS:
        res: Any = await k.syscall(
            ADMIN, "compile", {"query": prompt, "tools": tools, "dry_run": True}
        )
        assert res.status == "planned", (prompt, res.error, res.plans)
        assert res.tasks and all(t["tool"] in tools for t in res.tasks), (prompt, res.plans)
        assert "error" not in res.plans[0], (prompt, res.plans)
        ids = [t["id"] for t in res.tasks]
        assert ids == list(range(1, len(ids) + 1))
        assert all(d < t["id"] for t in res.tasks for d in t["deps"])


async def test_fan_out_runs_in_parallel_end_to_end(k: Kernel) -> None:
    res: Any = await k.syscall(
        ADMIN,
        "compile",
        {
            "query": "What is the weather in Paris, London and Rome?",
            "tools": ["weather"],
            "max_replans": 0,
        },
    )
    assert res.status == "ok" and res.answer, (res.error, res.plans)
    fetches = [t for t in res.tasks if t["tool"] == "weather" and t["status"] == "ok"]
    assert len(fetches) >= 2, res.plans
    assert max(t["started_s"] for t in fetches) < min(t["finished_s"] for t in fetches)
    assert fetches[0]["result"]["summary"] == "clear"  # the tool's own object
    assert res.timings["first_dispatch_0_s"] < res.timings["plan_0_done_s"]


async def test_replan_after_a_failed_task_succeeds(k: Kernel) -> None:
    failures = {"left": 1}

    @tool
    def lookup_stock(symbol: str) -> dict[str, Any]:
        """Latest price of a stock symbol."""
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("quote service unavailable")
        return {"symbol": symbol, "price": 123.4}

    k.tools.register(lookup_stock, risk=READ_ONLY)
    res: Any = await k.syscall(
        ADMIN,
        "compile",
        {"query": "What is the stock price of ACME?", "tools": ["lookup_stock"], "max_replans": 1},
    )
    statuses = [t["status"] for t in res.tasks]
    assert res.replans == 1 and "error" in statuses and statuses[-1] == "ok", res.tasks
    failed = next(t for t in res.tasks if t["status"] == "error")
    assert "quote service unavailable" in failed["error"]["message"]
    assert res.status == "ok" and res.answer


async def test_kill_stops_a_running_compile(k: Kernel) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    @tool
    async def slow_report(topic: str) -> str:
        """Write a report on a topic (slow)."""
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return topic

    k.tools.register(slow_report, risk=READ_ONLY)

    async def agent(ctx: Any, task: str) -> Any:
        return await ctx.compile(task, tools=["slow_report"])

    proc = await k.spawn(agent, "Write a report on owls.")
    await asyncio.wait_for(started.wait(), 60)
    k.kill(proc.pid)
    await asyncio.wait_for(cancelled.wait(), 2)
    assert (await k.wait(proc.pid, 2)).state == ProcessState.KILLED
