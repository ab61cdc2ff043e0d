"""Kernel attacks by a hostile agent process (scripted core; LSFS only where a test
needs files): more capabilities than it was given through any syscall path, other
processes' homes, escaping the approval policy, flooding or poisoning the approval
queue, admin-only syscalls, acting after being killed, controlling or reading
processes it does not own, priority escalation, and malformed arguments that could
surface as internal errors.

The attacker is a process's ``Caller`` (what its token carries over HTTP) or an agent
function using its ``ctx``. Each test asserts the refusal (the AiosError subclass) and
that nothing happened. Open holes are strict xfails whose reason starts with HOLE.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from aios.errors import (
    AiosError,
    BadRequest,
    Cancelled,
    Conflict,
    NotFound,
    PermissionDenied,
)
from aios.fs.embed import Embedder
from aios.kernel import ADMIN, Caller, Capabilities, Kernel, ProcessState
from aios.kernel.approvals import ApprovalDenied
from aios.tools.risk import READ_ONLY
from tests.conftest import make_config
from tests.fakes import FakeCore, ScriptedCore, finish

FAKE_LLM = {"cores": [{"kind": "llamacpp", "model": "fake"}]}


@asynccontextmanager
async def kernel(
    tmp_path: Path,
    *,
    cores: list[Any] | None = None,
    embedder: Embedder | None = None,
    **approvals: Any,
) -> AsyncIterator[Kernel]:
    """A started kernel on a scripted core; LSFS only when an embedder is given."""
    cfg = make_config(
        tmp_path,
        llm=FAKE_LLM,
        approvals=approvals or None,
        fs=None if embedder is not None else {"enabled": False},
        shutdown_deadline_s=1,
    )
    k = Kernel(cfg, cores=cores or [FakeCore()], embedder=embedder)
    await k.start()
    try:
        yield k
    finally:
        await k.close(deadline_s=1)


def as_proc(proc: Any) -> Caller:
    """What a process's token carries: its pid and its own capabilities."""
    return Caller(pid=proc.pid, caps=proc.capabilities, owner=proc.owner)


async def hostile(k: Kernel, **caps: Any) -> tuple[Any, Caller]:
    proc = await k.spawn("sleep", "60", capabilities=Capabilities(**caps))
    return proc, as_proc(proc)


async def pending(k: Kernel, n: int = 1, timeout: float = 5) -> list[Any]:
    async with asyncio.timeout(timeout):
        while len(items := k.approvals.list(state="pending")) < n:
            await asyncio.sleep(0.01)
    return items


def children_of(k: Kernel, pid: int) -> list[int]:
    return [p.pid for p in k.procs.list_sync(limit=10_000) if p.parent == pid]


def deep(n: int) -> list[Any]:
    """A list nested ``n`` levels deep: about 2n bytes of JSON."""
    top: list[Any] = []
    cur = top
    for _ in range(n):
        nxt: list[Any] = []
        cur.append(nxt)
        cur = nxt
    return top


class Probe:
    """Local (read-only) tools that record what ran: probe, other, hold (waits until
    released), slow (a sync tool blocked on a thread event)."""

    def __init__(self) -> None:
        self.ran: list[Any] = []
        self.release = asyncio.Event()
        self.thread_gate = threading.Event()

    def register(self, k: Kernel) -> None:
        ran, release, gate = self.ran, self.release, self.thread_gate

        async def probe(x: int) -> int:
            """Record x."""
            ran.append(("probe", x))
            return x

        async def other(x: int) -> int:
            """Record x."""
            ran.append(("other", x))
            return x

        async def hold(x: int) -> int:
            """Wait until released."""
            ran.append(("hold-start", x))
            await release.wait()
            ran.append(("hold-after", x))
            return x

        def slow(x: int) -> int:
            """Block a thread until released."""
            ran.append(("slow-start", x))
            gate.wait(10)
            ran.append(("slow-after", x))
            return x

        for fn in (probe, other, hold, slow):
            k.tools.register(fn, name=fn.__name__, risk=READ_ONLY)

        def plugin_unhinted(x: int) -> int:
            """A plugin tool registered without risk hints."""
            ran.append(("plugin_unhinted", x))
            return x

        k.tools.register(plugin_unhinted, name="plugin_unhinted")  # no risk: UNKNOWN


# -- 1. more capabilities than the parent, through proc.spawn --------------------------

