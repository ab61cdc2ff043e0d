"""shell: do the shell's requests produce the calls they should, and how soon is a
plan shown?

The requests (bench/shell_cases.py) are written as users type them, each with the
path it should take and the syscalls or tool calls that answer it. Two paths,
measured separately:

- fast path: ``commands.parse(text) or commands.fast_path(text)``, no model. A fast
  case is right when the ``Command``'s syscall and the arguments that matter are the
  expected ones; a model case the fast path captures anyway is a false capture (an
  error too: the planner never sees it).
- model path: a real ``aios serve`` with the bundled model (temperature 0, the
  compiler's default) on a loopback port and a temporary data directory, the
  requests' files written first. As a ``session`` process (what the shell runs as,
  with every tool and all of LSFS), each request is a streamed ``compile`` dry run
  through the SDK's HTTP transport; timed from the client: to the first
  ``{"type": "plan"}`` event (the first step the shell can show) and to the whole
  plan. Scored by bench/shell_score.py.

Knobs: SHELL_BENCH_LIMIT=N (the first N cases of each path), SHELL_BENCH_CASES=a.module
(its CASES and SEED), SHELL_BENCH_HTTP=0 (leave http_get off, as the default config
does, and skip the cases that need it), SHELL_BENCH_MODEL=0 (the fast path only),
SHELL_BENCH_EXAMPLES=a.module (its EXAMPLES, {"question", "plan"} each, passed to
compile: what plan examples the shell could send change), SHELL_BENCH_NAME (the results'
name, default shell). Results: bench/results/shell.json and shell.details.json (every
case's outcome).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aios.agents.client import AsyncContext, AsyncHttpTransport
from aios.errors import AiosError
from aios.shell import commands
from bench.common import percentile, record, report, start_daemon
from bench.shell_score import TOOLS, Case, score_command, score_plan

log = logging.getLogger(__name__)

SESSION = {
    "agent": "session",
    "name": "shell-bench",
    "capabilities": {"tools": ["*"], "fs_read": ["/"], "fs_write": ["/"]},
}
INDEX_WAIT_S = 180.0
FIRST_STEP_GOAL_S = 1.5


def _selected() -> tuple[list[Case], dict[str, str], tuple[str, ...]]:
    source = os.environ.get("SHELL_BENCH_CASES", "bench.shell_cases")
    mod = importlib.import_module(source)
    limit = int(os.environ.get("SHELL_BENCH_LIMIT", "0")) or None
    cases: list[Case] = list(mod.CASES)
    picked = [c for p in ("fast", "model") for c in [x for x in cases if x.path == p][:limit]]
    seed = dict(getattr(mod, "SEED", {}))
    versions = tuple(getattr(mod, "SEED_VERSIONS", ()))
    return picked, seed, versions


def _examples() -> list[dict[str, str]] | None:
    """Plan examples to pass to compile (SHELL_BENCH_EXAMPLES=a.module with EXAMPLES,
    each {"question", "plan"}); None: the compiler's own, as the shell runs today."""
    source = os.environ.get("SHELL_BENCH_EXAMPLES")
    return list(importlib.import_module(source).EXAMPLES) if source else None


# ---- the fast path --------------------------------------------------------------------


def fast_command(text: str) -> tuple[str | None, dict[str, Any], str]:
    """What the shell does with ``text`` without the model: the syscall (``shell:NAME``
    for a built-in it handles itself, None: the planner's), its arguments, and the
    usage error if the line is a built-in used wrongly."""
    try:
        cmd = commands.parse(text) or commands.fast_path(text)
    except commands.UsageError as exc:
        return None, {}, exc.message
    if cmd is None:
        return None, {}, ""
    return cmd.syscall or f"shell:{cmd.name}", dict(cmd.syscall_args), ""


