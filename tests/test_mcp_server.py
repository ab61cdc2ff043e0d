"""aios as an MCP server, driven by the official ``mcp`` client: ``/mcp`` over
streamable HTTP on a real uvicorn (scripted core, real LSFS), ``aios mcp`` over stdio
as a subprocess forwarding to it, and compile on the real model through a daemon."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from fastapi import FastAPI
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from aios.api.app import create_app
from aios.fs.embed import Embedder
from aios.kernel import Kernel
from aios.kernel.daemon import TOKEN_FILE
from aios.tools.risk import READ_ONLY
from tests.conftest import make_config
from tests.daemon_helpers import Daemon
from tests.fakes import ScriptedCore, finish
from tests.live_app import LiveApp

REPO = Path(__file__).resolve().parents[1]


async def _slow(seconds: float) -> float:
    """Sleep, then say how long."""
    await asyncio.sleep(seconds)
    return seconds


def _setup(app: FastAPI, k: Kernel) -> None:
    k.tools.register(_slow, name="slow", risk=READ_ONLY)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[LiveApp]:
    with LiveApp(
        tmp_path_factory.mktemp("mcp"),
        embedder,
        setup=_setup,
        api={"max_body_bytes": 200_000, "auth_fail_rate_per_s": 0},
    ) as app:
        yield app


@asynccontextmanager
async def mcp(url: str, token: str, timeout: float = 30, **kw: Any) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
    async with http, Client(streamable_http_client(url + "/mcp", http_client=http), **kw) as c:
        yield c


def _admin(live: LiveApp, name: str, **args: Any) -> httpx.Response:
    return httpx.post(
        live.url + "/v1/syscall",
        json={"name": name, "args": args},
        headers=live.headers,
        timeout=30,
    )


async def test_lists_lsfs_compile_and_registry_tools_with_schemas_and_hints(live: LiveApp) -> None:
    async with mcp(live.url, live.token) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    want = {"fs_read", "fs_write", "fs_ls", "fs_retrieve", "fs_history", "fs_rollback", "compile"}
    assert want <= set(tools)
    assert {"tool_calculator", "tool_slow", "tool_shell"} <= set(tools)
    write = tools["fs_write"].input_schema
    assert {"path", "content", "content_b64"} <= set(write["properties"])
    assert "stream" not in tools["compile"].input_schema["properties"]
    assert tools["fs_read"].annotations.read_only_hint is True
    assert tools["fs_write"].annotations.read_only_hint is False
    assert tools["fs_write"].annotations.destructive_hint is False
    assert tools["fs_rollback"].annotations.destructive_hint is True
    assert tools["tool_calculator"].annotations.read_only_hint is True
    assert tools["tool_shell"].annotations.open_world_hint is True
    assert tools["tool_calculator"].input_schema["properties"]["expression"]["type"] == "string"


async def test_write_read_history_rollback_round_trip(live: LiveApp) -> None:
    async with mcp(live.url, live.token) as c:
        for text in ("first draft", "second draft"):
            w = await c.call_tool("fs_write", {"path": "mcp/notes.md", "content": text})
            assert not w.is_error, w.content
        assert w.structured_content is not None and w.structured_content["version"] == 2
        r = await c.call_tool("fs_read", {"path": "mcp/notes.md"})
        assert r.structured_content is not None and r.structured_content["text"] == "second draft"
        ls = await c.call_tool("fs_ls", {"path": "mcp"})
        assert ls.structured_content is not None
        assert [e["path"] for e in ls.structured_content["entries"]] == ["mcp/notes.md"]
        h = await c.call_tool("fs_history", {"path": "mcp/notes.md"})
        assert h.structured_content is not None and len(h.structured_content["versions"]) == 2
        rb = await c.call_tool("fs_rollback", {"path": "mcp/notes.md", "n": 1})
        assert not rb.is_error and rb.structured_content is not None
        assert rb.structured_content["version"] == 3
        r = await c.call_tool("fs_read", {"path": "mcp/notes.md"})
        assert r.structured_content is not None and r.structured_content["text"] == "first draft"
    # the same file through the REST API: one store, whichever door
    res = _admin(live, "fs.read", path="mcp/notes.md").json()["result"]
    assert res["text"] == "first draft" and res["info"]["version"] == 3


async def test_registry_tool_calls_and_errors_are_tool_errors_without_paths(live: LiveApp) -> None:
    data_dir = str(live.kernel.config.data_dir) if live.kernel else "/"
    async with mcp(live.url, live.token) as c:
        r = await c.call_tool("tool_calculator", {"expression": "6*7"})
        assert not r.is_error and r.structured_content == {"result": 42}
        assert r.content[0].text == "42"  # type: ignore[union-attr]
        failures = [
            await c.call_tool("tool_calculator", {"expression": "1/0"}),
            await c.call_tool("tool_calculator", {"nope": 1}),
            await c.call_tool("tool_nope", {}),
            await c.call_tool("no_such_tool", {}),
            await c.call_tool("fs_read", {"path": "missing/file.txt"}),
            await c.call_tool("fs_read", {"path": "../../../etc/passwd"}),
            await c.call_tool("fs_write", {"path": "x.txt"}),  # neither content nor bytes
        ]
    for f in failures:
        assert f.is_error
        text = f.content[0].text  # type: ignore[union-attr]
        assert ": " in text and "Traceback" not in text and data_dir not in text
        assert f.structured_content is not None and f.structured_content["error"]["code"]
    codes = [f.structured_content["error"]["code"] for f in failures]  # type: ignore[index]
    assert codes[0] == "tool_error" and codes[2] == codes[3] == "not_found"


async def test_process_token_has_exactly_its_capabilities(live: LiveApp) -> None:
    caps = {"fs_read": ["pub"], "fs_write": ["pub"], "tools": ["calculator"]}
    pid = _admin(live, "proc.spawn", agent="sleep", task="60", capabilities=caps).json()
    pid = pid["result"]["pid"]
    token = _admin(live, "proc.token", pid=pid).json()["result"]["token"]
    assert _admin(live, "fs.write", path="secret/plan.txt", content="admin only").status_code == 200
    async with mcp(live.url, token) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert "tool_calculator" in names and "tool_shell" not in names and "tool_slow" not in names
        ok = await c.call_tool("fs_write", {"path": "pub/a.txt", "content": "fine"})
        assert not ok.is_error, ok.content
        refused = [
            await c.call_tool("fs_write", {"path": "secret/new.txt", "content": "sneaky"}),
            await c.call_tool("fs_read", {"path": "secret/plan.txt"}),
            await c.call_tool("fs_rollback", {"path": "secret/plan.txt", "n": 1}),
            await c.call_tool("tool_shell", {"command": "id"}),
        ]
    for r in refused:
        assert r.is_error and r.structured_content is not None
        assert r.structured_content["error"]["code"] == "permission_denied", r.content
    assert "secret/new.txt" in refused[0].content[0].text  # type: ignore[union-attr]
    # nothing written, and the refusals are the process's own syscalls in its accounting
    assert _admin(live, "fs.stat", path="secret/new.txt").status_code == 404
    rows = _admin(live, "proc.syscalls", pid=pid).json()["result"]["syscalls"]
    writes = [r for r in rows if r["name"] == "fs.write"]
    assert len(writes) == 2 and {r["status"] for r in writes} == {"ok", "error"}
    _admin(live, "proc.kill", pid=pid)
    gone = httpx.post(live.url + "/mcp", json={}, headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


async def test_a_denied_approval_over_mcp_leaves_nothing_done(live: LiveApp) -> None:
    caps = {"fs_read": ["appr"], "fs_write": ["appr"], "approvals": ["destructive"]}
    pid = _admin(live, "proc.spawn", agent="sleep", task="60", capabilities=caps).json()
    pid = pid["result"]["pid"]
    token = _admin(live, "proc.token", pid=pid).json()["result"]["token"]
    async with mcp(live.url, token) as c:
        for text in ("v1", "v2"):  # writing keeps versions: not destructive, no person needed
            assert not (
                await c.call_tool("fs_write", {"path": "appr/f.txt", "content": text})
            ).is_error
        rollback = asyncio.create_task(c.call_tool("fs_rollback", {"path": "appr/f.txt", "n": 1}))
        pending: list[dict[str, Any]] = []
        for _ in range(100):
            res = await asyncio.to_thread(_admin, live, "approval.list", state="pending")
            pending = [a for a in res.json()["result"]["approvals"] if a["pid"] == pid]
            if pending:
                break
            await asyncio.sleep(0.05)
        assert pending and pending[0]["syscall"] == "fs.rollback"
        await asyncio.to_thread(
            _admin, live, "approval.respond", id=pending[0]["id"], decision="deny"
        )
        r = await asyncio.wait_for(rollback, 10)
        assert r.is_error and r.structured_content is not None
        assert r.structured_content["error"]["code"] == "approval_denied"
        now = await c.call_tool("fs_read", {"path": "appr/f.txt"})
    assert now.structured_content is not None and now.structured_content["text"] == "v2"
    assert now.structured_content["info"]["version"] == 2
    _admin(live, "proc.kill", pid=pid)


def test_no_or_bad_token_is_401_before_any_mcp_handling(live: LiveApp) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    hdrs = {"Accept": "application/json, text/event-stream"}
    for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic !!"}):
        r = httpx.post(live.url + "/mcp", json=body, headers={**hdrs, **auth})
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
    # the API's body limit is in front of /mcp as well
    big = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"x": "a" * 300_000}}
    r = httpx.post(live.url + "/mcp", json=big, headers={**hdrs, **live.headers})
    assert r.status_code == 413
    # a web page elsewhere may not drive it with a token it got hold of; loopback may
    evil = {**hdrs, **live.headers, "Origin": "http://evil.example"}
    r = httpx.post(live.url + "/mcp", json=body, headers=evil)
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    local = {**hdrs, **live.headers, "Origin": "http://localhost:3000"}
    assert httpx.post(live.url + "/mcp", json=body, headers=local).status_code == 200
    # stateless: no SSE stream to hold open, no session to delete
    for method in ("GET", "DELETE"):
        r = httpx.request(method, live.url + "/mcp", headers={**hdrs, **live.headers}, timeout=5)
        assert r.status_code == 405 and r.headers["allow"] == "POST"


async def test_legacy_handshake_clients_are_served_too(live: LiveApp) -> None:
    async with mcp(live.url, live.token, mode="legacy") as c:
        assert "fs_read" in {t.name for t in (await c.list_tools()).tools}
        r = await c.call_tool("tool_calculator", {"expression": "2**10"})
        assert r.structured_content == {"result": 1024}


async def test_client_gone_mid_call_leaves_the_daemon_serving(live: LiveApp) -> None:
    async with mcp(live.url, live.token) as c:
        with anyio.move_on_after(0.3):
            await c.call_tool("tool_slow", {"seconds": 3})
            raise AssertionError("the slow call returned early")
    t0 = time.monotonic()
    async with mcp(live.url, live.token) as c:
        r = await c.call_tool("tool_calculator", {"expression": "1+1"})
    assert r.structured_content == {"result": 2} and time.monotonic() - t0 < 2
    assert httpx.get(live.url + "/v1/health").status_code == 200


async def test_compile_over_mcp_with_the_session_manager_in_the_app_lifespan(
    tmp_path: Path, embedder: Embedder
) -> None:
    """Served with lifespan events, /mcp's session manager starts and stops with the
    app; compile is one syscall (a scripted planner here, the real model below)."""
    core = ScriptedCore(['1. calculator(expression="6*7")\njoin()'], [finish("It is 42.")])
    cfg = make_config(tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "smollm2"}]})
    async with Kernel(cfg, cores=[core], embedder=embedder) as k:
        app = create_app(k, "lifespan-token")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                assert not serving.done()
                await asyncio.sleep(0.01)
            async with mcp(url, "lifespan-token", mode="legacy") as c:
                args = {"query": "What is 6 times 7?", "tools": ["calculator"], "max_replans": 0}
                r = await c.call_tool("compile", {**args, "stream": True})  # stream: ignored
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, 30)
            sock.close()
    assert not r.is_error, r.content
    res = r.structured_content
    assert res is not None and res["status"] == "ok" and res["answer"] == "It is 42."
    assert res["tasks"][0]["tool"] == "calculator"


async def test_aios_mcp_over_stdio_forwards_to_the_daemon(live: LiveApp, tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "aios", "mcp", "--data-dir", str(tmp_path / "client")],
        env={
            "AIOS_URL": live.url,
            "AIOS_TOKEN": live.token,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        },
        cwd=str(REPO),
    )
    log = tmp_path / "stderr.log"
    with log.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=60) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            assert {"fs_write", "fs_read", "compile", "tool_calculator"} <= names
            w = await c.call_tool("fs_write", {"path": "stdio/hello.txt", "content": "hi"})
            assert not w.is_error, w.content
            r = await c.call_tool("fs_read", {"path": "stdio/hello.txt"})
            assert r.structured_content is not None and r.structured_content["text"] == "hi"
            bad = await c.call_tool("fs_read", {"path": "stdio/none.txt"})
            assert bad.is_error and bad.structured_content is not None
            assert bad.structured_content["error"]["code"] == "not_found"
    assert "Traceback" not in log.read_text()
    # written by the daemon, as the token's caller (the admin here)
    info = _admin(live, "fs.history", path="stdio/hello.txt").json()["result"]
    assert info["versions"][0]["author"] == "admin"


@pytest.mark.model
async def test_compile_through_mcp_on_the_real_model(tmp_path: Path) -> None:
    d = Daemon(tmp_path / "data").start(timeout=120)
    try:
        async with mcp(d.url, d.token, timeout=240) as c:  # a loaded machine is slow
            r = await c.call_tool(
                "compile",
                {"query": "What is 6 times 7?", "tools": ["calculator"], "max_replans": 0},
            )
    finally:
        assert d.stop() == 0, d.output()
    assert "Traceback" not in d.output()  # the lazily started session manager ended cleanly
    assert not r.is_error, r.content
    res = r.structured_content
    assert res is not None and res["status"] == "ok", res
    assert res["tasks"][0]["tool"] == "calculator"


async def test_aios_mcp_without_a_token_is_a_least_privilege_session_process(
    live: LiveApp, tmp_path: Path
) -> None:
    """No AIOS_TOKEN and no --admin: the client's calls are a session process's, with
    only the folders given; the process ends with the client."""
    data = tmp_path / "client"
    data.mkdir()
    (data / TOKEN_FILE).write_text(live.token)  # the admin token, as the daemon leaves it
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "aios", "mcp", "--data-dir", str(data), "--fs-write", "shared"],
        env={
            "AIOS_URL": live.url,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        },
        cwd=str(REPO),
    )
    _admin(live, "fs.write", path="private/s.txt", content="secret")
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=60) as c:
            w = await c.call_tool("fs_write", {"path": "shared/a.txt", "content": "hi"})
            assert not w.is_error, w.content
            r = await c.call_tool("fs_read", {"path": "private/s.txt"})
            assert r.is_error and r.structured_content is not None
            assert r.structured_content["error"]["code"] == "permission_denied"
    info = _admin(live, "fs.history", path="shared/a.txt").json()["result"]
    author = info["versions"][0]["author"]
    assert author.startswith("pid:"), author
    pid = int(author.split(":")[1])
    proc = _admin(live, "proc.get", pid=pid).json()["result"]
    assert proc["name"] == "mcp-session"
    for _ in range(50):  # killed when the client went away
        if proc["state"] == "KILLED":
            break
        await asyncio.sleep(0.1)
        proc = _admin(live, "proc.get", pid=pid).json()["result"]
    assert proc["state"] == "KILLED", proc
