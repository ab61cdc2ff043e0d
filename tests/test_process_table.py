"""The process table stays bounded: ended processes leave memory and are answered
from the database; their streams end; plain agents run on threads of their own."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from aios.errors import BadRequest, Conflict, NotFound, PermissionDenied
from aios.kernel import ADMIN, Kernel, ProcessState
from aios.kernel.caps import Caller, Capabilities
from aios.kernel.events import QUEUE_LIMIT
from tests.conftest import make_config
from tests.fakes import FakeCore


def fake_kernel(tmp_path: Path, **processes: Any) -> Kernel:
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        fs={"enabled": False},
        processes=processes,
    )
    return Kernel(cfg, cores=[FakeCore()])


async def _settle(k: Kernel) -> None:
    """Let the ended processes' tasks finish (they leave the table then)."""
    for _ in range(100):
        if not k.procs.all_live():
            return
        await asyncio.sleep(0.01)


async def test_ended_processes_leave_memory_and_are_answered_from_the_database(
    tmp_path: Path,
) -> None:
    async def square(ctx: Any, task: str) -> int:
        return int(task) ** 2

    async with fake_kernel(tmp_path) as k:
        procs = [await k.spawn(square, str(i)) for i in range(200)]
        for p in procs:
            await k.wait(p.pid, 5)
        await _settle(k)
        assert k.procs.all_live() == []
        for i, p in enumerate(procs):
            assert k.procs.live(p.pid) is None
            info: Any = await k.syscall(ADMIN, "proc.get", {"pid": p.pid})
            assert info.state == ProcessState.EXITED and info.result == i * i
        listed: Any = await k.syscall(ADMIN, "proc.list", {"limit": 1000})
        assert sorted(p.result for p in listed.processes) == sorted(i * i for i in range(200))
        text = k.metrics_text()
        assert 'aios_processes{state="RUNNING"} 0' in text  # the ended are not walked
        assert 'aios_store_lost{kind="syscall_row"} 0' in text and "aios_store_backlog" in text


async def test_ended_processes_answer_kill_wait_suspend_resume(tmp_path: Path) -> None:
    async def quick(ctx: Any, task: str) -> str:
        return "done"

    async with fake_kernel(tmp_path) as k:
        proc = await k.spawn(quick)
        await k.wait(proc.pid, 5)
        await _settle(k)
        assert k.procs.live(proc.pid) is None
        killed: Any = await k.syscall(ADMIN, "proc.kill", {"pid": proc.pid})
        assert killed.state == ProcessState.EXITED and killed.result == "done"
        waited: Any = await k.syscall(ADMIN, "proc.wait", {"pid": proc.pid, "timeout": 1})
        assert waited.done and waited.process.result == "done"
        for name in ("proc.suspend", "proc.resume"):
            with pytest.raises(Conflict):
                await k.syscall(ADMIN, name, {"pid": proc.pid})
        with pytest.raises(Conflict):
            await k.syscall(ADMIN, "proc.token", {"pid": proc.pid})
        for name in ("proc.get", "proc.kill", "proc.suspend", "proc.wait"):
            with pytest.raises(NotFound):
                await k.syscall(ADMIN, name, {"pid": 999_999})


