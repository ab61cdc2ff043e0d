"""Scheduling policies, exact order, on a scripted core (no model)."""

from __future__ import annotations

import time

import pytest

from aios.errors import Cancelled, Unavailable
from aios.kernel.llm.core import CoreWorker
from aios.kernel.llm.request import GenParams, LLMRequest
from aios.kernel.scheduler import Scheduler
from tests.fakes import FakeCore, runs


def req(
    tag: str, n: int, *, priority: int = 0, pid: int | None = None, model: str = "fake"
) -> LLMRequest:
    return LLMRequest(
        model=model,
        params=GenParams(max_tokens=n),
        messages=[{"role": "user", "content": tag}],
        priority=priority,
        pid=pid,
    )


def run_all(
    sched: Scheduler, core: FakeCore, reqs: list[LLMRequest], timeout: float = 10
) -> list[tuple[str, int]]:
    """Submit everything first, then start one worker: the order is deterministic."""
    for r in reqs:
        sched.submit(r)
    w = CoreWorker(core, sched)
    w.start()
    for r in reqs:
        r.future.result(timeout)
    sched.stop(cancel_queued=True)
    w.join(5)
    assert not w.is_alive()
    return runs(core.trace)


def test_fifo_runs_each_request_to_completion_in_arrival_order() -> None:
    core = FakeCore()
    order = run_all(
        Scheduler("fifo", quantum_tokens=2), core, [req("a", 5), req("b", 3), req("c", 4)]
    )
    assert order == [("a", 5), ("b", 3), ("c", 4)]


def test_rr_preempts_after_quantum_and_rotates() -> None:
    core = FakeCore()
    reqs = [req("a", 5), req("b", 3), req("c", 4)]
    order = run_all(Scheduler("rr", quantum_tokens=2), core, reqs)
    assert order == [("a", 2), ("b", 2), ("c", 2), ("a", 2), ("b", 1), ("c", 2), ("a", 1)]
    assert [r.preemptions for r in reqs] == [2, 1, 1]
    # the caller sees one seamless result
    assert reqs[0].future.result().text == "a:0 a:1 a:2 a:3 a:4 "


def test_rr_does_not_preempt_a_request_that_is_alone() -> None:
    core = FakeCore()
    r = req("solo", 10)
    assert run_all(Scheduler("rr", quantum_tokens=2), core, [r]) == [("solo", 10)]
    assert r.preemptions == 0


def test_priority_runs_highest_first() -> None:
    core = FakeCore()
    order = run_all(
        Scheduler("priority", quantum_tokens=100, aging_s=1e9),
        core,
        [req("low", 2, priority=0), req("mid", 2, priority=5), req("high", 2, priority=10)],
    )
    assert order == [("high", 2), ("mid", 2), ("low", 2)]


def test_priority_preempts_running_low_for_arriving_high() -> None:
    core = FakeCore(token_delay=0.005)
    sched = Scheduler("priority", quantum_tokens=4, aging_s=1e9)
    low, high = req("low", 60), req("high", 6, priority=10)
    w = CoreWorker(core, sched)
    w.start()
    sched.submit(low)
    while len(core.trace) < 10:
        time.sleep(0.001)
    sched.submit(high)
    high.future.result(5)
    low.future.result(5)
    sched.stop(cancel_queued=True)
    w.join(5)
    order = runs(core.trace)
    assert order[1] == ("high", 6), order
    assert order[0][0] == order[2][0] == "low"
    assert low.preemptions == 1


