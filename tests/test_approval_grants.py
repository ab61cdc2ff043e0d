"""Approving calls ahead (``approval.request`` with ``calls``): once a person approves,
each listed call of that process runs once without asking again; any other call, a
second run, another process's call, or a denied request still asks (scripted core)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from aios.errors import BadRequest, NotFound
from aios.kernel import ADMIN, Caller, Capabilities, Kernel, ProcessState
from aios.kernel.approvals import ApprovalDenied
from aios.kernel.grants import same_args
from tests.test_approvals import approvals_kernel, pending

SIX = {"syscall": "tool.call", "tool": "calculator", "args": {"expression": "6*7"}}


def as_proc(proc: Any) -> Caller:
    return Caller(pid=proc.pid, caps=proc.capabilities)


async def ask_then(k: Kernel, proc: Any, calls: list[dict[str, Any]], decision: str) -> Any:
    """The process asks with ``calls``; the admin answers ``decision``."""
    req = asyncio.ensure_future(
        k.syscall(as_proc(proc), "approval.request", {"summary": "a plan", "calls": calls})
    )
    (item,) = await pending(k)
    await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": decision})
    try:
        return await req
    except ApprovalDenied:
        return None


async def calc_call(k: Kernel, proc: Any, expression: str) -> asyncio.Future[Any]:
    args = {"name": "calculator", "args": {"expression": expression}}
    return asyncio.ensure_future(k.syscall(as_proc(proc), "tool.call", args))


async def test_an_approved_call_runs_once_without_asking(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        info = await ask_then(k, proc, [SIX], "approve")
        assert info.state == "approved" and info.calls == [SIX]
        res = await asyncio.wait_for(await calc_call(k, proc, "6*7"), 5)
        assert res.result == 42 and k.approvals.pending() == 0
        again = await calc_call(k, proc, "6*7")  # used up: the second asks
        (item,) = await pending(k)
        assert item.tool == "calculator" and not again.done()
        again.cancel()


async def test_other_arguments_are_not_covered(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        await ask_then(k, proc, [SIX], "approve")
        other = await calc_call(k, proc, "6*8")
        (item,) = await pending(k)
        assert item.args == {"expression": "6*8"}
        other.cancel()
        assert k.approvals.grants.held(proc.pid) == 1  # the approved one is still there


async def test_a_denied_request_grants_nothing(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        assert await ask_then(k, proc, [SIX], "deny") is None
        assert k.approvals.grants.held(proc.pid) == 0
        call = await calc_call(k, proc, "6*7")
        await pending(k)
        call.cancel()


async def test_grants_are_the_asking_process_own(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        mine = await k.spawn("sleep", "30")
        other = await k.spawn("sleep", "30")
        await ask_then(k, mine, [SIX], "approve")
        theirs = await calc_call(k, other, "6*7")
        (item,) = await pending(k)
        assert item.pid == other.pid
        theirs.cancel()


async def test_grants_end_with_the_process(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        await ask_then(k, proc, [SIX], "approve")
        assert k.approvals.grants.held(proc.pid) == 1
        k.kill(proc.pid)
        await k.wait(proc.pid, 5)
        assert k.approvals.grants.held(proc.pid) == 0


async def test_a_reference_covers_only_a_plan_call(tmp_path: Path) -> None:
    ref = {"$ref": 1, "path": ["expr"]}
    grant = {"syscall": "tool.call", "tool": "calculator", "args": {"expression": ref}}
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        await ask_then(k, proc, [grant], "approve")
        direct = await calc_call(k, proc, "2+2")  # the process's own call: a value it chose
        (item,) = await pending(k)
        assert item.args == {"expression": "2+2"}
        direct.cancel()
    assert same_args({"a": ref, "b": 1}, {"a": [1, 2], "b": 1})
    assert not same_args({"a": ref}, {"a": 1, "extra": True})  # no key added
    assert not same_args({"a": 1}, {"a": True}) and not same_args({"a": [1]}, {"a": [1, 2]})
    assert not same_args({"a": {"$ref": "1"}}, {"a": 5})  # not a reference: literal


async def test_a_syscall_grant_is_checked_and_written_as_the_gate_sees_it(
    tmp_path: Path,
) -> None:
    async with approvals_kernel(tmp_path, require=["destructive"]) as k:
        proc = await k.spawn("sleep", "30", capabilities=Capabilities(proc_admin=True))
        child = await k.spawn("sleep", "30")
        grant = {"syscall": "proc.kill", "args": {"pid": str(child.pid)}}  # "7" is 7
        info = await ask_then(k, proc, [grant], "approve")
        assert info.calls == [{"syscall": "proc.kill", "tool": None, "args": {"pid": child.pid}}]
        await asyncio.wait_for(k.syscall(as_proc(proc), "proc.kill", {"pid": child.pid}), 5)
        assert (await k.wait(child.pid, 5)).state == ProcessState.KILLED


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ({"syscall": "tool.call", "args": {}}, BadRequest),  # no tool named
        ({"tool": "calculator", "args": {"$ref": 1}}, BadRequest),  # any arguments at all
        ({"tool": "calculator", "args": {"expression": "1" * 70_000}}, BadRequest),  # huge
        ({"syscall": "fs.read", "tool": "x", "args": {"path": "a"}}, BadRequest),
        ({"syscall": "approval.respond", "args": {"id": 1, "decision": "approve"}}, BadRequest),
        ({"syscall": "sched.set", "args": {}}, BadRequest),  # admin only
        ({"syscall": "proc.kill", "args": {"pid": "seven"}}, BadRequest),
        ({"syscall": "no.such", "args": {}}, NotFound),
    ],
)
async def test_bad_grants_are_refused_before_anyone_is_asked(
    tmp_path: Path, call: dict[str, Any], error: type[Exception]
) -> None:
    async with approvals_kernel(tmp_path) as k:
        proc = await k.spawn("sleep", "30")
        with pytest.raises(error):
            await k.syscall(as_proc(proc), "approval.request", {"summary": "x", "calls": [call]})
        assert k.approvals.list() == []


async def test_an_approved_plan_runs_its_calls_unasked(tmp_path: Path) -> None:
    from tests.fakes import finish
    from tests.test_compiler import compiler_kernel

    plan = '1. fetch(city="Oslo")\n2. combine(items=[$1])\njoin()'
    k, _core, probe = await compiler_kernel(tmp_path, [], [finish("done")])
    try:
        proc = await k.spawn("sleep", "60")
        k.approvals.cfg.require = ["tool:*"]
        calls = [
            {"tool": "fetch", "args": {"city": "Oslo"}},
            {"tool": "combine", "args": {"items": [{"$ref": 1, "path": []}]}},
        ]
        await ask_then(k, proc, calls, "approve")
        args = {"query": "q", "tools": ["fetch", "combine"], "plan": plan, "max_replans": 0}
        res = await asyncio.wait_for(k.syscall(as_proc(proc), "compile", args), 10)
        assert res.status == "ok" and len(probe.calls) == 2
        assert k.approvals.pending() == 0 and k.approvals.grants.held(proc.pid) == 0
    finally:
        await k.close()


async def test_an_approved_tool_call_is_not_asked_again_for_its_own_syscalls(
    tmp_path: Path,
) -> None:
    from langchain_core.tools import StructuredTool

    from aios.tools.context import current_caller
    from aios.tools.risk import DESTRUCTIVE

    async with approvals_kernel(tmp_path, require=["destructive"]) as k:

        async def stop(pid: int) -> str:
            """Stop a process (makes a proc.kill syscall as the caller)."""
            res = await k.syscall(current_caller.get(), "proc.kill", {"pid": pid})
            return str(res.state)

        k.tools.register(StructuredTool.from_function(coroutine=stop, name="stop"),
                         risk=DESTRUCTIVE)  # fmt: skip
        proc = await k.spawn("sleep", "30", capabilities=Capabilities(proc_admin=True))
        victim = await k.spawn("sleep", "30")
        grant = {"tool": "stop", "args": {"pid": victim.pid}}
        await ask_then(k, proc, [grant], "approve")
        call = asyncio.ensure_future(
            k.syscall(as_proc(proc), "tool.call", {"name": "stop", "args": {"pid": victim.pid}})
        )
        res = await asyncio.wait_for(call, 5)  # neither the tool call nor its proc.kill asks
        assert res.result == "KILLED" and k.approvals.pending() == 0
        # its proc.kill made outside any approved tool call still asks
        other = await k.spawn("sleep", "30")
        direct = asyncio.ensure_future(k.syscall(as_proc(proc), "proc.kill", {"pid": other.pid}))
        (item,) = await pending(k)
        assert item.syscall == "proc.kill"
        direct.cancel()


async def test_inside_an_approved_tool_a_rule_naming_the_syscall_still_asks(
    tmp_path: Path,
) -> None:
    from langchain_core.tools import StructuredTool

    from aios.tools.context import current_caller
    from aios.tools.risk import DESTRUCTIVE

    async with approvals_kernel(tmp_path, require=["tool:stop", "syscall:proc.kill"]) as k:

        async def stop(pid: int) -> str:
            """Stop a process."""
            res = await k.syscall(current_caller.get(), "proc.kill", {"pid": pid})
            return str(res.state)

        k.tools.register(StructuredTool.from_function(coroutine=stop, name="stop"),
                         risk=DESTRUCTIVE)  # fmt: skip
        proc = await k.spawn("sleep", "30", capabilities=Capabilities(proc_admin=True))
        victim = await k.spawn("sleep", "30")
        await ask_then(k, proc, [{"tool": "stop", "args": {"pid": victim.pid}}], "approve")
        call = asyncio.ensure_future(
            k.syscall(as_proc(proc), "tool.call", {"name": "stop", "args": {"pid": victim.pid}})
        )
        (item,) = await pending(k)  # the tool ran; its proc.kill is named by a rule
        assert item.syscall == "proc.kill" and item.rule == "syscall:proc.kill"
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        assert (await asyncio.wait_for(call, 5)).result == "KILLED"


async def test_always_for_a_tool_covers_its_own_syscalls_too(tmp_path: Path) -> None:
    from langchain_core.tools import StructuredTool

    from aios.tools.context import current_caller
    from aios.tools.risk import DESTRUCTIVE

    async with approvals_kernel(tmp_path, require=["destructive"]) as k:

        async def stop(pid: int) -> str:
            """Stop a process."""
            res = await k.syscall(current_caller.get(), "proc.kill", {"pid": pid})
            return str(res.state)

        k.tools.register(StructuredTool.from_function(coroutine=stop, name="stop"),
                         risk=DESTRUCTIVE)  # fmt: skip
        proc = await k.spawn("sleep", "30", capabilities=Capabilities(proc_admin=True))
        victims = [await k.spawn("sleep", "30") for _ in range(2)]
        first = asyncio.ensure_future(
            k.syscall(as_proc(proc), "tool.call", {"name": "stop", "args": {"pid": victims[0].pid}})
        )
        (item,) = await pending(k)
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "always"})
        assert (await asyncio.wait_for(first, 5)).result == "KILLED"
        args = {"name": "stop", "args": {"pid": victims[1].pid}}
        res = await asyncio.wait_for(k.syscall(as_proc(proc), "tool.call", args), 5)
        assert res.result == "KILLED" and k.approvals.pending() == 0


async def test_a_released_approval_covers_nothing_more(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        other = await k.spawn("sleep", "30")
        info = await ask_then(k, proc, [SIX, {**SIX, "args": {"expression": "1+1"}}], "approve")
        res = await k.syscall(as_proc(other), "approval.release", {"id": info.id})
        assert res.released == 0 and k.approvals.grants.held(proc.pid) == 2  # not its own
        res = await k.syscall(as_proc(proc), "approval.release", {"id": info.id})
        assert res.released == 2 and k.approvals.grants.held(proc.pid) == 0
        call = await calc_call(k, proc, "6*7")  # asks again
        await pending(k)
        call.cancel()


async def test_a_yes_after_the_process_ended_grants_nothing(tmp_path: Path) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        req = asyncio.ensure_future(
            k.syscall(as_proc(proc), "approval.request", {"summary": "x", "calls": [SIX]})
        )
        (item,) = await pending(k)
        k.approvals.forget_process(proc.pid)  # what the end of a process does first
        with pytest.raises(Exception, match="the process that asked has ended"):
            await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        assert k.approvals.grants.held(proc.pid) == 0 and item.state == "pending"
        req.cancel()  # then its syscall's task is cancelled
        with pytest.raises(asyncio.CancelledError):
            await req
        assert item.state == "cancelled"


async def test_a_released_approval_still_pending_is_cancelled_and_trimmed_ones_release(
    tmp_path: Path,
) -> None:
    async with approvals_kernel(tmp_path, require=["tool:calculator"]) as k:
        proc = await k.spawn("sleep", "30")
        req = asyncio.ensure_future(
            k.syscall(as_proc(proc), "approval.request", {"summary": "x", "calls": [SIX]})
        )
        (item,) = await pending(k)
        await k.syscall(as_proc(proc), "approval.release", {"id": item.id})
        assert item.state == "cancelled"
        with pytest.raises(ApprovalDenied, match="was cancelled"):
            await req
        info = await ask_then(k, proc, [SIX], "approve")
        del k.approvals._items[info.id]  # as the queue trims old decisions
        res = await k.syscall(as_proc(proc), "approval.release", {"id": info.id})
        assert res.released == 1 and k.approvals.grants.held(proc.pid) == 0
