"""Discovery: plugin folders and entry points. A broken plugin (bad manifest, missing
module, syntax error, import error, duplicate name, broken entry point) is listed
with its error and never breaks the others; isolated plugins are never imported in
the daemon; provides_tools and ``aios.tools`` register tools."""

from __future__ import annotations

import importlib.metadata
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import tool

from aios.agents import discovery
from aios.errors import BadRequest
from aios.kernel import ADMIN, ProcessState
from tests.test_agents_manifest import PROBE, pending, plugin_kernel, probe_manifest, write_plugin

MARKER_AGENT = """
from pathlib import Path
from aios.agents.sdk import Agent

Path(__file__).with_name("imported").write_text("yes")  # proof that it was imported

class Marked(Agent):
    def run(self, task, ctx):  # a plain def: runs in a worker thread
        return "ran " + task
"""


def broken_plugins(root: Path) -> None:
    write_plugin(root, "good", probe_manifest("good"), {"probe.py": PROBE})
    write_plugin(root, "badtoml", 'name = "x')
    write_plugin(root, "unknownkey", probe_manifest("unknown") + "\ncolour = 1\n")
    write_plugin(root, "nomodule", probe_manifest("nomodule"))
    write_plugin(root, "syntax", probe_manifest("syntax"), {"probe.py": "def (:\n"})
    write_plugin(root, "noattr", probe_manifest("noattr"), {"probe.py": "X = 1\n"})
    write_plugin(root, "raises", probe_manifest("raises"), {"probe.py": PROBE + "\n1/0\n"})
    write_plugin(root, "zz-dup", probe_manifest("good", "9.9"), {"probe.py": PROBE})


async def test_broken_plugins_are_listed_with_their_errors_and_the_good_one_runs(
    tmp_path: Path,
) -> None:
    broken_plugins(tmp_path / "plugins")
    async with plugin_kernel(tmp_path) as k:
        listed = (await k.syscall(ADMIN, "agent.list", {})).agents  # type: ignore[attr-defined]
        by = {(a.name, a.version): a for a in listed}
        errors = {a.name: a.error for a in listed if a.error}
        assert by[("good", "0.1.0")].error is None
        assert by[("good", "0.1.0")].consent == "required"
        assert "duplicate name 'good'" in (by[("good", "9.9")].error or "")
        assert "not valid TOML" in errors["badtoml"]
        assert "colour: unknown key" in errors["unknownkey"]
        assert "entry module 'probe' not found" in errors["nomodule"]
        assert "probe.py line 1" in errors["syntax"]
        assert "defines no 'Probe'" in errors["noattr"]
        assert "raises" not in errors  # an import error shows once it is imported
        assert {"chat", "sleep", "good", "raises"} <= set(k.agents.names())

        good = await k.spawn("good", "[]")
        bad = await k.spawn("raises", "[]")
        for a in await pending(k, 2):  # both first runs: a person approves
            k.approvals.respond(a.id, "approve", by="test")
        assert (await k.wait(good.pid, 10)).state == ProcessState.EXITED
        failed = await k.wait(bad.pid, 10)
        assert failed.state == ProcessState.FAILED
        assert "ZeroDivisionError" in (failed.error or "")
        listed = (await k.syscall(ADMIN, "agent.list", {})).agents  # type: ignore[attr-defined]
        assert "ZeroDivisionError" in next(a.error for a in listed if a.name == "raises")
        # the kernel is fine, and the others still run
        chat = await k.spawn("chat", "hi")
        assert (await k.wait(chat.pid, 10)).state == ProcessState.EXITED
        again = await k.spawn("good", "[]")
        assert (await k.wait(again.pid, 10)).state == ProcessState.EXITED
        with pytest.raises(Exception, match="cannot run"):
            await k.spawn("syntax", "[]")


def _ep(name: str, value: str, group: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group=group)


@tool
def shout(text: str) -> str:
    """Upper-cases the text."""
    return text.upper()


