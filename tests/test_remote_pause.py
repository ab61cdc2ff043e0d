"""A remote core honours suspend and kill at the next streamed chunk, against a real
HTTP server on loopback (uvicorn serving a tiny streaming OpenAI-compatible app)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from aios.config import OpenAICoreConfig
from aios.errors import Cancelled
from aios.kernel.llm import CoreWorker, GenParams, LLMRequest, OpenAICore
from aios.kernel.llm.request import Event
from aios.kernel.scheduler import Scheduler
from tests.daemon_helpers import free_port

CHUNKS = 400  # more than a test ever lets through: an early end shows as a disconnect


class FakeServer:
    """Streams ``t0 t1 ...`` one chunk per ``delay`` seconds; records what it sent and
    whether the client went away before the end."""

    def __init__(self, delay: float = 0.005) -> None:
        self.delay = delay
        self.sent = 0
        self.disconnected = threading.Event()
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._models),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
            ]
        )

    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"data": [{"id": "fake-remote"}]})

    async def _chat(self, request: Request) -> StreamingResponse:
        n = min(CHUNKS, int((await request.json())["max_tokens"]))
        return StreamingResponse(self._gen(n), media_type="text/event-stream")

    async def _gen(self, n: int) -> AsyncIterator[str]:
        done = False
        try:
            for i in range(n):
                delta = {"choices": [{"delta": {"content": f"t{i} "}, "finish_reason": None}]}
                yield f"data: {json.dumps(delta)}\n\n"
                self.sent += 1
                await asyncio.sleep(self.delay)
            end = {"choices": [{"delta": {}, "finish_reason": "length"}]}
            yield f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n"
            done = True
        finally:
            if not done:
                self.disconnected.set()


@pytest.fixture
def server() -> Iterator[tuple[FakeServer, str]]:
    fake = FakeServer()
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield fake, f"http://127.0.0.1:{port}/v1"
    srv.should_exit = True
    thread.join(10)


class Rig:
    def __init__(self, url: str) -> None:
        self.core = OpenAICore(OpenAICoreConfig(model="fake-remote", base_url=url, max_retries=0))
        self.core.load()
        self.sched = Scheduler("rr", quantum_tokens=2)  # never preempts a remote core
        self.worker = CoreWorker(self.core, self.sched)
        self.worker.start()

    def close(self) -> None:
        self.sched.stop(cancel_queued=True)
        self.worker.join(10)
        assert not self.worker.is_alive()
        self.core.close()


def request(n: int, pid: int | None, at: int, action: Any = None) -> LLMRequest:
    """A request that calls ``action(req)`` on the worker thread at its token ``at``."""

    def listener(req: LLMRequest, ev: Event, data: Any) -> None:
        if ev is Event.TOKEN and req.completion_tokens == at and action is not None:
            action(req)

    return LLMRequest(
        model="fake-remote",
        params=GenParams(max_tokens=n),
        messages=[{"role": "user", "content": "go"}],
        pid=pid,
        stream=True,
        listener=listener,
    )


def wait_until(cond: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_suspend_pauses_the_stream_at_the_next_chunk_and_resume_reads_on(
    server: tuple[FakeServer, str],
) -> None:
    fake, url = server
    rig = Rig(url)
    try:
        r = request(60, pid=9, at=5, action=lambda req: rig.sched.hold(9))
        rig.sched.submit(r)
        wait_until(lambda: r.preemptions == 1, "the stream did not pause")
        assert r.completion_tokens == 5  # not one chunk read after the suspend
        wait_until(lambda: fake.sent >= 15, "the server stopped early")
        assert r.completion_tokens == 5 and not r.done  # the server sent; nobody read
        # the paused request gave its worker back: another request runs meanwhile
        other = request(3, pid=None, at=-1)
        rig.sched.submit(other)
        assert other.future.result(10).text == "t0 t1 t2 "
        assert r.completion_tokens == 5
        rig.sched.release(9)
        res = r.future.result(10)
        assert res.text == "".join(f"t{i} " for i in range(60))  # nothing lost
        assert res.finish_reason == "length" and not fake.disconnected.is_set()
    finally:
        rig.close()


def test_kill_ends_the_stream_within_one_chunk(server: tuple[FakeServer, str]) -> None:
    fake, url = server
    rig = Rig(url)
    try:
        r = request(CHUNKS, pid=4, at=5, action=lambda req: rig.sched.cancel(req))
        rig.sched.submit(r)
        with pytest.raises(Cancelled):
            r.future.result(10)
        assert r.completion_tokens == 5
        assert fake.disconnected.wait(10)  # the connection was closed: the server stops
        assert fake.sent < CHUNKS
    finally:
        rig.close()


def test_kill_of_a_paused_stream_closes_it(server: tuple[FakeServer, str]) -> None:
    fake, url = server
    rig = Rig(url)
    try:
        r = request(CHUNKS, pid=3, at=2, action=lambda req: rig.sched.hold(3))
        rig.sched.submit(r)
        wait_until(lambda: r.preemptions == 1, "the stream did not pause")
        rig.sched.cancel(r)  # while it waits in the queue
        with pytest.raises(Cancelled):
            r.future.result(1)
        assert fake.disconnected.wait(10)  # its worker closed the kept stream
        assert r.core_state is None and r.completion_tokens == 2
    finally:
        rig.close()
