"""file-organizer: a dry run touches nothing; denied moves nothing; approved moves
each file once into a topic folder (real LSFS, real embeddings)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aios.kernel import ADMIN, Kernel
from aios.kernel.caps import Capabilities
from aios.kernel.process import ProcessState

PLUGIN = Path(__file__).resolve().parents[1]

INBOX = {
    "pancakes.txt": "Recipe: whisk flour, eggs, milk and sugar; fry the batter in butter.",
    "lasagna.txt": "Recipe for lasagna: layer pasta sheets, tomato sauce and cheese; bake.",
    "invoice-march.txt": "Invoice 2031. Amount due: 420 EUR for consulting. Payment in 30 days.",
    "electricity-bill.txt": "Electricity bill: 86 EUR due by 15 April. Pay by bank transfer.",
    "paris-trip.txt": "Trip to Paris: flight on Friday, hotel near the Louvre, train home.",
    "tokyo-itinerary.txt": "Travel itinerary for Tokyo: arrive at Narita, hotel in Shinjuku.",
}
TOPICS = ["recipes", "invoices and bills", "travel"]


@pytest.fixture
def mod(plugin_module: Callable[[Path, str], ModuleType]) -> Any:
    return plugin_module(PLUGIN, "file_organizer")


async def S(k: Kernel, name: str, **args: Any) -> Any:
    return await k.syscall(ADMIN, name, args)


async def _inbox(k: Kernel) -> None:
    for name, text in INBOX.items():
        await S(k, "fs.write", path=f"inbox/{name}", content=text)
    assert k.fs is not None
    assert await asyncio.to_thread(k.fs.indexer.wait_idle, 120)


async def _listing(k: Kernel) -> list[tuple[str, str, int]]:
    res = await S(k, "fs.ls", path="inbox", recursive=True)
    return sorted((e.path, e.kind, e.version) for e in res.entries)


async def _spawn(k: Kernel, mod: Any, task: str) -> int:
    caps = Capabilities(fs_read=["inbox"], fs_write=["inbox"], tools=[])
    proc = await k.spawn(mod.FileOrganizer, task, capabilities=caps)
    return proc.pid


async def _pending(k: Kernel, pid: int) -> Any:
    for _ in range(600):
        res = await S(k, "approval.list", state="pending", pid=pid)
        if res.approvals:
            return res.approvals[0]
        info = await k.procs.get(pid)
        assert not info.state.terminal, info.error
        await asyncio.sleep(0.05)
    raise AssertionError("the organizer never asked for approval")


def test_task_forms_and_folder_names(mod: Any) -> None:
    req = mod.parse_task("inbox/: recipes,  Travel notes ,")
    assert (req.folder, req.topics, req.dry_run) == ("inbox", ["recipes", "Travel notes"], False)
    req = mod.parse_task('{"folder": "inbox", "topics": ["a"], "dry_run": true}')
    assert req.dry_run and req.topics == ["a"]
    with pytest.raises(ValueError, match="folder"):
        mod.parse_task(": recipes")
    with pytest.raises(ValueError, match=r"unknown|extra|not permitted"):
        mod.parse_task('{"folder": "inbox", "delete": true}')
    assert mod.slug("Invoices & Bills / 2024") == "invoices-bills-2024"
    assert mod.slug("../../etc") == "etc"  # a topic never names a path outside the folder
    with pytest.raises(ValueError, match="no letters or digits"):
        mod.slug("../")


def test_each_file_goes_to_its_best_topic_once(mod: Any) -> None:
    scores = {
        "food": {"in/a.txt": 0.9, "in/b.txt": 0.2},
        "money": {"in/a.txt": 0.3, "in/b.txt": 0.8, "in/c.txt": 0.1},
    }
    moves = mod.plan_moves("in", ["in/a.txt", "in/b.txt", "in/c.txt", "in/d.txt"], scores)
    assert [(m["src"], m["dst"]) for m in moves] == [
        ("in/a.txt", "in/food/a.txt"),
        ("in/b.txt", "in/money/b.txt"),
        ("in/c.txt", "in/money/c.txt"),
    ]  # d.txt: no topic found it, it stays
    kept = mod.plan_moves("in", ["in/a.txt", "in/c.txt"], scores, min_score=0.5)
    assert [m["src"] for m in kept] == ["in/a.txt"]
    taken = mod.plan_moves("in", ["in/a.txt"], scores, taken={"in/food/a.txt"})
    assert taken == []  # never onto an existing file


async def test_dry_run_proposes_and_touches_nothing(k: Kernel, mod: Any) -> None:
    await _inbox(k)
    before = await _listing(k)
    task = json.dumps({"folder": "inbox", "topics": TOPICS, "dry_run": True})
    pid = await _spawn(k, mod, task)
    info = await k.wait(pid, 120)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result
    assert res["dry_run"] is True and res["moved"] == []
    srcs = [m["src"] for m in res["moves"]]
    assert sorted(srcs) == sorted(f"inbox/{n}" for n in INBOX)  # each file once
    for m in res["moves"]:
        assert m["dst"] == f"inbox/{mod.slug(m['topic'])}/{m['src'].rsplit('/', 1)[1]}"
        assert m["topic"] in TOPICS
    topic_of = {m["src"]: m["topic"] for m in res["moves"]}
    assert topic_of["inbox/pancakes.txt"] == "recipes"
    assert topic_of["inbox/paris-trip.txt"] == "travel"
    assert await _listing(k) == before
    assert (await S(k, "approval.list", pid=pid)).approvals == []  # nobody was asked


async def test_denied_moves_nothing(k: Kernel, mod: Any) -> None:
    await _inbox(k)
    before = await _listing(k)
    pid = await _spawn(k, mod, "inbox: " + ", ".join(TOPICS))
    asked = await _pending(k, pid)
    assert len(asked.args["moves"]) == len(INBOX)  # the person sees every move
    await S(k, "approval.respond", id=asked.id, decision="deny")
    info = await k.wait(pid, 60)
    assert info.state == ProcessState.EXITED, info.error
    assert info.result["approved"] is False and info.result["moved"] == []
    assert await _listing(k) == before


async def test_approved_moves_each_file_keeping_its_content(k: Kernel, mod: Any) -> None:
    await _inbox(k)
    pid = await _spawn(k, mod, "inbox: " + ", ".join(TOPICS))
    asked = await _pending(k, pid)
    await S(k, "approval.respond", id=asked.id, decision="approve")
    info = await k.wait(pid, 60)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result
    assert res["approved"] is True and res["failed"] == []
    assert [m["src"] for m in res["moved"]] == [m["src"] for m in asked.args["moves"]]
    files = {p: v for p, kind, v in await _listing(k) if kind == "file"}
    assert set(files) == {m["dst"] for m in res["moved"]}  # nothing left, nothing extra
    for m in res["moved"]:
        got = await S(k, "fs.read", path=m["dst"])
        assert got.text == INBOX[m["src"].rsplit("/", 1)[1]]


async def test_a_file_gone_since_the_dry_run_is_reported_and_the_rest_move(
    k: Kernel, mod: Any
) -> None:
    await _inbox(k)
    pid = await _spawn(k, mod, "inbox: " + ", ".join(TOPICS))
    asked = await _pending(k, pid)
    await S(k, "fs.delete", path="inbox/lasagna.txt")
    await S(k, "approval.respond", id=asked.id, decision="approve")
    info = await k.wait(pid, 60)
    res = info.result
    assert [f["src"] for f in res["failed"]] == ["inbox/lasagna.txt"]
    assert len(res["moved"]) == len(INBOX) - 1


async def test_a_folder_it_may_not_write_is_refused(k: Kernel, mod: Any) -> None:
    await S(k, "fs.write", path="private/a.txt", content="secret recipe")
    caps = Capabilities(fs_read=["inbox"], fs_write=["inbox"], tools=[])
    proc = await k.spawn(mod.FileOrganizer, "private: recipes", capabilities=caps)
    info = await k.wait(proc.pid, 60)
    assert info.state == ProcessState.FAILED
    assert "private" in (info.error or "")
    assert (await S(k, "fs.stat", path="private/a.txt")).path == "private/a.txt"


@pytest.mark.model
async def test_topics_the_model_proposes_are_safe_folder_names(kernel: Kernel, mod: Any) -> None:
    await _inbox(kernel)
    before = await _listing(kernel)
    pid = await _spawn(kernel, mod, json.dumps({"folder": "inbox", "dry_run": True}))
    info = await kernel.wait(pid, 120)
    assert info.state == ProcessState.EXITED, info.error
    res = info.result
    assert 1 <= len(res["topics"]) <= mod.MAX_TOPICS
    slugs = {mod.slug(t) for t in res["topics"]}
    for m in res["moves"]:
        folder = m["dst"].rsplit("/", 1)[0]
        assert folder.startswith("inbox/") and folder[len("inbox/") :] in slugs
        assert "/" not in folder[len("inbox/") :] and ".." not in m["dst"]
    assert await _listing(kernel) == before


async def test_runs_by_name_under_its_manifest(k: Kernel) -> None:
    """Discovered from plugins/, consent given, then its own least-privilege manifest:
    the whole path a user's `aios agents run file-organizer ...` takes."""
    await _inbox(k)
    before = await _listing(k)
    proc = await k.spawn("file-organizer", "inbox: " + ", ".join(TOPICS))
    consent = await _pending(k, proc.pid)
    assert consent.syscall == "agent.consent" and consent.args["plugin"] == "file-organizer"
    assert consent.args["capabilities"]["fs_write"] == ["inbox"]
    await S(k, "approval.respond", id=consent.id, decision="approve")
    for _ in range(600):
        asked = await _pending(k, proc.pid)
        if asked.id != consent.id:
            break
        await asyncio.sleep(0.05)
    assert asked.syscall == "approval.request" and asked.args["moves"]
    await S(k, "approval.respond", id=asked.id, decision="deny")
    info = await k.wait(proc.pid, 60)
    assert info.state == ProcessState.EXITED, info.error
    assert info.result["approved"] is False and await _listing(k) == before
    # what it may not do, whatever its code tried: write contents, delete
    assert info.capabilities.syscalls == [
        "fs.ls",
        "fs.retrieve",
        "fs.mv",
        "llm.chat",
        "approval.request",
        "proc.log",
    ]
