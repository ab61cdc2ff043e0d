"""A real uvicorn server on loopback in front of a kernel on a scripted core (FakeCore)
with real LSFS: fast enough for tests that send hundreds of requests, and real HTTP
(keep-alive connections, chunked bodies) all the way down."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from aios.api.app import create_app
from aios.fs.embed import Embedder
from aios.kernel import Kernel
from tests.conftest import make_config
from tests.fakes import FakeCore

__all__ = ["LiveApp"]

TOKEN = "admin-token-for-live-app"


class LiveApp:
    """``with LiveApp(tmp, embedder) as app: httpx.Client(base_url=app.url)``. The
    kernel and the server run on their own event loop in a thread of their own, so
    synchronous tests (hypothesis) can drive them with blocking clients."""

    def __init__(
        self,
        tmp: Path,
        embedder: Embedder,
        setup: Callable[[FastAPI, Kernel], None] | None = None,
        **config: Any,
    ) -> None:
        config.setdefault("llm", {"cores": [{"kind": "llamacpp", "model": "fake"}]})
        self._cfg = make_config(tmp, **config)
        self._embedder = embedder
        self._setup = setup  # adds test-only routes or syscalls before serving
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.token = TOKEN
        self.headers = {"Authorization": f"Bearer {TOKEN}"}
        self.kernel: Kernel | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="live-app", daemon=True)

    def __enter__(self) -> LiveApp:
        self._thread.start()
        self._ready.wait(120)
        if self._failed is not None:
            raise RuntimeError("the live app did not start") from self._failed
        if not self._ready.is_set():
            raise RuntimeError("the live app did not start within 120 s")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(setattr, self._server, "should_exit", True)
        self._thread.join(60)

    def call(self, coro: Any) -> Any:
        """Run ``coro`` on the app's loop (the kernel is not thread-safe) and return
        its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(60)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the thread that waits in __enter__
            self._failed = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        async with Kernel(self._cfg, cores=[FakeCore()], embedder=self._embedder) as k:
            self.kernel = k
            app = create_app(k, TOKEN)
            if self._setup is not None:
                self._setup(app, k)
            self._server = uvicorn.Server(
                uvicorn.Config(app, log_level="warning", lifespan="off", proxy_headers=False)
            )
            started = asyncio.create_task(self._server.serve(sockets=[self._sock]))
            while not self._server.started and not started.done():
                await asyncio.sleep(0.01)
            self._ready.set()
            await started