SPAWN_WIDENING = {
    # syscall patterns
    "fs_star_over_fs_read": ({"syscalls": ["fs.read", "proc.spawn"]}, {"syscalls": ["fs.*"]}),
    "fs_read_wildcard_char": ({"syscalls": ["fs.read", "proc.spawn"]}, {"syscalls": ["fs.rea?"]}),
    "fs_read_char_class": ({"syscalls": ["fs.read", "proc.spawn"]}, {"syscalls": ["fs.rea[d]"]}),
    "proc_star_over_defaults": ({}, {"syscalls": ["proc.*"]}),
    "bracket_class_everything": ({}, {"syscalls": ["[a-z]*"]}),
    "approval_respond_by_name": ({}, {"syscalls": ["approval.respond"]}),
    # tools
    "tool_wildcard_under_local": ({}, {"tools": ["calc*"]}),
    "tool_char_class_shell": ({}, {"tools": ["[s]hell"]}),
    "tool_lookalike_shell_cyrillic": ({}, {"tools": ["sh\u0435ll"]}),
    "tool_unhinted_plugin_under_local": ({}, {"tools": ["plugin_unhinted"]}),
    "tool_unregistered_name_under_local": ({}, {"tools": ["registered_later"]}),
    "tool_local_over_one_name": ({"tools": ["probe"]}, {"tools": ["@local"]}),
    # models
    "model_pattern_over_one_model": ({"models": ["fake"]}, {"models": ["fak*"]}),
    # folders
    "folder_empty_is_everything": ({}, {"fs_read": [""]}),
    "folder_root": ({}, {"fs_write": ["/"]}),
    "folder_home_of_everyone": ({}, {"fs_read": ["home"]}),
    "folder_home_with_slashes": ({}, {"fs_read": ["/home/"]}),
    "folder_other_pid_home": ({}, {"fs_read": ["home/{other}"]}),
    "folder_prefix_trick": ({}, {"fs_read": ["{home}0"]}),  # home/1 -> home/10
    "folder_case": ({}, {"fs_read": ["HOME/{pid}"]}),
    "folder_fullwidth_solidus": ({}, {"fs_write": ["home\uff0f{other}"]}),
    "folder_parent_of_home": ({}, {"fs_write": ["~", "home"]}),
    # proc_admin, approvals
    "proc_admin_as_string": ({}, {"proc_admin": "true"}),
    "approvals_drop_one_of_two": ({"approvals": ["host", "destructive"]}, {"approvals": ["host"]}),
    "approvals_default_empty": ({"approvals": ["tool:probe"]}, {"tools": ["@local"]}),
}


@pytest.mark.parametrize(
    ("parent_caps", "child_caps"), list(SPAWN_WIDENING.values()), ids=list(SPAWN_WIDENING)
)
async def test_spawn_cannot_widen_capabilities(
    tmp_path: Path, parent_caps: dict[str, Any], child_caps: dict[str, Any]
) -> None:
    async with kernel(tmp_path) as k:
        Probe().register(k)
        other = await k.spawn("sleep", "60")
        parent, me = await hostile(k, **parent_caps)
        fill = {"home": parent.home, "pid": parent.pid, "other": other.pid}
        caps = {
            key: [v.format(**fill) for v in val] if isinstance(val, list) else val
            for key, val in child_caps.items()
        }
        with pytest.raises(PermissionDenied) as exc:
            await k.syscall(me, "proc.spawn", {"agent": "sleep", "task": "1", "capabilities": caps})
        assert exc.value.details["excess"], exc.value.details
        assert children_of(k, parent.pid) == []  # nothing was started


@pytest.mark.parametrize(
    "folder", ["~/..", "~/../{other}", "{home}/../{other}", "~/./x", "home\\{other}", "~\x00"]
)
async def test_spawn_refuses_folders_that_climb(tmp_path: Path, folder: str) -> None:
    async with kernel(tmp_path) as k:
        other = await k.spawn("sleep", "60")
        parent, me = await hostile(k)
        path = folder.format(home=parent.home, other=other.pid)
        with pytest.raises(BadRequest):
            await k.syscall(
                me, "proc.spawn", {"agent": "sleep", "capabilities": {"fs_read": [path]}}
            )
        assert children_of(k, parent.pid) == []


async def test_an_agent_cannot_widen_through_its_ctx(tmp_path: Path) -> None:
    """The same through the agent's own context: a child asking for every tool, every
    folder and proc_admin is refused, and the agent carries on with its own set."""
    outcome: list[Any] = []

    async def agent(ctx: Any, task: str) -> Any:
        for caps in ({"tools": ["*"]}, {"fs_write": ["/"]}, {"proc_admin": True}):
            try:
                await ctx.spawn("sleep", "1", capabilities=caps)
                outcome.append("spawned")
            except PermissionDenied as exc:
                outcome.append(exc.details["excess"])
        return "done"

    async with kernel(tmp_path) as k:
        proc = await k.spawn(agent)
        info = await k.wait(proc.pid, 10)
        assert info.state == ProcessState.EXITED and children_of(k, proc.pid) == []
    assert outcome == [["tools:*"], ["fs_write:"], ["proc_admin"]]  # "/" is the root ""


# -- 2. other processes' homes (LSFS) ---------------------------------------------------

SIBLING_PATHS = [
    "{a}/diary.txt",
    "/{a}/diary.txt/",
    "{parent}//{a_pid}/./diary.txt",
    "{b}/../{a_pid}/diary.txt",
    "{parent}/notes.txt",  # the parent's own file, outside the child's home
]


