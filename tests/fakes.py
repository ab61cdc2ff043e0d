"""A scripted LLM core for exact-order scheduler tests (the real model is tested elsewhere)."""

from __future__ import annotations

import threading
import time

from aios.errors import Cancelled
from aios.kernel.llm.core import Core, YieldCheck
from aios.kernel.llm.request import LLMRequest, Outcome


class FakeCore(Core):
    """Emits ``max_tokens`` tokens ``<tag>:<i>``; records which request ran each token."""

    preemptible = True

    def __init__(
        self,
        name: str = "fake",
        model: str = "fake",
        *,
        token_delay: float = 0.0,
        workers: int = 1,
        preemptible: bool = True,
    ) -> None:
        self.name = name
        self.model = model
        self.workers = workers
        self.preemptible = preemptible
        self.token_delay = token_delay
        self.trace: list[str] = []
        self.loaded = False
        self.closed = False
        self.gate = threading.Event()  # tests may hold generation until they release it
        self.gate.set()

    def load(self) -> None:
        self.loaded = True

    def close(self) -> None:
        self.closed = True

    def run(self, req: LLMRequest, should_yield: YieldCheck) -> Outcome:
        tag = tag_of(req)
        pos = req.core_state or 0
        in_slice = 0
        req.prompt_tokens = 3
        while pos < req.params.max_tokens:
            self.gate.wait()
            if req.cancelled:
                raise Cancelled("request cancelled")
            if self.token_delay:
                time.sleep(self.token_delay)
            self.trace.append(tag)
            req.completion_tokens += 1
            req.emit(f"{tag}:{pos} ")
            pos += 1
            req.core_state = pos
            in_slice += 1
            if pos < req.params.max_tokens and should_yield(in_slice):
                return Outcome.PREEMPTED
        req.finish_reason = "length"
        return Outcome.DONE


def tag_of(req: LLMRequest) -> str:
    return req.messages[-1]["content"] if req.messages else (req.prompt or "")


def runs(trace: list[str]) -> list[tuple[str, int]]:
    """Collapse a trace into (tag, consecutive tokens) runs."""
    out: list[tuple[str, int]] = []
    for tag in trace:
        if out and out[-1][0] == tag:
            out[-1] = (tag, out[-1][1] + 1)
        else:
            out.append((tag, 1))
    return out
