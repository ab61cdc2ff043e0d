"""scheduler: 16 agents, each 5 rounds of (an LLM call of 64 tokens, then a 2 s tool wait).

Baseline: the same agents run one after another through the same kernel. With one
single-stream core the most any scheduler can gain is the overlap bound
(LLM time + tool time) / LLM time, LLM time measured in the baseline. Goals:
throughput at least 90% of that bound and at least 2.5x; the core busy at least
90% of the wall time while work is waiting; Jain fairness at least 0.95 across
equal-priority agents; under the priority policy, high-priority p95 wait at most
25% of low-priority p95 wait.

``AIOS_BENCH_QUICK=1`` runs 4 agents x 2 rounds, for a smoke test.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

from aios.kernel import Kernel
from bench.common import bench_config, jain, percentile, record, report

QUICK = os.environ.get("AIOS_BENCH_QUICK") == "1"
AGENTS = 4 if QUICK else 16
ROUNDS = 2 if QUICK else 5
LLM_TOKENS = 64
TOOL_S = 2.0
HIGH = max(1, AGENTS // 4)  # agents at high priority in the priority run
TOPICS = [
    "a lighthouse",
    "the moon",
    "a dragon",
    "an old library",
    "a river",
    "a robot",
    "a village",
    "a ship",
    "a forest",
    "a desert",
    "a city",
    "a garden",
    "a train",
    "a castle",
    "an island",
    "a storm",
]


async def agent(ctx: Any, topic: str) -> int:
    for r in range(ROUNDS):
        await ctx.chat(
            f"Write a long story about {topic}, part {r + 1}.", max_tokens=LLM_TOKENS, temperature=0
        )
        async with ctx.waiting("tool"):  # a tool call: the process holds no LLM core
            await asyncio.sleep(TOOL_S)
    return ROUNDS


class _BusyMonitor:
    """Samples the scheduler: of the time work was waiting or running, how much
    had the core running something."""

    def __init__(self, k: Kernel, period: float = 0.002) -> None:
        self.k, self.period = k, period
        self.pending = self.busy = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            s = self.k.scheduler.stats()
            if s["queued"] or s["running"]:
                self.pending += 1
                self.busy += bool(s["running"])

    def __enter__(self) -> _BusyMonitor:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()

    @property
    def fraction(self) -> float:
        return self.busy / self.pending if self.pending else 0.0


async def _run(
    policy: str, *, sequential: bool, priorities: list[int] | None = None
) -> dict[str, Any]:
    cfg = bench_config(
        scheduler={"policy": policy},
        llm={"cores": [{"kind": "llamacpp", "n_ctx": 1024, "n_seq": 16}]},
    )
    priorities = priorities or [0] * AGENTS
    async with Kernel(cfg) as k:
        with _BusyMonitor(k) as mon:
            t0 = time.perf_counter()
            procs = []
            for i in range(AGENTS):
                p = await k.spawn(agent, TOPICS[i % len(TOPICS)], priority=priorities[i])
                procs.append(p)
                if sequential:
                    await k.wait(p.pid)
            infos = [await k.wait(p.pid) for p in procs]
            wall = time.perf_counter() - t0
        rows = k.store.list_syscalls(name="llm.chat")
    assert all(i.state.value == "EXITED" for i in infos), [i.error for i in infos]
    prio_of = {p.pid: prio for p, prio in zip(procs, priorities, strict=True)}
    return {
        "wall_s": wall,
        "llm_s": sum(r.run_s for r in rows),
        "tool_s": sum(i.tool_s for i in infos),
        "busy_fraction": mon.fraction,
        "throughput": [ROUNDS / ((i.ended_at or 0) - (i.started_at or 0)) for i in infos],
        "waits": {
            "high": [r.wait_s for r in rows if prio_of.get(r.pid or 0, 0) > 0],
            "low": [r.wait_s for r in rows if prio_of.get(r.pid or 0, 0) == 0],
        },
        "tokens": sum(r.completion_tokens for r in rows),
        "preemptions": sum(r.preemptions for r in rows),
    }


def main() -> None:
    seq = asyncio.run(_run("fifo", sequential=True))
    rr = asyncio.run(_run("rr", sequential=False))
    fifo = asyncio.run(_run("fifo", sequential=False))
    prio = asyncio.run(
        _run("priority", sequential=False, priorities=[10] * HIGH + [0] * (AGENTS - HIGH))
    )
    bound = (seq["llm_s"] + seq["tool_s"]) / seq["llm_s"]
    records = []
    for name, run in (("rr", rr), ("fifo", fifo)):
        speedup = seq["wall_s"] / run["wall_s"]
        records += [
            record(
                f"{name}: throughput vs sequential",
                run["wall_s"],
                seq["wall_s"],
                goal=">= 2.5x and >= 0.9 bound",
                met=speedup >= 2.5 and speedup >= 0.9 * bound,
                unit="s",
                note=f"speedup {speedup:.2f}x, bound {bound:.2f}x, {speedup / bound:.0%} of bound",
            ),
            record(
                f"{name}: core busy while work waits",
                run["busy_fraction"],
                None,
                goal=">= 0.90",
                met=run["busy_fraction"] >= 0.9,
            ),
            record(
                f"{name}: Jain fairness (agent throughput)",
                jain(run["throughput"]),
                None,
                goal=">= 0.95",
                met=jain(run["throughput"]) >= 0.95,
            ),
        ]
    hi, lo = percentile(prio["waits"]["high"], 0.95), percentile(prio["waits"]["low"], 0.95)
    records.append(
        record(
            "priority: high p95 wait vs low p95 wait",
            hi,
            lo,
            goal="<= 0.25x low",
            met=hi <= 0.25 * lo,
            unit="s",
            note=f"{HIGH} of {AGENTS} agents at priority 10",
        )
    )
    report(
        "scheduler",
        records,
        {
            "agents": AGENTS,
            "rounds": ROUNDS,
            "llm_tokens": LLM_TOKENS,
            "tool_s": TOOL_S,
            "bound": bound,
            "runs": {
                n: {k: v for k, v in r.items() if k != "waits"}
                for n, r in (("sequential", seq), ("rr", rr), ("fifo", fifo), ("priority", prio))
            },
        },
    )


if __name__ == "__main__":
    main()
