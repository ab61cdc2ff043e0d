"""The real daemon: a uvicorn server on loopback, driven over HTTP and by the CLI."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.daemon_helpers import Daemon, free_port

pytestmark = pytest.mark.model

MSG = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(
        tmp_path_factory.mktemp("daemon") / "data",
        env={"AIOS_API__MAX_BODY_BYTES": str(1024 * 1024)},
    ).start()
    yield d
    assert d.stop() == 0, d.output()


def test_health_needs_no_token(daemon: Daemon) -> None:
    body = httpx.get(daemon.url + "/v1/health").json()
    assert body["status"] == "ok" and body["models"] == ["smollm2"]


def test_token_file_is_private_and_printed_by_aios_token(daemon: Daemon) -> None:
    mode = stat.S_IMODE((daemon.data_dir / "token").stat().st_mode)
    assert mode == 0o600
    out = daemon.cli("token")
    assert out.returncode == 0 and out.stdout.strip() == daemon.token


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic abc", "Bearer"])
def test_syscall_refuses_missing_or_wrong_token(daemon: Daemon, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = httpx.post(daemon.url + "/v1/syscall", json={"name": "proc.list"}, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


def test_llm_chat_over_http(daemon: Daemon) -> None:
    r = daemon.syscall("llm.chat", messages=MSG, max_tokens=8, temperature=0)
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert res["text"] and res["completion_tokens"] <= 8


def test_errors_have_one_shape_and_the_right_status(daemon: Daemon) -> None:
    r = daemon.syscall("no.such")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = daemon.syscall("llm.chat", messages="not a list")
    assert r.status_code == 400 and r.json()["error"]["details"]["errors"]
    r = daemon.syscall("llm.chat", messages=MSG, max_tokens=10**7)
    assert r.status_code == 413
    r = httpx.post(
        daemon.url + "/v1/syscall",
        content=b"{not json",
        headers={"Authorization": f"Bearer {daemon.token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "error" in r.json()
    r = httpx.post(
        daemon.url + "/v1/syscall",
        content=b"x" * (2 * 1024 * 1024),
        headers={"Authorization": f"Bearer {daemon.token}"},
    )
    assert r.status_code == 413
    assert httpx.get(daemon.url + "/v1/health").status_code == 200  # still serving


def test_sse_stream_over_http(daemon: Daemon) -> None:
    events = []
    with httpx.stream(
        "POST",
        daemon.url + "/v1/syscall",
        json={
            "name": "llm.chat",
            "args": {"messages": MSG, "max_tokens": 10, "temperature": 0, "stream": True},
        },
        headers={"Authorization": f"Bearer {daemon.token}"},
        timeout=60,
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    assert events[-1]["type"] == "result"
    text = "".join(e["text"] for e in events if e["type"] == "token")
    assert text == events[-1]["result"]["text"]


def test_disconnect_mid_stream_frees_the_core(daemon: Daemon) -> None:
    with httpx.stream(
        "POST",
        daemon.url + "/v1/syscall",
        json={
            "name": "llm.chat",
            "args": {
                "messages": [{"role": "user", "content": "Write a long story."}],
                "max_tokens": 3000,
                "stream": True,
            },
        },
        headers={"Authorization": f"Bearer {daemon.token}"},
        timeout=60,
    ) as r:
        for n, _ in enumerate(r.iter_lines()):
            if n > 10:
                break
    t0 = time.monotonic()
    r2 = daemon.syscall("llm.chat", messages=MSG, max_tokens=4, temperature=0)
    assert r2.status_code == 200 and time.monotonic() - t0 < 5
    rows = daemon.syscall("proc.list").json()  # still healthy
    assert "result" in rows


def test_cli_chat_run_ps_and_kill(daemon: Daemon) -> None:
    out = daemon.cli("chat", "What is 2 + 2?", "--max-tokens", "20", "--temperature", "0")
    assert out.returncode == 0 and out.stdout.strip(), out.stderr
    out = daemon.cli("run", "chat", "Name a color.")
    assert out.returncode == 0 and out.stdout.strip(), out.stderr
    # a long-running process, listed by ps and killed by kill (sleep, not chat: the
    # model may end a "long" answer early and the process exit before kill)
    r = daemon.syscall("proc.spawn", agent="sleep", task="600")
    pid = r.json()["result"]["pid"]
    ps = daemon.cli("ps")
    assert str(pid) in ps.stdout, ps.stdout
    out = daemon.cli("kill", str(pid))
    assert out.returncode == 0 and "KILLED" in out.stdout
    info = daemon.syscall("proc.get", pid=pid).json()["result"]
    assert info["state"] == "KILLED"
    ps_all = daemon.cli("ps", "--all", "--json")
    assert any(p["pid"] == pid and p["state"] == "KILLED" for p in json.loads(ps_all.stdout))


def test_second_daemon_on_the_same_data_dir_refuses(daemon: Daemon) -> None:
    other = serve_once(daemon.data_dir, free_port())
    assert other.returncode == 2
    assert "another aios daemon" in other.stderr


def test_cli_without_a_daemon_says_so(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("x\n")
    out = subprocess.run(
        [sys.executable, "-m", "aios", "ps", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"AIOS_PORT": str(free_port()), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 2 and "cannot reach the aios daemon" in out.stderr


def test_sigterm_finishes_in_flight_work_and_exits_zero(tmp_path: Path) -> None:
    d = Daemon(tmp_path / "data").start()
    result: dict[str, object] = {}

    def long_chat() -> None:
        r = d.syscall(
            "llm.chat",
            messages=[{"role": "user", "content": "Tell a story."}],
            max_tokens=150,
            temperature=0,
        )
        result["status"] = r.status_code
        result["body"] = r.json()

    t = threading.Thread(target=long_chat)
    t.start()
    time.sleep(0.5)
    rc = d.stop(signal.SIGTERM, timeout=30)
    t.join(30)
    assert rc == 0, d.output()
    assert result["status"] == 200, result  # finished within the deadline
    assert "kernel stopped" in d.output()
    assert not (d.data_dir / "daemon.json").exists()


def test_kill_9_then_restart_marks_running_processes_failed(tmp_path: Path) -> None:
    d = Daemon(tmp_path / "data").start()
    # sleep, not chat: a chat answer may end before the kill and leave nothing unfinished
    pid = d.syscall("proc.spawn", agent="sleep", task="600").json()["result"]["pid"]
    deadline = time.monotonic() + 30
    while d.syscall("proc.get", pid=pid).json()["result"]["state"] != "WAITING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.2)  # let the write-behind flush the state
    d.stop(signal.SIGKILL)
    d2 = Daemon(tmp_path / "data").start()
    try:
        info = d2.syscall("proc.get", pid=pid).json()["result"]
        assert info["state"] == "FAILED" and info["error"] == "daemon restarted"
    finally:
        assert d2.stop() == 0


def serve_once(data_dir: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    """`aios serve` expected to refuse to start."""
    args = ["serve", "--data-dir", str(data_dir), "--port", str(port), *extra]
    return subprocess.run(
        [sys.executable, "-m", "aios", *args], capture_output=True, text=True, timeout=60
    )


def test_missing_model_is_a_clear_error_at_start(tmp_path: Path) -> None:
    out = serve_once(tmp_path / "data", free_port(), "--model-path", str(tmp_path / "missing.gguf"))
    assert out.returncode == 2
    assert "model file not found" in out.stderr and "Traceback" not in out.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path, daemon: Daemon) -> None:
    out = serve_once(tmp_path / "data", daemon.port)
    assert out.returncode == 2 and "already in use" in out.stderr