def run_fast(cases: list[Case]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        t0 = time.perf_counter()
        syscall, args, error = fast_command(case.text)
        dt = time.perf_counter() - t0
        row: dict[str, Any] = {
            "id": case.id,
            "text": case.text,
            "path": case.path,
            "fast_syscall": syscall,
            "fast_args": args,
            "fast_s": dt,
        }
        if error:
            row["usage_error"] = error
        if case.path == "fast":
            v = score_command(syscall, args, case.expect[0])
            row.update(right=v.ok, kind=v.kind, why=v.why)
        else:
            row["false_capture"] = syscall is not None
        rows.append(row)
    return rows


# ---- the model path -------------------------------------------------------------------


async def _wait_indexed(admin: AsyncContext) -> None:
    """Let the seeded files' indexing finish: it must not share the CPU with a plan."""
    deadline = time.monotonic() + INDEX_WAIT_S
    while time.monotonic() < deadline:
        status = (await admin.syscall("fs.index_status"))["status"]
        if not status.get("queued") and not status.get("busy"):
            return
        await asyncio.sleep(0.5)
    log.warning("indexing still busy after %.0f s; measuring anyway", INDEX_WAIT_S)


async def _seed(admin: AsyncContext, seed: dict[str, str], versions: tuple[str, ...]) -> None:
    for path, content in seed.items():
        await admin.syscall("fs.write", path=path, content=content)
    for content in versions:
        await admin.syscall("fs.write", path="plan.md", content=content)
    if seed:
        await admin.syscall("fs.retrieve", query="warm up the index", top_k=1)
    await _wait_indexed(admin)


def _tool_drift(listed: list[dict[str, Any]]) -> list[str]:
    """Where TOOLS (the scorer's parameters and defaults) differs from tool.list."""
    out = []
    by_name = {t["name"]: t for t in listed}
    for name, params in TOOLS.items():
        if name not in by_name:
            continue  # off in this daemon (http_get by default)
        schema = by_name[name].get("parameters") or {}
        props, required = schema.get("properties", {}), set(schema.get("required", []))
        for key, default in params.items():
            if key not in props:
                out.append(f"{name}: no parameter {key}")
            elif key not in required and props[key].get("default", default) != default:
                out.append(f"{name}.{key}: default {props[key].get('default')!r}, not {default!r}")
    return out


async def plan_once(
    session: AsyncHttpTransport, text: str, examples: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """One streamed dry-run compile, timed from here."""
    args: dict[str, Any] = {"query": text, "dry_run": True}
    if examples:
        args["examples"] = examples
    t0 = time.perf_counter()
    first: float | None = None
    result: dict[str, Any] | None = None
    steps = 0
    try:
        async for event in session.stream("compile", args):
            kind = event.get("type")
            if kind == "plan":
                steps += 1
                first = time.perf_counter() - t0 if first is None else first
            elif kind == "result":
                result = event.get("result") or {}
    except AiosError as exc:
        return {"error": {"code": exc.code, "message": exc.message[:300]}, "whole_s": None}
    whole = time.perf_counter() - t0
    res = result or {}
    plans = res.get("plans") or [{}]
    tasks = res.get("tasks") or []
    valid = res.get("status") == "planned" and bool(tasks) and "error" not in plans[-1]
    return {
        "status": res.get("status"),
        "valid": valid,
        "first_step_s": first,
        "whole_s": whole,
        "streamed_steps": steps,
        "tasks": [{"id": t.get("id"), "tool": t.get("tool"), "args": t.get("args")} for t in tasks],
        "plan_text": (plans[-1].get("text") or "")[:2000],
        "plan_error": plans[-1].get("error"),
        "replanned": len(res.get("plans") or []) > 1,
        "timings": res.get("timings"),
    }


async def run_model(
    url: str,
    admin_token: str,
    cases: list[Case],
    seed: dict[str, str],
    versions: tuple[str, ...],
    examples: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    async with AsyncContext(url, token=admin_token) as admin:
        await _seed(admin, seed, versions)
        pid = int((await admin.syscall("proc.spawn", **SESSION))["pid"])
        token = (await admin.syscall("proc.token", pid=pid))["token"]
        session = AsyncHttpTransport(url=url, token=token)
        try:
            listed = (await session.syscall("tool.list", {}))["tools"]
            names = {t["name"] for t in listed}
            drift = _tool_drift(listed)
            if drift:
                log.warning("the scorer's tool table differs from tool.list: %s", drift)
            model = dict(await admin.llm.models())
            warm = await plan_once(session, "what is 2 + 2")  # loads the model; not counted
            rows = []
            for case in cases:
                missing = [t for t in case.needs if t not in names]
                if missing:
                    rows.append({"id": case.id, "text": case.text, "skipped": f"no {missing}"})
                    continue
                got = await plan_once(session, case.text, examples)
                if "error" in got:
                    got.update(right=False, kind="no plan", why=str(got["error"]), valid=False)
                elif not got["valid"]:
                    got.update(right=False, kind="no plan", why=str(got.get("plan_error"))[:300])
                else:
                    v = score_plan(got["tasks"], case)
                    got.update(right=v.ok, kind=v.kind, why=v.why)
                rows.append({"id": case.id, "text": case.text, "note": case.note, **got})
                log.warning(
                    "%s: %s (%s) %.2f s",
                    case.id,
                    "ok" if got["right"] else "no",
                    got["kind"],
                    got.get("whole_s") or 0.0,
                )
        finally:
            await session.aclose()
            with contextlib.suppress(AiosError):
                await admin.syscall("proc.kill", pid=pid)
    return {
        "tools": sorted(names),
        "tool_table_drift": drift,
        "models": model,
        "warmup": {k: warm.get(k) for k in ("status", "first_step_s", "whole_s")},
        "examples": examples or [],
        "cases": rows,
    }


# ---- the report ---------------------------------------------------------------------


def _summary(fast: list[dict[str, Any]], model: dict[str, Any] | None) -> list[Any]:
    recs = []
    f_rows = [r for r in fast if r["path"] == "fast"]
    if f_rows:
        right = sum(r["right"] for r in f_rows)
        recs.append(
            record(
                "fast path: right syscall",
                right / len(f_rows),
                None,
                goal="100%",
                met=right == len(f_rows),
                note=f"{right}/{len(f_rows)}",
            )
        )
    m_fast = [r for r in fast if r["path"] == "model"]
    if m_fast:
        caught = [r["id"] for r in m_fast if r["false_capture"]]
        recs.append(
            record(
                "fast path: false captures of model requests",
                len(caught),
                None,
                goal="0",
                met=not caught,
                note=f"of {len(m_fast)}" + (f": {', '.join(caught)}" if caught else ""),
            )
        )
    if model is None:
        return recs
    rows = [r for r in model["cases"] if "skipped" not in r]
    if not rows:
        return recs
    right = sum(r["right"] for r in rows)
    valid = sum(bool(r.get("valid")) for r in rows)
    recs.append(
        record(
            "model path: expected plan",
            right / len(rows),
            None,
            goal="≥ 60%",
            met=right >= 0.6 * len(rows),
            note=f"{right}/{len(rows)}",
        )
    )
    recs.append(
        record(
            "model path: valid plans",
            valid / len(rows),
            None,
            goal="100%",
            met=valid == len(rows),
            note=f"{valid}/{len(rows)}",
        )
    )
    firsts = [r["first_step_s"] for r in rows if r.get("first_step_s") is not None]
    wholes = [r["whole_s"] for r in rows if r.get("whole_s") is not None]
    p50 = percentile(firsts, 0.5)
    recs.append(
        record(
            "first plan step shown, p50",
            p50,
            None,
            goal=f"≤ {FIRST_STEP_GOAL_S} s",
            met=bool(firsts) and p50 <= FIRST_STEP_GOAL_S,
            unit="s",
            note=f"p95 {percentile(firsts, 0.95):.2f} s; {len(firsts)}/{len(rows)} showed a step",
        )
    )
    recs.append(
        record(
            "whole plan, p50",
            percentile(wholes, 0.5),
            None,
            goal="-",
            met=None,
            unit="s",
            note=f"p95 {percentile(wholes, 0.95):.2f} s; client wall time",
        )
    )
    kinds = Counter(r["kind"] for r in rows if not r["right"])
    if kinds:
        recs.append(
            record(
                "model path: failures",
                sum(kinds.values()),
                None,
                goal="-",
                met=None,
                note=", ".join(f"{k} {n}" for k, n in kinds.most_common()),
            )
        )
    return recs


def main() -> None:
    cases, seed, versions = _selected()
    load_before = os.getloadavg()  # the machine is shared: say how busy it was
    fast = run_fast(cases)
    model: dict[str, Any] | None = None
    model_cases = [c for c in cases if c.path == "model"]
    if os.environ.get("SHELL_BENCH_MODEL", "1") != "0" and model_cases:
        env = {"AIOS_API__PROCESS_RATE_PER_S": "0"}
        if os.environ.get("SHELL_BENCH_HTTP", "1") != "0":
            # dry runs only: nothing is fetched; the planner sees the tool a user enables
            env.update(
                AIOS_TOOLS__HTTP_GET__ENABLED="true", AIOS_TOOLS__HTTP_GET__ALLOW_HOSTS='["*"]'
            )
        tmp = Path(tempfile.mkdtemp(prefix="aios-bench-shell-"))
        d = start_daemon(tmp / "data", env=env)
        try:
            examples = _examples()
            model = asyncio.run(run_model(d.url, d.token, model_cases, seed, versions, examples))
        except Exception:
            log.error("daemon log tail:\n%s", d.output()[-3000:])
            raise
        finally:
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    details = {"loadavg": {"before": load_before, "after": os.getloadavg()}, "fast": fast}
    details["model"] = model
    report(os.environ.get("SHELL_BENCH_NAME", "shell"), _summary(fast, model), details)


if __name__ == "__main__":
    main()
