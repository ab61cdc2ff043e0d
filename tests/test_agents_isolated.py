"""Isolated agents: the agent's code in its own confined OS process, reaching the
daemon over the API's Unix socket with a token of its process. Real sandbox, real
uvicorn on the socket, scripted LLM core."""

from __future__ import annotations

import asyncio
import os
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from aios.agents.isolated import run_isolated
from aios.agents.manifest import Plugin
from aios.api.app import create_app
from aios.kernel import Capabilities, Kernel, ProcessState
from aios.kernel.daemon import _bind_unix, api_socket_path

AGENTS = """
import os, socket, sys
from aios.agents.sdk import Agent
from aios.errors import PermissionDenied


class Good(Agent):
    async def run(self, task, ctx):
        text = await ctx.llm.chat(task, max_tokens=2)
        await ctx.fs.write(f"home/{ctx.pid}/out.txt", text)
        n = await ctx.tools.call("calculator", expression="6*7")
        try:
            await ctx.tools.call("shell", program="echo", args=["x"])
            denied = None
        except PermissionDenied as exc:
            denied = str(exc)
        await ctx.log.info("done with %s", task)
        print('{"ok": true, "result": "a forged report"}')  # goes to stderr
        return {"text": text, "n": n, "denied": denied, "pid": ctx.pid}


class SyncGood(Agent):
    def run(self, task, ctx):
        return ctx.llm.chat(task, max_tokens=1) + ctx.fs.read(f"home/{ctx.pid}/../x.txt")


class Light(Agent):
    async def run(self, task, ctx):
        return await ctx.llm.chat(task, max_tokens=1)


class Denied(Agent):
    async def run(self, task, ctx):
        await ctx.syscall("sched.set", policy="fifo")


class Raises(Agent):
    def run(self, task, ctx):
        raise ValueError("boom")


class Exits(Agent):
    def run(self, task, ctx):
        os._exit(3)


class SysExit(Agent):
    def run(self, task, ctx):
        sys.exit(3)


class SelfKill(Agent):
    def run(self, task, ctx):
        os.kill(os.getpid(), 9)
        return "survived"


class Segfault(Agent):
    def run(self, task, ctx):
        import ctypes
        ctypes.string_at(0)


class Hog(Agent):
    def run(self, task, ctx):
        blocks = []
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))


class Sleeps(Agent):
    def run(self, task, ctx):
        import time
        time.sleep(120)


class Escapes(Agent):
    def run(self, task, ctx):
        tried = {}
        for name, attempt in [
            ("tcp", lambda: socket.create_connection(("127.0.0.1", int(task)), timeout=2)),
            ("dns", lambda: socket.getaddrinfo("example.com", 80)),
            ("passwd", lambda: open("/etc/passwd").read()),
            ("token", lambda: open(os.environ.get("NOPE", "") or TOKEN_PATH).read()),
            ("write_plugin", lambda: open(__file__ + ".x", "w")),
        ]:
            try:
                attempt()
                tried[name] = "reached"
            except Exception as exc:
                tried[name] = type(exc).__name__
        return tried
"""


