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
and sampler), so it is pinned to that core until it finishes. However a request
ends (done, failed, cancelled queued or running, killed, shut down) it goes
through ``end``, which has that core discard the state on the core's own worker
thread (an engine is not thread-safe). The ready queue is bounded: a new request
beyond ``max_queued`` (or a process's ``max_queued_per_process``) is refused at
once with ``Unavailable`` and a ``retry_after_s`` estimate; a preempted request
going back is never refused.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from aios.errors import AiosError, Cancelled, Unavailable
from aios.kernel.llm.request import LLMRequest

if TYPE_CHECKING:
    from aios.config import SchedulerConfig
    from aios.kernel.llm.core import Core, CoreWorker

__all__ = ["POLICIES", "Policy", "Scheduler"]

Policy = Literal["fifo", "rr", "priority"]
POLICIES: tuple[Policy, ...] = ("fifo", "rr", "priority")

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        policy: Policy = "rr",
        *,
        quantum_tokens: int = 32,
        aging_s: float = 10.0,
        max_queued: int = 1024,
        max_queued_per_process: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cond = threading.Condition()
        self._clock = clock
        self._ready: list[LLMRequest] = []
        self._running: dict[str, LLMRequest] = {}
        self._held: set[int] = set()
        # Requests that ended away from their core (cancelled while queued, shut
        # down) and whose state that core must discard, by core name.
        self._reap: dict[str, list[LLMRequest]] = {}
        self._workers: set[str] = set()
        self._cores: dict[str, Core] = {}  # every core whose worker has asked for work
        self._service_s = 0.0  # moving average of a request's run time (retry hints)
        self._seq = 0
        self._stopping = False
        self.policy: Policy = "rr"
        self.quantum_tokens = quantum_tokens
        self.aging_s = aging_s
        self.max_queued = max_queued
        self.max_queued_per_process = max_queued_per_process
        self.set_policy(policy)

    @classmethod
    def from_config(cls, cfg: SchedulerConfig) -> Scheduler:
        return cls(
            cfg.policy,
            quantum_tokens=cfg.quantum_tokens,
            aging_s=cfg.aging_s,
            max_queued=cfg.max_queued,
            max_queued_per_process=cfg.max_queued_per_process,
        )

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
            if self._all_down(req.model):
                raise Unavailable(f"every core serving {req.model} is down; try again later")
            self._admit(req)
            self._seq += 1
            req.id = req.id or self._seq
            req.arrival_seq = self._seq
            self._enqueue(req)

    def cancel(self, req: LLMRequest) -> None:
        """Cancel a request: end it if queued, or stop it at its next token."""
        req.cancel_event.set()
        self.end(req, Cancelled("request cancelled"))

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
        queued: list[LLMRequest] = []
        with self._cond:
            self._stopping = True
            if cancel_queued:
                queued = list(self._ready)
                for req in (*queued, *self._running.values()):
                    req.cancel_event.set()
            self._cond.notify_all()
        for req in queued:  # workers discard their state before they exit
            self.end(req, Cancelled("the kernel is shutting down"))

    def cancel_running(self) -> None:
        with self._cond:
            for req in self._running.values():
                req.cancel_event.set()

    # -- consumers (core worker threads) ---------------------------------------

    def take(self, worker: CoreWorker) -> LLMRequest | None:
        """Block until a request this worker may run is ready; None means exit.
        First discards the state of its core's requests that ended elsewhere."""
        core = worker.core
        while True:
            with self._cond:
                self._workers.add(worker.name)
                self._cores.setdefault(core.name, core)
                while not (reap := self._reap.pop(core.name, [])):
                    req = self._best(worker, self._clock())
                    if req is not None:
                        self._ready.remove(req)
                        req.wait_s += self._clock() - req.enqueued_at
                        self._running[worker.name] = req
                        return req
                    if self._stopping:
                        return None  # nothing left that this worker could run
                    self._cond.wait()
            for req in reap:
                _discard(core, req)

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
            # the running request keeps the age it earned waiting before
            return self._effective(best, now) > req.priority + req.wait_s / self.aging_s

    def _all_down(self, model: str) -> bool:
        """Whether the model's cores are known and every one is down."""
        serving = [c for c in self._cores.values() if c.model == model]
        return bool(serving) and all(c.is_down() for c in serving)

    def fail_over(self, worker: CoreWorker, req: LLMRequest) -> bool:
        """A request its core could not start (the core is down): queued again for
        another core of its model (True), or False (the worker ends it) when none is
        up or it has been handed on once per core already (never round and round)."""
        with self._cond:
            if req.cancelled or req.done or self._all_down(req.model):
                return False
            if req.failovers >= sum(c.model == req.model for c in self._cores.values()):
                return False
            req.failovers += 1
            self._running.pop(worker.name, None)
            req.pinned_core, req.core_state = None, None
            self._enqueue(req)  # its place by policy, as a preempted request's
            return True

    def core_down(self, core: Core) -> None:
        """A core went out of service: what only it could run fails now rather than
        wait (requests pinned to it, a paused stream's; with no core of the model
        left up, every queued request of the model)."""
        with self._cond:
            gone = self._all_down(core.model)
            stranded = [
                r
                for r in self._ready
                if r.pinned_core == core.name or (gone and r.model == core.model)
            ]
        for r in stranded:
            why = f"every core serving {r.model} is down" if gone else f"core {core.name} is down"
            self.end(r, Unavailable(f"{why}; try again later"))

    def pause(self, timeout: float) -> bool:
        """Wait ``timeout`` (a worker between probes), woken early only by a stop;
        False once stopping."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._stopping and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)  # other notifications wake it: wait on to the end
            return not self._stopping

    def core_up(self, core: Core) -> None:
        """A down core answers again: its workers take requests from now on."""
        log.info("core %s is back in service", core.name)
        with self._cond:
            self._cond.notify_all()

    def requeue(self, worker: CoreWorker, req: LLMRequest) -> bool:
        """Put a preempted request back; False if it must not run again (the worker
        then ends it). Never refused for the queue bound: it was admitted already."""
        with self._cond:
            if req.cancelled or req.done:
                return False
            self._running.pop(worker.name, None)
            req.pinned_core = worker.core.name
            self._enqueue(req)
            return True

    def end(
        self, req: LLMRequest, error: AiosError | None = None, *, worker: CoreWorker | None = None
    ) -> None:
        """The one way a request ends: done (no error), failed, cancelled, killed or shut
        down; once. The core holding its state discards it (now if ``worker`` is that
        core's, else at its worker's next ``take``), then the caller gets the outcome.
        Without ``worker``, a running request is left to its worker (it has been told
        to stop at its next token)."""
        with self._cond:
            if req.ended or (worker is None and req in self._running.values()):
                return
            req.ended = True
            discard_now = self._end_locked(req, worker)
        if discard_now is not None:
            _discard(discard_now, req)
        if error is None:
            req.finish(req.finish_reason or "stop")
        else:
            req.fail(error)

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
                "max_queued": self.max_queued,
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

    def _admit(self, req: LLMRequest) -> None:
        """Refuse a new request beyond the queue bounds, with a hint when to retry."""
        if len(self._ready) >= self.max_queued:
            why = f"{len(self._ready)} LLM requests are queued, the most there may be"
        elif req.pid is not None and self.max_queued_per_process <= sum(
            1 for r in (*self._ready, *self._running.values()) if r.pid == req.pid
        ):
            why = f"process {req.pid} has {self.max_queued_per_process} LLM requests in flight"
        else:
            return
        # about when one request leaves: a request's run time over the workers
        retry = self._service_s / max(1, len(self._workers))
        raise Unavailable(why, retry_after_s=min(60, max(1, math.ceil(retry))))

    def _end_locked(self, req: LLMRequest, worker: CoreWorker | None) -> Core | None:
        """Take ``req`` out of the queues; return the core to discard it now, if any."""
        if req in self._ready:
            self._ready.remove(req)
        if worker is not None and self._running.get(worker.name) is req:
            del self._running[worker.name]
        self._cond.notify_all()
        if worker is not None:
            self._service_s += 0.2 * (req.run_s - self._service_s)
            return worker.core
        if req.core_state is not None and req.pinned_core is not None:
            self._reap.setdefault(req.pinned_core, []).append(req)
            req.pinned_core = None  # queued once for its discard, never twice
        return None

    def _enqueue(self, req: LLMRequest) -> None:
        self._seq += 1
        req.enqueue_seq = self._seq
        req.enqueued_at = self._clock()
        self._ready.append(req)
        self._cond.notify_all()

    def _eligible(self, worker: CoreWorker, req: LLMRequest) -> bool:
        if req.model not in worker.models or worker.core.is_down():
            return False
        if req.pid is not None and req.pid in self._held:
            return False
        return req.pinned_core is None or req.pinned_core == worker.core.name

    def _effective(self, req: LLMRequest, now: float) -> float:
        # the age is all the time it waited, across requeues, or a request that is
        # preempted again and again would start from nothing each time and starve
        return req.priority + (req.wait_s + now - req.enqueued_at) / self.aging_s

    def _best(self, worker: CoreWorker, now: float) -> LLMRequest | None:
        candidates = [r for r in self._ready if self._eligible(worker, r)]
        if not candidates:
            return None
        if self.policy == "fifo":
            return min(candidates, key=lambda r: r.arrival_seq)
        if self.policy == "rr":
            return min(candidates, key=lambda r: r.enqueue_seq)
        return max(candidates, key=lambda r: (self._effective(r, now), -r.enqueue_seq))


def _discard(core: Core, req: LLMRequest) -> None:
    """On the core's worker thread: the core forgets the request's state."""
    try:
        core.discard(req)
    except Exception:  # a failing discard must not kill the worker
        log.exception("core %s: discarding request %d failed", core.name, req.id)
