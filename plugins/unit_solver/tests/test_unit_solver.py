"""unit-solver on the real model: the plan validates, uses only its two tools, and
every result in it is the exact value of its tool call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aios.kernel import Kernel
from aios.kernel.caps import Capabilities
from aios.kernel.process import ProcessState
from aios.tools.builtin.calculator import evaluate
from aios.tools.risk import READ_ONLY

PLUGIN = Path(__file__).resolve().parents[1]


@pytest.fixture
def mods(plugin_module: Callable[[Path, str], ModuleType]) -> tuple[Any, Any]:
    return plugin_module(PLUGIN, "unit_solver"), plugin_module(PLUGIN, "unit_tools")


def _args(step: dict[str, Any], steps: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A step's arguments with references ($N) replaced by the results they name."""

    def value(v: Any) -> Any:
        if isinstance(v, dict) and "$ref" in v:
            out = steps[v["$ref"]]["result"]
            for p in v["path"]:
                out = out[p]
            return out
        return v

    return {k: value(v) for k, v in step["args"].items()}


def _exact(units: Any, tool: str, args: dict[str, Any]) -> Any:
    if tool == "convert_units":
        return units.convert(args["value"], args["from_unit"], args["to_unit"])
    return evaluate(str(args["expression"]))


def _register(k: Kernel, units: Any) -> None:
    if "convert_units" not in {s.name for s in k.tools.specs()}:  # discovery may have
        k.tools.register(units.convert_units, risk=READ_ONLY)


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("What is 72 Fahrenheit in Celsius?", (72.0, "Fahrenheit", "Celsius")),
        ("How many feet are in 3 meters?", (3.0, "meters", "feet")),
        ("convert 5 km to miles", (5.0, "km", "miles")),
        ("How many seconds are in a day?", (1.0, "day", "seconds")),
        ("A car drives 2 hours at 50 mph. How far does it go in km?", None),
        ("What is 15 percent of 240?", None),
    ],
)
def test_plain_conversions_are_recognised(
    mods: tuple[Any, Any], problem: str, expected: tuple[float, str, str] | None
) -> None:
    assert mods[0].direct(problem) == expected


async def test_a_plain_conversion_is_one_exact_tool_call(k: Kernel, mods: tuple[Any, Any]) -> None:
    solver, units = mods
    _register(k, units)
    caps = Capabilities(tools=solver.TOOLS, fs_read=[], fs_write=[])
    proc = await k.spawn(solver.UnitSolver, "How many km is 26.2 miles?", capabilities=caps)
    info = await k.wait(proc.pid, 60)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result
    assert (res["method"], res["value"], res["unit"]) == ("direct", 42.1648128, "km")
    assert info.completion_tokens == 0  # no model involved
    # "3 apples in boxes" has the shape but no units: the planner gets it
    assert solver.direct("3 apples in boxes") is not None


async def test_an_empty_problem_is_refused(k: Kernel, mods: tuple[Any, Any]) -> None:
    solver, _ = mods
    proc = await k.spawn(solver.UnitSolver, "  ", capabilities=Capabilities(tools=[]))
    info = await k.wait(proc.pid, 30)
    assert info.state == ProcessState.FAILED and "give a problem" in (info.error or "")


@pytest.mark.model
async def test_plan_uses_only_its_tools_and_every_result_is_exact(
    kernel: Kernel, mods: tuple[Any, Any]
) -> None:
    solver, units = mods
    _register(kernel, units)
    caps = Capabilities(tools=solver.TOOLS, fs_read=[], fs_write=[])
    problem = "A car drives 2 hours at 50 miles per hour. How many kilometers does it cover?"

    class OnePlan(solver.UnitSolver):  # type: ignore[name-defined,misc]
        max_replans = 0  # the contract holds for any plan: no second one needed

    proc = await kernel.spawn(OnePlan, problem, capabilities=caps)
    info = await kernel.wait(proc.pid, 240)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result
    assert res["status"] in ("ok", "failed"), res  # the plan parsed and validated
    assert res["steps"], res
    assert {s["tool"] for s in res["steps"]} <= set(solver.TOOLS)
    by_id = {s["id"]: s for s in res["steps"]}
    ran = [s for s in res["steps"] if s["status"] == "ok"]
    assert ran, res["steps"]
    for s in ran:
        assert s["result"] == _exact(units, s["tool"], _args(s, by_id)), s


async def test_runs_by_name_with_the_tool_it_provides(k: Kernel) -> None:
    """Discovered from plugins/: consent given, then convert_units registered (its
    code runs only then), then run under its manifest."""
    assert "convert_units" not in {s.name for s in k.tools.specs()}
    proc = await k.spawn("unit-solver", "convert 5 km to miles")
    for _ in range(600):
        pending = k.approvals.list(state="pending")
        if pending:
            break
        await asyncio.sleep(0.05)
    (consent,) = pending
    assert consent.syscall == "agent.consent" and consent.args["plugin"] == "unit-solver"
    k.approvals.respond(consent.id, "approve", by="test")
    info = await k.wait(proc.pid, 60)
    assert info.state == ProcessState.EXITED, info.error
    assert info.result["value"] == 5000 / 1609.344
    assert "convert_units" in {s.name for s in k.tools.specs()}