@pytest.fixture
async def served(k: Kernel) -> AsyncIterator[Kernel]:
    """The kernel, serving its API on the daemon's Unix socket (as ``aios serve``)."""
    usock = _bind_unix(k.config.data_dir)
    assert usock is not None
    k.api_socket = api_socket_path(k.config.data_dir)
    server = uvicorn.Server(
        uvicorn.Config(create_app(k, "admin-token"), log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve(sockets=[usock]))
    while not server.started:
        await asyncio.sleep(0.01)
    yield k
    server.should_exit = True
    await task
    usock.close()


def _plugin(tmp_path: Path, entry: str) -> Plugin:
    folder = tmp_path / "plugin"
    if not folder.exists():
        folder.mkdir()
        token = tmp_path / "data" / "token"
        code = AGENTS.replace("TOKEN_PATH", repr(str(token)))
        (folder / "agents.py").write_text(textwrap.dedent(code))
    return Plugin(name="t", manifest=None, folder=folder, source="folder", entry=entry)


async def _run(
    k: Kernel, tmp_path: Path, entry: str, task: str = "", caps: Capabilities | None = None
) -> Any:
    plugin = _plugin(tmp_path, entry)

    async def isolated(ctx: Any, task: str) -> Any:
        return await run_isolated(ctx, plugin, task)

    return await k.spawn(isolated, task, name=entry, capabilities=caps)


async def test_isolated_agent_uses_the_surface_as_its_process(
    served: Kernel, tmp_path: Path
) -> None:
    k = served
    good = await _run(k, tmp_path, "agents:Good", "hi")
    info = await k.wait(good.pid, 30)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result
    assert res["text"] == "hi:0 hi:1 " and res["n"] in (42, "42", 42.0) and res["pid"] == good.pid
    assert "may not call tool 'shell'" in res["denied"]
    names = [r.name for r in k.store.list_syscalls(pid=good.pid)]
    for name in ("llm.chat", "fs.write", "tool.call", "proc.log"):
        assert name in names
    # a sync agent; an uncaught denial fails the process with the kernel's error
    sync = await _run(k, tmp_path, "agents:SyncGood", "s")
    denied = await _run(k, tmp_path, "agents:Denied")
    sync_info, denied_info = await k.wait(sync.pid, 30), await k.wait(denied.pid, 30)
    assert sync_info.state == ProcessState.FAILED
    assert (sync_info.error or "").startswith("permission_denied: ")
    assert denied_info.state == ProcessState.FAILED
    assert (denied_info.error or "").startswith(
        f"permission_denied: process {denied.pid} may not call sched.set"
    )


async def test_crashes_fail_the_process_never_the_daemon(served: Kernel, tmp_path: Path) -> None:
    k = served
    entries = ["Raises", "Exits", "SysExit", "SelfKill", "Segfault", "Hog"]
    procs = [await _run(k, tmp_path, f"agents:{e}") for e in entries]
    infos = {e: await k.wait(p.pid, 60) for e, p in zip(entries, procs, strict=True)}
    assert all(i.state == ProcessState.FAILED for i in infos.values()), infos
    assert infos["Raises"].error == "ValueError: boom"
    assert "exited with status 3" in (infos["Exits"].error or "")
    assert infos["SysExit"].error == "SystemExit: 3"
    assert "killed by SIGKILL" in (infos["SelfKill"].error or "")
    assert "killed by SIGSEGV" in (infos["Segfault"].error or "")
    assert (infos["Hog"].error or "").startswith("MemoryError")
    # the daemon is fine: the next isolated agent runs
    again = await k.wait((await _run(k, tmp_path, "agents:Light", "ok")).pid, 30)
    assert again.state == ProcessState.EXITED and again.result == "ok:0 ", again.error


async def test_killing_the_process_kills_its_program(served: Kernel, tmp_path: Path) -> None:
    k = served
    proc = await _run(k, tmp_path, "agents:Sleeps")
    host_pid = None
    for _ in range(500):
        mine = [p for p in k.sandbox._running.values() if p.owner == str(proc.pid) and p.pid]
        if mine:
            host_pid = mine[0].pid
            break
        await asyncio.sleep(0.01)
    assert host_pid is not None and os.path.exists(f"/proc/{host_pid}")
    k.kill(proc.pid)
    info = await k.wait(proc.pid, 5)
    for _ in range(500):
        if not _alive(host_pid):
            break
        await asyncio.sleep(0.01)
    assert info.state == ProcessState.KILLED and not _alive(host_pid)
    assert not any(p.owner == str(proc.pid) for p in k.sandbox._running.values())


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


async def test_isolated_agent_reaches_no_network_and_no_host_files(
    served: Kernel, tmp_path: Path
) -> None:
    k = served
    listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        proc = await _run(k, tmp_path, "agents:Escapes", str(port))
        info = await k.wait(proc.pid, 30)
    finally:
        listener.close()
    assert info.state == ProcessState.EXITED, info.error
    assert all(v != "reached" for v in info.result.values()), info.result
    assert (
        info.result["passwd"] == "FileNotFoundError" and info.result["token"] == "FileNotFoundError"
    )
