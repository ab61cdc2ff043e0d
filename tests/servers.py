"""Servers the scale-out tests start on loopback: ``chroma run`` and llama.cpp
OpenAI-compatible servers (docker/llama-server.sh, what compose runs), each waited
for until healthy, and stopped at the end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.daemon_helpers import free_port

__all__ = ["chroma_run", "llama_server"]

LLAMA_SERVER = Path(__file__).parent.parent / "docker" / "llama-server.sh"


def _wait(url: str, proc: subprocess.Popen[bytes], what: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).is_success:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


@contextmanager
def chroma_run(path: Path) -> Iterator[int]:
    """A chroma server on a free loopback port (its vectors under ``path``)."""
    beside = Path(sys.executable).parent / "chroma"  # installed with chromadb, in the venv
    exe = str(beside) if beside.exists() else shutil.which("chroma") or "chroma"
    port = free_port()
    log = path.parent / f"chroma-{port}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [exe, "run", "--path", str(path), "--port", str(port)], stdout=fh, stderr=fh
        )
        try:
            _wait(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, "chroma run", log, 60)
            yield port
        finally:
            proc.terminate()
            proc.wait(30)


@contextmanager
def llama_server(
    log_dir: Path, threads: int = 1, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """docker/llama-server.sh on the bundled model, on a loopback port (a free one by
    default): its OpenAI base URL and its process (a test may kill it)."""
    port = port or free_port()
    bin_dir = Path(sys.executable).parent  # the script runs `python`: this one
    env = {
        **os.environ,
        **{"HOST": "127.0.0.1", "PORT": str(port), "N_THREADS": str(threads), "N_CTX": "2048"},
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    log = log_dir / f"llama-server-{port}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(["sh", str(LLAMA_SERVER)], stdout=fh, stderr=fh, env=env)
        try:
            url = f"http://127.0.0.1:{port}/v1"
            _wait(url + "/models", proc, "llama-server", log, 90)
            yield url, proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
