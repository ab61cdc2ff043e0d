"""The shell's one-shot mode (aios/shell/flow.py, oneshot.py, session.py) against a
real daemon: built-ins, the fast path, usage errors, refusals of what needs
approval, approvals through the kernel's queue, the stored log, the ``aios shell``
command, and starting a daemon when none answers. Model-dependent checks hold to
contracts (exit codes, files untouched), never to wording."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aios.config import load_config
from aios.shell.flow import CONTEXT_MARKER, MAX_QUERY, run_line, with_context
from aios.shell.out import PlainOut
from aios.shell.session import ShellSession
from tests.daemon_helpers import Daemon, free_port
from tests.daemon_helpers import result as _sys

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("shell") / "data").start(timeout=120)
    yield d
    assert d.stop() == 0, d.output()


async def _run(d: Daemon, text: str, **kw: Any) -> tuple[int, list[str]]:
    kw.setdefault("yes", False)
    out = io.StringIO()
    cfg = load_config(data_dir=d.data_dir)
    policy = kw.get("policy", "destructive")
    policy = policy if policy in ("always", "destructive", "never") else "destructive"
    async with await ShellSession.connect(cfg, start=False, policy=policy) as session:
        rc = await run_line(session, text, out=PlainOut(out), **kw)
    return rc, out.getvalue().splitlines()


async def test_ps_prints_aligned_columns(daemon: Daemon) -> None:
    rc, lines = await _run(daemon, "ps")
    assert rc == 0 and lines[0].split() == ["PID", "STATE", "NAME", "STARTED", "TASK"]


async def test_ls_and_cat_after_a_write(daemon: Daemon) -> None:
    _sys(daemon, "fs.write", path="docs/plan.md", content="step one\nstep two\x1b[31m")
    rc, lines = await _run(daemon, "ls docs")
    assert rc == 0 and lines == ["plan.md"]
    rc, lines = await _run(daemon, "ls")
    assert rc == 0 and "docs/" in lines
    rc, lines = await _run(daemon, "cat docs/plan.md")
    assert rc == 0 and lines[0] == "step one"
    assert "\x1b" not in "".join(lines) and "\\u001b" in lines[1]  # escapes neutralized
    rc, lines = await _run(daemon, "history docs/plan.md")
    assert rc == 0 and lines[1].startswith("v1")


async def test_find_shows_paths_and_scores(daemon: Daemon) -> None:
    _sys(daemon, "fs.write", path="notes/owls.md", content="Barn owls hunt voles at night.")
    for _ in range(600):
        if _sys(daemon, "fs.stat", path="notes/owls.md")["indexed"]:
            break
        time.sleep(0.1)
    rc, lines = await _run(daemon, "find barn owls")
    assert rc == 0
    assert any(re.match(r"\d\.\d{3}  notes/owls\.md:1  ", line) for line in lines), lines


async def test_fast_path_request_runs_its_builtin(daemon: Daemon) -> None:
    rc, lines = await _run(daemon, "please show me my running processes")
    assert rc == 0 and lines[0].startswith("PID")
    rc, lines = await _run(daemon, "what tools do I have")
    assert rc == 0 and lines[0].split()[:2] == ["NAME", "RISK"]
    assert any(line.startswith("fs_read ") for line in lines)


@pytest.mark.parametrize("line", ["cat", "cat x.md y.md", "rollback x", "kill 0", "!ls | wc"])
async def test_usage_errors_exit_2(daemon: Daemon, line: str) -> None:
    rc, lines = await _run(daemon, line)
    assert rc == 2 and lines and lines[0].startswith("aios: ")


async def test_destructive_builtin_is_refused_without_yes(daemon: Daemon) -> None:
    pid = _sys(daemon, "proc.spawn", agent="sleep", task="30")["pid"]
    try:
        rc, lines = await _run(daemon, f"kill {pid}")
        assert rc == 3 and any("needs approval" in line for line in lines)
        assert _sys(daemon, "proc.get", pid=pid)["state"] not in ("KILLED", "FAILED", "DONE")
        rc, lines = await _run(daemon, f"kill {pid}", yes=True)
        assert rc == 0, lines
        assert _sys(daemon, "proc.get", pid=pid)["state"] == "KILLED"
        # through the kernel's queue: the session asked, with the call, and was approved
        (item,) = [
            a
            for a in _sys(daemon, "approval.list")["approvals"]
            if a["calls"] == [{"syscall": "proc.kill", "tool": None, "args": {"pid": pid}}]
        ]
        assert item["state"] == "approved" and item["note"] == "--yes"
        # what approving let run is shown wherever a person answers
        rc, lines = await _run(daemon, "approvals all")
        assert rc == 0 and lines[0].split()[-1] == "RUNS"
        assert any(f'proc.kill {{"pid": {pid}}}' in line for line in lines), lines
        cli = daemon.cli("approvals", "--all")
        assert f'runs: proc.kill {{"pid": {pid}}}' in cli.stdout, cli.stdout
    finally:
        daemon.syscall("proc.kill", pid=pid)


async def test_missing_file_fails_with_1(daemon: Daemon) -> None:
    rc, lines = await _run(daemon, "cat nowhere/none.md")
    assert rc == 1 and lines[-1].startswith("aios: ")


async def test_destructive_plan_is_refused_and_nothing_changes(daemon: Daemon) -> None:
    _sys(daemon, "fs.write", path="keep/report.md", content="keep me")
    before = _sys(daemon, "fs.history", path="keep/report.md")["versions"]
    rc, lines = await _run(daemon, "delete the file keep/report.md", tools=["fs_delete"])
    assert rc == 3, lines
    assert _sys(daemon, "fs.read", path="keep/report.md")["text"] == "keep me"
    assert _sys(daemon, "fs.history", path="keep/report.md")["versions"] == before


async def test_policy_always_refuses_any_plan(daemon: Daemon) -> None:
    rc, lines = await _run(
        daemon, "write the word hello to the file out/hello.md", tools=["fs_write"], policy="always"
    )
    # a plan with steps asks first; an empty one has nothing to ask about
    assert rc in (3, 0), lines
    if rc == 3:
        assert daemon.syscall("fs.stat", path="out/hello.md").status_code == 404


async def test_a_read_only_plan_runs_without_asking(daemon: Daemon) -> None:
    rc, lines = await _run(daemon, "what time is it in UTC", tools=["current_time"])
    # the one tool offered is read-only: it runs unasked (a timezone the model got
    # wrong fails the step, 1; it never asks, 3)
    assert rc in (0, 1) and "needs approval:" not in lines, lines
    assert lines[0] == "plan:" and lines[1].startswith("  1. current_time(")
    assert any(line.startswith("  [1] current_time ") for line in lines), lines  # it ran


async def test_a_rollback_with_yes_takes_effect_through_the_queue(daemon: Daemon) -> None:
    _sys(daemon, "fs.write", path="undo/r.md", content="first")
    _sys(daemon, "fs.write", path="undo/r.md", content="second")
    rc, lines = await _run(daemon, "rollback undo/r.md 1")
    assert rc == 3 and _sys(daemon, "fs.read", path="undo/r.md")["text"] == "second"
    rc, lines = await _run(daemon, "rollback undo/r.md 1", yes=True)
    assert rc == 0, lines
    assert _sys(daemon, "fs.read", path="undo/r.md")["text"] == "first"


async def test_a_plan_the_model_writes_cannot_skip_the_kernel(daemon: Daemon) -> None:
    # the session's own token, used directly: its destructive call waits for a person
    cfg = load_config(data_dir=daemon.data_dir)
    _sys(daemon, "fs.write", path="guard/x.md", content="x")
    async with await ShellSession.connect(cfg, start=False) as session:
        import asyncio

        call = asyncio.ensure_future(
            session.call("tool.call", {"name": "fs_delete", "args": {"path": "guard/x.md"}})
        )
        for _ in range(100):
            if await session.pending():
                break
            await asyncio.sleep(0.05)
        (item,) = await session.pending()
        assert item["tool"] == "fs_delete" and item["pid"] == session.pid
        await session.respond(item["id"], "deny")
        with pytest.raises(Exception, match="denied"):
            await call
    assert _sys(daemon, "fs.read", path="guard/x.md")["text"] == "x"


def test_the_log_keeps_inputs_plans_and_outcomes(daemon: Daemon) -> None:
    out = _cli(daemon.data_dir, "-c", "ps")
    assert out.returncode == 0
    out = _cli(daemon.data_dir, "--log", "--sessions", "3")
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()
    assert rows[0].split() == ["AT", "SESSION", "KIND", "WHAT"]
    kinds = [r.split()[3] for r in rows[1:] if len(r.split()) > 3]
    assert "input" in kinds and "outcome" in kinds


async def test_bad_policy_is_a_usage_error(daemon: Daemon) -> None:
    rc, _ = await _run(daemon, "ps", policy="sometimes")
    assert rc == 2


def test_piped_context_is_bounded_and_marked() -> None:
    assert with_context("summarize", None) == "summarize"
    q = with_context("summarize", "x" * 50_000)
    assert CONTEXT_MARKER in q and len(q) <= MAX_QUERY and q.startswith("summarize\n")
    assert with_context("a", "short") == f"a\n\n{CONTEXT_MARKER}\nshort"


def _cli(
    data_dir: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aios", "shell", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "AIOS_FS__PRELOAD": "false", **(env or {})},
    )


def test_cli_one_line_and_stdin_lines(daemon: Daemon) -> None:
    out = _cli(daemon.data_dir, "-c", "ps")
    assert out.returncode == 0 and out.stdout.startswith("PID"), out.stderr
    out = _cli(daemon.data_dir, "-c", "kill 999999")
    assert out.returncode == 3, out.stdout + out.stderr
    out = _cli(daemon.data_dir, "-c", "cat")
    assert out.returncode == 2
    out = _cli(daemon.data_dir, stdin="ps\ncat\ntools\n")
    assert out.returncode == 2 and "RISK" not in out.stdout  # stopped at the failure
    out = _cli(daemon.data_dir, "--keep-going", stdin="ps\ncat\ntools\n")
    assert out.returncode == 2 and "fs_read" in out.stdout  # went on after it


def test_starts_a_daemon_when_none_answers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    out = _cli(data, "-c", "ps", env={"AIOS_PORT": str(port)})
    try:
        assert out.returncode == 0, out.stdout + out.stderr
        assert "starting 'aios serve'" in out.stderr and out.stdout.startswith("PID")
        assert httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200
    finally:
        info = json.loads((data / "daemon.json").read_text())
        os.kill(int(info["pid"]), signal.SIGTERM)
        for _ in range(300):
            try:
                os.kill(int(info["pid"]), 0)
            except OSError:
                break
            time.sleep(0.1)