async def test_a_process_still_reaches_descendants_whose_parent_has_ended(
    tmp_path: Path,
) -> None:
    """top -> middle -> leaf; middle ends (and leaves memory): top still acts on leaf
    and lists it, through the database; a stranger still may not."""
    release = asyncio.Event()
    leaf_pid: list[int] = []

    async def leaf(ctx: Any, task: str) -> str:
        await release.wait()
        return "leaf"

    async def middle(ctx: Any, task: str) -> int:
        return (await ctx.spawn("leaf")).pid  # type: ignore[no-any-return]

    async def top(ctx: Any, task: str) -> None:
        b = await ctx.spawn("middle")
        leaf_pid.append((await ctx.wait(b.pid, 5)).result)
        await release.wait()

    async with fake_kernel(tmp_path) as k:
        for name, fn in (("leaf", leaf), ("middle", middle)):
            k.agents.register(name, fn)
        caps = Capabilities(syscalls=["proc.*"])
        a = await k.spawn(top, capabilities=caps)
        stranger = await k.spawn(leaf, capabilities=caps)
        while not leaf_pid:
            await asyncio.sleep(0.01)
        c = k.procs.live(leaf_pid[0])
        assert c is not None and c.parent is not None
        await _settle_pid(k, c.parent)
        k.procs.ancestry.forget_ended()  # the middle is forgotten: the database answers

        me = Caller(pid=a.pid, caps=a.capabilities, owner=a.owner)
        got: Any = await k.syscall(me, "proc.get", {"pid": c.pid})
        assert got.pid == c.pid
        ended: Any = await k.syscall(me, "proc.get", {"pid": c.parent})
        assert ended.state == ProcessState.EXITED  # an ended descendant, from the database
        listed: Any = await k.syscall(me, "proc.list", {})
        assert {p.pid for p in listed.processes} == {a.pid, c.parent, c.pid}
        other = Caller(pid=stranger.pid, caps=stranger.capabilities, owner=stranger.owner)
        for pid in (c.pid, c.parent):
            with pytest.raises(PermissionDenied):
                await k.syscall(other, "proc.get", {"pid": pid})
        mine: Any = await k.syscall(other, "proc.list", {})
        assert [p.pid for p in mine.processes] == [stranger.pid]
        release.set()


async def _settle_pid(k: Kernel, pid: int) -> None:
    for _ in range(200):
        if k.procs.live(pid) is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"process {pid} stayed in the table")


async def test_the_event_stream_of_a_slow_reader_still_ends(tmp_path: Path) -> None:
    """A watcher that reads nothing until the process has ended, after far more
    events than its queue holds: its last event is still the end."""

    async def chatty(ctx: Any, task: str) -> str:
        for _ in range(QUEUE_LIMIT + 200):
            await ctx.syscall("proc.get", pid=ctx.pid)
        return "done"

    async with fake_kernel(tmp_path) as k:
        proc = await k.spawn(chatty)
        queue = k.events.subscribe(proc.pid)
        await k.wait(proc.pid, 30)
        assert queue.full()
        events = [queue.get_nowait() for _ in range(queue.qsize())]
        last_state = [e for e in events if e["type"] == "state"][-1]
        assert last_state["state"] == "EXITED"


async def test_plain_agents_wait_for_their_own_threads_and_never_starve_the_pool(
    tmp_path: Path,
) -> None:
    gate = threading.Event()
    started = threading.Semaphore(0)

    def blocking(ctx: Any, task: str) -> str:
        started.release()
        gate.wait(30)
        return task

    async with fake_kernel(tmp_path, agent_threads=2) as k:
        procs = [await k.spawn(blocking, str(i)) for i in range(4)]
        for _ in range(2):
            assert await asyncio.to_thread(started.acquire, True, 10)
        await asyncio.sleep(0.05)
        states = sorted(p.state.value for p in procs)
        assert states == ["READY", "READY", "RUNNING", "RUNNING"]
        # the default pool (every file call's) is free while agents hold theirs
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "free"), 10) == "free"
        gate.set()
        infos = [await k.wait(p.pid, 10) for p in procs]
        assert [i.result for i in infos] == ["0", "1", "2", "3"]
        assert all(i.state == ProcessState.EXITED for i in infos)


@pytest.mark.parametrize(
    ("timeout", "why"),
    [
        (float("nan"), "finite_number"),
        (float("inf"), "finite_number"),
        (float("-inf"), "finite_number"),
        (-1.0, "greater_than_equal"),
        (1e9, "less_than_equal"),
    ],
)
async def test_wait_with_a_bad_timeout_is_a_bad_request(
    tmp_path: Path, timeout: float, why: str
) -> None:
    async def quick(ctx: Any, task: str) -> str:
        return "x"

    async with fake_kernel(tmp_path) as k:
        proc = await k.spawn(quick)
        with pytest.raises(BadRequest) as exc:
            await k.syscall(ADMIN, "proc.wait", {"pid": proc.pid, "timeout": timeout})
    assert [e["type"] for e in exc.value.details["errors"]] == [why]


