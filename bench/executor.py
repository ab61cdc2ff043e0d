"""executor: scheduling overhead of the DAG executor on a 10,000-task random DAG.

No-op tools, so what is measured is the executor itself: per task, dependency
bookkeeping, reference resolution, the per-task timeout and the event that
starts a task when its inputs are ready. The floor, in the same run, is bare
asyncio: creating 10,000 tasks of the same no-op coroutine and awaiting them.
Goal: at most 20 us per task and at most 4x the floor.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import Any

from aios.kernel.compiler.executor import Executor, TaskStatus
from aios.kernel.compiler.plan import Ref, Task
from bench.common import record, report

N = 10_000
REPEATS = 5


def random_dag(n: int, seed: int = 1) -> list[Task]:
    rng = random.Random(seed)
    tasks = []
    for i in range(1, n + 1):
        k = min(i - 1, rng.choice((0, 0, 1, 1, 2, 3)))
        deps = rng.sample(range(max(1, i - 50), i), k=min(k, i - max(1, i - 50)))
        tasks.append(Task(i, "noop", {"x": i, "inputs": [Ref(d) for d in deps]}))
    return tasks


async def noop(task: Task, args: dict[str, Any]) -> int:
    return task.id


async def floor_once() -> float:
    t0 = time.perf_counter()
    tasks = [asyncio.ensure_future(noop(Task(i, "noop"), {})) for i in range(N)]
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0


async def executor_once(dag: list[Task]) -> float:
    t0 = time.perf_counter()
    ex = Executor(noop, task_timeout_s=30)
    for t in dag:
        ex.add(t)
    runs = await ex.wait()
    dt = time.perf_counter() - t0
    assert all(r.status == TaskStatus.OK for r in runs.values())
    return dt


async def _run() -> tuple[list[float], list[float]]:
    dag = random_dag(N)
    floors, execs = [], []
    for _ in range(REPEATS):  # interleaved, so both see the same machine
        floors.append(await floor_once())
        execs.append(await executor_once(dag))
    return floors, execs


def main() -> None:
    floors, execs = asyncio.run(_run())
    floor_us = statistics.median(floors) / N * 1e6
    exec_us = statistics.median(execs) / N * 1e6
    edges = sum(len(t.deps) for t in random_dag(N))
    report(
        "executor",
        [
            record(
                "per-task time, executor (median of 5)",
                exec_us,
                floor_us,
                goal="<= 20 us and <= 4x floor",
                met=exec_us <= 20 and exec_us <= 4 * floor_us,
                unit="us",
                note=f"{N} tasks, {edges} edges; floor = bare asyncio task creation",
            ),
            record(
                "executor time for the whole DAG",
                statistics.median(execs) * 1000,
                statistics.median(floors) * 1000,
                goal="(for scale)",
                met=None,
                unit="ms",
            ),
        ],
        {"floors_s": floors, "executor_s": execs, "tasks": N, "edges": edges},
    )


if __name__ == "__main__":
    main()
