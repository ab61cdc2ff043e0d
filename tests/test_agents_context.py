"""The agent surface inside the daemon: ctx.llm/fs/tools/approve/log/spawn go through
the syscall table as the process, are denied per its capabilities, and return the
JSON shapes the HTTP client returns."""

from __future__ import annotations

import asyncio
from typing import Any

from aios.agents.surface import Result
from aios.kernel import ADMIN, Capabilities, Kernel, ProcessState


async def _run(k: Kernel, agent: Any, task: str = "", caps: Capabilities | None = None) -> Any:
    proc = await k.spawn(agent, task, capabilities=caps)
    return await k.wait(proc.pid, 20)


async def test_async_surface_goes_through_the_table(k: Kernel) -> None:
    seen: dict[str, Any] = {}

    async def agent(ctx: Any, task: str) -> Any:
        seen["chat"] = await ctx.llm.chat("hi", system="be brief", max_tokens=2)
        seen["stream"] = [p async for p in ctx.llm.stream("s", max_tokens=2)]
        seen["write"] = await ctx.fs.write(f"home/{ctx.pid}/n.txt", "note")
        seen["read"] = await ctx.fs.read(f"home/{ctx.pid}/n.txt")
        seen["ls"] = await ctx.fs.ls(f"home/{ctx.pid}")
        seen["tool"] = await ctx.tools.call("calculator", expression="2+3")
        seen["tools"] = await ctx.tools.list()
        seen["raw"] = await ctx.syscall("proc.get", pid=ctx.pid)
        await ctx.log.info("did %s things", 8)
        child = await ctx.spawn("sleep", "0")
        seen["wait"] = await ctx.wait(child.pid, 5)
        return "ok"

    info = await _run(k, agent)
    assert info.state == ProcessState.EXITED, info.error
    assert seen["chat"] == "hi:0 hi:1 " and seen["stream"] == ["s:0 ", "s:1 "]
    assert seen["read"] == "note" and seen["write"]["path"] == f"home/{info.pid}/n.txt"
    assert isinstance(seen["ls"], dict) and seen["ls"].entries[0].path.endswith("n.txt")
    assert seen["tool"] in (5, "5", 5.0)
    assert any(t["name"] == "calculator" for t in seen["tools"])
    assert isinstance(seen["raw"], Result) and seen["raw"]["pid"] == info.pid
    assert seen["wait"]["state"] == "EXITED"
    names = [r.name for r in k.store.list_syscalls(pid=info.pid)]
    for name in ("llm.chat", "fs.write", "fs.read", "tool.call", "proc.log", "proc.spawn"):
        assert name in names


async def test_surface_denies_per_capabilities(k: Kernel) -> None:
    async def agent(ctx: Any, task: str) -> Any:
        out = []
        for call in (
            lambda: ctx.tools.call("shell", program="echo", args=["x"]),
            lambda: ctx.fs.read("other/secret.txt"),
            lambda: ctx.compile("what is 2+2"),
        ):
            try:
                await call()
            except Exception as exc:
                out.append(f"{type(exc).__name__}: {exc}")
        await ctx.log.info("not allowed, never fails the agent")
        return out

    caps = Capabilities(syscalls=["tool.*", "fs.*", "llm.*"])
    info = await _run(k, agent, caps=caps)
    assert info.state == ProcessState.EXITED, info.error
    shell, secret, compile_ = info.result
    assert shell.startswith("PermissionDenied") and "shell" in shell
    assert secret.startswith("PermissionDenied")
    assert compile_.startswith("PermissionDenied") and "compile" in compile_