@pytest.mark.parametrize("template", SIBLING_PATHS)
async def test_a_child_cannot_reach_its_siblings_or_parents_files(
    tmp_path: Path, embedder: Embedder, template: str
) -> None:
    async with kernel(tmp_path, embedder=embedder) as k:
        parent, pme = await hostile(k)
        mine = {"fs_read": ["~"], "fs_write": ["~"]}
        a = await k.syscall(
            pme, "proc.spawn", {"agent": "sleep", "task": "60", "capabilities": mine}
        )
        b = await k.syscall(
            pme, "proc.spawn", {"agent": "sleep", "task": "60", "capabilities": mine}
        )
        assert a.home == f"{parent.home}/{a.pid}" and b.home == f"{parent.home}/{b.pid}"
        await k.syscall(as_proc(a), "fs.write", {"path": f"{a.home}/diary.txt", "content": "dear"})
        await k.syscall(pme, "fs.write", {"path": f"{parent.home}/notes.txt", "content": "p"})
        path = template.format(a=a.home, b=b.home, parent=parent.home, a_pid=a.pid)
        attacker = as_proc(b)
        for verb, args in (
            ("fs.read", {"path": path}),
            ("fs.stat", {"path": path}),
            ("fs.write", {"path": path, "content": "overwritten"}),
            ("fs.delete", {"path": path}),
            ("fs.history", {"path": path}),
        ):
            with pytest.raises(PermissionDenied):
                await k.syscall(attacker, verb, args)
        with pytest.raises(PermissionDenied):  # the LSFS tool is the same fs.read
            await k.syscall(attacker, "tool.call", {"name": "fs_read", "args": {"path": path}})
        search = {"query": "dear", "mode": "keyword"}
        async with asyncio.timeout(20):  # indexed: the admin finds it
            while not (await k.syscall(ADMIN, "fs.retrieve", search)).hits:
                await asyncio.sleep(0.05)
        assert (await k.syscall(attacker, "fs.retrieve", search)).hits == []
        assert (await k.syscall(ADMIN, "fs.read", {"path": f"{a.home}/diary.txt"})).text == "dear"
        assert (await k.syscall(ADMIN, "fs.read", {"path": f"{parent.home}/notes.txt"})).text == "p"


# -- 3. priority ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent_priority", "child_priority", "error"),
    [
        (0, 1, PermissionDenied),
        (-5, 0, PermissionDenied),
        (-5, 100, PermissionDenied),
        (0, 101, BadRequest),
        (0, -101, BadRequest),
        (0, 10**30, BadRequest),
        (0, "high", BadRequest),
        (0, 0.5, BadRequest),
    ],
)
async def test_a_child_cannot_outrank_its_parent(
    tmp_path: Path, parent_priority: int, child_priority: Any, error: type[AiosError]
) -> None:
    async with kernel(tmp_path) as k:
        parent = await k.spawn("sleep", "60", priority=parent_priority)
        me = as_proc(parent)
        with pytest.raises(error):
            await k.syscall(me, "proc.spawn", {"agent": "sleep", "priority": child_priority})
        assert children_of(k, parent.pid) == []
        child = await k.syscall(me, "proc.spawn", {"agent": "sleep", "task": "60"})
        assert child.priority == parent_priority  # no priority: the parent's, never 0


# -- 4. escaping the approval policy ------------------------------------------------------


async def test_compile_cannot_run_a_tool_the_policy_names_without_a_person(
    tmp_path: Path,
) -> None:
    core = ScriptedCore(["1. probe(x=7)\njoin()"], [finish("done")], model="fake")
    async with kernel(tmp_path, cores=[core], require=["tool:probe"]) as k:
        probe = Probe()
        probe.register(k)
        proc, me = await hostile(k)
        run = asyncio.create_task(
            k.syscall(me, "compile", {"query": "q", "tools": ["probe"], "max_replans": 0})
        )
        (item,) = await pending(k)
        assert (item.syscall, item.tool, item.pid) == ("tool.call", "probe", proc.pid)
        assert probe.ran == []  # the executor's call waits like any other
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "deny"})
        res = await asyncio.wait_for(run, 10)
    assert probe.ran == []
    assert res.tasks[0]["status"] == "error", res.tasks


async def test_lsfs_tools_cannot_skip_the_fs_syscall_policy(
    tmp_path: Path, embedder: Embedder
) -> None:
    async with kernel(tmp_path, embedder=embedder, require=["syscall:fs.write"]) as k:
        proc, me = await hostile(k)
        path = f"{proc.home}/x.txt"
        call = asyncio.create_task(
            k.syscall(me, "tool.call", {"name": "fs_write", "args": {"path": path, "content": "x"}})
        )
        (item,) = await pending(k)
        assert (item.syscall, item.tool) == ("fs.write", None)  # the tool's own syscall
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "deny"})
        with pytest.raises(ApprovalDenied):
            await asyncio.wait_for(call, 10)
        with pytest.raises(NotFound):
            await k.syscall(ADMIN, "fs.stat", {"path": path})


