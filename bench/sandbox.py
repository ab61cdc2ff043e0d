"""sandbox: the cost of confinement, per program run.

Contender: ``Sandbox.run(["echo", "hi"])``, what the shell tool calls (broker,
namespaces, new root, Landlock, limits, the unprivileged user), and the whole
``tool.call`` of the shell tool through a kernel. Baselines, in the same process
and interleaved: what the shell tool did before confinement and what a user would
write, ``asyncio.create_subprocess_exec`` with the same pipes and clean environment,
called directly and as a tool (``tool.call`` of an unconfined twin of the shell
tool). All are timed from the caller, around the await, to the parsed result.
Goal: p50 at most 5 ms more than the unconfined baseline, both ways.

Also reported: a cold run (no root prepared ahead: a network-granted program,
whose template differs), which is what a burst pays once the prepared one is taken.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import time
from typing import Any

from langchain_core.tools import StructuredTool

from aios.kernel import ADMIN, Kernel
from aios.kernel.sandbox import Sandbox
from aios.tools.builtin.shell import ShellArgs
from bench.common import bench_config, record, report

N = 200


async def plain(argv: list[str]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        start_new_session=True,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 10)
    return {"exit_code": proc.returncode, "stdout": out[:65536].decode(), "stderr": err.decode()}


def _ms(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs) * 1000, xs[int(len(xs) * 0.99) - 1] * 1000


async def _run() -> dict[str, list[float]]:
    times: dict[str, list[float]] = {
        "plain": [],
        "sandbox": [],
        "tool": [],
        "tool_plain": [],
        "cold": [],
    }
    cfg = bench_config(fs={"enabled": False})
    try:
        async with Kernel(cfg, cores=[]) as k:
            sb: Sandbox = k.sandbox

            async def shell_unconfined(program: str, args: list[str]) -> dict[str, Any]:
                """The shell tool as it was before confinement."""
                return await plain([f"/usr/bin/{program}", *args])

            k.tools.register(
                StructuredTool.from_function(
                    coroutine=shell_unconfined, name="shell_unconfined", args_schema=ShellArgs
                )
            )
            echo = ["/usr/bin/echo", "hi"]
            for _ in range(10):  # warm both paths
                await plain(echo)
                await sb.run(["echo", "hi"], owner="bench", timeout_s=10)
            for i in range(N):
                t0 = time.perf_counter()
                res = await plain(echo)
                times["plain"].append(time.perf_counter() - t0)
                assert res["stdout"] == "hi\n"
                t0 = time.perf_counter()
                res = await sb.run(["echo", "hi"], owner="bench", timeout_s=10)
                times["sandbox"].append(time.perf_counter() - t0)
                assert res["stdout"] == "hi\n"
                t0 = time.perf_counter()
                out = await k.syscall(
                    ADMIN,
                    "tool.call",
                    {"name": "shell", "args": {"program": "echo", "args": ["hi"]}},
                )
                times["tool"].append(time.perf_counter() - t0)
                assert out.result["stdout"] == "hi\n"
                t0 = time.perf_counter()
                out = await k.syscall(
                    ADMIN,
                    "tool.call",
                    {"name": "shell_unconfined", "args": {"program": "echo", "args": ["hi"]}},
                )
                times["tool_plain"].append(time.perf_counter() - t0)
                assert out.result["stdout"] == "hi\n"
                if i % 4 == 0:
                    t0 = time.perf_counter()
                    await sb.run(["echo", "hi"], owner="bench", timeout_s=10, network=True)
                    times["cold"].append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(cfg.data_dir, ignore_errors=True)
    return times


def main() -> None:
    times = asyncio.run(_run())
    plain_p50, plain_p99 = _ms(times["plain"])
    sb_p50, sb_p99 = _ms(times["sandbox"])
    tool_p50, _ = _ms(times["tool"])
    tool_plain_p50, _ = _ms(times["tool_plain"])
    cold_p50, _ = _ms(times["cold"])
    report(
        "sandbox",
        [
            record(
                "echo hi p50, confined vs plain subprocess",
                sb_p50,
                plain_p50,
                goal="<= +5 ms",
                met=sb_p50 - plain_p50 <= 5,
                unit="ms",
                note=f"overhead {sb_p50 - plain_p50:+.2f} ms; {N} runs each, interleaved",
            ),
            record(
                "echo hi p99, confined vs plain",
                sb_p99,
                plain_p99,
                goal="(for scale)",
                met=None,
                unit="ms",
            ),
            record(
                "shell tool.call p50, confined vs the unconfined tool",
                tool_p50,
                tool_plain_p50,
                goal="<= +5 ms",
                met=tool_p50 - tool_plain_p50 <= 5,
                unit="ms",
                note=f"overhead {tool_p50 - tool_plain_p50:+.2f} ms; both through the syscall "
                "path (validation, audit row, registry)",
            ),
            record(
                "cold confined run p50 (no root built ahead)",
                cold_p50,
                plain_p50,
                goal="(for scale)",
                met=None,
                unit="ms",
                note="a network-granted program: a template with no prepared root",
            ),
        ],
        {k: v for k, v in times.items()} | {"cpus": os.cpu_count()},
    )


if __name__ == "__main__":
    main()
