"""How requests end and how many may wait, on a scripted core (no model).

Every ending (done, error, cancel queued or running, kill, shutdown) must have the
core discard the request's state on the core's own worker thread, exactly once;
the ready queue is bounded and says when to retry.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from aios.errors import AiosError, Cancelled, Unavailable
from aios.kernel import ADMIN, Kernel
from aios.kernel.llm.core import CoreWorker
from aios.kernel.llm.request import LLMRequest
from aios.kernel.scheduler import Scheduler
from tests.conftest import make_config
from tests.fakes import FakeCore
from tests.test_scheduler import req


class Rig:
    def __init__(self, core: FakeCore, sched: Scheduler) -> None:
        self.core, self.sched = core, sched
        self.worker = CoreWorker(core, sched)

    def stop(self) -> None:
        self.sched.stop(cancel_queued=True)
        self.worker.join(5)
        assert not self.worker.is_alive()

    def assert_nothing_held(self, *reqs: LLMRequest) -> None:
        assert self.core.held == set()
        for r in reqs:  # once each, and on the worker's thread
            assert self.core.discards.count(r.id) == 1, (r.id, self.core.discards)
        assert self.core.discard_threads <= {self.worker._thread.name}


def test_done_and_failed_requests_are_discarded() -> None:
    def fail_b(r: LLMRequest, pos: int) -> None:
        if r.messages[0]["content"] == "b" and pos == 2:  # type: ignore[index]
            raise AiosError("engine failure")

    rig = Rig(FakeCore(on_token=fail_b), Scheduler("fifo"))
    a, b = req("a", 3), req("b", 5)
    rig.sched.submit(a)
    rig.sched.submit(b)
    rig.worker.start()
    assert a.future.result(5).text == "a:0 a:1 a:2 "
    with pytest.raises(AiosError, match="engine failure"):
        b.future.result(5)
    rig.stop()
    rig.assert_nothing_held(a, b)


def test_preempted_request_cancelled_while_queued_releases_its_state() -> None:
    """The state a preempted request left in its core (sampler, grammar, KV) is
    discarded when it is cancelled in the queue, though no worker is running it."""
    sched = Scheduler("rr", quantum_tokens=2)
    a, b = req("a", 10), req("b", 6)

    def cancel_a_while_b_runs(r: LLMRequest, pos: int) -> None:
        if r is b and pos == 1:  # a was preempted and waits in the queue
            assert a.preemptions == 1 and a.core_state == 2
            sched.cancel(a)

    rig = Rig(FakeCore(on_token=cancel_a_while_b_runs), sched)
    sched.submit(a)
    sched.submit(b)
    rig.worker.start()
    with pytest.raises(Cancelled):
        a.future.result(5)
    assert b.future.result(5).text.startswith("b:0 b:1")
    nxt = req("next", 1)  # the worker has taken again since: the discard is done
    sched.submit(nxt)
    nxt.future.result(5)
    assert a.core_state is None
    rig.assert_nothing_held(a, b, nxt)
    rig.stop()


def test_cancel_while_running_is_discarded() -> None:
    sched = Scheduler("fifo")

    def cancel_self(r: LLMRequest, pos: int) -> None:
        if pos == 3:
            sched.cancel(r)

    rig = Rig(FakeCore(on_token=cancel_self), sched)
    r = req("long", 100)
    sched.submit(r)
    rig.worker.start()
    with pytest.raises(Cancelled):
        r.future.result(5)
    rig.stop()
    assert r.completion_tokens == 3
    rig.assert_nothing_held(r)


def test_shutdown_discards_preempted_requests_before_the_worker_exits() -> None:
    sched = Scheduler("rr", quantum_tokens=2)
    held_pid = 7
    a, b = req("a", 10, pid=held_pid), req("b", 10)

    def hold_a(r: LLMRequest, pos: int) -> None:
        if r is a and pos == 1:
            sched.hold(held_pid)  # a is preempted at its next token and stays queued
        if r is b and pos == 1:
            sched.stop(cancel_queued=True)  # shutdown while a waits with its state

    rig = Rig(FakeCore(on_token=hold_a), sched)
    sched.submit(a)
    sched.submit(b)
    rig.worker.start()
    with pytest.raises(Cancelled, match="shutting down"):
        a.future.result(5)
    with pytest.raises(Cancelled):
        b.future.result(5)
    rig.worker.join(5)
    assert not rig.worker.is_alive()
    assert a.preemptions == 1
    rig.assert_nothing_held(a, b)


async def test_kill_of_a_process_with_a_preempted_request_discards_it(tmp_path: Path) -> None:
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        scheduler={"policy": "rr", "quantum_tokens": 2},
        fs={"enabled": False},
    )
    core = FakeCore(token_delay=0.002)
    async with Kernel(cfg, cores=[core]) as k:
        long = asyncio.Event()

        async def agent(ctx: Any, task: str) -> str:
            long.set()
            return str(await ctx.chat(task, max_tokens=4000))

        proc = await k.spawn(agent, "victim")
        await long.wait()
        other = asyncio.ensure_future(
            k.syscall(
                ADMIN,
                "llm.chat",
                {"messages": [{"role": "user", "content": "o"}], "max_tokens": 400},
            )
        )

        async def preempted() -> None:  # the victim waits in the queue, preempted
            while not any(r.preemptions for r in proc.inflight):
                await asyncio.sleep(0.002)

        await asyncio.wait_for(preempted(), 10)
        k.suspend(proc.pid)  # it stays in the queue, holding state in the core
        victim = next(iter(proc.inflight))
        k.kill(proc.pid)
        await other
        await k.syscall(
            ADMIN, "llm.chat", {"messages": [{"role": "user", "content": "n"}], "max_tokens": 1}
        )
        assert victim.id in core.discards and victim.id not in core.held
        with pytest.raises(Cancelled):
            victim.future.result(0)
    assert core.held == set()


# -- bounded queues ------------------------------------------------------------


def test_queue_bound_refuses_new_requests_with_a_retry_hint() -> None:
    sched = Scheduler("fifo", max_queued=2)
    a, b = req("a", 1), req("b", 1)
    sched.submit(a)
    sched.submit(b)
    with pytest.raises(Unavailable) as exc:
        sched.submit(req("c", 1))
    retry = exc.value.details["retry_after_s"]
    assert isinstance(retry, int) and 1 <= retry <= 60
    assert exc.value.status == 503
    sched.cancel(b)  # room again
    sched.submit(req("d", 1))
    assert sched.stats()["queued"] == 2


def test_per_process_bound_counts_queued_and_running() -> None:
    sched = Scheduler("fifo", max_queued=100, max_queued_per_process=2)
    for tag in "ab":
        sched.submit(req(tag, 1, pid=5))
    with pytest.raises(Unavailable, match="process 5") as exc:
        sched.submit(req("c", 1, pid=5))
    assert exc.value.details["retry_after_s"] >= 1
    sched.submit(req("x", 1, pid=6))  # another process is not affected
    sched.submit(req("y", 1))  # nor the admin


def test_a_preempted_request_is_never_refused_by_the_bound() -> None:
    sched = Scheduler("rr", quantum_tokens=2, max_queued=1)
    a = req("a", 6)
    late: list[LLMRequest] = []

    def fill_queue(r: LLMRequest, pos: int) -> None:
        if r is a and pos == 1:
            late.append(req("b", 2))
            sched.submit(late[0])  # the queue is now full, a is running

    rig = Rig(FakeCore(on_token=fill_queue), sched)
    sched.submit(a)
    rig.worker.start()
    assert a.future.result(5).completion_tokens == 6
    late[0].future.result(5)
    assert a.preemptions >= 1
    rig.stop()


async def test_llm_chat_beyond_the_queue_bound_is_unavailable(tmp_path: Path) -> None:
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        scheduler={"max_queued": 1},
        fs={"enabled": False},
    )
    core = FakeCore()
    core.gate.clear()  # the first request runs and waits; the second waits in the queue
    async with Kernel(cfg, cores=[core]) as k:
        msg = {"messages": [{"role": "user", "content": "q"}], "max_tokens": 2}
        first = asyncio.ensure_future(k.syscall(ADMIN, "llm.chat", msg))
        while not k.scheduler.stats()["running"]:
            await asyncio.sleep(0.002)
        second = asyncio.ensure_future(k.syscall(ADMIN, "llm.chat", msg))
        while not k.scheduler.stats()["queued"]:
            await asyncio.sleep(0.002)
        with pytest.raises(Unavailable) as exc:
            await k.syscall(ADMIN, "llm.chat", msg)
        assert exc.value.details["retry_after_s"] >= 1
        core.gate.set()
        assert [r.completion_tokens for r in await asyncio.gather(first, second)] == [2, 2]