async def test_approve_is_true_only_when_approved(k: Kernel) -> None:
    answers: list[bool] = []

    async def agent(ctx: Any, task: str) -> Any:
        answers.append(await ctx.approve("delete the drafts", details={"n": 3}))
        answers.append(await ctx.approve("and the rest"))
        return answers

    proc = await k.spawn(agent, "")
    for decision in ("approve", "deny"):
        while not k.approvals.list(state="pending"):  # type: ignore[arg-type]
            await asyncio.sleep(0.01)
        item = k.approvals.list(state="pending")[0]  # type: ignore[arg-type]
        k.approvals.respond(item.id, decision, by="test")  # type: ignore[arg-type]
    info = await k.wait(proc.pid, 5)
    assert info.result == [True, False], info.error


async def test_sync_agent_gets_the_same_names(k: Kernel) -> None:
    def agent(ctx: Any, task: str) -> Any:
        text = ctx.llm.chat(task, max_tokens=1)
        pieces = list(ctx.llm.stream(task, max_tokens=2))
        ctx.fs.write(f"home/{ctx.pid}/s.txt", text)
        ctx.log.warning("sync %s", "log")
        child = ctx.spawn("sleep", "0")
        return [text, pieces, ctx.fs.read(f"home/{ctx.pid}/s.txt"), ctx.wait(child.pid, 5).state]

    info = await _run(k, agent, "w")
    assert info.state == ProcessState.EXITED, info.error
    assert info.result == ["w:0 ", ["w:0 ", "w:1 "], "w:0 ", "EXITED"]
    assert "proc.log" in [r.name for r in k.store.list_syscalls(pid=info.pid)]


async def test_old_names_still_work(k: Kernel) -> None:
    async def agent(ctx: Any, task: str) -> Any:
        child = await ctx.spawn("sleep", "0")
        done = await ctx.wait(child.pid, 5)
        res = await ctx.syscall("fs.ls", path="", recursive=True)
        return [
            await ctx.chat("c", max_tokens=1),
            await ctx.tool("calculator", expression="1+1"),
            done.state,
            done.pid == child.pid,
            isinstance(res.entries, list),
        ]

    info = await _run(k, agent)
    assert info.result[0] == "c:0 " and info.result[2:] == ["EXITED", True, True], info.error


async def test_tilde_is_the_process_home_in_lsfs_paths(k: Kernel) -> None:
    async def agent(ctx: Any, task: str) -> Any:
        wrote = await ctx.fs.write("~/notes/a.txt", "mine")
        return {"path": wrote["path"], "read": await ctx.fs.read("~/notes/a.txt")}

    info = await _run(k, agent)
    assert info.state == ProcessState.EXITED, info.error
    assert info.result == {"path": f"home/{info.pid}/notes/a.txt", "read": "mine"}
    # the admin has no home: "~" is a plain name for it
    res = await k.syscall(ADMIN, "fs.write", {"path": "~/x.txt", "content": "a"})
    assert res.path == "~/x.txt"  # type: ignore[attr-defined]


async def test_a_hostile_result_never_breaks_the_process_list(k: Kernel) -> None:
    """A lone surrogate or a result nested 400 deep is stored as text; proc.list and
    proc.get keep answering for everyone."""
    deep: list[Any] = []
    for _ in range(400):
        deep = [deep]
    results = [{"a\ud800": 1}, deep, "x\udfff"]
    pids = []
    for value in results:

        async def agent(ctx: Any, task: str, value: Any = value) -> Any:
            return value

        pids.append((await _run(k, agent)).pid)
    listed = await k.syscall(ADMIN, "proc.list", {"limit": 10})
    got = {p.pid: p for p in listed.processes}  # type: ignore[attr-defined]
    for pid in pids:
        assert got[pid].state == ProcessState.EXITED
        assert isinstance(got[pid].result, str)
        (await k.syscall(ADMIN, "proc.get", {"pid": pid})).model_dump_json()


async def test_an_exception_whose_message_raises_still_fails_the_process(k: Kernel) -> None:
    class Weird(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    async def agent(ctx: Any, task: str) -> Any:
        raise Weird()

    info = await _run(k, agent)
    assert info.state == ProcessState.FAILED and "Weird" in (info.error or ""), info
