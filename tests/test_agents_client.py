"""The HTTP client (aios.agents.client) against a real app: TCP and the Unix socket,
sync and async, errors mapped back to the aios classes."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from aios.agents.client import AsyncContext, Context
from aios.api.app import create_app
from aios.errors import BadRequest, NotFound, PermissionDenied, Unauthorized, Unavailable
from aios.fs.embed import Embedder
from aios.kernel import Capabilities, Kernel
from aios.kernel.approvals import ApprovalState
from aios.kernel.daemon import _bind_unix, api_socket_path
from tests.fakes import FakeCore
from tests.live_app import TOKEN, LiveApp


class SocketApp(LiveApp):
    """LiveApp that also serves on the daemon's Unix socket (as ``aios serve`` does)."""

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        async with Kernel(self._cfg, cores=[FakeCore()], embedder=self._embedder) as k:
            self.kernel = k
            app = create_app(k, TOKEN)
            usock = _bind_unix(self._cfg.data_dir)
            assert usock is not None
            k.api_socket = api_socket_path(self._cfg.data_dir)
            self.socket = str(k.api_socket)
            self._server = uvicorn.Server(
                uvicorn.Config(app, log_level="warning", lifespan="off", proxy_headers=False)
            )
            started = asyncio.create_task(self._server.serve(sockets=[self._sock, usock]))
            while not self._server.started and not started.done():
                await asyncio.sleep(0.01)
            self._ready.set()
            try:
                await started
            finally:
                usock.close()

    def process_token(self, caps: Capabilities | None = None) -> tuple[int, str]:
        """A sleeping process and a token of it."""
        assert self.kernel is not None
        k = self.kernel

        async def make() -> tuple[int, str]:
            proc = await k.spawn("sleep", "60", capabilities=caps)
            return proc.pid, k.tokens.issue(proc.pid)

        return self.call(make())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[SocketApp]:
    with SocketApp(tmp_path_factory.mktemp("client"), embedder) as a:
        yield a
        a.call(_kill_all(a))


async def _kill_all(app: SocketApp) -> None:
    assert app.kernel is not None
    for proc in app.kernel.procs.running():
        app.kernel.kill(proc.pid)