async def test_the_error_of_a_nan_argument_is_json(tmp_path: Path) -> None:
    async with fake_kernel(tmp_path) as k:
        with pytest.raises(BadRequest) as exc:
            await k.syscall(ADMIN, "proc.wait", {"pid": 1, "timeout": float("nan")})
    json.dumps(exc.value.to_dict(), allow_nan=False)  # what the API sends


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("sched.set", {"policy": "priority", "aging_s": float("nan")}),
        ("sched.set", {"policy": "priority", "aging_s": float("inf")}),
        ("approval.list", {"pid": float("nan")}),
        ("proc.get", {"pid": float("inf")}),
    ],
)
async def test_non_finite_numbers_are_bad_requests(
    tmp_path: Path, name: str, args: dict[str, Any]
) -> None:
    async with fake_kernel(tmp_path) as k:
        with pytest.raises(BadRequest) as exc:
            await k.syscall(ADMIN, name, args)
    assert {e["type"] for e in exc.value.details["errors"]} <= {"finite_number", "int_from_float"}


async def test_an_approval_request_with_a_nan_timeout_is_a_bad_request(tmp_path: Path) -> None:
    seen: list[Exception] = []

    async def asks(ctx: Any, task: str) -> None:
        try:
            await ctx.syscall("approval.request", summary="x", timeout_s=float("nan"))
        except BadRequest as exc:
            seen.append(exc)

    async with fake_kernel(tmp_path) as k:
        proc = await k.spawn(asks)
        await k.wait(proc.pid, 5)
    assert len(seen) == 1 and seen[0].details["errors"][0]["type"] == "finite_number"


async def test_a_watcher_that_arrives_mid_generation_gets_the_tokens_from_then_on(
    tmp_path: Path,
) -> None:
    """Tokens used to reach a process's stream only if someone watched when the
    request was submitted."""
    cfg = make_config(
        tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]}, fs={"enabled": False}
    )
    core = FakeCore()
    core.gate.clear()  # hold generation until the watcher is there

    async def talker(ctx: Any, task: str) -> str:
        return await ctx.chat("hello", max_tokens=5)

    async with Kernel(cfg, cores=[core]) as k:
        proc = await k.spawn(talker)
        for _ in range(500):  # its request is in flight, nobody watching yet
            live = k.procs.live(proc.pid)
            if live is not None and live.inflight:
                break
            await asyncio.sleep(0.01)
        queue = k.events.subscribe(proc.pid)
        core.gate.set()
        await k.wait(proc.pid, 30)
        tokens = []
        while not queue.empty():
            event = queue.get_nowait()
            if event["type"] == "token":
                tokens.append(event["text"])
    assert len(tokens) == 5


def _chain(ctx: Any, task: str) -> str:
    """A plain agent that delegates to a child of its kind and waits for it."""
    depth = int(task)
    if depth == 0:
        return "leaf"
    child = ctx.spawn("chain", str(depth - 1))
    return str(ctx.wait(child.pid, 30).result)


async def test_plain_agents_waiting_on_children_deeper_than_the_pool_finish(
    tmp_path: Path,
) -> None:
    """Each agent of the chain holds a thread while it waits on its child: with the
    slot held too, a chain one deeper than the pool waited forever."""
    async with fake_kernel(tmp_path, agent_threads=2) as k:
        k.agents.register("chain", _chain)
        proc = await k.spawn("chain", "4")  # 5 plain agents on 2 slots
        info = await k.wait(proc.pid, 30)
        assert info.state == ProcessState.EXITED and info.result == "leaf"