async def test_a_tool_without_risk_hints_counts_as_host_for_the_policy(tmp_path: Path) -> None:
    async with kernel(tmp_path, require=["host"]) as k:
        probe = Probe()
        probe.register(k)
        proc, me = await hostile(k, tools=["plugin_unhinted"])
        call = asyncio.create_task(
            k.syscall(me, "tool.call", {"name": "plugin_unhinted", "args": {"x": 1}})
        )
        (item,) = await pending(k)
        assert item.tool == "plugin_unhinted" and item.risk.host and item.rule == "host"
        k.kill(proc.pid)
        with pytest.raises(Cancelled):
            await asyncio.wait_for(call, 5)
    assert probe.ran == []


async def test_always_for_one_tool_does_not_cover_another(tmp_path: Path) -> None:
    async with kernel(tmp_path, require=["tool:probe", "tool:other"]) as k:
        probe = Probe()
        probe.register(k)
        _, me = await hostile(k)
        first = asyncio.create_task(k.syscall(me, "tool.call", {"name": "probe", "args": {"x": 1}}))
        (item,) = await pending(k)
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "always"})
        await first
        await k.syscall(me, "tool.call", {"name": "probe", "args": {"x": 2}})  # always: no wait
        second = asyncio.create_task(
            k.syscall(me, "tool.call", {"name": "other", "args": {"x": 3}})
        )
        (again,) = await pending(k)
        assert again.tool == "other" and ("other", 3) not in probe.ran
        second.cancel()
    assert probe.ran == [("probe", 1), ("probe", 2)]


async def test_always_does_not_pass_to_a_child(tmp_path: Path) -> None:
    async with kernel(tmp_path, require=["tool:probe"]) as k:
        probe = Probe()
        probe.register(k)
        _, me = await hostile(k)
        first = asyncio.create_task(k.syscall(me, "tool.call", {"name": "probe", "args": {"x": 1}}))
        (item,) = await pending(k)
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "always"})
        await first
        child = await k.syscall(me, "proc.spawn", {"agent": "sleep", "task": "60"})
        call = asyncio.create_task(
            k.syscall(as_proc(child), "tool.call", {"name": "probe", "args": {"x": 2}})
        )
        (asked,) = await pending(k)
        assert asked.pid == child.pid and ("probe", 2) not in probe.ran
        k.kill(child.pid)
        with pytest.raises(Cancelled):
            await call
    assert probe.ran == [("probe", 1)]


@pytest.mark.parametrize("whose", ["own", "another_process"])
@pytest.mark.parametrize("path", ["syscall", "stream"])
async def test_a_process_cannot_answer_an_approval(tmp_path: Path, whose: str, path: str) -> None:
    """Even with every syscall allowed, and proc_admin: neither its own approval nor
    another process's, neither as a call nor as a stream."""
    async with kernel(tmp_path) as k:
        every = {"syscalls": ["*"], "proc_admin": True}
        _, asker_me = await hostile(k, **(every if whose == "own" else {}))
        me = asker_me if whose == "own" else (await hostile(k, **every))[1]
        ask = asyncio.create_task(k.syscall(asker_me, "approval.request", {"summary": "mine"}))
        (item,) = await pending(k)
        args = {"id": item.id, "decision": "approve"}
        with pytest.raises(PermissionDenied):
            if path == "syscall":
                await k.syscall(me, "approval.respond", args)
            else:
                async for _ in k.syscall_stream(me, "approval.respond", args):
                    pass
        assert item.state == "pending" and item.decided_by is None and not ask.done()
        ask.cancel()