def test_priority_aging_prevents_starvation() -> None:
    """A continuous stream of high-priority work cannot starve a low-priority request."""

    def low_done_while_high_keeps_arriving(aging_s: float) -> bool:
        core = FakeCore(token_delay=0.002)
        sched = Scheduler("priority", quantum_tokens=5, aging_s=aging_s)
        w = CoreWorker(core, sched)
        w.start()
        low = req("low", 5, priority=0)
        sched.submit(low)
        highs = []
        end = time.monotonic() + 0.6
        while time.monotonic() < end:  # keep the queue full of fresh high-priority work
            while sched.pending() < 3:
                highs.append(req("high", 5, priority=10))
                sched.submit(highs[-1])
            time.sleep(0.001)
        starved = not low.done
        for r in [low, *highs]:
            r.future.result(5)
        sched.stop(cancel_queued=True)
        w.join(5)
        return not starved

    assert not low_done_while_high_keeps_arriving(aging_s=1e9)  # no aging: starves
    assert low_done_while_high_keeps_arriving(aging_s=0.01)  # aging: gets its turn


def test_set_policy_at_run_time_reorders_the_queue() -> None:
    core = FakeCore()
    sched = Scheduler("fifo")
    reqs = [req("low", 2, priority=0), req("high", 2, priority=9)]
    for r in reqs:
        sched.submit(r)
    sched.set_policy("priority", aging_s=1e9)
    assert sched.stats()["policy"] == "priority"
    w = CoreWorker(core, sched)
    w.start()
    for r in reqs:
        r.future.result(5)
    sched.stop(cancel_queued=True)
    w.join(5)
    assert runs(core.trace) == [("high", 2), ("low", 2)]


def test_set_policy_rejects_unknown_policy() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        Scheduler("fifo").set_policy("lottery")  # type: ignore[arg-type]


def test_cancel_queued_request_fails_it_without_running() -> None:
    core = FakeCore()
    sched = Scheduler("fifo")
    a, b = req("a", 3), req("b", 3)
    sched.submit(a)
    sched.submit(b)
    sched.cancel(b)
    with pytest.raises(Cancelled):
        b.future.result(1)
    assert run_all(sched, core, [a]) == [("a", 3)]


def test_cancel_running_request_stops_it_at_next_token() -> None:
    core = FakeCore(token_delay=0.01)
    sched = Scheduler("fifo")
    w = CoreWorker(core, sched)
    w.start()
    r = req("long", 10_000)
    sched.submit(r)
    while len(core.trace) < 3:
        time.sleep(0.001)
    sched.cancel(r)
    with pytest.raises(Cancelled):
        r.future.result(1)
    n = len(core.trace)
    time.sleep(0.05)
    assert len(core.trace) == n  # nothing more ran
    nxt = req("next", 2)
    sched.submit(nxt)
    assert nxt.future.result(2).text == "next:0 next:1 "
    sched.stop(cancel_queued=True)
    w.join(5)


def test_held_pid_is_not_scheduled_until_released() -> None:
    core = FakeCore()
    sched = Scheduler("fifo")
    held, other = req("held", 2, pid=7), req("other", 2, pid=8)
    sched.hold(7)
    sched.submit(held)
    sched.submit(other)
    w = CoreWorker(core, sched)
    w.start()
    other.future.result(2)
    time.sleep(0.05)
    assert not held.done
    sched.release(7)
    held.future.result(2)
    sched.stop(cancel_queued=True)
    w.join(5)
    assert runs(core.trace) == [("other", 2), ("held", 2)]


def test_holding_a_running_pid_preempts_it() -> None:
    core = FakeCore(token_delay=0.005)
    sched = Scheduler("fifo")
    w = CoreWorker(core, sched)
    w.start()
    r = req("p", 1000, pid=3)
    sched.submit(r)
    while len(core.trace) < 3:
        time.sleep(0.001)
    sched.hold(3)
    time.sleep(0.05)
    n = len(core.trace)
    time.sleep(0.05)
    assert len(core.trace) == n and r.preemptions == 1
    sched.cancel(r)
    sched.stop(cancel_queued=True)
    w.join(5)


