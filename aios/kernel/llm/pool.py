"""The LLM cores and their worker threads: loaded, started, stopped, closed.

Closing a core frees its engine (a llama.cpp context), so it must never happen
while one of its workers may still be inside ``run``: that is a use after free in
C, a crash of the whole daemon. ``stop`` therefore closes a core only once all its
workers have exited; a worker that does not stop in time (the scheduler has asked
it to, at its next token) keeps its core, which is leaked and logged instead.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aios.kernel.llm.core import Core, CoreWorker
from aios.kernel.scheduler import Scheduler

__all__ = ["CorePool"]

log = logging.getLogger(__name__)


class CorePool:
    def __init__(self, cores: list[Core], scheduler: Scheduler) -> None:
        self.cores = cores
        self.scheduler = scheduler
        self.workers: list[CoreWorker] = []
        self.leaked: list[Core] = []  # still used by a worker at shutdown: never freed
        self._loaded: list[Core] = []

    async def load(self) -> None:
        for core in self.cores:
            # Loading blocks (it reads the model); keep the loop responsive.
            await asyncio.to_thread(core.load)
            self._loaded.append(core)

    def start(self) -> None:
        for core in self.cores:
            for i in range(core.workers):
                w = CoreWorker(core, self.scheduler, i)
                w.start()
                self.workers.append(w)

    async def stop(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` in all for the workers to exit (the scheduler has
        been stopped and its running requests cancelled), then close the cores none
        of whose workers is still alive."""
        deadline = time.monotonic() + timeout_s
        for w in self.workers:
            await asyncio.to_thread(w.join, max(0.0, deadline - time.monotonic()))
        busy = {w.core.name for w in self.workers if w.is_alive()}
        for core in self._loaded:
            if core.name in busy:
                log.error(
                    "core %s: a worker is still running after %.1fs; its engine is left "
                    "allocated rather than freed under the thread",
                    core.name,
                    timeout_s,
                )
                self.leaked.append(core)
        self._loaded = [c for c in self._loaded if c.name not in busy]
        self.workers[:] = [w for w in self.workers if w.is_alive()]
        self.close()

    def close(self) -> None:
        """Close the loaded cores (no worker may be running them)."""
        for core in self._loaded:
            try:
                core.close()
            except Exception:
                log.exception("closing core %s", core.name)
        self._loaded.clear()
