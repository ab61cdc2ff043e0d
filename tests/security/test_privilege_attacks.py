"""Least privilege: what a process spawned without capabilities can reach, and that
a child never gets more than its parent (scripted core, real LSFS)."""

from __future__ import annotations

from typing import Any

import pytest

from aios.errors import PermissionDenied
from aios.kernel import ADMIN, Caller, Capabilities, Kernel, ProcessState


def as_proc(proc: Any) -> Caller:
    return Caller(pid=proc.pid, caps=proc.capabilities)


async def test_default_process_sees_no_host_tools(k: Kernel) -> None:
    proc = await k.spawn("sleep", "30")
    listed = await k.syscall(as_proc(proc), "tool.list", {})
    names = {t["name"] for t in listed.tools}
    assert "shell" not in names and {"calculator", "fs_read"} <= names
    with pytest.raises(PermissionDenied, match="may not call tool 'shell'"):
        await k.syscall(as_proc(proc), "tool.call", {"name": "shell", "args": {"program": "echo"}})


async def test_default_process_reaches_only_its_home_folder(k: Kernel) -> None:
    await k.syscall(ADMIN, "fs.write", {"path": "notes/secret.txt", "content": "s3cret"})
    proc = await k.spawn("sleep", "30")
    assert proc.home == f"home/{proc.pid}" and proc.capabilities.fs_read == [proc.home]
    me = as_proc(proc)
    await k.syscall(me, "fs.write", {"path": f"{proc.home}/a.txt", "content": "mine"})
    assert (await k.syscall(me, "fs.read", {"path": f"{proc.home}/a.txt"})).text == "mine"
    for verb, args in (
        ("fs.read", {"path": "notes/secret.txt"}),
        ("fs.write", {"path": "notes/x.txt", "content": "x"}),
        ("fs.ls", {"path": "notes"}),
        ("fs.read", {"path": "home/999/a.txt"}),
    ):
        with pytest.raises(PermissionDenied):
            await k.syscall(me, verb, args)


async def test_another_processs_home_is_out_of_reach(k: Kernel) -> None:
    a = await k.spawn("sleep", "30")
    b = await k.spawn("sleep", "30")
    await k.syscall(as_proc(a), "fs.write", {"path": f"{a.home}/diary.txt", "content": "dear"})
    with pytest.raises(PermissionDenied):
        await k.syscall(as_proc(b), "fs.read", {"path": f"{a.home}/diary.txt"})
    res = await k.syscall(as_proc(b), "fs.retrieve", {"query": "dear diary"})
    assert all(not h["path"].startswith(a.home) for h in res.hits)


async def test_explicit_star_still_grants_every_tool(k: Kernel) -> None:
    proc = await k.spawn("sleep", "30", capabilities=Capabilities(tools=["*"]))
    names = {t["name"] for t in (await k.syscall(as_proc(proc), "tool.list", {})).tools}
    assert "shell" in names


async def test_folder_scopes_with_dot_segments_are_refused(k: Kernel) -> None:
    for bad in (["public/../private"], ["./x"], ["a\\b"], ["a\x00b"]):
        with pytest.raises(ValueError):
            Capabilities(fs_read=bad)


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        ({}, {"tools": ["*"]}),
        ({}, {"tools": ["shell"]}),
        ({}, {"tools": ["sh*"]}),
        ({"tools": ["calculator"]}, {"tools": ["@local"]}),
        ({}, {"fs_read": ["/"]}),
        ({}, {"fs_write": ["notes"]}),
        ({"fs_read": ["public"]}, {"fs_read": ["publicity"]}),
        ({}, {"syscalls": ["*"]}),
        ({}, {"syscalls": ["sched.set"]}),
        ({}, {"proc_admin": True}),
        ({"approvals": ["host"]}, {"approvals": []}),
        ({"models": ["fake"]}, {"models": ["*"]}),
    ],
)
async def test_a_child_never_gets_more_than_its_parent(
    k: Kernel, parent: dict[str, Any], child: dict[str, Any]
) -> None:
    refused: list[Any] = []

    async def agent(ctx: Any, task: str) -> Any:
        try:
            await ctx.spawn("sleep", "1", capabilities=child)
        except PermissionDenied as exc:
            refused.append(exc.details.get("excess"))

    proc = await k.spawn(agent, capabilities=Capabilities(**parent))
    info = await k.wait(proc.pid, 10)
    assert info.state == ProcessState.EXITED
    assert refused and refused[0], "the child was spawned with more than its parent"


async def test_a_child_may_take_local_tools_by_name_and_a_home_inside_its_parents(
    k: Kernel,
) -> None:
    async def agent(ctx: Any, task: str) -> Any:
        child = await ctx.spawn(
            "sleep", "30", capabilities={"tools": ["calculator"], "fs_read": ["~"]}
        )
        return child.pid

    proc = await k.spawn(agent)
    child_pid = (await k.wait(proc.pid, 10)).result
    child = k.procs.live(child_pid)
    assert child is not None and child.home == f"home/{proc.pid}/{child_pid}"
    assert child.capabilities.fs_read == [child.home]
    # an explicit set is whole: what it leaves out takes the least-privilege default
    assert child.capabilities.fs_write == [child.home] and child.capabilities.syscalls


async def test_a_child_cannot_outrank_its_parent(k: Kernel) -> None:
    outcome: list[Any] = []

    async def agent(ctx: Any, task: str) -> Any:
        child = await ctx.spawn("sleep", "1")  # no priority: the parent's
        outcome.append(ctx._kernel.procs.live(child.pid).priority)
        try:
            await ctx.spawn("sleep", "1", priority=10)
        except PermissionDenied as exc:
            outcome.append(exc.code)

    proc = await k.spawn(agent, priority=-5)
    await k.wait(proc.pid, 10)
    assert outcome == [-5, "permission_denied"]
