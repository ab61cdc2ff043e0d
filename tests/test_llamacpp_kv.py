"""Saved KV sequences bounded in bytes, and requests that end holding nothing,
on the real bundled model (the replay plan itself needs no model)."""

from __future__ import annotations

from typing import Any

import pytest

from aios.errors import Cancelled
from aios.kernel.llm.kvslots import KVSeq, replay_chunks
from aios.kernel.llm.request import Event, GenParams, LLMRequest
from tests.test_llamacpp_core import Rig, chat, solo_texts

# Long enough that re-reading a dropped sequence in one batch changes the greedy
# text of most of these (checked): the test fails unless recomputing is exact.
PROMPTS = [f"Write a long story about {t}." for t in ("a lighthouse", "the moon", "a dragon")]
TOKENS = 48


def test_replay_repeats_the_batches_of_the_first_computation() -> None:
    r = LLMRequest(model="m", params=GenParams(max_tokens=1))
    seq = KVSeq(req=r, tokens=list(range(20)), n_prompt=12, own_from=3)
    # the lost prefix as a prefill, the prompt in chunks from 3, then one by one
    assert list(replay_chunks(seq, 0, 4)) == [
        (0, 3),
        (3, 7),
        (7, 11),
        (11, 12),
        *[(i, i + 1) for i in range(12, 20)],
    ]
    assert list(replay_chunks(seq, 5, 4)) == [(5, 7), (7, 11), (11, 12)] + [
        (i, i + 1) for i in range(12, 20)
    ]
    assert list(replay_chunks(seq, 19, 4)) == [(19, 20)]  # the usual step: one token


def _run_bounded(budget: int) -> tuple[list[str], dict[str, Any], list[LLMRequest]]:
    rig = Rig("rr", quantum=8, n_seq=1, saved_kv_max_bytes=budget)
    reqs = [chat(p, TOKENS) for p in PROMPTS]
    rig.submit(*reqs)
    rig.worker.start()
    try:
        texts = [r.future.result(300).text for r in reqs]
        return texts, rig.core.info(), reqs
    finally:
        rig.close()


@pytest.mark.model
@pytest.mark.parametrize("budget", [2_000_000, 0], ids=["one-state", "none"])
def test_bounded_saved_kv_drops_the_oldest_and_recomputes_the_same_text(budget: int) -> None:
    """One slot, three requests round-robin: every switch evicts. With room for
    about one saved state the oldest is dropped, and its request recomputes when it
    resumes; greedy text is still exactly the uninterrupted one."""
    expected = solo_texts(PROMPTS, TOKENS)
    got, kv, reqs = _run_bounded(budget)
    assert got == expected
    assert kv["evictions"] >= 4 and kv["saved_kv_dropped"] > 0
    assert sum(r.resume_tokens for r in reqs) > 0  # it did recompute
    assert all(r.preemptions >= 2 for r in reqs)
    if budget:
        assert kv["restores"] > 0  # some were still saved and restored


@pytest.mark.model
def test_saved_bytes_never_exceed_the_bound() -> None:
    budget = 2_000_000
    rig = Rig("rr", quantum=8, n_seq=1, saved_kv_max_bytes=budget)
    kv = rig.core.kv
    assert kv is not None
    seen: list[int] = []
    reqs = [chat(p, TOKENS) for p in PROMPTS]
    for r in reqs:  # sampled after every token, on the worker thread
        r.stream = True
        r.listener = lambda req, ev, data: seen.append(kv.saved_bytes)
    rig.submit(*reqs)
    rig.worker.start()
    try:
        for r in reqs:
            r.future.result(300)
    finally:
        rig.close()
    assert kv.saved_peak <= budget and max(seen) <= budget
    assert kv.saved_peak > 0 and kv.saved_bytes == 0  # it saved some; all freed at the end


@pytest.mark.model
def test_cancelled_while_preempted_holds_nothing() -> None:
    """A preempted request with a grammar, cancelled while it waits: its sampler,
    grammar, slot and saved KV are all released."""
    rig = Rig("rr", quantum=4, n_seq=1)
    a = chat("Say yes.", 200, grammar='root ::= "yes " root')  # never done before 200
    b = chat("Write a long story about the sea.", 200)
    grabbed: list[Any] = []

    def cancel_both(req: LLMRequest, ev: Event, data: Any) -> None:  # on the worker
        if ev is Event.TOKEN and not grabbed and a.preemptions:
            grabbed.append(a.core_state)  # a waits in the queue, its state saved
            rig.sched.cancel(a)
            rig.sched.cancel(b)

    b.stream, b.listener = True, cancel_both
    rig.submit(a, b)
    rig.worker.start()
    try:
        for r in (a, b):
            with pytest.raises(Cancelled):
                r.future.result(60)
        nxt = chat("Say hi.", 3)  # the worker has taken again: the discard is done
        rig.submit(nxt)
        nxt.future.result(60)
        seq = grabbed[0]
        assert seq.saved is None and seq.slot is None and seq.sampler.grammar is None
        assert a.core_state is None and rig.core.held() == 0
        assert rig.core.info()["saved_kv_bytes"] == 0 and rig.core.evictions > 0
    finally:
        rig.close()
