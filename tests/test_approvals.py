"""The approval queue through the kernel (scripted core): a call the policy names
waits for a person, holding no LLM core; approve, deny, always, timeouts, kills."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from aios.errors import PermissionDenied
from aios.kernel import ADMIN, Caller, Capabilities, Kernel, ProcessState
from aios.kernel.approvals import ApprovalDenied
from tests.conftest import make_config
from tests.fakes import FakeCore


def approvals_kernel(tmp_path: Path, **approvals: Any) -> Kernel:
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        approvals=approvals or None,
        fs={"enabled": False},
    )
    return Kernel(cfg, cores=[FakeCore()])


async def pending(k: Kernel, n: int = 1, timeout: float = 5) -> list[Any]:
    async with asyncio.timeout(timeout):
        while len(items := k.approvals.list(state="pending")) < n:
            await asyncio.sleep(0.01)
    return items


async def calc(ctx: Any, task: str) -> Any:
    res = await ctx.syscall("tool.call", name="calculator", args={"expression": task})
    return res.result


async def test_a_named_call_waits_for_a_person_then_runs(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn(calc, "6*7")
        (item,) = await pending(k)
        assert proc.state == ProcessState.WAITING and proc.waiting_on == "approval"
        assert proc.llm_running == 0 and proc.llm_queued == 0  # no core while it waits
        assert item.tool == "calculator" and item.args == {"expression": "6*7"}
        assert item.rule == "tool:calculator" and item.pid == proc.pid
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        info = await k.wait(proc.pid, 5)
        rows = k.store.list_syscalls(pid=proc.pid)
    assert info.state == ProcessState.EXITED and info.result == 42
    decisions = [r.args for r in rows if r.name == "approval.decision"]
    assert decisions == [
        {
            "id": item.id,
            "syscall": "tool.call",
            "tool": "calculator",
            "rule": "tool:calculator",
            "decision": "approved",
            "always": False,
            "note": None,
        }
    ]


async def test_denied_call_fails_with_the_reason_and_never_runs(tmp_path: Path) -> None:
    ran: list[int] = []

    async def agent(ctx: Any, task: str) -> Any:
        try:
            await ctx.syscall("tool.call", name="calculator", args={"expression": "1+1"})
        except ApprovalDenied as exc:
            ran.append(1)
            return exc.to_dict()
        return "ran"

    async with approvals_kernel(tmp_path, require=["tool:calc*"]) as k:
        proc = await k.spawn(agent)
        (item,) = await pending(k)
        await k.syscall(
            ADMIN, "approval.respond", {"id": item.id, "decision": "deny", "note": "not now"}
        )
        info = await k.wait(proc.pid, 5)
        calls = [r for r in k.store.list_syscalls(pid=proc.pid) if r.name == "tool.call"]
    assert info.result["code"] == "approval_denied" and "not now" in info.result["message"]
    assert calls[0].status == "error" and calls[0].error_code == "approval_denied", (
        calls[0].error,
        calls[0].error_code,
    )


async def test_an_unanswered_approval_times_out_as_denied(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["*"], timeout_s=0.2) as k:
        proc = await k.spawn(calc, "2+2")
        info = await k.wait(proc.pid, 5)
        (item,) = k.approvals.list()
    assert info.state == ProcessState.FAILED and "timed out" in (info.error or "")
    assert item.state == "expired" and item.decided_by == "timeout"


async def test_always_approves_the_same_call_of_that_process_only(tmp_path: Path) -> None:
    async def twice(ctx: Any, task: str) -> Any:
        return [await calc(ctx, "1+1"), await calc(ctx, "2+2")]

    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        a = await k.spawn(twice)
        (item,) = await pending(k)
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "always"})
        assert (await k.wait(a.pid, 5)).result == [2, 4]
        b = await k.spawn(calc, "3+3")  # another process still asks
        (other,) = await pending(k)
        assert other.pid == b.pid
        k.kill(b.pid)
        await k.wait(b.pid, 5)
    assert other.state == "cancelled"


async def test_a_process_capability_adds_rules_its_children_keep(tmp_path: Path) -> None:
    errors: list[Any] = []

    async def parent(ctx: Any, task: str) -> Any:
        try:
            await ctx.spawn("child", capabilities={"approvals": []})
        except PermissionDenied as exc:
            errors.append(exc.details)
        child = await ctx.spawn("child", "1+1", capabilities={"approvals": ["destructive", "host"]})
        return child.pid

    async with approvals_kernel(tmp_path) as k:
        k.agents.register("child", calc)
        proc = await k.spawn(
            parent, capabilities=Capabilities(approvals=["destructive"], tools=["*"])
        )
        child_pid = (await k.wait(proc.pid, 5)).result
        assert (await k.wait(child_pid, 5)).state == ProcessState.EXITED  # calculator: read-only
        worker = await k.spawn(calc, "1", capabilities=Capabilities(approvals=["not_read_only"]))
        assert (await k.wait(worker.pid, 5)).state == ProcessState.EXITED
    assert errors == [{"excess": ["approvals:-destructive"]}]


async def test_destructive_syscalls_wait_under_the_destructive_policy(tmp_path: Path) -> None:
    async def killer(ctx: Any, task: str) -> Any:
        child = await ctx.spawn("sleep", "30")
        await ctx.syscall("proc.kill", pid=child.pid)
        return child.pid

    async with approvals_kernel(tmp_path, require=["destructive"]) as k:
        proc = await k.spawn(killer)
        (item,) = await pending(k)
        assert item.syscall == "proc.kill" and item.risk.destructive
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        child = (await k.wait(proc.pid, 5)).result
        assert (await k.wait(child, 5)).state == ProcessState.KILLED


async def test_refused_calls_never_reach_a_person(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["*"]) as k:
        proc = await k.spawn("sleep", "30", capabilities=Capabilities(tools=[]))
        caller = Caller(pid=proc.pid, caps=proc.capabilities)
        with pytest.raises(PermissionDenied, match="may not call tool"):
            await k.syscall(
                caller, "tool.call", {"name": "calculator", "args": {"expression": "1"}}
            )
        assert k.approvals.list() == []


async def test_a_process_cannot_answer_approvals_even_its_own(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        asker = await k.spawn(calc, "1+1", capabilities=Capabilities(syscalls=["*"]))
        (item,) = await pending(k)
        caller = Caller(pid=asker.pid, caps=asker.capabilities)
        with pytest.raises(PermissionDenied):
            await k.syscall(caller, "approval.respond", {"id": item.id, "decision": "approve"})
        other = await k.spawn("sleep", "30")
        seen = await k.syscall(Caller(pid=other.pid, caps=other.capabilities), "approval.list", {})
        mine = await k.syscall(caller, "approval.list", {})
        assert seen.approvals == [] and [a.id for a in mine.approvals] == [item.id]
        assert item.state == "pending"


async def test_admin_calls_never_wait(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["*"]) as k:
        res = await k.syscall(
            ADMIN, "tool.call", {"name": "calculator", "args": {"expression": "2*3"}}
        )
    assert res.result == 6


async def test_an_agent_asks_a_person_directly(tmp_path: Path) -> None:
    async def agent(ctx: Any, task: str) -> Any:
        res = await ctx.syscall(
            "approval.request", summary="run this plan", details={"plan": ["1. a()", "2. b()"]}
        )
        return res.state

    async with approvals_kernel(tmp_path) as k:
        watch = k.approvals.watch()
        proc = await k.spawn(agent)
        (item,) = await pending(k)
        assert item.summary == "run this plan" and item.args == {"plan": ["1. a()", "2. b()"]}
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        assert (await k.wait(proc.pid, 5)).result == "approved"
        events = [watch.get_nowait()["approval"]["state"] for _ in range(watch.qsize())]
    assert events == ["pending", "approved"]


async def test_a_huge_argument_is_shown_bounded(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn(calc, "1+" * 100_000 + "1")
        (item,) = await pending(k)
        assert item.args["chars"] > 200_000 and len(item.args["truncated"]) == 65_536
        k.kill(proc.pid)
