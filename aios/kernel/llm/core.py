"""What every LLM core provides, and the worker thread that drives one.

A core owns an inference engine. It is driven only by its worker thread(s): a
llama.cpp core has exactly one (a ``Llama`` context is not thread-safe); a remote
core has one per request it may keep in flight. Workers pull from the scheduler,
so an idle core serving a model takes that model's next request: routing to the
least-loaded core falls out of the pull. A core that stops answering (a remote
server that died) says so (``CoreDown``): it takes no requests until a probe finds
it answering again, and the request it failed on goes to another core of the model.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aios.errors import AiosError, Cancelled, Unavailable
from aios.kernel.llm.request import Event, LLMRequest, Outcome

if TYPE_CHECKING:
    from aios.kernel.scheduler import Scheduler

__all__ = ["Core", "CoreDown", "CoreWorker", "YieldCheck"]

log = logging.getLogger(__name__)

# Called by a core after each generated token with the tokens generated in the
# current slice; True means "stop here, the scheduler wants the core back".
YieldCheck = Callable[[int], bool]

PROBE_S = 1.0  # how often a down core's worker asks whether it answers again


class CoreDown(Unavailable):
    """The core cannot serve now (its server does not answer); nothing was generated
    for the request, so another core may run it from the start."""


class Core(ABC):
    name: str
    model: str
    workers: int = 1
    preemptible: bool = False
    grammar: bool = True  # accepts GBNF grammars (else only JSON schemas)

    @abstractmethod
    def load(self) -> None:
        """Open the engine; raise ModelError with a clear message if it cannot."""

    @abstractmethod
    def run(self, req: LLMRequest, should_yield: YieldCheck) -> Outcome:
        """Advance ``req``; return PREEMPTED, or DONE with ``req.finish_reason`` set."""

    def discard(self, req: LLMRequest) -> None:  # noqa: B027 - optional hook
        """Forget per-request state of a request that will not run again."""

    @abstractmethod
    def close(self) -> None: ...

    def is_down(self) -> bool:
        """Whether the core is out of service (it takes no requests)."""
        return False

    def probe(self) -> bool:
        """Whether the core answers now (a down core is back in service if so)."""
        return True

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "kind": type(self).__name__}


class CoreWorker:
    """One thread that takes requests for its core from the scheduler and runs them."""

    def __init__(self, core: Core, scheduler: Scheduler, index: int = 0) -> None:
        self.core = core
        self.scheduler = scheduler
        self.name = f"{core.name}/{index}"
        self.models = frozenset({core.model})
        self.busy_s = 0.0
        self._thread = threading.Thread(target=self._loop, name=f"aios-core-{self.name}")

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            if self.core.is_down() and not self._wait_until_up():
                return
            req = self.scheduler.take(self)
            if req is None:
                return
            self._run_slice(req)

    def _wait_until_up(self) -> bool:
        """Probe a down core every PROBE_S until it answers (True) or the kernel stops
        (False)."""
        while True:
            if not self.scheduler.pause(PROBE_S):
                return False
            if self.core.probe():
                self.scheduler.core_up(self.core)
                return True

    def _run_slice(self, req: LLMRequest) -> None:
        if req.started_at is None:
            req.started_at = time.time()
        req.core = self.core.name
        req.notify(Event.STARTED, self.core.name)
        t0 = time.monotonic()
        outcome = Outcome.DONE
        error: AiosError | None = None
        try:
            if req.cancelled:
                raise Cancelled("request cancelled")
            outcome = self.core.run(req, lambda n: self.scheduler.should_yield(self, req, n))
        except CoreDown as exc:  # nothing generated: another core of the model may run it
            if self.scheduler.fail_over(self, req):
                req.run_s += time.monotonic() - t0
                self.scheduler.core_down(self.core)
                return
            error = exc
        except AiosError as exc:
            error = exc
        except Exception as exc:  # an engine bug must not kill the worker
            log.exception("core %s failed on request %d", self.core.name, req.id)
            error = AiosError(f"core {self.core.name} failed: {exc}")
        dt = time.monotonic() - t0
        req.run_s += dt  # accounted before the caller can see the outcome
        self.busy_s += dt
        if error is None and outcome is Outcome.PREEMPTED:
            req.preemptions += 1
            req.notify(Event.PREEMPTED)
            if self.scheduler.requeue(self, req):
                if self.core.is_down():  # pinned to a core that just went down: it fails
                    self.scheduler.core_down(self.core)
                return
            error = Cancelled("request cancelled")  # cancelled while it ran
        self.scheduler.end(req, error, worker=self)
        if self.core.is_down():
            self.scheduler.core_down(self.core)
