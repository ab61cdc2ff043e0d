"""Attacks on what the consent gate guards beside a plugin's agent (its in-process
tools, its MCP servers), on ``aios mcp``'s session process, and on the results a
process leaves for every reader (proc.get, proc.list, proc.wait)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aios.agents import extras
from aios.agents.consent import APPROVED, consent_book, origin
from aios.api.app import create_app
from aios.errors import AiosError
from aios.kernel import ADMIN, Kernel, ProcessState
from aios.mcpserver.stdio import DaemonBackend
from tests.test_agents_manifest import plugin_kernel, write_plugin

TOKEN = "admin-token-consent-attacks"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[Kernel, httpx.AsyncClient]]:
    """A kernel (scripted core, no LSFS) and an HTTP client to its API."""
    async with plugin_kernel(tmp_path) as k:
        app = create_app(k, TOKEN)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://aios") as c:
            yield k, c


async def _as_admin(c: httpx.AsyncClient, name: str, **args: Any) -> httpx.Response:
    return await c.post(
        "/v1/syscall",
        json={"name": name, "args": args},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


# -- results: nothing an agent returns breaks the readers -----------------------------


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class _NonStrRepr:
    def __repr__(self) -> Any:
        return 5


class _EvilDict(dict):  # type: ignore[type-arg]
    def items(self) -> Any:  # json.dumps calls it for a dict subclass
        raise RuntimeError("boom")


class _Shifty(dict):  # type: ignore[type-arg]
    """JSON at the first look, something else afterwards."""

    looks = 0

    def items(self) -> Any:
        _Shifty.looks += 1
        return super().items() if _Shifty.looks == 1 else [(object(), object())]


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        [float("inf"), -float("inf")],
        {"x": float("nan")},
        _BadRepr(),
        _NonStrRepr(),
        _EvilDict(a=1),
        {1: "a", None: "b", 1.5: "c"},
        _Shifty(a=1),
        b"\xff",
    ],
    ids=[
        "nan",
        "inf",
        "nested-nan",
        "bad-repr",
        "non-str-repr",
        "evil-dict",
        "keys",
        "shifty",
        "bytes",
    ],
)
async def test_no_result_breaks_proc_get_wait_or_list(
    api: tuple[Kernel, httpx.AsyncClient], value: Any
) -> None:
    """NaN and infinities are not JSON (the API answered 500 for proc.get and
    proc.list, PostgreSQL refuses them); an object whose repr raises, or a dict
    subclass whose items() raises, left the process RUNNING for ever (proc.wait
    hung). The stored result is plain JSON, every reader takes it."""
    k, c = api
    _Shifty.looks = 0

    async def agent(ctx: Any, task: str) -> Any:
        return value

    proc = await k.spawn(agent, "")
    info = await asyncio.wait_for(k.wait(proc.pid, 5), 10)
    assert info.state == ProcessState.EXITED, info.error
    json.dumps(info.result, allow_nan=False)  # strict JSON, as stored and sent
    got = await _as_admin(c, "proc.get", pid=proc.pid)
    assert got.status_code == 200, got.text
    listed = await _as_admin(c, "proc.list", states=None)
    assert listed.status_code == 200, listed.text
    waited = await _as_admin(c, "proc.wait", pid=proc.pid, timeout=1)
    assert waited.status_code == 200, waited.text


@pytest.mark.parametrize(
    "message", ["x\ud800 lone", "y" * 1_000_000], ids=["lone-surrogate", "megabyte"]
)
async def test_no_error_text_breaks_proc_list(
    api: tuple[Kernel, httpx.AsyncClient], message: str
) -> None:
    """An agent's exception text is its why: a lone surrogate in it made proc.list
    answer 500 for everyone from then on; a megabyte of it went into every listing."""
    k, c = api

    async def agent(ctx: Any, task: str) -> Any:
        raise ValueError(message)

    proc = await k.spawn(agent, "")
    info = await asyncio.wait_for(k.wait(proc.pid, 5), 10)
    assert info.state == ProcessState.FAILED and info.error is not None
    assert info.error.startswith("ValueError: ") and len(info.error) <= 4_000
    info.error.encode()
    listed = await _as_admin(c, "proc.list", states=None)
    assert listed.status_code == 200, listed.text
    got = await _as_admin(c, "proc.get", pid=proc.pid)
    assert got.status_code == 200 and got.json()["result"]["error"] == info.error


# -- the consent gate: a consented plugin's tools at the kernel's start ---------------

HANGS = """
import time
from pathlib import Path

