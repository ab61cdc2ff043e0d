"""A scripted LLM core for exact-order scheduler tests (the real model is tested elsewhere)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from aios.errors import Cancelled
from aios.kernel.llm.core import Core, YieldCheck
from aios.kernel.llm.request import LLMRequest, Outcome


class FakeCore(Core):
    """Emits ``max_tokens`` tokens ``<tag>:<i>``; records which request ran each token,
    which requests it holds state for (``held``) and the discards it was asked for."""

    preemptible = True

    def __init__(
        self,
        name: str = "fake",
        model: str = "fake",
        *,
        token_delay: float = 0.0,
        workers: int = 1,
        preemptible: bool = True,
        on_token: Callable[[LLMRequest, int], None] | None = None,
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
        self.on_token = on_token  # called on the worker thread after each token
        self.held: set[int] = set()  # ids of requests whose state this core keeps
        self.discards: list[int] = []
        self.discard_threads: set[str] = set()
        self.run_thread: str | None = None

    def load(self) -> None:
        self.loaded = True

    def close(self) -> None:
        self.closed = True

    def discard(self, req: LLMRequest) -> None:
        self.discards.append(req.id)
        self.discard_threads.add(threading.current_thread().name)
        self.held.discard(req.id)
        req.core_state = None

    def run(self, req: LLMRequest, should_yield: YieldCheck) -> Outcome:
        tag = tag_of(req)
        self.run_thread = threading.current_thread().name
        pos = req.core_state or 0
        in_slice = 0
        req.prompt_tokens = 3
        self.held.add(req.id)  # like a sampler: kept until discarded
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
            if self.on_token is not None:
                self.on_token(req, pos)
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


class ScriptedCore(Core):
    """An LLM that answers from scripts: plans for plain requests, decisions for
    JSON-schema requests (the joiner). Streams a few characters per 'token'."""

    def __init__(
        self,
        plans: list[str],
        decisions: list[str] | None = None,
        *,
        model: str = "smollm2",
        token_delay: float = 0.0,
        grammar: bool = True,
    ) -> None:
        self.name = "scripted"
        self.model = model
        self.workers = 1
        self.preemptible = False
        self.grammar = grammar
        self.plans = list(plans)
        self.decisions = list(decisions or [])
        self.token_delay = token_delay
        self.requests: list[LLMRequest] = []

    def load(self) -> None:
        pass

    def close(self) -> None:
        pass

    def run(self, req: LLMRequest, should_yield: YieldCheck) -> Outcome:
        self.requests.append(req)
        is_decision = '"action"' in json.dumps(req.params.json_schema)
        script = self.decisions if is_decision else self.plans
        if not script:
            raise AssertionError(f"no script left for request {req.messages}")
        text = script.pop(0)
        for i in range(0, len(text), 3):
            if req.cancelled:
                raise Cancelled("request cancelled")
            if self.token_delay:
                time.sleep(self.token_delay)
            req.completion_tokens += 1
            req.emit(text[i : i + 3])
        req.finish_reason = "stop"
        return Outcome.DONE


def finish(answer: str) -> str:
    return json.dumps({"thought": "done", "action": "finish", "answer": answer})


def replan(feedback: str) -> str:
    return json.dumps({"thought": "again", "action": "replan", "feedback": feedback})
