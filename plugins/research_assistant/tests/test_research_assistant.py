"""research-assistant: its sources are files the search returned and it read, in
folders it may read; its citations name only those (real model, real LSFS)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aios.kernel import ADMIN, Kernel
from aios.kernel.caps import Capabilities
from aios.kernel.process import ProcessState

PLUGIN = Path(__file__).resolve().parents[1]

DOCS = {
    "docs/scheduler.md": "# Scheduler\nThe round-robin scheduler preempts a long generation "
    "after quantum_tokens tokens and keeps its KV cache, so resuming never re-reads the "
    "prompt. The priority policy ages waiting requests.",
    "docs/lsfs.md": "# LSFS\nThe semantic file system keeps every version of a file and "
    "indexes it for keyword and semantic search.",
    "docs/cooking.md": "# Pancakes\nWhisk flour, eggs and milk; fry the batter in butter.",
}
SECRET = "private/scheduler-internals.md"
QUESTION = "How does the scheduler preempt a long generation?"


@pytest.fixture
def mod(plugin_module: Callable[[Path, str], ModuleType]) -> Any:
    return plugin_module(PLUGIN, "research_assistant")


async def S(k: Kernel, name: str, **args: Any) -> Any:
    return await k.syscall(ADMIN, name, args)


def test_task_forms(mod: Any) -> None:
    assert mod.parse_task("  What is LSFS? ").question == "What is LSFS?"
    req = mod.parse_task('{"question": "q", "folder": "docs/a", "top_k": 2}')
    assert (req.question, req.folder, req.top_k) == ("q", "docs/a", 2)
    with pytest.raises(ValueError, match="question"):
        mod.parse_task("   ")
    with pytest.raises(ValueError, match="top_k"):
        mod.parse_task('{"question": "q", "top_k": 1000}')
    with pytest.raises(ValueError, match="JSON"):
        mod.parse_task('{"question": ')


def test_invented_citations_are_removed(mod: Any) -> None:
    text, cited = mod.cite("Preemption [2] keeps the KV [1][7], see [2] and [0].", 2)
    assert cited == [2, 1]
    assert "[7]" not in text and "[0]" not in text and "[2]" in text


def test_padding_small_models_add_is_removed(mod: Any) -> None:
    reply = "Preemption keeps the KV [1].\n\n[1] docs/a.md:\n[2] docs/b.md:\n\n"
    reply += "Preemption keeps the KV [1].\n\nIt ages requests [2]."
    assert mod.tidy(reply) == "Preemption keeps the KV [1].\n\nIt ages requests [2]."


@pytest.mark.model
async def test_answer_cites_only_files_it_searched_and_read(kernel: Kernel, mod: Any) -> None:
    for path, text in DOCS.items():
        await S(kernel, "fs.write", path=path, content=text)
    await S(kernel, "fs.write", path=SECRET, content="The scheduler preempts generations.")
    assert kernel.fs is not None
    assert await asyncio.to_thread(kernel.fs.indexer.wait_idle, 120)

    caps = Capabilities(fs_read=["docs"], fs_write=[], tools=[])
    proc = await kernel.spawn(mod.ResearchAssistant, QUESTION, capabilities=caps)
    info = await kernel.wait(proc.pid, 240)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result

    searched = await S(kernel, "fs.retrieve", query=QUESTION, mode="hybrid", top_k=3, prefix="docs")
    returned = [h["path"] for h in searched.hits]
    assert res["sources"] and set(res["sources"]) <= set(returned)
    assert "docs/scheduler.md" in res["sources"]
    assert SECRET not in res["answer"] and SECRET not in res["sources"]
    assert set(res["cited"]) <= set(res["sources"])
    assert [p["path"] for p in res["passages"]] == res["sources"]
    # the answer lists every source as [n] path, in order
    listing = res["answer"].rsplit("Sources:\n", 1)[1].splitlines()
    assert listing == [f"[{i}] {p}" for i, p in enumerate(res["sources"], 1)]
    # and it read each one: its own fs.read syscalls, in the audit
    for _ in range(50):
        rows = (await S(kernel, "proc.syscalls", pid=proc.pid)).syscalls
        names = [r["name"] for r in rows]
        if "llm.chat" in names:
            break
        await asyncio.sleep(0.1)
    read = {r["args"]["path"] for r in rows if r["name"] == "fs.read" and r["status"] == "ok"}
    assert set(res["sources"]) <= read
    assert "fs.retrieve" in names and "llm.chat" in names


async def test_nothing_readable_matches_no_llm_call(k: Kernel, mod: Any) -> None:
    await S(k, "fs.write", path=SECRET, content="The scheduler preempts generations.")
    assert k.fs is not None
    assert await asyncio.to_thread(k.fs.indexer.wait_idle, 120)
    caps = Capabilities(fs_read=["docs"], fs_write=[], tools=[])
    proc = await k.spawn(mod.ResearchAssistant, QUESTION, capabilities=caps)
    info = await k.wait(proc.pid, 60)
    assert info.state == ProcessState.EXITED, info.error
    assert info.result["sources"] == [] and info.result["answer"] == mod.NOTHING
    assert info.completion_tokens == 0


async def test_a_folder_outside_its_grant_is_refused(k: Kernel, mod: Any) -> None:
    caps = Capabilities(fs_read=["docs"], fs_write=[], tools=[])
    task = '{"question": "scheduler", "folder": "private"}'
    proc = await k.spawn(mod.ResearchAssistant, task, capabilities=caps)
    info = await k.wait(proc.pid, 60)
    assert info.state == ProcessState.FAILED
    assert "private" in (info.error or "")


async def test_runs_by_name_under_its_manifest(k: Kernel) -> None:
    """Discovered from plugins/, consent given, its manifest's folders only."""
    for path, text in DOCS.items():
        await S(k, "fs.write", path=path, content=text)
    await S(k, "fs.write", path=SECRET, content="The scheduler preempts generations.")
    assert k.fs is not None
    assert await asyncio.to_thread(k.fs.indexer.wait_idle, 120)
    proc = await k.spawn("research-assistant", QUESTION)
    for _ in range(600):
        pending = k.approvals.list(state="pending")
        if pending:
            break
        await asyncio.sleep(0.05)
    (consent,) = pending
    assert consent.args["capabilities"]["fs_read"] == ["docs"]
    k.approvals.respond(consent.id, "approve", by="test")
    info = await k.wait(proc.pid, 60)
    assert info.state == ProcessState.EXITED, info.error
    assert info.result["sources"] and all(p.startswith("docs/") for p in info.result["sources"])
    assert SECRET not in info.result["answer"]
