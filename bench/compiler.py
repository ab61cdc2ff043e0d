"""compiler: LLMCompiler vs a sequential ReAct-style loop, same model and tools.

Plans with 2-, 4- and 8-way fan-out over a weather tool with 0.5 s and 2 s of
simulated I/O. The compile streams its plan and dispatches each call as its line
completes; the ReAct loop makes one tool call per LLM step, appending each
observation, then a final answer step (its grammar makes it call the tool for
each city once, then finish, and it makes as many calls as the compile's plan
had tasks, so both do the same work: a 135M model does not always plan exactly
one call per city).

Bound: the moment the last task could be dispatched from the plan stream, plus
the longest path after it (one tool call: the calls are independent), plus the
joiner. Goals: every case within 1.10x of its bound; at least 3.5x over ReAct at
8-way with 2 s tools.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aios.kernel import ADMIN, Kernel
from bench.common import bench_config, record, report

CASES = [(2, 0.5), (4, 0.5), (8, 0.5), (2, 2.0), (4, 2.0), (8, 2.0)]
CITIES = ["Paris", "London", "Rome", "Berlin", "Madrid", "Lisbon", "Dublin", "Athens"]
EXAMPLE = ["Lima", "Cairo", "Tokyo", "Quito", "Dakar", "Seoul", "Hanoi", "Delhi"]


def _plan(cities: list[str]) -> str:
    return "\n".join(f'{i}. weather(city="{c}")' for i, c in enumerate(cities, 1)) + "\njoin()"


def _query(cities: list[str]) -> str:
    return f"Get the weather in each of these {len(cities)} cities: {', '.join(cities)}."


class Weather:
    def __init__(self) -> None:
        self.latency = 0.5
        self.calls = 0

    async def weather(self, city: str) -> dict[str, Any]:
        """Current weather in a city: temperature in Celsius and a summary."""
        self.calls += 1
        await asyncio.sleep(self.latency)
        return {"city": city, "temp_c": 10 + len(city) % 15, "summary": "clear"}


async def _compile(k: Kernel, n: int) -> dict[str, Any]:
    cities = CITIES[:n]
    t0 = time.perf_counter()
    res: Any = await k.syscall(
        ADMIN,
        "compile",
        {
            "query": _query(cities),
            "tools": ["weather"],
            "max_replans": 0,
            "examples": [{"question": _query(EXAMPLE[:n]), "plan": _plan(EXAMPLE[:n])}],
        },
    )
    wall = time.perf_counter() - t0
    t = res.timings
    tool_s = max(
        (
            x["finished_s"] - x["started_s"]
            for x in res.tasks
            if x["started_s"] is not None and x["finished_s"] is not None
        ),
        default=0.0,
    )
    bound = t.get("last_dispatch_0_s", 0.0) + tool_s + t.get("join_0_s", 0.0)
    return {
        "wall_s": wall,
        "total_s": t["total_s"],
        "bound_s": bound,
        "tasks": len(res.tasks),
        "status": res.status,
        "plan": res.plans[0]["text"],
        "timings": t,
    }


_STEP = r"""root ::= "NAME(ARG=" str ")"
str ::= "\"" [^"\\\x00-\x1f]{1,60} "\""
"""

REACT_SYSTEM = """\
You answer with tools, one call per step. Reply with exactly one line: \
weather(city="...") to get a city's weather, or finish(answer="...") when you know \
everything. You will see each call's result as an observation."""


async def _react(k: Kernel, n: int) -> dict[str, Any]:
    cities = (CITIES * 2)[:n]
    shots: list[dict[str, str]] = []
    for c in EXAMPLE[:2]:  # the step format, shown once
        shots += [
            {"role": "assistant", "content": f'weather(city="{c}")'},
            {"role": "user", "content": f'Observation: {{"city": "{c}", "temp_c": 20}}'},
        ]
    messages = [
        {"role": "system", "content": REACT_SYSTEM},
        {"role": "user", "content": _query(EXAMPLE[:2])},
        *shots,
        {"role": "assistant", "content": 'finish(answer="Lima 20 C, Cairo 20 C")'},
        {"role": "user", "content": _query(cities)},
    ]
    t0 = time.perf_counter()
    llm_s = 0.0
    for step in range(n + 1):
        done = step == n
        grammar = _STEP.replace("NAME", "finish" if done else "weather").replace(
            "ARG", "answer" if done else "city"
        )
        t1 = time.perf_counter()
        res: Any = await k.syscall(
            ADMIN,
            "llm.chat",
            {"messages": messages, "grammar": grammar, "max_tokens": 48, "temperature": 0},
        )
        llm_s += time.perf_counter() - t1
        messages.append({"role": "assistant", "content": res.text})
        if done:
            break
        city = res.text.split('"')[1]
        obs: Any = await k.syscall(ADMIN, "tool.call", {"name": "weather", "args": {"city": city}})
        messages.append({"role": "user", "content": "Observation: " + json.dumps(obs.result)})
    return {"wall_s": time.perf_counter() - t0, "llm_s": llm_s, "calls": n}


async def _run() -> list[dict[str, Any]]:
    cfg = bench_config(llm={"cores": [{"kind": "llamacpp", "n_ctx": 2048, "n_seq": 4}]})
    w = Weather()
    out = []
    async with Kernel(cfg) as k:
        from langchain_core.tools import StructuredTool

        k.tools.register(StructuredTool.from_function(coroutine=w.weather, name="weather"))
        await _compile(k, 2)  # warm up the model and the prefix cache
        for n, latency in CASES:
            w.latency = latency
            comp = await _compile(k, n)
            # the same work: ReAct makes as many calls as the plan had tasks
            react = await _react(k, comp["tasks"])
            out.append({"n": n, "latency": latency, "compile": comp, "react": react})
    return out


def main() -> None:
    results = asyncio.run(_run())
    records = []
    for r in results:
        c, re_ = r["compile"], r["react"]
        name = f"{r['n']}-way, {r['latency']:g} s tools"
        speedup = re_["wall_s"] / c["total_s"]
        vs_bound = c["total_s"] / c["bound_s"]
        records.append(
            record(
                f"{name}: compile vs ReAct",
                c["total_s"],
                re_["wall_s"],
                goal=">= 3.5x" if (r["n"], r["latency"]) == (8, 2.0) else "(faster)",
                met=speedup >= 3.5 if (r["n"], r["latency"]) == (8, 2.0) else None,
                unit="s",
                note=f"speedup {speedup:.2f}x; {c['tasks']} tasks planned (asked {r['n']}), "
                f"ReAct made {re_['calls']} calls",
            )
        )
        records.append(
            record(
                f"{name}: compile vs critical-path bound",
                c["total_s"],
                c["bound_s"],
                goal="<= 1.10x bound",
                met=vs_bound <= 1.10,
                unit="s",
                note="bound = last dispatch {:.2f}s + tool {:.2f}s + joiner {:.2f}s".format(
                    c["timings"].get("last_dispatch_0_s", 0),
                    c["bound_s"]
                    - c["timings"].get("last_dispatch_0_s", 0)
                    - c["timings"].get("join_0_s", 0),
                    c["timings"].get("join_0_s", 0),
                ),
            )
        )
    report("compiler", records, {"results": results})


if __name__ == "__main__":
    main()
