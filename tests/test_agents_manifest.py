"""The plugin manifest: parsing and its errors, and the kernel enforcing it (tools,
syscalls, LSFS folders, priority, the LLM token budget), each refusal naming the
missing capability."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aios.agents.manifest import ManifestError, load_manifest, parse_manifest
from aios.errors import PermissionDenied
from aios.kernel import ADMIN, Capabilities, Kernel, ProcessState
from tests.conftest import make_config
from tests.fakes import FakeCore

REPO_PLUGINS = Path(__file__).resolve().parents[1] / "plugins"

PROBE = '''
import json
from aios.agents.sdk import Agent

class Probe(Agent):
    """Makes the syscalls its task lists, in order; returns their results."""

    async def run(self, task, ctx):
        out = []
        for step in json.loads(task or "[]"):
            out.append(await ctx.syscall(step["syscall"], **step.get("args", {})))
        return out
'''


def write_plugin(
    root: Path,
    folder: str,
    manifest: str,
    files: dict[str, str] | None = None,
) -> Path:
    """A plugin folder under ``root``: its manifest and modules."""
    d = root / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "aios-plugin.toml").write_text(textwrap.dedent(manifest))
    for name, text in (files or {}).items():
        (d / name).write_text(textwrap.dedent(text))
    return d


def probe_manifest(name: str = "probe", version: str = "0.1.0", caps: str = "") -> str:
    return (
        f'name = "{name}"\nversion = "{version}"\ndescription = "a probe"\n'
        f'entry = "probe:Probe"\n[capabilities]\n{textwrap.dedent(caps)}'
    )


def plugin_kernel(tmp_path: Path, **config: Any) -> Kernel:
    """A kernel on a scripted core, finding plugins in ``tmp_path/plugins`` only."""
    config.setdefault("fs", {"enabled": False})
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        agents={"plugin_dirs": [str(tmp_path / "plugins")], "repo_plugins": False},
        **config,
    )
    return Kernel(cfg, cores=[FakeCore()])


async def approve_consents(k: Kernel) -> None:
    """A person who approves every plugin's first run (run as a task)."""
    while True:
        for a in k.approvals.list(state="pending"):
            if a.syscall == "agent.consent":
                k.approvals.respond(a.id, "approve", by="test")
        await asyncio.sleep(0.01)


@pytest.fixture
async def approver() -> AsyncIterator[Any]:
    tasks: list[asyncio.Task[None]] = []

    def start(k: Kernel) -> None:
        tasks.append(asyncio.create_task(approve_consents(k)))

    yield start
    for t in tasks:
        t.cancel()


async def pending(k: Kernel, n: int = 1, timeout: float = 10) -> list[Any]:
    """The pending approvals, once there are ``n``."""
    async with asyncio.timeout(timeout):
        while len(items := k.approvals.list(state="pending")) < n:
            await asyncio.sleep(0.01)
    return items


async def run_probe(k: Kernel, steps: list[dict[str, Any]], **kw: Any) -> Any:
    proc = await k.spawn("probe", json.dumps(steps), **kw)
    return await k.wait(proc.pid, 10)


# -- parsing ------------------------------------------------------------------------


def test_manifest_maps_onto_kernel_capabilities(tmp_path: Path) -> None:
    d = write_plugin(
        tmp_path,
        "p",
        """
        name = "unit-solver"
        version = "0.1.0"
        entry = "unit_solver:UnitSolver"
        [capabilities]
        tools = ["calculator"]
        mcp_servers = ["files"]
        fs_read = ["~", "docs"]
        fs_write = ["~"]
        max_priority = 2
        llm_token_budget = 20000
        approvals = ["tool:fs_mv"]
        [[mcp_servers]]
        name = "wiki"
        command = ["wiki-server"]
        """,
    )
    m = load_manifest(d)
    caps = m.to_capabilities()
    assert (m.name, m.version, m.entry, m.isolated) == (
        "unit-solver",
        "0.1.0",
        "unit_solver:UnitSolver",
        False,
    )
    assert caps.tools == ["calculator", "files.*", "wiki.*"]
    assert caps.fs_read == ["~", "docs"] and caps.fs_write == ["~"]
    assert caps.max_priority == 2 and caps.llm_tokens == 20000
    assert caps.approvals == ["tool:fs_mv"]
    assert caps.syscalls == Capabilities().syscalls  # left out: the defaults


