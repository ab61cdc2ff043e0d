"""The kernel on the real bundled model: processes, chat, preemption, accounting."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from aios.kernel import ADMIN, Kernel, ProcessState
from tests.conftest import make_config

MSG = [{"role": "user", "content": "Say hello."}]


# -- on the real model ------------------------------------------------------------


@pytest.mark.model
async def test_spawned_process_gets_an_answer_from_the_model(kernel: Kernel) -> None:
    proc = await kernel.spawn("chat", "What is the capital of France? One word.")
    info = await kernel.wait(proc.pid, 60)
    assert info.state == ProcessState.EXITED
    assert "Paris" in info.result
    assert info.syscalls == 1 and info.completion_tokens > 0 and info.prompt_tokens > 0
    assert info.llm_run_s > 0


@pytest.mark.model
async def test_many_processes_calling_at_once_all_get_answers(kernel: Kernel) -> None:
    procs = [await kernel.spawn("chat", f"Name a fruit that starts with {c}.") for c in "ABCDEFGH"]
    infos = await asyncio.gather(*(kernel.wait(p.pid, 120) for p in procs))
    assert [i.state for i in infos] == [ProcessState.EXITED] * 8
    assert all(isinstance(i.result, str) and i.result.strip() for i in infos)


@pytest.mark.model
async def test_llm_chat_syscall_returns_text_and_accounting(kernel: Kernel) -> None:
    res: Any = await kernel.syscall(
        ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 8, "temperature": 0}
    )
    assert res.text and res.completion_tokens <= 8 and res.model == "smollm2"
    assert res.core == "local" and res.run_s > 0


@pytest.mark.model
async def test_llm_chat_json_schema_gives_a_parsed_value(kernel: Kernel) -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    res: Any = await kernel.syscall(
        ADMIN,
        "llm.chat",
        {"messages": MSG, "json_schema": schema, "max_tokens": 20, "temperature": 0},
    )
    assert isinstance(res.json_value["ok"], bool)


@pytest.mark.model
async def test_stream_yields_tokens_then_result(kernel: Kernel) -> None:
    events = [
        e
        async for e in kernel.syscall_stream(
            ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 12, "temperature": 0}
        )
    ]
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert events[-1]["type"] == "result"
    assert "".join(tokens) == events[-1]["result"]["text"] and len(tokens) > 1


@pytest.mark.model
async def test_kill_during_generation_stops_it_and_frees_the_core(kernel: Kernel) -> None:
    started = asyncio.Event()

    async def writer(ctx: Any, task: str) -> str:
        started.set()
        return await ctx.chat("Write a very long story about dragons.", max_tokens=2000)

    proc = await kernel.spawn(writer)
    await started.wait()
    while proc.llm_running == 0:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    info = kernel.kill(proc.pid)
    assert info.state == ProcessState.KILLED
    done = await kernel.wait(proc.pid, 5)
    assert done.state == ProcessState.KILLED and done.error == "killed"
    # the core is free again: a new request is answered promptly
    res: Any = await asyncio.wait_for(
        kernel.syscall(ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 4}), 10
    )
    assert res.completion_tokens > 0
    rows = kernel.store.list_syscalls(pid=proc.pid)
    assert rows[0].status == "cancelled" and rows[0].completion_tokens < 2000


async def _chat_all(k: Kernel, prompts: list[str], max_tokens: int) -> list[Any]:
    """The prompts as concurrent greedy chats."""
    return await asyncio.gather(
        *(
            k.syscall(
                ADMIN,
                "llm.chat",
                {
                    "messages": [{"role": "user", "content": p}],
                    "max_tokens": max_tokens,
                    "temperature": 0,
                },
            )
            for p in prompts
        )
    )


@pytest.mark.model
async def test_fifo_policy_on_the_real_model(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, scheduler={"policy": "fifo"})
    async with Kernel(cfg) as k:
        results = await _chat_all(k, [f"Count to {i}" for i in range(3)], 24)
    assert all(r.preemptions == 0 for r in results)
    rows = sorted(k.store.list_syscalls(name="llm.chat"), key=lambda r: r.queued_at)
    starts = [r.started_at for r in rows]
    assert starts == sorted(starts)  # served in arrival order, one after the other
    assert all(rows[i].finished_at <= rows[i + 1].started_at + 0.05 for i in range(2))


@pytest.mark.model
async def test_round_robin_policy_on_the_real_model(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, scheduler={"policy": "rr", "quantum_tokens": 8})
    async with Kernel(cfg) as k:
        results = await _chat_all(k, [f"Story {i}" for i in range(3)], 40)
    assert all(r.preemptions >= 2 for r in results if r.completion_tokens >= 30)
    assert sum(r.preemptions for r in results) >= 4


@pytest.mark.model
async def test_priority_policy_on_the_real_model(tmp_path: Path) -> None:
    cfg = make_config(
        tmp_path, scheduler={"policy": "priority", "quantum_tokens": 8, "aging_s": 1000}
    )
    async with Kernel(cfg) as k:
        low = asyncio.create_task(
            k.syscall(
                ADMIN,
                "llm.chat",
                {
                    "messages": [{"role": "user", "content": "Write a long story."}],
                    "max_tokens": 200,
                    "temperature": 0,
                    "priority": 0,
                },
            )
        )
        await asyncio.sleep(0.3)  # low is generating
        high: Any = await k.syscall(
            ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 16, "temperature": 0, "priority": 10}
        )
        assert not low.done()  # high finished first, while low was still going
        low_res: Any = await low
    assert low_res.preemptions >= 1
    assert high.preemptions == 0  # once it ran, nothing took the core from it