async def test_entry_points_broken_and_good(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = types.ModuleType("h1_fake_plugin_pkg")
    mod.TOOLS = [shout]  # type: ignore[attr-defined]

    async def legacy(ctx: Any, task: str) -> str:  # the pre-SDK signature (ctx, task)
        return f"legacy {task}"

    mod.legacy = legacy  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "h1_fake_plugin_pkg", mod)
    real = importlib.metadata.entry_points

    def fake(*, group: str) -> list[importlib.metadata.EntryPoint]:
        extra = {
            "aios.agents": [
                _ep("broken", "h1_no_such_module:Agent", group),
                _ep("legacy", "h1_fake_plugin_pkg:legacy", group),
            ],
            "aios.tools": [
                _ep("shouting", "h1_fake_plugin_pkg:TOOLS", group),
                _ep("brokentools", "h1_no_such_module:TOOLS", group),
            ],
        }
        return [*real(group=group), *extra.get(group, [])]

    monkeypatch.setattr(discovery.importlib.metadata, "entry_points", fake)
    async with plugin_kernel(tmp_path) as k:
        listed = {a.name: a for a in (await k.syscall(ADMIN, "agent.list", {})).agents}  # type: ignore[attr-defined]
        assert "ModuleNotFoundError" in (listed["broken"].error or "")
        assert "ModuleNotFoundError" in (listed["brokentools"].error or "")
        assert listed["shouting"].kind == "tools" and listed["shouting"].tools == ["shout"]
        assert listed["chat"].source == "builtin" and listed["chat"].consent == "not needed"
        assert "shout" in k.tools.names()
        res = await k.syscall(ADMIN, "tool.call", {"name": "shout", "args": {"text": "hi"}})
        assert res.result == "HI"  # type: ignore[attr-defined]
        proc = await k.spawn("legacy", "task")
        (consent,) = await pending(k)
        assert consent.args["source"] == "entry_point:?"  # third-party code asks too
        k.approvals.respond(consent.id, "approve", by="test")
        info = await k.wait(proc.pid, 10)
    assert info.state == ProcessState.EXITED and info.result == "legacy task"


async def test_provides_tools_registers_the_plugins_tools_once_consented(tmp_path: Path) -> None:
    tools_py = """
        from pathlib import Path
        from langchain_core.tools import tool

        (Path(__file__).parent / "imported").touch()  # its code ran

        @tool
        def double(x: int) -> int:
            '''Doubles x.'''
            return 2 * x

        def make():
            return [double]
    """
    manifest = 'name = "t"\nversion = "1"\nprovides_tools = "tools:make"\n'
    folder = write_plugin(tmp_path / "plugins", "t", manifest, {"tools.py": tools_py})
    clash = 'name = "clash"\nversion = "1"\nprovides_tools = "tools:make"\n'
    write_plugin(tmp_path / "plugins", "zclash", clash, {"tools.py": tools_py})
    async with plugin_kernel(tmp_path) as k:
        # not before consent: none of its code has run
        assert "double" not in k.tools.names() and not (folder / "imported").exists()
        listed = {a.name: a for a in (await k.syscall(ADMIN, "agent.list", {})).agents}  # type: ignore[attr-defined]
        assert listed["t"].consent == "required" and listed["t"].kind == "tools"
        await k.syscall(ADMIN, "agent.approve", {"name": "t"})
        res = await k.syscall(ADMIN, "tool.call", {"name": "double", "args": {"x": 21}})
        await k.syscall(ADMIN, "agent.approve", {"name": "clash"})
        listed = {a.name: a for a in (await k.syscall(ADMIN, "agent.list", {})).agents}  # type: ignore[attr-defined]
    assert res.result == 42  # type: ignore[attr-defined]
    assert listed["t"].tools == ["double"] and listed["t"].consent == "approved"
    assert "already registered" in (listed["clash"].error or "")
    assert "t" not in k.agents.names()  # tools only: nothing to spawn
    async with plugin_kernel(tmp_path) as k2:  # remembered: registered at start
        res = await k2.syscall(ADMIN, "tool.call", {"name": "double", "args": {"x": 2}})
    assert res.result == 4  # type: ignore[attr-defined]


