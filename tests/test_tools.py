"""The tool registry, the built-in tools and the tool.call syscall (no model)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import BaseTool, tool

from aios.config import ShellToolConfig
from aios.errors import BadRequest, Conflict, DeadlineExceeded, NotFound, PermissionDenied
from aios.kernel import ADMIN, Capabilities, Kernel, ProcessState
from aios.kernel.sandbox import Sandbox
from aios.tools.builtin.calculator import evaluate
from aios.tools.builtin.shell import make_shell
from aios.tools.registry import ToolError, ToolRegistry
from aios.tools.risk import READ_ONLY
from tests.conftest import make_config
from tests.fakes import FakeCore


def kernel(tmp_path: Path) -> Kernel:
    cfg = make_config(tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]})
    return Kernel(cfg, cores=[FakeCore()])


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("2 ** 10", 1024),
        ("2^3", 8),
        ("sqrt(16) + abs(-2)", 6.0),
        ("-3 // 2", -2),
        ("round(pi, 2)", 3.14),
        ("7 % 4", 3),
    ],
)
def test_calculator_evaluates_arithmetic(expr: str, value: float) -> None:
    assert evaluate(expr) == value


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('id')",
        "open('/etc/passwd')",
        "(1).__class__",
        "x + 1",
        "9 ** 9 ** 9",
        "10 ** 400",
        "1 / 0",
        "[1, 2]",
        "lambda: 1",
        "2 +",
    ],
)
def test_calculator_refuses_everything_else(expr: str) -> None:
    with pytest.raises(ValueError):
        evaluate(expr)


async def test_shell_runs_allowed_programs_with_list_arguments(sandbox: Sandbox) -> None:
    sh = make_shell(
        ShellToolConfig(allow=["echo", "sleep", "seq"], timeout_s=0.5, max_output_bytes=100),
        sandbox,
    )
    out = await sh.ainvoke({"program": "echo", "args": ["a; rm -rf /", "$HOME"]})
    assert out["stdout"] == "a; rm -rf / $HOME\n" and out["exit_code"] == 0  # no shell
    # the schema names the allowed programs (pydantic's ValidationError is a ValueError)
    with pytest.raises(ValueError, match="Input should be 'echo', 'seq' or 'sleep'"):
        await sh.ainvoke({"program": "rm", "args": ["-rf", "/"]})
    with pytest.raises(ValueError, match="Input should be 'echo'"):
        await sh.ainvoke({"program": "/bin/echo", "args": []})
    assert sh.args_schema.model_json_schema()["properties"]["program"]["enum"] == [  # type: ignore[union-attr]
        "echo",
        "seq",
        "sleep",
    ]
    t0 = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="killed"):
        await sh.ainvoke({"program": "sleep", "args": ["10"]})
    assert time.monotonic() - t0 < 2
    big = await sh.ainvoke({"program": "seq", "args": ["100000"]})
    assert big["truncated"] and len(big["stdout"]) == 100


async def test_register_a_langchain_tool_from_outside() -> None:
    reg = ToolRegistry()

    @tool
    def lookup(key: str, default: int = 0) -> dict[str, Any]:
        """Look a key up."""
        return {"key": key, "value": default}

    spec = reg.register(lookup)
    assert spec.parameters["required"] == ["key"]
    assert spec.parameters["properties"]["default"] == {"default": 0, "type": "integer"}
    assert await reg.invoke(spec, {"key": "a", "default": 2}) == {"key": "a", "value": 2}
    with pytest.raises(Conflict):
        reg.register(lookup)
    with pytest.raises(BadRequest):
        reg.validate_args(spec, {"default": 1})
    with pytest.raises(NotFound):
        reg.get("nope")
    reg.close()


async def test_base_tool_subclass_and_plain_function() -> None:
    class Upper(BaseTool):
        name: str = "upper"
        description: str = "Upper-case a text."

        def _run(self, text: str) -> str:
            return text.upper()

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    reg = ToolRegistry()
    assert await reg.invoke(reg.register(Upper()), {"text": "abc"}) == "ABC"
    assert await reg.invoke(reg.register(add), {"a": 2, "b": 3}) == 5
    reg.close()


async def test_tool_errors_and_timeouts_are_structured() -> None:
    reg = ToolRegistry()

    def boom(x: int) -> int:
        """Fails."""
        raise RuntimeError("kaput")

    async def stuck(x: int) -> int:
        """Hangs."""
        await asyncio.sleep(100)
        return x

    with pytest.raises(ToolError, match="RuntimeError: kaput"):
        await reg.invoke(reg.register(boom), {"x": 1})
    t0 = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        await reg.invoke(reg.register(stuck, timeout_s=0.1), {"x": 1})
    assert time.monotonic() - t0 < 1
    reg.close()


async def test_tool_call_syscall_accounts_and_marks_the_process_waiting(tmp_path: Path) -> None:
    states: list[ProcessState] = []

    async def slow(x: int) -> int:
        """Slow."""
        await asyncio.sleep(0.2)
        return x * 2

    async def agent(ctx: Any, task: str) -> Any:
        res = await ctx.syscall("tool.call", name="slow", args={"x": 21})
        return res.result

    async with kernel(tmp_path) as k:
        k.tools.register(slow, risk=READ_ONLY)  # local: default capabilities reach it
        proc = await k.spawn(agent)
        await asyncio.sleep(0.1)
        states.append(proc.state)
        info = await k.wait(proc.pid, 5)
        row = k.store.list_syscalls(pid=proc.pid)[0]
    assert states == [ProcessState.WAITING]
    assert info.result == 42 and info.tool_s >= 0.2
    assert row.name == "tool.call" and row.status == "ok" and row.run_s >= 0.2


async def test_tool_call_is_permission_checked(tmp_path: Path) -> None:
    async def agent(ctx: Any, task: str) -> Any:
        return (
            await ctx.syscall("tool.call", name="shell", args={"program": "echo", "args": ["hi"]})
        ).result

    async with kernel(tmp_path) as k:
        denied = await k.spawn(agent, capabilities=Capabilities(tools=["calculator"]))
        allowed = await k.spawn(agent, capabilities=Capabilities(tools=["shell"]))
        d, a = await k.wait(denied.pid, 5), await k.wait(allowed.pid, 5)
        listed: Any = await k.syscall(ADMIN, "tool.list", {})
    assert d.state == ProcessState.FAILED and "may not call tool 'shell'" in (d.error or "")
    assert a.result["stdout"] == "hi\n"
    assert {"calculator", "current_time", "shell"} <= {t["name"] for t in listed.tools}


async def test_tool_call_with_bad_args_or_unknown_tool(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        with pytest.raises(BadRequest):
            await k.syscall(ADMIN, "tool.call", {"name": "calculator", "args": {"expr": 1}})
        with pytest.raises(NotFound):
            await k.syscall(ADMIN, "tool.call", {"name": "nope"})
        res: Any = await k.syscall(
            ADMIN, "tool.call", {"name": "calculator", "args": {"expression": "6*7"}}
        )
        assert res.result == 42
        with pytest.raises(PermissionDenied.__mro__[1]):  # ToolError is an AiosError
            await k.syscall(
                ADMIN, "tool.call", {"name": "calculator", "args": {"expression": "1/0"}}
            )


async def test_http_get_only_reaches_allowed_hosts(tmp_path: Path) -> None:
    import http.server
    import threading

    from aios.config import HttpToolConfig
    from aios.tools.builtin.http import make_http_get

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"hello " * 100
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        get = make_http_get(HttpToolConfig(enabled=True, allow_hosts=["127.0.0.1"], max_bytes=50))
        out = await get.ainvoke({"url": f"http://127.0.0.1:{srv.server_port}/x"})
        assert out["status"] == 200 and out["truncated"] and len(out["text"]) == 50
        with pytest.raises(PermissionDenied, match="not allowed"):
            await get.ainvoke({"url": f"http://localhost:{srv.server_port}/x"})
        with pytest.raises(BadRequest, match="only http"):
            await get.ainvoke({"url": "file:///etc/passwd"})
    finally:
        srv.shutdown()


async def test_http_get_is_off_unless_configured(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        assert "http_get" not in k.tools.names() and "shell" in k.tools.names()