Path(__file__).with_name("imported").write_text("yes")
while not Path(__file__).with_name("go").exists():
    time.sleep(0.02)
TOOLS = []
"""


async def test_a_consented_plugins_tools_that_hang_at_import_never_stop_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Consented once, a later version of a plugin whose tools module never returns
    from its import held the kernel's start (and so the daemon) for ever."""
    d = write_plugin(
        tmp_path / "plugins",
        "hangs",
        'name = "hangs"\nversion = "1"\nprovides_tools = "t:TOOLS"\n',
        {"t.py": HANGS},
    )
    async with plugin_kernel(tmp_path) as k:  # consented, and not started yet
        plugin = k.agents.plugin("hangs")
        assert plugin is not None and plugin.manifest is not None
        consent_book(k).record(
            "hangs", "1", plugin.manifest.to_capabilities(), APPROVED, "alice", origin(plugin)
        )
    monkeypatch.setattr(extras, "START_WAIT_S", 0.5)
    try:
        async with asyncio.timeout(10):
            async with plugin_kernel(tmp_path) as k:
                assert (d / "imported").exists()  # consented: its code ran
                proc = await k.spawn("sleep", "0")
                assert (await k.wait(proc.pid, 5)).state == ProcessState.EXITED
    finally:
        (d / "go").write_text("")  # the import returns: its thread ends


async def test_a_consented_plugins_tools_raising_keyboard_interrupt_never_stop_the_start(
    tmp_path: Path,
) -> None:
    """Raised by a plugin's import in a worker thread, KeyboardInterrupt came out of
    the kernel's start: a consented plugin kept the daemon from starting."""
    write_plugin(
        tmp_path / "plugins",
        "stops",
        'name = "stops"\nversion = "1"\nprovides_tools = "t:TOOLS"\n',
        {"t.py": "raise KeyboardInterrupt\nTOOLS = []\n"},
    )
    async with plugin_kernel(tmp_path) as k:
        plugin = k.agents.plugin("stops")
        assert plugin is not None and plugin.manifest is not None
        consent_book(k).record(
            "stops", "1", plugin.manifest.to_capabilities(), APPROVED, "alice", origin(plugin)
        )
    async with plugin_kernel(tmp_path) as k:
        (stops,) = [p for p in k.agents.plugins() if p.name == "stops"]
        assert "KeyboardInterrupt" in (stops.error or "")


async def test_a_tools_plugin_is_not_imported_before_consent_nor_by_a_process(
    tmp_path: Path,
) -> None:
    """Neither discovery, the kernel's start, agent.info nor a process asking for
    agent.approve runs a tools plugin's code; only the admin's approval does."""
    d = write_plugin(
        tmp_path / "plugins",
        "marks",
        'name = "marks"\nversion = "1"\nprovides_tools = "t:TOOLS"\n',
        {
            "t.py": 'from pathlib import Path\nPath(__file__).with_name("ran").write_text("")\n'
            "TOOLS = []\n"
        },
    )
    async with plugin_kernel(tmp_path) as k:
        await k.syscall(ADMIN, "agent.info", {"name": "marks"})
        holder = await k.spawn("sleep", "5")
        from aios.kernel.caps import Caller

        caller = Caller(pid=holder.pid, caps=holder.capabilities, owner=holder.owner)
        with pytest.raises(AiosError):
            await k.syscall(caller, "agent.approve", {"name": "marks"})
        with pytest.raises(AiosError):  # a tools plugin has no agent to spawn
            await k.syscall(caller, "proc.spawn", {"agent": "marks"})
        assert not (d / "ran").exists()
        k.kill(holder.pid)
        await k.syscall(ADMIN, "agent.approve", {"name": "marks"})
        assert (d / "ran").exists()


