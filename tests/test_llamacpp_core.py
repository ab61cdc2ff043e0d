"""The in-process llama.cpp core on the real bundled model."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aios.config import LlamaCppCoreConfig
from aios.errors import BadRequest, Cancelled, ModelError
from aios.kernel.llm import CoreWorker, GenParams, LlamaCppCore, LLMRequest
from aios.kernel.llm.models import bundled_model_path
from aios.kernel.scheduler import Scheduler

pytestmark = pytest.mark.model


class Rig:
    """One real core, one worker, one scheduler."""

    def __init__(
        self, policy: str = "fifo", quantum: int = 32, n_seq: int = 4, **core: object
    ) -> None:
        self.core = LlamaCppCore(LlamaCppCoreConfig(n_ctx=1024, n_seq=n_seq, **core))  # type: ignore[arg-type]
        self.core.load()
        self.sched = Scheduler(policy, quantum_tokens=quantum)  # type: ignore[arg-type]
        self.worker = CoreWorker(self.core, self.sched)

    def submit(self, *reqs: LLMRequest) -> None:
        for r in reqs:
            self.sched.submit(r)

    def close(self) -> None:
        self.sched.stop(cancel_queued=True)
        if self.worker.is_alive():
            self.worker.join(30)
        self.core.close()


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig()
    r.worker.start()
    yield r
    r.close()


def chat(text: str, n: int = 40, **params: object) -> LLMRequest:
    return LLMRequest(
        model="smollm2",
        params=GenParams(max_tokens=n, temperature=0, **params),
        messages=[{"role": "user", "content": text}],
    )


def test_answers_a_question(rig: Rig) -> None:
    r = chat("What is the capital of France? Answer in one word.", 20)
    rig.submit(r)
    res = r.future.result(60)
    assert "Paris" in res.text
    assert res.prompt_tokens > 10 and 0 < res.completion_tokens <= 20
    assert res.finish_reason in ("stop", "length")


def solo_texts(prompts: list[str], n: int) -> list[str]:
    """Each prompt alone, uninterrupted: the reference for greedy outputs."""
    solo = Rig("fifo", n_seq=2)
    solo.worker.start()
    try:
        out = []
        for p in prompts:
            r = chat(p, n)
            solo.submit(r)
            out.append(r.future.result(60).text)
        return out
    finally:
        solo.close()


def test_many_concurrent_requests_all_answered() -> None:
    """More requests in flight than slots: sequences are evicted and restored, and
    every answer is the one the request gets alone."""
    prompts = [f"Say the number {i} in words." for i in range(6)]
    expected = solo_texts(prompts, 12)
    rr = Rig("rr", quantum=4, n_seq=2)
    reqs = [chat(p, 12) for p in prompts]
    rr.submit(*reqs)
    rr.worker.start()
    try:
        results = [r.future.result(120) for r in reqs]
        evictions = rr.core.evictions
    finally:
        rr.close()
    assert [res.text for res in results] == expected
    assert all(res.completion_tokens > 0 for res in results)
    assert evictions > 0  # more than the slots really were in flight


def test_max_tokens_bounds_generation(rig: Rig) -> None:
    r = chat("Write a long essay about the history of Rome.", 7)
    rig.submit(r)
    res = r.future.result(60)
    assert res.completion_tokens == 7 and res.finish_reason == "length"


def test_stop_sequence_cuts_output(rig: Rig) -> None:
    r = chat("Count from 1 to 10, separated by commas.", 60, stop=("5",))
    rig.submit(r)
    res = r.future.result(60)
    assert "5" not in res.text and "4" in res.text
    assert res.finish_reason == "stop"


def test_json_schema_output_always_parses(rig: Rig) -> None:
    # bounded strings: the grammar guarantees syntax, max_tokens bounds length
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 24}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    reqs = [
        chat(p, 60, json_schema=schema)
        for p in ("Describe a person as JSON.", "Who are you?", "Tell me a joke.")
    ]
    rig.submit(*reqs)
    for r in reqs:
        value = json.loads(r.future.result(60).text)
        assert isinstance(value["name"], str) and isinstance(value["age"], int)


def test_gbnf_grammar_constrains_output(rig: Rig) -> None:
    r = chat("Is the sky green?", 5, grammar='root ::= "yes" | "no"')
    rig.submit(r)
    assert r.future.result(60).text in ("yes", "no")


def test_invalid_grammar_is_a_clear_error(rig: Rig) -> None:
    r = chat("hi", 5, grammar="root ::= undefined_rule")
    rig.submit(r)
    with pytest.raises(BadRequest, match="grammar"):
        r.future.result(60)


def test_prompt_longer_than_context_is_refused(rig: Rig) -> None:
    r = chat("word " * 3000, 5)
    rig.submit(r)
    with pytest.raises(BadRequest, match="context"):
        r.future.result(60)
    ok = chat("Say hi.", 5)  # the core is still fine
    rig.submit(ok)
    assert ok.future.result(60).completion_tokens > 0


def test_streamed_pieces_add_up_to_the_result(rig: Rig) -> None:
    pieces: list[str] = []
    r = chat("Name three animals.", 30)
    r.stream = True
    r.listener = lambda req, ev, data: pieces.append(data) if ev.value == "token" else None
    rig.submit(r)
    res = r.future.result(60)
    assert len(pieces) > 3 and "".join(pieces) == res.text


def test_cancel_stops_generation_at_the_next_token(rig: Rig) -> None:
    r = chat("Write a very long story about the sea.", 1000)
    rig.submit(r)
    while r.completion_tokens < 5:
        time.sleep(0.005)
    rig.sched.cancel(r)
    with pytest.raises(Cancelled):
        r.future.result(5)
    assert r.completion_tokens < 20
    nxt = chat("Say hi.", 5)
    rig.submit(nxt)
    assert nxt.future.result(60).completion_tokens > 0


def test_preempted_generation_resumes_to_the_same_text() -> None:
    """Greedy decoding interrupted every 4 tokens, with more requests in flight than
    KV slots (so some are evicted and restored), gives the uninterrupted text."""
    prompts = [
        "Write a short poem about the sea.",
        "Explain gravity simply.",
        "List three fruits and their colors.",
        "Describe a cat.",
    ]
    solo = Rig("fifo", n_seq=2)
    solo.worker.start()
    try:
        expected = []
        for p in prompts:
            r = chat(p, 48)
            solo.submit(r)
            expected.append(r.future.result(60).text)
        solo_decoded = solo.core.decoded_tokens
    finally:
        solo.close()

    rr = Rig("rr", quantum=4, n_seq=2)
    reqs = [chat(p, 48) for p in prompts]
    rr.submit(*reqs)
    rr.worker.start()
    try:
        got = [r.future.result(120).text for r in reqs]
        kv = rr.core.info()
    finally:
        rr.close()
    assert got == expected
    assert all(r.preemptions >= 5 for r in reqs)
    assert kv["evictions"] > 0 and kv["restores"] == kv["evictions"]  # all saved, restored
    # resuming cost no recomputation, where re-feeding would have re-read everything:
    # the engine decoded exactly the tokens the uninterrupted runs did
    assert rr.core.decoded_tokens == solo_decoded
    assert sum(r.resume_tokens for r in reqs) == 0
    assert sum(r.naive_resume_tokens for r in reqs) > 1000


def test_next_turn_reuses_the_cached_prefix(rig: Rig) -> None:
    first = chat("Tell me about owls.", 20)
    rig.submit(first)
    text = first.future.result(60).text
    second = LLMRequest(
        model="smollm2",
        params=GenParams(max_tokens=10, temperature=0),
        messages=[
            {"role": "user", "content": "Tell me about owls."},
            {"role": "assistant", "content": text},
            {"role": "user", "content": "And about cats?"},
        ],
    )
    rig.submit(second)
    second.future.result(60)
    assert second.prefill_tokens < second.prompt_tokens - first.prompt_tokens


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    core = LlamaCppCore(LlamaCppCoreConfig(model_path=tmp_path / "nope.gguf"))
    with pytest.raises(ModelError, match="not found"):
        core.load()


def test_corrupt_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"this is not a model" * 100)
    with pytest.raises(ModelError, match="not a GGUF"):
        LlamaCppCore(LlamaCppCoreConfig(model_path=bad)).load()


def test_truncated_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(bundled_model_path().read_bytes()[:1_000_000])
    with pytest.raises(ModelError, match="cannot load"):
        LlamaCppCore(LlamaCppCoreConfig(model_path=bad)).load()