async def test_isolated_plugins_are_never_imported_in_the_daemon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_plugin(
        tmp_path / "plugins",
        "iso",
        'name = "iso"\nversion = "1"\nentry = "marked:Marked"\nisolated = true\n',
        {"marked.py": MARKER_AGENT},
    )
    write_plugin(
        tmp_path / "plugins",
        "inproc",
        'name = "inproc"\nversion = "1"\nentry = "marked:Marked"\n',
        {"marked.py": MARKER_AGENT},
    )
    calls: list[Any] = []

    async def run_isolated(ctx: Any, plugin: Any, task: str) -> Any:
        calls.append((ctx.pid, plugin.name, plugin.folder, plugin.manifest.entry, task))
        return "isolated result"

    stand_in = types.ModuleType("aios.agents.isolated")
    stand_in.run_isolated = run_isolated  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aios.agents.isolated", stand_in)
    async with plugin_kernel(tmp_path) as k:
        listed = {a.name: a for a in (await k.syscall(ADMIN, "agent.list", {})).agents}  # type: ignore[attr-defined]
        assert listed["iso"].isolated and not listed["inproc"].isolated
        iso = await k.spawn("iso", "t")
        forced = await k.spawn("inproc", "t", isolated=True)  # isolated on request
        for a in await pending(k, 2):
            k.approvals.respond(a.id, "approve", by="test")
        a = await k.wait(iso.pid, 10)
        b = await k.wait(forced.pid, 10)
        assert not (folder / "imported").exists()
        assert not (tmp_path / "plugins" / "inproc" / "imported").exists()
        # approved to run confined only: running in the daemon asks again
        plain = await k.spawn("inproc", "t")
        (again,) = await pending(k)
        assert "in-process" in str(again.args["new"])
        assert not (tmp_path / "plugins" / "inproc" / "imported").exists()
        k.approvals.respond(again.id, "approve", by="test")
        c = await k.wait(plain.pid, 10)
    assert a.result == b.result == "isolated result"
    assert sorted((x[1], x[3], x[4]) for x in calls) == [
        ("inproc", "marked:Marked", "t"),
        ("iso", "marked:Marked", "t"),
    ]
    assert c.state == ProcessState.EXITED and c.result == "ran t"
    assert (tmp_path / "plugins" / "inproc" / "imported").exists()


async def test_cerebrum_folders_are_the_admins_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    async def run_cerebrum(ctx: Any, folder: Path, task: str) -> Any:
        seen.append((folder, task))
        return "cerebrum result"

    stand_in = types.ModuleType("aios.agents.cerebrum_run")
    stand_in.run_cerebrum = run_cerebrum  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aios.agents.cerebrum_run", stand_in)
    folder = tmp_path / "demo_agent"
    folder.mkdir()
    refused: list[str] = []

    async def parent(ctx: Any, task: str) -> Any:
        try:
            await ctx.spawn("x", "", cerebrum=str(folder))
        except Exception as exc:
            refused.append(str(exc))

    async with plugin_kernel(tmp_path) as k:
        proc = await k.syscall(ADMIN, "proc.spawn", {"cerebrum": str(folder), "task": "hi"})
        info = await k.wait(proc.pid, 10)  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="absolute"):
            await k.syscall(ADMIN, "proc.spawn", {"cerebrum": "demo_agent"})
        with pytest.raises(BadRequest) as err:
            await k.syscall(ADMIN, "proc.spawn", {"task": "hi"})
        assert "give an agent's name" in str(err.value.details)
        k.agents.register("parent", parent)
        await k.wait((await k.spawn("parent")).pid, 10)
    assert info.state == ProcessState.EXITED and info.result == "cerebrum result"
    assert info.name == "cerebrum:demo_agent" and seen == [(folder, "hi")]
    assert "missing capability admin" in refused[0]


async def test_a_plugin_folder_added_while_running_is_found_and_still_asks(tmp_path: Path) -> None:
    """No restart: the admin's spawn of an unknown name (or agent.list) finds folders
    added since the start; the new plugin's first run asks as any other, and nothing
    of it is imported before that."""
    (tmp_path / "plugins").mkdir()
    async with plugin_kernel(tmp_path) as k:
        folder = write_plugin(
            tmp_path / "plugins",
            "late",
            'name = "late"\nversion = "1"\nentry = "marked:Marked"\n',
            {"marked.py": MARKER_AGENT},
        )
        proc = await k.spawn("late", "t")
        (consent,) = await pending(k)
        assert consent.args["plugin"] == "late" and not (folder / "imported").exists()
        k.approvals.respond(consent.id, "approve", by="test")
        info = await k.wait(proc.pid, 10)
        write_plugin(
            tmp_path / "plugins",
            "later",
            'name = "later"\nversion = "1"\nentry = "marked:Marked"\n',
            {"marked.py": MARKER_AGENT},
        )
        listed = {a.name: a for a in (await k.syscall(ADMIN, "agent.list", {})).agents}  # type: ignore[attr-defined]
    assert info.state == ProcessState.EXITED and info.result == "ran t"
    assert listed["later"].consent == "required" and listed["late"].consent == "approved"
    assert not (tmp_path / "plugins" / "later" / "imported").exists()
