"""Routing across inference servers when one dies: two llama.cpp servers on loopback
as two remote cores of one model, 16 concurrent chats, one server killed while they
run. Every chat completes, or fails with a clear error, within its deadline; the
dead core is taken out (later chats all succeed, on the other); and once its server
answers again on the same port, the core is back in service."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from aios.config import OpenAICoreConfig
from aios.errors import AiosError, Unavailable
from aios.kernel import ADMIN, Kernel
from aios.kernel.llm.core import CoreDown
from aios.kernel.llm.remote import OpenAICore
from aios.kernel.llm.request import GenParams, LLMRequest
from tests.conftest import make_config
from tests.daemon_helpers import free_port
from tests.fakes import FakeCore
from tests.servers import llama_server

DEADLINE_S = 120.0


def _cores(url1: str, url2: str) -> dict[str, Any]:
    core = {"kind": "openai", "model": "smollm2", "grammar": True, "parallel": 2,
            "max_retries": 1, "connect_timeout_s": 2.0, "timeout_s": 60.0}  # fmt: skip
    return {
        "cores": [
            {**core, "name": "llm-1", "base_url": url1},
            {**core, "name": "llm-2", "base_url": url2},
        ]
    }


async def _chat(k: Kernel, n: int) -> Any:
    msg = [{"role": "user", "content": f"Count from {n} to {n + 20}."}]
    args = {"messages": msg, "max_tokens": 24, "temperature": 0}
    return await k.syscall(ADMIN, "llm.chat", args)


@pytest.mark.model
async def test_a_dead_server_is_taken_out_and_back(tmp_path: Path) -> None:
    port1 = free_port()
    with llama_server(tmp_path, port=port1) as (url1, proc1), llama_server(tmp_path) as (url2, _):
        cfg = make_config(tmp_path, llm=_cores(url1, url2), fs={"enabled": False})
        async with Kernel(cfg) as k:
            one = next(c for c in k.cores if c.name == "llm-1")
            chats = [asyncio.ensure_future(_chat(k, n)) for n in range(16)]
            await asyncio.sleep(1.0)  # some are streaming, the rest queued
            proc1.kill()
            proc1.wait(10)
            t0 = time.monotonic()
            outcomes = await asyncio.wait_for(
                asyncio.gather(*chats, return_exceptions=True), DEADLINE_S
            )
            assert time.monotonic() - t0 < DEADLINE_S
            done = [o for o in outcomes if not isinstance(o, BaseException)]
            failed = [o for o in outcomes if isinstance(o, BaseException)]
            for exc in failed:  # only a generation cut mid-stream fails, and says why
                assert isinstance(exc, AiosError), repr(exc)
                assert "llm-1" in exc.message and "tokens were streamed" in exc.message
            assert len(done) + len(failed) == 16
            assert len(failed) <= 2  # at most llm-1's two in flight (parallel = 2)
            assert one.is_down()
            later = await asyncio.gather(*(_chat(k, n) for n in range(8)))
            assert {r.core for r in later} == {"llm-2"}  # the dead one takes none
            with llama_server(tmp_path, port=port1):  # the server answers again
                async with asyncio.timeout(30):
                    while one.is_down():
                        await asyncio.sleep(0.2)
                back = await asyncio.gather(*(_chat(k, n) for n in range(6)))
                assert len(back) == 6  # none failed (gather raises otherwise)


class DyingCore(FakeCore):
    """A scripted core whose server is gone while ``gone`` is set: a request then
    fails before generating, as a refused connection does, and takes the core out
    of service until its probe finds the server again."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "m", token_delay=0.01)
        self.gone = threading.Event()
        self.down = False
        self.failed = 0

    def is_down(self) -> bool:
        return self.down

    def probe(self) -> bool:
        self.down = self.gone.is_set()
        return not self.down

    def run(self, req: Any, should_yield: Any) -> Any:
        if self.gone.is_set():
            self.down, self.failed = True, self.failed + 1
            raise CoreDown(f"core {self.name}: connection refused")
        return super().run(req, should_yield)


def _fake_kernel(tmp_path: Path, *cores: FakeCore) -> Kernel:
    llm = {"cores": [{"kind": "llamacpp", "name": c.name, "model": "m"} for c in cores]}
    return Kernel(make_config(tmp_path, llm=llm, fs={"enabled": False}), cores=list(cores))


async def _fake_chat(k: Kernel) -> Any:
    return await k.syscall(ADMIN, "llm.chat", {"messages": [{"role": "user", "content": "x"}],
                                               "max_tokens": 5})  # fmt: skip


async def test_requests_go_to_the_live_core_and_fail_clearly_when_none_is(
    tmp_path: Path,
) -> None:
    a, b = DyingCore("a"), DyingCore("b")
    async with _fake_kernel(tmp_path, a, b) as k:
        a.gone.set()  # a's server dies: the request it takes fails over to b
        outcomes = await asyncio.gather(*(_fake_chat(k) for _ in range(6)))
        assert {r.core for r in outcomes} == {"b"} and a.failed >= 1 and a.is_down()
        b.gone.set()  # the last core of the model dies under a request: it fails clearly
        with pytest.raises(Unavailable, match="connection refused"):
            await asyncio.wait_for(_fake_chat(k), 5)
        with pytest.raises(Unavailable, match="every core serving m is down"):
            await asyncio.wait_for(_fake_chat(k), 5)  # then refused at once, never queued
        a.gone.clear()  # a's server is back: its probe puts it back in service
        async with asyncio.timeout(10):
            while a.is_down():
                await asyncio.sleep(0.1)
        assert (await _fake_chat(k)).core == "a"


def _mock_core(chat_status: int, models_status: int) -> OpenAICore:
    core = OpenAICore(
        OpenAICoreConfig(name="r", model="m", base_url="http://srv/v1", max_retries=0)
    )

    def handler(request: httpx.Request) -> httpx.Response:
        status = models_status if request.url.path.endswith("/models") else chat_status
        return httpx.Response(status, json={"data": []})

    core._client = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://srv/v1")
    return core


def test_a_request_the_server_fails_but_that_still_answers_fails_alone() -> None:
    msgs = [{"role": "user", "content": "x"}]
    req = LLMRequest(model="m", params=GenParams(max_tokens=4), messages=msgs)
    alive = _mock_core(chat_status=500, models_status=200)  # this request's trouble only
    with pytest.raises(Unavailable) as err:
        alive.run(req, lambda n: False)
    assert not isinstance(err.value, CoreDown) and not alive.is_down()  # never handed on
    dead = _mock_core(chat_status=503, models_status=503)  # the server itself is gone
    with pytest.raises(CoreDown):
        dead.run(req, lambda n: False)
    assert dead.is_down()
