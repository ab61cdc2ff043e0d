"""Processes, syscalls, permissions and accounting through the kernel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from aios.errors import BadRequest, Conflict, NotFound, PermissionDenied, TooLarge, Unavailable
from aios.kernel import ADMIN, Capabilities, Kernel, ProcessState
from tests.conftest import make_config
from tests.fakes import FakeCore

MSG = [{"role": "user", "content": "Say hello."}]


def fake_kernel(tmp_path: Path, **core_kw: Any) -> Kernel:
    cfg = make_config(tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]})
    return Kernel(cfg, cores=[FakeCore(**core_kw)])


# -- processes and syscalls on a scripted core -------------------------------------


async def test_process_states_follow_its_syscalls(tmp_path: Path) -> None:
    core_gate = asyncio.Event()
    seen: list[ProcessState] = []

    async def agent(ctx: Any, task: str) -> str:
        seen.append(kernel.procs.live(ctx.pid).state)  # own code: RUNNING
        async with ctx.waiting("tool"):
            seen.append(kernel.procs.live(ctx.pid).state)  # WAITING
            await asyncio.sleep(0.05)
        await core_gate.wait()
        return await ctx.chat("x", max_tokens=3)

    async with fake_kernel(tmp_path) as kernel:
        fake: FakeCore = kernel.cores[0]  # type: ignore[assignment]
        fake.gate.clear()
        proc = await kernel.spawn(agent, "t")
        await asyncio.sleep(0.1)
        core_gate.set()
        while proc.state != ProcessState.RUNNING or not proc.llm_running:
            await asyncio.sleep(0.005)
        assert proc.state == ProcessState.RUNNING and proc.llm_running == 1
        fake.gate.set()
        info = await kernel.wait(proc.pid, 5)
    assert seen == [ProcessState.RUNNING, ProcessState.WAITING]
    assert info.state == ProcessState.EXITED and info.result == "x:0 x:1 x:2 "
    assert info.tool_s >= 0.05


async def test_queued_request_makes_the_process_ready(tmp_path: Path) -> None:
    async with fake_kernel(tmp_path, token_delay=0.01) as kernel:
        hog = asyncio.create_task(
            kernel.syscall(
                ADMIN,
                "llm.chat",
                {
                    "model": "fake",
                    "messages": [{"role": "user", "content": "hog"}],
                    "max_tokens": 50,
                },
            )
        )
        await asyncio.sleep(0.05)
        kernel.scheduler.set_policy("fifo")

        async def agent(ctx: Any, task: str) -> str:
            return await ctx.chat("mine", max_tokens=2)

        proc = await kernel.spawn(agent)
        await asyncio.sleep(0.1)
        assert proc.state == ProcessState.READY  # queued behind the hog
        await hog
        assert (await kernel.wait(proc.pid, 5)).state == ProcessState.EXITED


async def test_agent_exception_fails_the_process_with_its_reason(tmp_path: Path) -> None:
    async def broken(ctx: Any, task: str) -> None:
        raise ValueError("bad input from task")

    async with fake_kernel(tmp_path) as kernel:
        proc = await kernel.spawn(broken)
        info = await kernel.wait(proc.pid, 5)
    assert info.state == ProcessState.FAILED and "bad input from task" in (info.error or "")


async def test_sync_agent_runs_in_a_thread_and_uses_the_same_syscalls(tmp_path: Path) -> None:
    def sync_agent(ctx: Any, task: str) -> str:
        return ctx.chat(task, max_tokens=2).upper()

    async with fake_kernel(tmp_path) as kernel:
        proc = await kernel.spawn(sync_agent, "abc")
        info = await kernel.wait(proc.pid, 5)
    assert info.state == ProcessState.EXITED and info.result == "ABC:0 ABC:1 "


async def test_wait_with_timeout_returns_the_running_process(tmp_path: Path) -> None:
    async def slow(ctx: Any, task: str) -> str:
        await asyncio.sleep(5)
        return "late"

    async with fake_kernel(tmp_path) as kernel:
        proc = await kernel.spawn(slow)
        res: Any = await kernel.syscall(ADMIN, "proc.wait", {"pid": proc.pid, "timeout": 0.1})
        assert not res.done and res.process.state == ProcessState.RUNNING
        kernel.kill(proc.pid)


async def test_suspend_holds_syscalls_until_resume(tmp_path: Path) -> None:
    async def agent(ctx: Any, task: str) -> str:
        await asyncio.sleep(0.1)
        return await ctx.chat("s", max_tokens=2)

    async with fake_kernel(tmp_path) as kernel:
        proc = await kernel.spawn(agent)
        info: Any = await kernel.syscall(ADMIN, "proc.suspend", {"pid": proc.pid})
        assert info.state == ProcessState.SUSPENDED
        await asyncio.sleep(0.3)
        assert proc.state == ProcessState.SUSPENDED and proc.counters.syscalls == 0
        await kernel.syscall(ADMIN, "proc.resume", {"pid": proc.pid})
        done = await kernel.wait(proc.pid, 5)
    assert done.state == ProcessState.EXITED


async def test_kill_of_ended_process_is_harmless(tmp_path: Path) -> None:
    async def quick(ctx: Any, task: str) -> int:
        return 1

    async with fake_kernel(tmp_path) as kernel:
        proc = await kernel.spawn(quick)
        await kernel.wait(proc.pid, 5)
        assert kernel.kill(proc.pid).state == ProcessState.EXITED
        with pytest.raises(Conflict):
            kernel.suspend(proc.pid)


async def test_unknown_syscall_agent_and_pid_are_not_found(tmp_path: Path) -> None:
    async with fake_kernel(tmp_path) as kernel:
        with pytest.raises(NotFound, match="no syscall"):
            await kernel.syscall(ADMIN, "llm.nope", {})
        with pytest.raises(NotFound, match="no agent"):
            await kernel.syscall(ADMIN, "proc.spawn", {"agent": "nobody"})
        with pytest.raises(NotFound, match="no process"):
            await kernel.syscall(ADMIN, "proc.get", {"pid": 999})
        with pytest.raises(NotFound, match="no core serves"):
            await kernel.syscall(ADMIN, "llm.chat", {"model": "gpt-9", "messages": MSG})


async def test_bad_arguments_are_a_bad_request_listing_the_problems(tmp_path: Path) -> None:
    async with fake_kernel(tmp_path) as kernel:
        with pytest.raises(BadRequest) as err:
            await kernel.syscall(ADMIN, "llm.chat", {"messages": [], "temperature": 9})
        fields = {e["loc"][0] for e in err.value.details["errors"]}
        assert fields == {"messages", "temperature"}
        with pytest.raises(BadRequest):
            await kernel.syscall(ADMIN, "llm.chat", {"messages": MSG, "surprise": 1})
        with pytest.raises(TooLarge):
            await kernel.syscall(ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 10**6})
        rows = kernel.store.list_syscalls()
    assert [(r.status, r.error_code) for r in rows] == [
        ("error", "bad_request"),
        ("error", "bad_request"),
        ("error", "too_large"),
    ]


async def test_every_syscall_is_audited_with_its_outcome(tmp_path: Path) -> None:
    async with fake_kernel(tmp_path) as kernel:
        await kernel.syscall(ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 3})
        with pytest.raises(NotFound):
            await kernel.syscall(ADMIN, "proc.get", {"pid": 12345})
        rows = kernel.store.list_syscalls()
    assert [(r.name, r.status) for r in rows] == [("llm.chat", "ok"), ("proc.get", "error")]
    assert rows[0].completion_tokens == 3 and rows[0].turnaround_s >= rows[0].run_s
    assert rows[1].error_code == "not_found"


async def test_counters_sum_over_a_process_syscalls(tmp_path: Path) -> None:
    async def agent(ctx: Any, task: str) -> None:
        for _ in range(3):
            await ctx.chat("c", max_tokens=4)

    async with fake_kernel(tmp_path) as kernel:
        proc = await kernel.spawn(agent)
        info = await kernel.wait(proc.pid, 5)
        rows: Any = await kernel.syscall(ADMIN, "proc.syscalls", {"pid": proc.pid})
    assert info.syscalls == 3 and info.completion_tokens == 12
    assert sum(r["completion_tokens"] for r in rows.syscalls) == 12
    assert info.prompt_tokens == sum(r["prompt_tokens"] for r in rows.syscalls)


async def test_process_without_capability_is_denied(tmp_path: Path) -> None:
    async def agent(ctx: Any, task: str) -> str:
        return await ctx.chat("x", max_tokens=1)

    async with fake_kernel(tmp_path) as kernel:
        caps = Capabilities(syscalls=["proc.*"])
        proc = await kernel.spawn(agent, capabilities=caps)
        info = await kernel.wait(proc.pid, 5)
        assert info.state == ProcessState.FAILED and "permission_denied" in (info.error or "")
        row = kernel.store.list_syscalls(pid=proc.pid)[0]
        assert row.status == "error" and row.error_code == "permission_denied"


async def test_process_may_not_use_a_model_outside_its_capabilities(tmp_path: Path) -> None:
    async def agent(ctx: Any, task: str) -> str:
        return await ctx.chat("x", max_tokens=1)

    async with fake_kernel(tmp_path) as kernel:
        proc = await kernel.spawn(agent, capabilities=Capabilities(models=["other-*"]))
        info = await kernel.wait(proc.pid, 5)
    assert "may not use model" in (info.error or "")


async def test_child_cannot_exceed_parent_capabilities_or_priority(tmp_path: Path) -> None:
    errors: list[str] = []

    async def parent(ctx: Any, task: str) -> int:
        for kw in (
            {"capabilities": {"syscalls": ["*"]}},
            {"priority": 50},
            {"capabilities": {"proc_admin": True}},
        ):
            try:
                await ctx.spawn("child", **kw)
            except PermissionDenied as exc:
                errors.append(exc.message)
        child = await ctx.spawn("child", capabilities={"syscalls": ["llm.chat"]})
        return child.pid

    async def child(ctx: Any, task: str) -> str:
        return "child ran"

    async with fake_kernel(tmp_path) as kernel:
        kernel.agents.register("child", child)
        proc = await kernel.spawn(
            parent, priority=5, capabilities=Capabilities(syscalls=["llm.*", "proc.*"])
        )
        info = await kernel.wait(proc.pid, 5)
        child_info = await kernel.wait(info.result, 5)
    assert len(errors) == 3
    assert child_info.parent == proc.pid and child_info.result == "child ran"


async def test_process_cannot_kill_an_unrelated_process(tmp_path: Path) -> None:
    async def victim(ctx: Any, task: str) -> None:
        await asyncio.sleep(10)

    async def attacker(ctx: Any, task: str) -> None:
        await ctx.syscall("proc.kill", pid=int(task))

    async with fake_kernel(tmp_path) as kernel:
        v = await kernel.spawn(victim)
        a = await kernel.spawn(attacker, str(v.pid))
        info = await kernel.wait(a.pid, 5)
        assert "may not act on process" in (info.error or "")
        assert v.state == ProcessState.RUNNING
        kernel.kill(v.pid)


async def test_sched_set_is_admin_only_and_switches_policy(tmp_path: Path) -> None:
    async def agent(ctx: Any, task: str) -> None:
        await ctx.syscall("sched.set", policy="fifo")

    async with fake_kernel(tmp_path) as kernel:
        res: Any = await kernel.syscall(
            ADMIN, "sched.set", {"policy": "priority", "quantum_tokens": 4}
        )
        assert res.policy == "priority" and res.quantum_tokens == 4
        proc = await kernel.spawn(agent, capabilities=Capabilities(syscalls=["*"]))
        info = await kernel.wait(proc.pid, 5)
    assert "permission_denied" in (info.error or "")


async def test_syscalls_after_close_are_refused(tmp_path: Path) -> None:
    kernel = fake_kernel(tmp_path)
    await kernel.start()
    await kernel.close()
    with pytest.raises(Unavailable):
        await kernel.syscall(ADMIN, "proc.list", {})
    fake: FakeCore = kernel.cores[0]  # type: ignore[assignment]
    assert fake.closed


async def test_close_cancels_what_misses_the_deadline(tmp_path: Path) -> None:
    kernel = fake_kernel(tmp_path, token_delay=0.01)
    await kernel.start()

    async def endless(ctx: Any, task: str) -> str:
        return await ctx.chat("e", max_tokens=100_000)

    kernel.config.llm.max_tokens_limit = 100_000
    proc = await kernel.spawn(endless)
    await asyncio.sleep(0.1)
    await asyncio.wait_for(kernel.close(deadline_s=0.2), 10)
    assert proc.state == ProcessState.FAILED and proc.error == "daemon stopped"


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
async def test_restart_marks_unfinished_processes_failed(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_server").database() if db == "postgresql" else None
    cfg = make_config(tmp_path, database_url=url)
    from aios.kernel.store import Store

    store = Store(cfg.resolved_database_url)
    pid = store.insert_process(
        name="x",
        agent="x",
        task="",
        parent=None,
        owner="admin",
        priority=0,
        state="RUNNING",
        capabilities={},
        created_at=0.0,
    )
    store.close()
    async with Kernel(cfg, cores=[FakeCore(model="smollm2")]) as kernel:
        info = await kernel.procs.get(pid)
    assert info.state == ProcessState.FAILED and info.error == "daemon restarted"


@pytest.mark.model
async def test_stream_closed_early_is_cancelled_and_accounted(kernel: Kernel) -> None:
    events = kernel.syscall_stream(
        ADMIN,
        "llm.chat",
        {"messages": [{"role": "user", "content": "Write a long story."}], "max_tokens": 500},
    )
    n = 0
    async for ev in events:
        n += ev["type"] == "token"
        if n == 5:
            break
    await events.aclose()
    row = kernel.store.list_syscalls(name="llm.chat")[-1]
    assert row.status == "cancelled"
    assert 5 <= row.completion_tokens < 100 and row.run_s > 0 and row.prompt_tokens > 0
    res: Any = await kernel.syscall(ADMIN, "llm.chat", {"messages": MSG, "max_tokens": 3})
    assert res.completion_tokens > 0  # the core was freed