async def test_a_process_cannot_see_another_processs_approvals(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        victim, vme = await hostile(k)
        _, me = await hostile(k, syscalls=["*"])
        ask = asyncio.create_task(k.syscall(vme, "approval.request", {"summary": "secret plan"}))
        (item,) = await pending(k)
        assert (await k.syscall(me, "approval.list", {})).approvals == []
        listed = await k.syscall(me, "approval.list", {"pid": victim.pid, "state": "pending"})
        assert listed.approvals == []
        with pytest.raises(NotFound, match=f"no approval {item.id}$"):  # as if it did not exist
            await k.syscall(me, "approval.get", {"id": item.id})
        assert item.state == "pending"
        ask.cancel()


async def test_an_approval_wait_holds_no_llm_core(tmp_path: Path) -> None:
    async with kernel(tmp_path, require=["syscall:llm.chat"]) as k:
        proc, me = await hostile(k)
        msg = {"messages": [{"role": "user", "content": "p"}], "max_tokens": 2}
        waiting = asyncio.create_task(k.syscall(me, "llm.chat", msg))
        await pending(k)
        assert proc.state == ProcessState.WAITING and proc.waiting_on == "approval"
        assert proc.llm_running == 0 and proc.llm_queued == 0
        # the one worker of the one core is free for everyone else
        admin = {"messages": [{"role": "user", "content": "a"}], "max_tokens": 2}
        res = await asyncio.wait_for(k.syscall(ADMIN, "llm.chat", admin), 5)
        assert res.text
        k.kill(proc.pid)
        with pytest.raises(Cancelled):
            await waiting


async def test_huge_approval_details_are_shown_bounded(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        proc, me = await hostile(k)
        ask = asyncio.create_task(
            k.syscall(me, "approval.request", {"summary": "s", "details": "x" * 2_000_000})
        )
        (item,) = await pending(k)
        assert len(item.args["truncated"]) == 65_536 and item.args["chars"] > 2_000_000
        json.dumps(item.info().model_dump(mode="json"))  # the admin can read it
        k.kill(proc.pid)
        with pytest.raises(Cancelled):
            await ask


# -- 5. poisoning and flooding the approval queue ------------------------------------------


def _circular() -> dict[str, Any]:
    d: dict[str, Any] = {}
    d["self"] = d
    return d


@pytest.mark.parametrize("attack", ["request_deep", "request_circular", "tool_call_deep"])
async def test_nested_approval_args_are_refused_cleanly(tmp_path: Path, attack: str) -> None:
    async with kernel(tmp_path, require=["tool:probe"], timeout_s=0.3) as k:
        Probe().register(k)
        _, me = await hostile(k)
        if attack == "tool_call_deep":
            name, args = "tool.call", {"name": "probe", "args": {"x": deep(600)}}
        else:
            details = deep(600) if attack == "request_deep" else _circular()
            name, args = "approval.request", {"summary": "s", "details": details, "timeout_s": 0.3}
        with pytest.raises(AiosError) as exc:
            await asyncio.wait_for(k.syscall(me, name, args), 5)
        assert type(exc.value) is not AiosError, "an internal error"  # BadRequest, or denied
        await asyncio.sleep(0.5)
        assert k.approvals.pending() == 0  # nothing left that no timeout will end
        listed = await k.syscall(ADMIN, "approval.list", {})
        json.dumps(listed.model_dump(mode="json"))  # the admin can still read the queue


async def test_a_process_token_cannot_break_the_admins_approval_list(tmp_path: Path) -> None:
    from aios.api.app import create_app

    async with kernel(tmp_path, timeout_s=0.3) as k:
        app = create_app(k, "admin-token-for-test")
        proc, _ = await hostile(k)
        token = (await k.syscall(ADMIN, "proc.token", {"pid": proc.pid})).token
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://aios") as c:
            body = '{"name": "approval.request", "args": {"summary": "s", "details": %s}}' % (
                "[" * 600 + "]" * 600
            )
            r = await c.post(
                "/v1/syscall",
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            assert r.status_code < 500, r.text
            await asyncio.sleep(0.5)
            admin = {"Authorization": "Bearer admin-token-for-test"}
            r = await c.get("/v1/approvals", headers=admin)
            assert r.status_code == 200, r.text


async def test_pending_approvals_of_one_process_are_bounded(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        proc, me = await hostile(k)
        asks = [
            asyncio.create_task(
                k.syscall(me, "approval.request", {"summary": f"ask {i}", "details": "x" * 1000})
            )
            for i in range(300)
        ]
        await asyncio.sleep(0.5)
        mine = len(k.approvals.list(state="pending", pids={proc.pid}, limit=10_000))
        refused = [t for t in asks if t.done() and isinstance(t.exception(), AiosError)]
        k.kill(proc.pid)
        await asyncio.gather(*asks, return_exceptions=True)
        assert mine < 300 and refused, f"{mine} pending approvals of one process"


async def test_a_process_cannot_spawn_without_bound(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        _, me = await hostile(k)
        spawns = await asyncio.gather(
            *(k.syscall(me, "proc.spawn", {"agent": "sleep", "task": "60"}) for _ in range(200)),
            return_exceptions=True,
        )
        started = [s for s in spawns if not isinstance(s, BaseException)]
        for s in started:
            k.kill(s.pid)
        assert len(started) < 200, f"{len(started)} children of one process"


# -- 6. admin-only syscalls ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["syscall", "stream"])
@pytest.mark.parametrize("name", ["sched.set", "approval.respond"])
async def test_admin_only_syscalls_refuse_a_process_with_every_syscall(
    tmp_path: Path, name: str, path: str
) -> None:
    async with kernel(tmp_path) as k:
        proc, me = await hostile(k, syscalls=["*"], proc_admin=True)
        ask = asyncio.create_task(k.syscall(me, "approval.request", {"summary": "let me"}))
        (item,) = await pending(k)
        before = k.scheduler.stats()["policy"]
        args: dict[str, Any] = (
            {"policy": "fifo" if before != "fifo" else "rr"}
            if name == "sched.set"
            else {"id": item.id, "decision": "always"}
        )
        with pytest.raises(PermissionDenied):
            if path == "syscall":
                await k.syscall(me, name, args)
            else:
                async for _ in k.syscall_stream(me, name, {**args}):
                    pass
        assert k.scheduler.stats()["policy"] == before
        assert item.state == "pending" and k.approvals._always == {}
        ask.cancel()
        rows = [r for r in k.store.list_syscalls(pid=proc.pid) if r.name == name]
        assert [r.error_code for r in rows] == ["permission_denied"]  # audited


# -- 7. acting after being killed ----------------------------------------------------------


async def test_a_tool_in_flight_when_killed_ends_cancelled_with_no_effect_after(
    tmp_path: Path,
) -> None:
    async with kernel(tmp_path) as k:
        probe = Probe()
        probe.register(k)
        proc, me = await hostile(k)
        call = asyncio.create_task(k.syscall(me, "tool.call", {"name": "hold", "args": {"x": 1}}))
        async with asyncio.timeout(5):
            while ("hold-start", 1) not in probe.ran:
                await asyncio.sleep(0.01)
        k.kill(proc.pid)
        with pytest.raises(Cancelled):
            await asyncio.wait_for(call, 5)
        probe.release.set()
        await asyncio.sleep(0.1)
        rows = [r for r in k.store.list_syscalls(pid=proc.pid) if r.name == "tool.call"]
    assert ("hold-after", 1) not in probe.ran
    assert [r.status for r in rows] == ["cancelled"]


async def test_a_sync_tool_call_in_flight_when_killed_ends_cancelled(tmp_path: Path) -> None:
    """The syscall ends at once; the tool's thread cannot be stopped (see the report)."""
    async with kernel(tmp_path) as k:
        probe = Probe()
        probe.register(k)
        proc, me = await hostile(k)
        call = asyncio.create_task(k.syscall(me, "tool.call", {"name": "slow", "args": {"x": 1}}))
        async with asyncio.timeout(5):
            while ("slow-start", 1) not in probe.ran:
                await asyncio.sleep(0.01)
        k.kill(proc.pid)
        try:
            with pytest.raises(Cancelled):
                await asyncio.wait_for(call, 2)
        finally:
            probe.thread_gate.set()


async def test_a_call_waiting_for_approval_when_killed_never_runs(tmp_path: Path) -> None:
    async with kernel(tmp_path, require=["tool:probe"]) as k:
        probe = Probe()
        probe.register(k)
        proc, me = await hostile(k)
        call = asyncio.create_task(k.syscall(me, "tool.call", {"name": "probe", "args": {"x": 1}}))
        (item,) = await pending(k)
        k.kill(proc.pid)
        with pytest.raises(Cancelled):
            await asyncio.wait_for(call, 5)
        assert item.state == "cancelled"
        with pytest.raises(Conflict):  # a late "approve" changes nothing
            await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        await asyncio.sleep(0.1)
    assert probe.ran == []


KILLED_CALLS = {
    "spawn": ("proc.spawn", {"agent": "sleep", "task": "60"}),
    "tool": ("tool.call", {"name": "probe", "args": {"x": 1}}),
    "ask_a_person": ("approval.request", {"summary": "still here"}),
    "token_for_itself": ("proc.token", {"pid": 0}),
    "chat": ("llm.chat", {"messages": [{"role": "user", "content": "x"}], "max_tokens": 1}),
}


@pytest.mark.parametrize(("name", "args"), list(KILLED_CALLS.values()), ids=list(KILLED_CALLS))
async def test_a_killed_process_can_make_no_syscall(
    tmp_path: Path, name: str, args: dict[str, Any]
) -> None:
    async with kernel(tmp_path) as k:
        probe = Probe()
        probe.register(k)
        proc, me = await hostile(k)
        if name == "proc.token":
            args = {"pid": proc.pid}
        k.kill(proc.pid)
        await k.wait(proc.pid, 5)
        with pytest.raises(Cancelled):
            await k.syscall(me, name, args)
        assert children_of(k, proc.pid) == [] and k.approvals.list() == [] and probe.ran == []
        assert proc.pid not in k.tokens._by_pid


async def test_a_killed_process_token_stops_working(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        proc, me = await hostile(k)
        token = (await k.syscall(me, "proc.token", {"pid": proc.pid})).token
        assert k.tokens.pid_of(token) == proc.pid
        k.kill(proc.pid)
        assert k.tokens.pid_of(token) is None


async def test_a_stream_in_flight_when_killed_ends_cancelled(tmp_path: Path) -> None:
    """A stream runs in its consumer's task (the HTTP request's), not the process's:
    killing the process still ends it."""
    core = FakeCore()
    core.gate.clear()
    async with kernel(tmp_path, cores=[core]) as k:
        proc, me = await hostile(k)
        seen: list[str] = []

        async def consume() -> None:
            args = {"messages": [{"role": "user", "content": "t"}], "max_tokens": 5, "stream": True}
            async for event in k.syscall_stream(me, "llm.chat", args):
                seen.append(event["type"])

        stream = asyncio.create_task(consume())
        async with asyncio.timeout(5):
            while proc.llm_running + proc.llm_queued == 0:
                await asyncio.sleep(0.01)
        k.kill(proc.pid)
        core.gate.set()
        with pytest.raises(Cancelled):
            await asyncio.wait_for(stream, 5)
        rows = [r for r in k.store.list_syscalls(pid=proc.pid) if r.name == "llm.chat"]
    assert "result" not in seen and [r.status for r in rows] == ["cancelled"]


# -- 8. suspension ---------------------------------------------------------------------------


async def test_a_call_approved_while_suspended_waits_for_resume(tmp_path: Path) -> None:
    async with kernel(tmp_path, require=["tool:probe"]) as k:
        probe = Probe()
        probe.register(k)
        proc, me = await hostile(k)
        call = asyncio.create_task(k.syscall(me, "tool.call", {"name": "probe", "args": {"x": 1}}))
        (item,) = await pending(k)
        k.suspend(proc.pid)
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        await asyncio.sleep(0.3)
        ran_while_suspended = list(probe.ran)
        k.resume(proc.pid)
        await asyncio.wait_for(call, 5)
        assert ran_while_suspended == [], "the tool ran while its process was suspended"


async def test_a_suspended_process_cannot_resume_itself(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        proc, me = await hostile(k, syscalls=["*"])
        k.suspend(proc.pid)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(k.syscall(me, "proc.resume", {"pid": proc.pid}), 0.3)
        assert proc.suspended and proc.state == ProcessState.SUSPENDED


# -- 9. processes it does not own -------------------------------------------------------------

CONTROL = {
    "kill": ("proc.kill", {}),
    "suspend": ("proc.suspend", {}),
    "resume": ("proc.resume", {}),
    "token": ("proc.token", {}),
    "syscalls": ("proc.syscalls", {}),
    "get": ("proc.get", {}),
    "wait": ("proc.wait", {"timeout": 0}),
}


@pytest.mark.parametrize(("name", "extra"), list(CONTROL.values()), ids=list(CONTROL))
async def test_a_process_cannot_act_on_its_parent_or_sibling(
    tmp_path: Path, name: str, extra: dict[str, Any]
) -> None:
    """With every syscall allowed (but not proc_admin), a child targets its parent and
    its sibling; the admin suspended both first so that resume has something to do."""
    async with kernel(tmp_path) as k:
        parent, pme = await hostile(k, syscalls=["*"])
        child = await k.syscall(pme, "proc.spawn", {"agent": "sleep", "task": "60"})
        sibling = await k.syscall(pme, "proc.spawn", {"agent": "sleep", "task": "60"})
        me = as_proc(child)
        for target in (parent, sibling):
            k.suspend(target.pid)
            with pytest.raises(PermissionDenied):
                await k.syscall(me, name, {"pid": target.pid, **extra})
            live = k.procs.live(target.pid)
            assert live is not None and live.suspended and not live.state.terminal
            assert target.pid not in k.tokens._by_pid  # no token was issued for it


async def test_proc_get_is_no_oracle_of_which_pids_exist(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        other = await k.spawn("sleep", "60")
        _, me = await hostile(k)
        answers = []
        for pid in (other.pid, 999_999):
            with pytest.raises(PermissionDenied) as exc:
                await k.syscall(me, "proc.get", {"pid": pid})
            answers.append((type(exc.value), exc.value.details))
        assert answers[0][0] is answers[1][0] and set(answers[0][1]) == set(answers[1][1])


async def test_proc_list_shows_only_its_own_tree(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        parent, pme = await hostile(k)
        child = await k.syscall(pme, "proc.spawn", {"agent": "sleep", "task": "60"})
        sibling = await k.syscall(pme, "proc.spawn", {"agent": "sleep", "task": "60"})
        stranger = await k.spawn("sleep", "60")
        me = as_proc(child)
        for args in ({}, {"parent": parent.pid}, {"states": ["WAITING", "RUNNING"]}):
            seen = {p.pid for p in (await k.syscall(me, "proc.list", args)).processes}
            assert seen <= {child.pid}, (args, seen)
            assert not seen & {parent.pid, sibling.pid, stranger.pid}


# -- 10. models and tools by name ---------------------------------------------------------------


async def test_a_process_cannot_use_a_model_outside_its_set(tmp_path: Path) -> None:
    cores = [FakeCore("a", "fake"), FakeCore("b", "secret")]
    async with kernel(tmp_path, cores=cores) as k:
        _, me = await hostile(k, models=["fake"])
        msg = {"messages": [{"role": "user", "content": "x"}], "max_tokens": 1, "model": "secret"}
        with pytest.raises(PermissionDenied):
            await k.syscall(me, "llm.chat", msg)
        with pytest.raises(PermissionDenied):
            async for _ in k.syscall_stream(me, "llm.chat", {**msg, "stream": True}):
                pass
        assert cores[1].trace == []


@pytest.mark.parametrize(
    ("tool_name", "error"),
    [
        ("calc*", NotFound),
        ("*", NotFound),
        ("@local", NotFound),
        ("shell", PermissionDenied),
        ("plugin_unhinted", PermissionDenied),
    ],
)
async def test_tool_names_with_wildcards_or_host_tools_are_refused(
    tmp_path: Path, tool_name: str, error: type[AiosError]
) -> None:
    async with kernel(tmp_path) as k:
        probe = Probe()
        probe.register(k)
        _, me = await hostile(k)
        with pytest.raises(error):
            await k.syscall(me, "tool.call", {"name": tool_name, "args": {}})
        listed = {t["name"] for t in (await k.syscall(me, "tool.list", {})).tools}
        assert not listed & {"shell", "plugin_unhinted"} and probe.ran == []


# -- 11. malformed arguments: a clean refusal, never an internal error ---------------------------

MALFORMED = {
    "caps_syscalls_as_string": (
        "proc.spawn",
        {"agent": "sleep", "capabilities": {"syscalls": "fs.*"}},
    ),
    "caps_nested_dicts": (
        "proc.spawn",
        {"agent": "sleep", "capabilities": {"fs_read": [{"nested": {"deep": [1]}}]}},
    ),
    "caps_unknown_field": ("proc.spawn", {"agent": "sleep", "capabilities": {"root": True}}),
    "caps_null_pattern": ("proc.spawn", {"agent": "sleep", "capabilities": {"syscalls": [None]}}),
    "caps_deep_pattern": ("proc.spawn", {"agent": "sleep", "capabilities": {"tools": [deep(600)]}}),
    "caps_long_folder": (
        "proc.spawn",
        {"agent": "sleep", "capabilities": {"fs_read": ["a" * 2000]}},
    ),
    "agent_not_a_string": ("proc.spawn", {"agent": {"module": "os", "attr": "system"}}),
    "pid_past_2_53": ("proc.kill", {"pid": 2**64}),
    "pid_injection": ("proc.kill", {"pid": "1; DROP TABLE processes"}),
    "pid_list": ("proc.kill", {"pid": [1]}),
    "wait_nan": ("proc.wait", {"pid": 1, "timeout": math.nan}),
    "wait_inf": ("proc.wait", {"pid": 1, "timeout": math.inf}),
    "list_huge_limit": ("approval.list", {"limit": 10**9}),
    "tool_args_list": ("tool.call", {"name": "calculator", "args": [1, 2]}),
    "tool_name_long": ("tool.call", {"name": "x" * 1000}),
    "tool_args_deep": ("tool.call", {"name": "calculator", "args": {"expression": deep(600)}}),
    "summary_long": ("approval.request", {"summary": "x" * 10_000}),
    "request_timeout_nan": ("approval.request", {"summary": "s", "timeout_s": math.nan}),
    "chat_content_deep": (
        "llm.chat",
        {"messages": [{"role": "user", "content": deep(600)}], "max_tokens": 1},
    ),
    "extra_field": ("sched.get", {"please": "admin"}),
}


@pytest.mark.parametrize(("name", "args"), list(MALFORMED.values()), ids=list(MALFORMED))
async def test_malformed_args_are_bad_requests(
    tmp_path: Path, name: str, args: dict[str, Any]
) -> None:
    async with kernel(tmp_path) as k:
        proc, me = await hostile(k, syscalls=["*"], tools=["*"])
        with pytest.raises(BadRequest):
            await asyncio.wait_for(k.syscall(me, name, args), 5)
        assert children_of(k, proc.pid) == [] and k.approvals.list() == []
        assert not proc.state.terminal


async def test_args_that_are_not_a_mapping_are_bad_requests(tmp_path: Path) -> None:
    async with kernel(tmp_path) as k:
        _, me = await hostile(k)
        for args in ([1], "abc", 7):
            with pytest.raises(BadRequest):
                await k.syscall(me, "proc.list", args)  # type: ignore[arg-type]


async def test_a_forged_caller_gets_only_its_processs_capabilities(k: Kernel) -> None:
    """Whoever builds a Caller for a pid gets that process's capabilities, not the
    ones written into the Caller."""
    await k.syscall(ADMIN, "fs.write", {"path": "private/secret.txt", "content": "s3cret"})
    proc = await k.spawn("sleep", "30")
    forged = Caller(pid=proc.pid, caps=Capabilities(syscalls=["*"], fs_read=["/"]))
    with pytest.raises(PermissionDenied):
        await k.syscall(forged, "fs.read", {"path": "private/secret.txt"})
    with pytest.raises(PermissionDenied):
        await k.syscall(forged, "sched.set", {"policy": "fifo"})
