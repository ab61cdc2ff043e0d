"""The LLM scheduler: one ready queue, three policies, preemption by token slices.

Every LLM syscall becomes an ``LLMRequest`` in the ready queue. Core workers
(threads) call ``take`` when idle and ``should_yield`` after every token; the
policy decides who runs next and when a running request gives its core back:

- ``fifo``: arrival order, never preempted.
- ``rr``: round-robin; after ``quantum_tokens`` a request yields if anyone else
  could use its core, and goes to the back of the queue.
- ``priority``: the highest effective priority runs, where a waiting request
  gains one level per ``aging_s`` seconds waited (so nothing starves); after a
  quantum a request yields to any waiting request whose effective priority is
  above its own. Higher numbers are more urgent.

A preempted request keeps its state in the core that ran it (its KV sequence
and sampler), so it is pinned to that core until it finishes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from aios.errors import Cancelled, Unavailable
from aios.kernel.llm.request import LLMRequest

if TYPE_CHECKING:
    from aios.kernel.llm.core import CoreWorker

__all__ = ["POLICIES", "Policy", "Scheduler"]

Policy = Literal["fifo", "rr", "priority"]
POLICIES: tuple[Policy, ...] = ("fifo", "rr", "priority")


class Scheduler:
    def __init__(
        self,
        policy: Policy = "rr",
        *,
        quantum_tokens: int = 32,
        aging_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cond = threading.Condition()
        self._clock = clock
        self._ready: list[LLMRequest] = []
        self._running: dict[str, LLMRequest] = {}
        self._held: set[int] = set()
        self._seq = 0
        self._stopping = False
        self.policy: Policy = "rr"
        self.quantum_tokens = quantum_tokens
        self.aging_s = aging_s
        self.set_policy(policy)

    # -- configuration -------------------------------------------------------

    def set_policy(
        self, policy: Policy, *, quantum_tokens: int | None = None, aging_s: float | None = None
    ) -> None:
        """Switch policy at run time; queued requests are reordered by the new one."""
        if policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}; choose one of {POLICIES}")
        if quantum_tokens is not None and quantum_tokens < 1:
            raise ValueError("quantum_tokens must be at least 1")
        if aging_s is not None and aging_s <= 0:
            raise ValueError("aging_s must be positive")
        with self._cond:
            self.policy = policy
            if quantum_tokens is not None:
                self.quantum_tokens = quantum_tokens
            if aging_s is not None:
                self.aging_s = aging_s
            self._cond.notify_all()

    # -- producers (the kernel's event loop) -----------------------------------

    def submit(self, req: LLMRequest) -> None:
        with self._cond:
            if self._stopping:
                raise Unavailable("the kernel is shutting down")
            self._seq += 1
            req.id = req.id or self._seq
            req.arrival_seq = self._seq
            self._enqueue(req)

    def cancel(self, req: LLMRequest) -> None:
        """Cancel a request: drop it from the queue, or stop it at its next token."""
        with self._cond:
            req.cancel_event.set()
            if req in self._ready:
                self._ready.remove(req)
                req.fail(Cancelled("request cancelled"))

    def hold(self, pid: int) -> None:
        """Suspend a process: its requests are not scheduled; a running one yields."""
        with self._cond:
            self._held.add(pid)

    def release(self, pid: int) -> None:
        with self._cond:
            self._held.discard(pid)
            self._cond.notify_all()

    def stop(self, *, cancel_queued: bool) -> None:
        """Refuse new work; wake the workers so they exit once the queue is empty."""
        with self._cond:
            self._stopping = True
            if cancel_queued:
                for req in self._ready:
                    req.cancel_event.set()
                    req.fail(Cancelled("the kernel is shutting down"))
                self._ready.clear()
                for req in self._running.values():
                    req.cancel_event.set()
            self._cond.notify_all()

    def cancel_running(self) -> None:
        with self._cond:
            for req in self._running.values():
                req.cancel_event.set()

    # -- consumers (core worker threads) ---------------------------------------

    def take(self, worker: CoreWorker) -> LLMRequest | None:
        """Block until a request this worker may run is ready; None means exit."""
        with self._cond:
            while True:
                req = self._best(worker, self._clock())
                if req is not None:
                    self._ready.remove(req)
                    req.wait_s += self._clock() - req.enqueued_at
                    self._running[worker.name] = req
                    return req
                if self._stopping:
                    return None  # nothing left that this worker could run
                self._cond.wait()

    def should_yield(self, worker: CoreWorker, req: LLMRequest, slice_tokens: int) -> bool:
        if req.pid is not None and req.pid in self._held:
            return True
        if self.policy == "fifo" or slice_tokens < self.quantum_tokens:
            return False
        if not worker.core.preemptible:
            return False
        with self._cond:
            now = self._clock()
            best = self._best(worker, now)
            if best is None:
                return False
            if self.policy == "rr":
                return True
            return self._effective(best, now) > req.priority

    def requeue(self, worker: CoreWorker, req: LLMRequest) -> bool:
        """Put a preempted request back; False if it must not run again."""
        with self._cond:
            self._running.pop(worker.name, None)
            if req.cancelled or (self._stopping and req.done):
                return False
            req.pinned_core = worker.core.name
            self._enqueue(req)
            return True

    def finished(self, worker: CoreWorker, req: LLMRequest) -> None:
        with self._cond:
            if self._running.get(worker.name) is req:
                del self._running[worker.name]
            self._cond.notify_all()

    # -- inspection ------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._cond:
            by_model: dict[str, int] = {}
            for r in self._ready:
                by_model[r.model] = by_model.get(r.model, 0) + 1
            return {
                "policy": self.policy,
                "quantum_tokens": self.quantum_tokens,
                "aging_s": self.aging_s,
                "queued": len(self._ready),
                "queued_by_model": by_model,
                "running": {w: r.id for w, r in self._running.items()},
                "held_pids": sorted(self._held),
            }

    def pending(self) -> int:
        with self._cond:
            return len(self._ready) + len(self._running)

    def requests_of(self, pid: int) -> Iterable[LLMRequest]:
        with self._cond:
            return [r for r in (*self._ready, *self._running.values()) if r.pid == pid]

    # -- internals (hold the lock) -------------------------------------------

    def _enqueue(self, req: LLMRequest) -> None:
        self._seq += 1
        req.enqueue_seq = self._seq
        req.enqueued_at = self._clock()
        self._ready.append(req)
        self._cond.notify_all()

    def _eligible(self, worker: CoreWorker, req: LLMRequest) -> bool:
        if req.model not in worker.models:
            return False
        if req.pid is not None and req.pid in self._held:
            return False
        return req.pinned_core is None or req.pinned_core == worker.core.name

    def _effective(self, req: LLMRequest, now: float) -> float:
        return req.priority + (now - req.enqueued_at) / self.aging_s

    def _best(self, worker: CoreWorker, now: float) -> LLMRequest | None:
        candidates = [r for r in self._ready if self._eligible(worker, r)]
        if not candidates:
            return None
        if self.policy == "fifo":
            return min(candidates, key=lambda r: r.arrival_seq)
        if self.policy == "rr":
            return min(candidates, key=lambda r: r.enqueue_seq)
        return max(candidates, key=lambda r: (self._effective(r, now), -r.enqueue_seq))
