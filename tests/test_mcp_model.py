"""An MCP server's tool in a plan on the real bundled model: the grammar built from
the server's schema forces a plan that names it with valid arguments, the call goes
to the server as the process's tool.call, and the result is the server's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from aios.kernel import Capabilities, Kernel, ProcessState
from tests.conftest import make_config
from tests.mcp_servers.http_server import HttpMcpServer

pytestmark = [pytest.mark.model, pytest.mark.slow]


async def test_the_real_model_plans_with_an_mcp_tool(tmp_path: Path) -> None:
    with HttpMcpServer() as web:
        cfg = make_config(
            tmp_path,
            fs={"enabled": False},
            mcp={"servers": [{"name": "web", "transport": "http", "url": web.url}]},
        )
        async with Kernel(cfg) as k:
            async with asyncio.timeout(30):
                while "web.add" not in k.tools.names():
                    await asyncio.sleep(0.05)

            async def agent(ctx: Any, task: str) -> Any:
                res = await ctx.compile(task, tools=["web.add"], max_replans=0)
                return dict(res)

            proc = await k.spawn(
                agent, "What is 17 plus 25?", capabilities=Capabilities(tools=["web.*"])
            )
            info = await k.wait(proc.pid, 240)
            rows = [r for r in k.store.list_syscalls(pid=proc.pid) if r.name == "tool.call"]
    assert info.state == ProcessState.EXITED, info.error
    tasks = info.result["tasks"]
    assert tasks and all(t["tool"] == "web.add" for t in tasks), tasks
    ran = [t for t in tasks if t.get("status") == "ok"]
    assert ran, tasks
    for t in ran:  # the server's answer, for the arguments the plan gave
        assert t["result"] == t["args"]["a"] + t["args"]["b"], t
        assert {"tool": "add", "a": t["args"]["a"], "b": t["args"]["b"]} in web.received
    assert len(rows) == len(ran)  # each call was a tool.call syscall of this process