@pytest.mark.parametrize("how", ["another-origin", "isolated-only", "fewer-capabilities", "denied"])
async def test_only_a_covering_consent_starts_a_plugins_tools_at_start(
    tmp_path: Path, how: str
) -> None:
    """At the kernel's start a plugin's tools load only under a consent from its own
    folder, to run in the daemon, for all its manifest asks: not one given to a
    plugin of the same name elsewhere, to run confined, for less, or a denial."""
    d = write_plugin(
        tmp_path / "plugins",
        "marks",
        'name = "marks"\nversion = "2"\nprovides_tools = "t:TOOLS"\n'
        '[capabilities]\ntools = ["calculator"]\n',
        {
            "t.py": 'from pathlib import Path\nPath(__file__).with_name("ran").write_text("")\n'
            "TOOLS = []\n"
        },
    )
    async with plugin_kernel(tmp_path) as k:
        plugin = k.agents.plugin("marks")
        assert plugin is not None and plugin.manifest is not None
        caps, where, in_process, decision = (
            plugin.manifest.to_capabilities(),
            origin(plugin),
            True,
            APPROVED,
        )
        if how == "another-origin":
            where = f"folder:{tmp_path / 'elsewhere' / 'marks'}"
        elif how == "isolated-only":
            in_process = False
        elif how == "fewer-capabilities":
            caps = caps.model_copy(update={"tools": []})
        else:
            decision = "denied"
        consent_book(k).record("marks", "1", caps, decision, "alice", where, in_process)
    async with plugin_kernel(tmp_path) as k:
        assert not (d / "ran").exists()
        (marks,) = [p for p in k.agents.plugins() if p.name == "marks"]
        assert marks.tools == [] and marks.error is None


# -- aios mcp: the session process ---------------------------------------------------


def _backend(c: httpx.AsyncClient) -> DaemonBackend:
    session = (TOKEN, {"approvals": ["destructive"]})
    return DaemonBackend("http://aios", None, session=session, transport=c._transport)


async def test_a_session_whose_token_failed_never_calls_without_one(
    api: tuple[Kernel, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """proc.spawn answered, proc.token did not: the session kept the pid, never asked
    for a token again, and every later call went without credentials (and the
    spawned process was left waiting for 30 days if the client was killed)."""
    k, c = api
    backend = _backend(c)
    real = k.tokens.issue
    fails = [True]

    def issue(pid: int) -> str:
        if fails.pop(0) if fails else False:
            raise RuntimeError("token table unavailable")
        return real(pid)

    monkeypatch.setattr(k.tokens, "issue", issue)
    with pytest.raises(AiosError):
        await backend.syscall("proc.list", {})
    first = [p for p in await k.procs.list() if p.name == "mcp-session"]
    assert first and all(p.state.terminal for p in first), first  # not left behind
    res = await backend.syscall("proc.list", {})  # asks again, as a session process
    procs = await k.procs.list()
    (live,) = [p for p in procs if p.name == "mcp-session" and not p.state.terminal]
    assert {p["pid"] for p in res["processes"]} <= {live.pid}
    await backend.aclose()


async def test_the_mcp_client_cannot_revoke_its_session_token_or_reach_others(
    api: tuple[Kernel, httpx.AsyncClient],
) -> None:
    """The client reaches the daemon only as its session process: no token of another
    process, no approvals answered, no admin syscalls; and asking proc.token for the
    session itself (which replaced the token the session's calls use) is refused
    instead of cutting the client off."""
    k, c = api
    other = await k.spawn("sleep", "5")
    backend = _backend(c)
    await backend.start()
    assert backend._pid is not None
    for name, args in [
        ("proc.token", {"pid": other.pid}),
        ("agent.approve", {"name": "chat"}),
        ("approval.respond", {"id": 1, "decision": "approve"}),
        ("proc.spawn", {"agent": "chat", "capabilities": {"tools": ["*"]}}),
        ("proc.spawn", {"agent": "chat", "capabilities": {"approvals": []}}),  # no person
        ("proc.token", {"pid": backend._pid}),
        ("proc.token", {"pid": str(backend._pid)}),  # as the daemon reads it
    ]:
        with pytest.raises(AiosError) as exc:
            await backend.syscall(name, args)
        assert TOKEN not in str(exc.value.to_dict())
    res = await backend.syscall("proc.get", {"pid": backend._pid})  # still its own
    assert res["name"] == "mcp-session"
    await backend.aclose()
    k.kill(other.pid)


async def test_a_session_that_ended_says_so_and_is_not_started_again(
    api: tuple[Kernel, httpx.AsyncClient],
) -> None:
    """Killed (or gone with a daemon restart), the session's token is dead: the client
    is told why, and no new session undoes the kill."""
    k, c = api
    backend = _backend(c)
    await backend.start()
    assert backend._pid is not None
    await _as_admin(c, "proc.kill", pid=backend._pid)
    with pytest.raises(AiosError) as exc:
        await backend.syscall("proc.list", {})
    assert "session process" in exc.value.message and exc.value.code == "unavailable"
    live = [p for p in await k.procs.list() if p.name == "mcp-session" and not p.state.terminal]
    assert live == []
    await backend.aclose()