def test_client_imports_without_the_kernel() -> None:
    code = (
        "import sys, aios.agents.client, aios.agents.surface, aios.agents.sdk\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('llama_cpp', 'chromadb', 'torch', 'numpy') or m.startswith('aios.kernel')]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_socket_is_private_folder_open_socket(app: SocketApp) -> None:
    sock = Path(app.socket)
    assert stat.S_ISSOCK(sock.stat().st_mode) and stat.S_IMODE(sock.stat().st_mode) == 0o666
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("over", ["tcp", "socket"])
def test_sync_client_surface(app: SocketApp, over: str) -> None:
    pid, token = app.process_token()
    where = {"url": app.url} if over == "tcp" else {"socket": app.socket}
    with Context(**where, token=token) as ctx:
        assert ctx.llm.chat("hi", max_tokens=2) == "hi:0 hi:1 "
        assert "".join(ctx.llm.stream("s", max_tokens=3)) == "s:0 s:1 s:2 "
        info = ctx.fs.write(f"home/{pid}/a.txt", "hello")
        assert info["path"] == f"home/{pid}/a.txt"
        assert ctx.fs.read(f"home/{pid}/a.txt") == "hello"
        assert [e.path for e in ctx.fs.ls(f"home/{pid}").entries] == [f"home/{pid}/a.txt"]
        assert ctx.tools.call("calculator", expression="6*7") in (42, "42", 42.0)
        assert any(t["name"] == "calculator" for t in ctx.tools.list())
        assert ctx.syscall("proc.get", pid=pid)["pid"] == pid
        assert ctx.log.info("step %d done", 1) is None
        with pytest.raises(PermissionDenied, match=r"may not call sched\.set"):
            ctx.syscall("sched.set", policy="fifo")
        with pytest.raises(PermissionDenied):
            ctx.fs.read("elsewhere/secret.txt")
        with pytest.raises(NotFound, match="no syscall"):
            ctx.syscall("no.such")
        with pytest.raises(BadRequest):
            ctx.syscall("fs.read")  # no path


async def test_async_client_surface(app: SocketApp) -> None:
    pid, token = app.process_token()
    async with AsyncContext(socket=app.socket, token=token, pid=pid) as ctx:
        assert ctx.pid == pid
        assert await ctx.llm.chat([{"role": "user", "content": "q"}], max_tokens=1) == "q:0 "
        assert [p async for p in ctx.llm.stream("t", max_tokens=2)] == ["t:0 ", "t:1 "]
        await ctx.fs.write(f"home/{pid}/b.txt", "bee")
        assert await ctx.fs.read(f"home/{pid}/b.txt") == "bee"
        await ctx.log.warning("careful")
        child = await ctx.spawn("sleep", "0")
        assert (await ctx.wait(child.pid, 10))["state"] == "EXITED"
        with pytest.raises(PermissionDenied, match="may not call tool 'shell'"):
            await ctx.tools.call("shell", program="echo", args=["x"])
        with pytest.raises(PermissionDenied):  # a child never gets more than its parent
            await ctx.spawn("sleep", "1", capabilities=Capabilities(tools=["*"]))


def test_approve_over_http_is_true_only_when_approved(app: SocketApp) -> None:
    pid, token = app.process_token()
    assert app.kernel is not None
    k = app.kernel

    async def answer(decision: str) -> None:
        while not (items := k.approvals.list(state=ApprovalState.PENDING, pids={pid})):
            await asyncio.sleep(0.01)
        k.approvals.respond(items[0].id, decision, by="test")  # type: ignore[arg-type]

    with Context(socket=app.socket, token=token) as ctx:
        for decision, want in (("approve", True), ("deny", False)):
            person = threading.Thread(target=app.call, args=(answer(decision),))
            person.start()
            assert ctx.approve("go on?", details={"files": 3}) is want
            person.join()


def test_bad_token_and_unreachable_daemon(app: SocketApp, tmp_path: Path) -> None:
    with Context(socket=app.socket, token="aios_p_nope") as ctx, pytest.raises(Unauthorized):
        ctx.syscall("proc.list")
    nowhere = str(tmp_path / "none.sock")
    with (
        Context(socket=nowhere, token="x") as ctx,
        pytest.raises(Unavailable, match="cannot reach"),
    ):
        ctx.syscall("proc.list")
    with pytest.raises(BadRequest):
        Context(url=app.url, socket=app.socket, token="x")


def test_log_becomes_an_event_and_an_audit_row(app: SocketApp) -> None:
    pid, token = app.process_token()
    assert app.kernel is not None
    k = app.kernel
    q = app.call(_subscribe(k, pid))
    with Context(socket=app.socket, token=token) as ctx:
        ctx.log.error("it broke: %s\x1b[2J", "badly")
    event = app.call(asyncio.wait_for(q.get(), 5))
    while event["type"] != "log":
        event = app.call(asyncio.wait_for(q.get(), 5))
    assert event["level"] == "error" and event["message"].startswith("it broke: badly")
    names = [r.name for r in k.store.list_syscalls(pid=pid)]
    assert "proc.log" in names


async def _subscribe(k: Kernel, pid: int) -> asyncio.Queue[dict[str, object]]:
    return k.events.subscribe(pid)


def test_socket_needs_a_token(app: SocketApp) -> None:
    import httpx

    with httpx.Client(transport=httpx.HTTPTransport(uds=app.socket)) as c:
        r = c.post("http://aios/v1/syscall", json={"name": "proc.list", "args": {}})
    assert r.status_code == 401
    assert os.path.exists(app.socket)


@pytest.mark.slow
def test_daemon_serves_the_socket_and_removes_it(tmp_path: Path) -> None:
    from tests.daemon_helpers import Daemon

    daemon = Daemon(tmp_path / "data", env={"AIOS_FS__ENABLED": "false"}).start()
    sock = api_socket_path(tmp_path / "data")
    try:
        assert stat.S_IMODE(sock.stat().st_mode) == 0o666
        with Context(socket=str(sock), token=daemon.token) as ctx:
            assert ctx.syscall("proc.list")["processes"] == []
        with Context(socket=str(sock), token="wrong") as ctx, pytest.raises(Unauthorized):
            ctx.syscall("proc.list")
    finally:
        assert daemon.stop() == 0
    assert not sock.exists()
