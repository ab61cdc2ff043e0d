"""Shutdown never frees an engine that a worker thread still uses."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from aios.errors import AiosError
from aios.kernel import ADMIN, Kernel
from aios.kernel.llm.core import YieldCheck
from aios.kernel.llm.request import LLMRequest, Outcome
from tests.conftest import make_config
from tests.fakes import FakeCore

MSG = {"messages": [{"role": "user", "content": "go"}], "max_tokens": 5}


class StuckCore(FakeCore):
    """A core whose run ignores cancellation until the test lets it go (an engine
    call that does not return); it records a close that came while it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = threading.Event()
        self.let_go = threading.Event()
        self.running = False
        self.closed_while_running = False

    def run(self, req: LLMRequest, should_yield: YieldCheck) -> Outcome:
        self.running = True
        self.inside.set()
        self.let_go.wait(30)
        self.running = False
        return super().run(req, should_yield)

    def close(self) -> None:
        self.closed_while_running = self.running
        super().close()


def _config(tmp_path: Path) -> Any:
    return make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}], "worker_stop_timeout_s": 0.2},
        fs={"enabled": False},
        shutdown_deadline_s=0,
    )


async def test_a_worker_that_does_not_stop_keeps_its_core(tmp_path: Path) -> None:
    core = StuckCore()
    k = Kernel(_config(tmp_path), cores=[core])
    await k.start()
    call = asyncio.ensure_future(k.syscall(ADMIN, "llm.chat", MSG))
    await asyncio.to_thread(core.inside.wait, 10)
    await k.close()  # returns, though the worker is still inside run
    assert not core.closed and core in k.pool.leaked
    core.let_go.set()
    with pytest.raises(AiosError):
        await call
    for w in k.workers:
        await asyncio.to_thread(w.join, 10)
        assert not w.is_alive()
    assert not core.closed_while_running and not core.closed


async def test_a_worker_that_stops_has_its_core_closed_after_it(tmp_path: Path) -> None:
    core = FakeCore(token_delay=0.01)
    async with Kernel(_config(tmp_path), cores=[core]) as k:
        call = asyncio.ensure_future(k.syscall(ADMIN, "llm.chat", {**MSG, "max_tokens": 4000}))
        while not core.trace:
            await asyncio.sleep(0.005)
    assert core.closed and not k.pool.leaked and not k.workers
    with pytest.raises(AiosError):
        await call