def test_manifest_defaults_are_least_privilege() -> None:
    m = parse_manifest({"name": "x", "version": "1", "entry": "x:X"})
    assert m.to_capabilities() == Capabilities(max_priority=0)


def test_manifest_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.aios]\nname = "x"\nversion = "2.0"\nentry = "x:X"\n'
    )
    assert load_manifest(tmp_path).version == "2.0"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"name": "x", "version": "1", "entry": "x:X", "colour": 1}, "colour: unknown key"),
        (
            {"name": "x", "version": "1", "entry": "x:X", "capabilities": {"tool": ["a"]}},
            "capabilities.tool: unknown key",
        ),
        ({"name": "Bad Name", "version": "1", "entry": "x:X"}, "name:"),
        ({"name": "x", "version": "1", "entry": "not an entry"}, "entry:"),
        ({"name": "x", "version": "1"}, "needs an 'entry'"),
        ({"version": "1", "entry": "x:X"}, "name: Field required"),
        (
            {"name": "x", "version": "1", "entry": "x:X", "capabilities": {"fs_read": [".."]}},
            "not a plain LSFS folder",
        ),
        (
            {
                "name": "x",
                "version": "1",
                "entry": "x:X",
                "isolated": True,
                "provides_tools": "t:T",
            },
            "isolated plugin cannot provide in-process tools",
        ),
        (
            {"name": "x", "version": "1", "entry": "x:X", "capabilities": {"max_priority": 500}},
            "capabilities.max_priority:",
        ),
    ],
)
def test_bad_manifests_name_the_bad_key(data: dict[str, Any], says: str) -> None:
    with pytest.raises(ManifestError, match=r"aios-plugin\.toml") as err:
        parse_manifest(data, "aios-plugin.toml")
    assert says in str(err.value)


def test_unreadable_manifests_say_why(tmp_path: Path) -> None:
    (tmp_path / "aios-plugin.toml").write_text('name = "x\n')
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest(tmp_path)
    with pytest.raises(ManifestError, match=r"no aios-plugin\.toml"):
        load_manifest(tmp_path / "nothing")


@pytest.mark.skipif(not REPO_PLUGINS.is_dir(), reason="no example plugins")
def test_the_example_plugins_manifests_parse() -> None:
    folders = [p for p in REPO_PLUGINS.iterdir() if (p / "aios-plugin.toml").is_file()]
    for folder in folders:
        load_manifest(folder).to_capabilities()


# -- enforcement ----------------------------------------------------------------------


async def test_calls_outside_the_manifest_are_refused_naming_the_capability(
    tmp_path: Path, approver: Any
) -> None:
    caps = """
        tools = ["calculator"]
        syscalls = ["tool.*", "llm.*"]
    """
    write_plugin(tmp_path / "plugins", "probe", probe_manifest(caps=caps), {"probe.py": PROBE})
    async with plugin_kernel(tmp_path) as k:
        approver(k)
        ok = await run_probe(
            k,
            [
                {
                    "syscall": "tool.call",
                    "args": {"name": "calculator", "args": {"expression": "6*7"}},
                }
            ],
        )
        assert ok.state == ProcessState.EXITED, ok.error
        assert ok.result[0]["result"] == 42
        tool = await run_probe(
            k, [{"syscall": "tool.call", "args": {"name": "current_time", "args": {}}}]
        )
        sysc = await run_probe(k, [{"syscall": "proc.list"}])
    assert tool.state == ProcessState.FAILED
    assert "missing capability tools:current_time" in (tool.error or "")
    assert sysc.state == ProcessState.FAILED
    assert "missing capability syscalls:proc.list" in (sysc.error or "")


