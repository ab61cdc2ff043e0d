"""The remote core against a real OpenAI-compatible server on loopback
(llama-cpp-python's own server, serving the bundled model)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aios.errors import Unavailable
from aios.kernel import ADMIN, Kernel
from aios.kernel.llm.models import bundled_model_path
from tests.conftest import make_config
from tests.daemon_helpers import free_port

pytestmark = pytest.mark.model

MSG = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(bundled_model_path()),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--model_alias",
                "smol-remote",
                "--interrupt_requests",
                "False",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"llama_cpp.server did not start: {log.read_text()}")
            time.sleep(0.2)
        yield url
        proc.terminate()
        proc.wait(30)


def remote_config(tmp_path: Path, url: str, **core: Any) -> Any:
    return make_config(
        tmp_path,
        llm={
            "cores": [
                {
                    "kind": "openai",
                    "name": "remote",
                    "model": "smol-remote",
                    "base_url": url,
                    "grammar": True,
                    "max_retries": 1,
                    **core,
                }
            ]
        },
    )


async def test_chat_through_the_remote_core(tmp_path: Path, server: str) -> None:
    async with Kernel(remote_config(tmp_path, server)) as k:
        res: Any = await k.syscall(
            ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 20, "temperature": 0}
        )
        proc = await k.spawn("chat", "Say hello.")
        info = await k.wait(proc.pid, 60)
    assert "Paris" in res.text and res.core == "remote"
    assert res.prompt_tokens > 0 and 0 < res.completion_tokens <= 20
    assert info.state.value == "EXITED" and info.completion_tokens > 0


async def test_streaming_through_the_remote_core(tmp_path: Path, server: str) -> None:
    async with Kernel(remote_config(tmp_path, server)) as k:
        events = [
            e
            async for e in k.syscall_stream(
                ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 16, "temperature": 0}
            )
        ]
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert len(tokens) > 2 and "".join(tokens) == events[-1]["result"]["text"]


async def test_json_schema_through_the_remote_core(tmp_path: Path, server: str) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 20}},
        "required": ["city"],
    }
    async with Kernel(remote_config(tmp_path, server)) as k:
        res: Any = await k.syscall(
            ADMIN,
            "llm.chat",
            {"messages": MSG, "json_schema": schema, "max_tokens": 30, "temperature": 0},
        )
    assert isinstance(json.loads(res.text)["city"], str)


async def test_concurrent_requests_with_parallel_workers(tmp_path: Path, server: str) -> None:
    import asyncio

    async with Kernel(remote_config(tmp_path, server, parallel=2)) as k:
        assert len(k.workers) == 2
        calls = [
            k.syscall(
                ADMIN,
                "llm.chat",
                {"messages": [{"role": "user", "content": f"Hi {i}"}], "max_tokens": 8},
            )
            for i in range(4)
        ]
        results: list[Any] = await asyncio.gather(*calls)
    assert all(r.completion_tokens > 0 for r in results)


async def test_unreachable_server_is_a_clear_error_after_retries(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    async with Kernel(remote_config(tmp_path, url, max_retries=2)) as k:
        t0 = time.monotonic()
        with pytest.raises(Unavailable, match="failed"):
            await k.syscall(ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 4})
        assert time.monotonic() - t0 < 10


async def test_compile_plans_through_a_remote_grammar_core(tmp_path: Path, server: str) -> None:
    async with Kernel(remote_config(tmp_path, server)) as k:
        res: Any = await k.syscall(
            ADMIN,
            "compile",
            {"query": "What is 12 * 12 and 7 * 8?", "tools": ["calculator"], "max_replans": 0},
        )
    assert res.status == "ok", (res.error, res.plans)
    assert res.tasks and all(t["status"] == "ok" for t in res.tasks)
    assert all(isinstance(t["result"], (int, float)) for t in res.tasks)
    assert res.plans[0]["text"].startswith("1. calculator(expression=")  # the grammar held