def test_requests_go_only_to_cores_serving_their_model() -> None:
    a, b = FakeCore("ca", model="m1"), FakeCore("cb", model="m2")
    sched = Scheduler("fifo")
    reqs = [req("x", 2, model="m2"), req("y", 2, model="m1")]
    for r in reqs:
        sched.submit(r)
    workers = [CoreWorker(a, sched), CoreWorker(b, sched)]
    for w in workers:
        w.start()
    for r in reqs:
        r.future.result(2)
    sched.stop(cancel_queued=True)
    for w in workers:
        w.join(5)
    assert a.trace == ["y", "y"] and b.trace == ["x", "x"]
    assert reqs[0].core == "cb" and reqs[1].core == "ca"


def test_idle_core_takes_the_next_request_so_load_spreads() -> None:
    cores = [FakeCore("c0", token_delay=0.01), FakeCore("c1", token_delay=0.01)]
    sched = Scheduler("fifo")
    workers = [CoreWorker(c, sched) for c in cores]
    for w in workers:
        w.start()
    reqs = [req(f"r{i}", 10) for i in range(4)]
    for r in reqs:
        sched.submit(r)
    for r in reqs:
        r.future.result(5)
    sched.stop(cancel_queued=True)
    for w in workers:
        w.join(5)
    assert {r.core for r in reqs} == {"c0", "c1"}
    assert len(cores[0].trace) == len(cores[1].trace) == 20


def test_preempted_request_resumes_on_the_core_holding_its_state() -> None:
    cores = [FakeCore("c0", token_delay=0.002), FakeCore("c1", token_delay=0.002)]
    sched = Scheduler("rr", quantum_tokens=3)
    reqs = [req(f"r{i}", 12) for i in range(5)]
    for r in reqs:
        sched.submit(r)
    workers = [CoreWorker(c, sched) for c in cores]
    for w in workers:
        w.start()
    for r in reqs:
        r.future.result(5)
    sched.stop(cancel_queued=True)
    for w in workers:
        w.join(5)
    for r in reqs:
        ran_on = [c.name for c in cores if r.messages[0]["content"] in c.trace]  # type: ignore[index]
        assert len(ran_on) == 1, (r.id, ran_on)


def test_submit_after_stop_is_refused() -> None:
    sched = Scheduler()
    sched.stop(cancel_queued=True)
    with pytest.raises(Unavailable):
        sched.submit(req("late", 1))


def test_wait_time_is_accounted() -> None:
    core = FakeCore(token_delay=0.01)
    a, b = req("a", 10), req("b", 1)
    run_all(Scheduler("fifo"), core, [a, b])
    assert b.wait_s >= 0.09  # waited for a's 10 tokens
    assert a.run_s >= 0.09


def test_priority_aging_survives_preemption() -> None:
    """A low-priority request preempted again and again keeps the age it earned in
    the queue, so it finishes within the aging bound though high-priority work never
    stops arriving. The clock is the token count, so the order is exact."""
    clock = [0.0]
    aging_s, gap, quantum, low_tokens = 1.0, 10, 2, 12
    sched = Scheduler("priority", quantum_tokens=quantum, aging_s=aging_s, clock=lambda: clock[0])
    highs: list[LLMRequest] = []

    def tick(r: LLMRequest, pos: int) -> None:
        clock[0] += 1
        while sum(1 for h in highs if not h.done) < 2:  # fresh urgent work, always
            highs.append(req(f"h{len(highs)}", quantum, priority=gap))
            sched.submit(highs[-1])

    core = FakeCore(on_token=tick)
    low = req("low", low_tokens, priority=0)
    sched.submit(low)
    tick(low, 0)  # the first urgent requests arrive with it
    w = CoreWorker(core, sched)
    w.start()
    low.future.result(10)
    sched.stop(cancel_queued=True)
    w.join(5)
    assert low.preemptions >= 2, low.wait_s  # it was preempted, and came back each time
    # Each time it waits, it must overtake urgent requests that arrived after it
    # (gap levels, at most gap * aging_s waited) once, not once per slice.
    slices = low.preemptions + 1
    assert low.wait_s <= (gap + 2) * aging_s + slices * 2 * quantum, (low.wait_s, slices)