async def test_lsfs_outside_the_manifest_is_refused_naming_the_folder(
    tmp_path: Path, embedder: Any, approver: Any
) -> None:
    caps = 'fs_read = ["docs"]\nfs_write = ["~"]'
    write_plugin(tmp_path / "plugins", "probe", probe_manifest(caps=caps), {"probe.py": PROBE})
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        agents={"plugin_dirs": [str(tmp_path / "plugins")], "repo_plugins": False},
    )
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        approver(k)
        await k.syscall(ADMIN, "fs.write", {"path": "docs/a.txt", "content": "a"})
        await k.syscall(ADMIN, "fs.write", {"path": "secret/b.txt", "content": "b"})
        ok = await run_probe(k, [{"syscall": "fs.read", "args": {"path": "docs/a.txt"}}])
        bad = await run_probe(k, [{"syscall": "fs.read", "args": {"path": "secret/b.txt"}}])
        wr = await run_probe(
            k, [{"syscall": "fs.write", "args": {"path": "docs/x", "content": ""}}]
        )
    assert ok.state == ProcessState.EXITED, ok.error
    assert "'secret/b.txt': missing capability fs_read" in (bad.error or "")
    assert "'docs/x': missing capability fs_write" in (wr.error or "")


async def test_priority_above_the_manifest_is_refused(tmp_path: Path, approver: Any) -> None:
    write_plugin(
        tmp_path / "plugins", "probe", probe_manifest(caps="max_priority = 1"), {"probe.py": PROBE}
    )
    async with plugin_kernel(tmp_path) as k:
        approver(k)
        with pytest.raises(PermissionDenied, match="missing capability max_priority:5") as err:
            await k.spawn("probe", "[]", priority=5)
        assert err.value.details["capability"] == "max_priority:5"
        fine = await run_probe(k, [], priority=1)
        assert fine.state == ProcessState.EXITED and fine.priority == 1
        low = await run_probe(k, [])
        assert low.priority == 0  # the default, under the ceiling
        assert len(k.store.list_processes()) == 2  # the refused one never started


async def test_token_budget_is_enforced_and_shared_with_children(
    tmp_path: Path, approver: Any
) -> None:
    write_plugin(
        tmp_path / "plugins",
        "probe",
        probe_manifest(caps="llm_token_budget = 12"),
        {"probe.py": PROBE},
    )
    chat = {
        "syscall": "llm.chat",
        "args": {"messages": [{"role": "user", "content": "t"}], "max_tokens": 5},
    }
    async with plugin_kernel(tmp_path) as k:
        approver(k)
        # the fake core counts 3 prompt tokens: 3+5, then 3+4 (max_tokens cut to the 4
        # left), then nothing is left
        info = await run_probe(k, [chat, chat, chat])
        assert info.state == ProcessState.FAILED
        assert "missing capability llm_tokens" in (info.error or "")
        assert info.prompt_tokens + info.completion_tokens == 15

        spawned: list[Any] = []

        async def parent(ctx: Any, task: str) -> Any:
            await ctx.syscall("llm.chat", messages=[{"role": "user", "content": "p"}], max_tokens=3)
            caps = Capabilities(llm_tokens=1000)
            try:
                await ctx.spawn("child", "", capabilities=caps.model_dump())
            except PermissionDenied as exc:
                spawned.append(str(exc))
            child = await ctx.spawn("child", "")
            return await ctx.wait(child["pid"], 5)

        async def child(ctx: Any, task: str) -> Any:
            res = await ctx.syscall(
                "llm.chat", messages=[{"role": "user", "content": "c"}], max_tokens=50
            )
            return res["completion_tokens"]

        k.agents.register("parent", parent)
        k.agents.register("child", child)
        proc = await k.spawn("parent", capabilities=Capabilities(llm_tokens=20))
        done = await k.wait(proc.pid, 10)
    assert done.state == ProcessState.EXITED, done.error
    # the parent used 3+3 of its 20: its child got the 14 left (not the 1000 it asked
    # for), and its max_tokens was cut to them
    assert "missing capability llm_tokens:1000" in spawned[0]
    assert done.result["state"] == "EXITED" and done.result["result"] == 14
    assert done.result["capabilities"]["llm_tokens"] == 14
