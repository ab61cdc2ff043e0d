"""An LLM request as the scheduler and the cores see it.

A request is created on the kernel's event loop, queued in the scheduler and run
by exactly one core worker thread at a time, possibly over several slices. The
worker reports progress through ``listener`` (called on the worker thread; the
kernel forwards it to its loop) and completes ``future`` once.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Event", "GenParams", "LLMRequest", "LLMResult", "Outcome"]


@dataclass(frozen=True)
class GenParams:
    max_tokens: int
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    grammar: str | None = None
    json_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class LLMResult:
    text: str
    finish_reason: str  # "stop" | "length"
    prompt_tokens: int
    completion_tokens: int
    core: str


class Outcome(Enum):
    DONE = "done"
    PREEMPTED = "preempted"


class Event(Enum):
    STARTED = "started"  # data: core name
    TOKEN = "token"  # data: text piece (only for streaming requests)
    PREEMPTED = "preempted"  # data: None


Listener = Callable[["LLMRequest", Event, Any], None]


@dataclass(eq=False)
class LLMRequest:
    model: str
    params: GenParams
    messages: list[dict[str, Any]] | None = None
    prompt: str | None = None
    pid: int | None = None
    priority: int = 0
    stream: bool = False
    listener: Listener | None = None

    # Assigned by the scheduler.
    id: int = 0
    arrival_seq: int = 0
    enqueue_seq: int = 0
    enqueued_at: float = 0.0  # monotonic, last time it entered the ready queue
    pinned_core: str | None = None  # the core holding its KV state, if preempted
    ended: bool = False  # set once, by Scheduler.end (under its lock)

    # Accounting, written by the scheduler and the worker.
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    first_token_at: float | None = None
    finished_at: float | None = None
    wait_s: float = 0.0
    run_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prefill_tokens: int = 0  # prompt tokens actually computed (prefix-cache misses)
    resume_tokens: int = 0  # tokens recomputed when resuming after preemption
    naive_resume_tokens: int = 0  # what re-feeding the whole text would have cost
    preemptions: int = 0
    failovers: int = 0  # times a core that went down handed it on (scheduler.fail_over)
    core: str | None = None
    finish_reason: str | None = None  # set by the core when it returns DONE

    # Owned by the core that runs it (e.g. a KV slot and a sampler).
    core_state: Any = None
    text_parts: list[str] = field(default_factory=list)

    cancel_event: threading.Event = field(default_factory=threading.Event)
    future: concurrent.futures.Future[LLMResult] = field(default_factory=concurrent.futures.Future)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @property
    def done(self) -> bool:
        return self.future.done()

    def emit(self, text: str) -> None:
        """Record generated text; stream it to the listener if asked to."""
        if not text:
            return
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()
        self.text_parts.append(text)
        if self.stream and self.listener is not None:
            self.listener(self, Event.TOKEN, text)

    def notify(self, event: Event, data: Any = None) -> None:
        if self.listener is not None:
            self.listener(self, event, data)

    def finish(self, finish_reason: str) -> None:
        """Complete the request (the worker does this once the core returns DONE)."""
        self.finished_at = time.time()
        if not self.future.done():
            self.future.set_result(
                LLMResult(
                    text="".join(self.text_parts),
                    finish_reason=finish_reason,
                    prompt_tokens=self.prompt_tokens,
                    completion_tokens=self.completion_tokens,
                    core=self.core or "",
                )
            )

    def fail(self, exc: BaseException) -> None:
        self.finished_at = time.time()
        if not self.future.done():
            self.future.set_exception(exc)
