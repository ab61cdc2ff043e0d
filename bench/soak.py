"""soak: hours of agents in minutes. Nothing fails, nothing hangs, nothing grows.

Against a real daemon (``aios serve`` on loopback, the bundled model, real LSFS):

1. Burst: 64 agents (``sleep`` processes, each calling with its own token) make 200
   mixed syscalls each, as fast as they can: fs write / read (checked against what
   was written) / stat / retrieve, proc.list, a short llm.chat, tool calls.
2. Mixed load for ``--minutes`` (default 10; env ``AIOS_SOAK_MINUTES``): 16 agents
   keep the same mix going, and also spawn short-lived children and wait for them
   (process churn: what finished must not stay in memory).

Meanwhile a watchdog counts completed calls: none for 60 s is a deadlock (the run
stops and prints what was in flight). ``/v1/health`` is timed every 0.25 s and the
daemon's RSS read every 5 s from /proc.

Goals (issue 14): 0 errors, 0 deadlocks, RSS growth at most 10% from the end of the
warm-up (the burst and the first minute of mixed load) to the end, and /v1/health p99
in the last minute no worse than in the first (here: at most 1.5x, for noise).

Not part of ``make test`` nor of the default ``make bench`` (it takes minutes):
``make bench B=soak``, or ``python -m bench.soak --minutes 2``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import RawClient, percentile, record, report, start_daemon

log = logging.getLogger(__name__)

AGENTS = 64
CALLS = 200
MIXED_AGENTS = 16
DEADLOCK_S = 60.0
HEALTH_EVERY_S = 0.25
RSS_EVERY_S = 5.0
WARMUP_S = 60.0


@dataclass
class Soak:
    """What the run has seen so far; shared by the agents, the watchdog and probes."""

    port: int
    t0: float = field(default_factory=time.monotonic)
    done: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    by_call: Counter[str] = field(default_factory=Counter)
    inflight: dict[int, tuple[str, float]] = field(default_factory=dict)
    deadlock: dict[str, Any] | None = None
    health: list[tuple[float, float]] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)
    processes: dict[str, float] = field(default_factory=dict)


class Agent:
    """One process calling the daemon with its own token, checking what it reads."""

    def __init__(self, soak: Soak, pid: int, token: str, client: RawClient) -> None:
        self.soak, self.pid, self.token, self.client = soak, pid, token, client
        self.files: dict[str, str] = {}  # path -> the content last acknowledged
        self.n = 0

    async def call(self, name: str, args: dict[str, Any]) -> Any:
        req = RawClient.request(
            self.soak.port, self.token, "/v1/syscall", {"name": name, "args": args}
        )
        key = id(self)
        self.soak.inflight[key] = (name, time.monotonic())
        try:
            status, body = await self.client.send(req)
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.fail(name, 0, repr(exc))
            self.client = await self.client.reconnect()
            return None
        finally:
            self.soak.inflight.pop(key, None)
        self.soak.done += 1
        self.soak.by_call[name] += 1
        if status != 200:
            self.fail(name, status, body[:300].decode(errors="replace"))
            if status >= 500:  # a generic 500 closes the connection
                self.client = await self.client.reconnect()
            return None
        return json.loads(body)["result"]

    def fail(self, name: str, status: int, detail: str) -> None:
        self.soak.errors.append(
            {
                "t": round(time.monotonic() - self.soak.t0, 3),
                "call": name,
                "pid": self.pid,
                "status": status,
                "detail": detail,
            }
        )

    async def step(self, churn: bool) -> None:
        """One syscall of the mix; the mix cycles every 40 steps."""
        j = self.n
        self.n += 1
        home = f"home/{self.pid}"
        path = f"{home}/note-{j % 8}.txt"
        kind = j % 10
        if j % 40 == 39:
            await self.call(
                "llm.chat",
                {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 4},
            )
        elif churn and j % 40 == 19:
            child = await self.call("proc.spawn", {"agent": "sleep", "task": "0.05"})
            if child is not None:
                await self.call("proc.wait", {"pid": child["pid"], "timeout": 30})
        elif kind in (0, 4):
            content = f"agent {self.pid} note {j} {secrets.token_hex(8)}\n" * (1 + j % 5)
            if await self.call("fs.write", {"path": path, "content": content}) is not None:
                self.files[path] = content
        elif kind in (1, 5) and self.files:
            p = sorted(self.files)[j % len(self.files)]
            res = await self.call("fs.read", {"path": p})
            if res is not None and res.get("text") != self.files[p]:
                self.fail("fs.read", 200, f"{p}: read back differs from the acknowledged write")
        elif kind == 2:
            mode = "hybrid" if j % 20 == 2 else "keyword"
            await self.call(
                "fs.retrieve", {"query": f"agent {self.pid} note", "mode": mode, "prefix": home}
            )
        elif kind == 3:
            await self.call("proc.list", {})
        elif kind == 6 and self.files:
            await self.call("fs.stat", {"path": sorted(self.files)[0]})
        elif kind == 7:
            res = await self.call(
                "tool.call", {"name": "calculator", "args": {"expression": f"{j}*3+1"}}
            )
            if res is not None and res.get("result") not in (j * 3 + 1, str(j * 3 + 1)):
                self.fail("tool.call", 200, f"calculator said {res.get('result')!r}")
        elif kind == 8:
            await self.call("tool.call", {"name": "current_time", "args": {}})
        else:
            await self.call("fs.ls", {"path": home})


async def _watchdog(soak: Soak, tasks: list[asyncio.Task[Any]]) -> None:
    last, since = soak.done, time.monotonic()
    while True:
        await asyncio.sleep(5)
        if soak.done != last:
            last, since = soak.done, time.monotonic()
        elif time.monotonic() - since >= DEADLOCK_S:
            now = time.monotonic()
            soak.deadlock = {
                "after_calls": soak.done,
                "inflight": Counter(n for n, _ in soak.inflight.values()).most_common(),
                "oldest_s": max((now - t for _, t in soak.inflight.values()), default=0),
            }
            log.error("no progress for %.0f s: %s", DEADLOCK_S, soak.deadlock)
            for t in tasks:
                t.cancel()
            return


async def _health_probe(soak: Soak) -> None:
    client = await RawClient.connect(soak.port)
    req = RawClient.request(soak.port, None, "/v1/health", method="GET")
    try:
        while True:
            t0 = time.monotonic()
            status, _ = await client.send(req)
            if status != 200:
                soak.errors.append(
                    {"t": round(t0 - soak.t0, 3), "call": "health", "status": status}
                )
            else:
                soak.health.append((t0, time.monotonic() - t0))
            await asyncio.sleep(HEALTH_EVERY_S)
    finally:
        client.close()


async def _rss_probe(soak: Soak, pid: int) -> None:
    while True:
        soak.rss.append((time.monotonic(), _rss(pid)))
        await asyncio.sleep(RSS_EVERY_S)


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _agents(soak: Soak, admin_token: str, n: int) -> list[Agent]:
    admin = await RawClient.connect(soak.port)
    agents = []
    try:
        for _ in range(n):
            req = RawClient.request(
                soak.port, admin_token, "/v1/processes", {"agent": "sleep", "task": "86400"}
            )
            status, body = await admin.send(req)
            if status != 201:
                raise RuntimeError(f"spawn failed: {status} {body[:300]!r}")
            res = json.loads(body)
            client = await RawClient.connect(soak.port)
            agents.append(Agent(soak, res["process"]["pid"], res["token"], client))
    finally:
        admin.close()
    return agents


async def _run(soak: Soak, token: str, daemon_pid: int, minutes: float) -> dict[str, Any]:
    probes = [
        asyncio.create_task(_health_probe(soak)),
        asyncio.create_task(_rss_probe(soak, daemon_pid)),
    ]
    agents = await _agents(soak, token, AGENTS)
    marks: dict[str, float] = {"start": time.monotonic()}

    async def burst(a: Agent) -> None:
        for _ in range(CALLS):
            await a.step(churn=False)

    async def mixed(a: Agent, until: float) -> None:
        while time.monotonic() < until:
            await a.step(churn=True)

    async def phases() -> None:
        await asyncio.gather(*(burst(a) for a in agents))
        marks["burst_end"] = time.monotonic()
        until = marks["burst_end"] + minutes * 60
        await asyncio.gather(*(mixed(a, until) for a in agents[:MIXED_AGENTS]))
        marks["end"] = time.monotonic()

    work = asyncio.create_task(phases())
    dog = asyncio.create_task(_watchdog(soak, [work]))
    try:
        await work
    except asyncio.CancelledError:
        if soak.deadlock is None:
            raise
    finally:
        dog.cancel()
        for p in probes:
            p.cancel()
        for a in agents:
            a.client.close()
    marks.setdefault("burst_end", time.monotonic())
    marks.setdefault("end", time.monotonic())
    soak.processes = await _process_gauges(soak.port, token)
    return marks


async def _process_gauges(port: int, token: str) -> dict[str, float]:
    """/metrics' aios_processes by state: the processes the daemon holds (in memory or
    counted), after the churn; finished ones should not pile up in memory."""
    client = await RawClient.connect(port)
    try:
        status, body = await client.send(RawClient.request(port, token, "/metrics", method="GET"))
    finally:
        client.close()
    out: dict[str, float] = {}
    for line in body.decode(errors="replace").splitlines() if status == 200 else []:
        if line.startswith("aios_processes{"):
            labels, value = line.rsplit(" ", 1)
            out[labels[len("aios_processes") :]] = float(value)
    return out


def _summary(soak: Soak, marks: dict[str, float], minutes: float) -> dict[str, Any]:
    mixed_s = marks["end"] - marks["burst_end"]
    warm = min(WARMUP_S, mixed_s / 4)
    window = min(60.0, mixed_s / 4)  # the first and the last minute (or quarter)
    t_warm = marks["burst_end"] + warm
    rss_warm = next((r for t, r in soak.rss if t >= t_warm), soak.rss[-1][1])
    rss_end = soak.rss[-1][1]
    first = [h for t, h in soak.health if t_warm <= t <= t_warm + window]
    last = [h for t, h in soak.health if t >= marks["end"] - window]
    return {
        "minutes": minutes,
        "burst_s": marks["burst_end"] - marks["start"],
        "mixed_s": mixed_s,
        "calls": soak.done,
        "calls_by_name": dict(soak.by_call),
        "errors": len(soak.errors),
        "errors_by_call": Counter(f"{e['call']} {e['status']}" for e in soak.errors).most_common(),
        "error_examples": soak.errors[:30],
        "deadlock": soak.deadlock,
        "processes_by_state_at_end": soak.processes,
        "rss_warm_mb": rss_warm / 2**20,
        "rss_end_mb": rss_end / 2**20,
        "rss_growth": rss_end / rss_warm - 1,
        "rss_samples_mb": [(round(t - soak.t0, 1), r / 2**20) for t, r in soak.rss],
        "marks_s": {k: round(v - soak.t0, 1) for k, v in marks.items()},
        "health_p99_start_ms": percentile(first, 0.99) * 1000,
        "health_p99_end_ms": percentile(last, 0.99) * 1000,
        "health_p50_start_ms": percentile(first, 0.5) * 1000,
        "health_p50_end_ms": percentile(last, 0.5) * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument(
        "--minutes",
        type=float,
        default=float(os.environ.get("AIOS_SOAK_MINUTES", "10")),
        help="minutes of mixed load after the burst (env AIOS_SOAK_MINUTES; default 10)",
    )
    parser.add_argument("--name", default="soak", help="results file name (bench/results)")
    # under ``python -m bench soak`` sys.argv still names the benchmark
    args = parser.parse_args([a for a in (sys.argv[1:] if argv is None else argv) if a != "soak"])
    tmp = Path(tempfile.mkdtemp(prefix="aios-bench-soak-"))
    cores = [{"kind": "llamacpp", "n_ctx": 1024, "n_seq": 4}]
    d = start_daemon(
        tmp / "data",
        env={
            "AIOS_LLM__CORES": json.dumps(cores),
            "AIOS_API__PROCESS_RATE_PER_S": "0",  # the daemon is measured, not the limiter
        },
    )
    soak = Soak(d.port)
    try:
        assert d.proc is not None
        marks = asyncio.run(_run(soak, d.token, d.proc.pid, args.minutes))
    finally:
        rc = d.stop()
    s = _summary(soak, marks, args.minutes)
    s["daemon_exit"] = rc
    if rc != 0 or s["errors"] or s["deadlock"]:
        # kept for the post-mortem: the daemon's log and data dir
        s["daemon_log_tail"] = d.output()[-6000:]
        s["kept"] = str(tmp)
        log.warning("errors: the daemon's data and log are kept in %s", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    _report(args.name, s)


def _report(name: str, s: dict[str, Any]) -> None:
    growth_ok = s["rss_growth"] <= 0.10
    health_ok = s["health_p99_end_ms"] <= 1.5 * s["health_p99_start_ms"]
    report(
        name,
        [
            record(
                "errors",
                s["errors"],
                None,
                goal="0",
                met=s["errors"] == 0,
                note=f"{s['calls']} calls: burst {AGENTS}x{CALLS} in {s['burst_s']:.0f} s, "
                f"then {s['mixed_s'] / 60:.1f} min mixed; {s['errors_by_call'][:4]}",
            ),
            record(
                "deadlocks", int(s["deadlock"] is not None), None, goal="0", met=not s["deadlock"]
            ),
            record(
                "daemon RSS, end vs after warm-up",
                s["rss_end_mb"],
                s["rss_warm_mb"],
                goal="<= 1.10x",
                met=growth_ok,
                unit="MB",
            ),
            record(
                "/v1/health p99, last vs first minute",
                s["health_p99_end_ms"],
                s["health_p99_start_ms"],
                goal="unchanged (<= 1.5x)",
                met=health_ok,
                unit="ms",
                note=f"p50 {s['health_p50_start_ms']:.1f} -> {s['health_p50_end_ms']:.1f} ms",
            ),
            record(
                "daemon exit status", s["daemon_exit"], None, goal="0", met=s["daemon_exit"] == 0
            ),
        ],
        s,
    )


if __name__ == "__main__":
    main()
