"""LSFS against a chroma server (`chroma run`), the scale-out configuration."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aios.fs.embed import Embedder
from aios.kernel import ADMIN, Kernel
from tests.conftest import make_config
from tests.daemon_helpers import free_port
from tests.fakes import FakeCore


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    beside = Path(sys.executable).parent / "chroma"  # installed with chromadb, in the venv
    exe = str(beside) if beside.exists() else shutil.which("chroma") or "chroma"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("chroma run did not start")
        time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(30)


async def test_same_code_runs_against_a_chroma_server(
    tmp_path: Path, chroma_server: int, embedder: Embedder
) -> None:
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        fs={
            "watch": False,
            "chroma": {"mode": "http", "port": chroma_server, "collection": "aios_test"},
        },
    )
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        assert k.fs is not None
        await k.syscall(
            ADMIN, "fs.write", {"path": "a/owls.txt", "content": "Owls hunt at night in silence."}
        )
        await k.syscall(
            ADMIN, "fs.write", {"path": "b/tax.txt", "content": "File the tax return by April."}
        )
        assert await asyncio.to_thread(k.fs.indexer.wait_idle, 120)
        res: Any = await k.syscall(
            ADMIN, "fs.retrieve", {"query": "nocturnal birds", "mode": "semantic", "prefix": "a"}
        )
        assert [h["path"] for h in res.hits] == ["a/owls.txt"]
        assert k.fs.vectors.count() == 2
