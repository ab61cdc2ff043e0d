"""LSFS through the real daemon and the real model: summaries, links, crash safety."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from aios.fs.embed import Embedder
from aios.kernel import ADMIN, Kernel
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.model


async def test_summarize_and_change_summary_use_the_llm(kernel: Kernel) -> None:
    await kernel.syscall(
        ADMIN,
        "fs.write",
        {
            "path": "story.txt",
            "content": (
                "The lighthouse keeper lit the lamp every evening. One night a storm broke the "
                "glass, and he climbed the tower in the rain to repair it before a ship passed."
            ),
        },
    )
    await kernel.syscall(
        ADMIN,
        "fs.write",
        {
            "path": "story.txt",
            "content": (
                "The lighthouse keeper lit the lamp every evening. One calm night a fox visited "
                "the tower, and he shared his supper with it."
            ),
        },
    )
    res: Any = await kernel.syscall(
        ADMIN, "fs.summarize", {"path": "story.txt", "version": 1, "max_tokens": 60}
    )
    assert res.summary and not res.truncated
    change: Any = await kernel.syscall(
        ADMIN, "fs.change_summary", {"path": "story.txt", "max_tokens": 60}
    )
    assert change.summary
    rows = kernel.store.list_syscalls(name="llm.chat")
    assert len(rows) == 2 and all(r.completion_tokens > 0 for r in rows)  # scheduled calls


def _sys(d: Daemon, name: str, **args: Any) -> Any:
    r = d.syscall(name, **args)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def _wait_indexed(d: Daemon, path: str) -> None:
    for _ in range(600):
        if _sys(d, "fs.stat", path=path)["indexed"]:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} was not indexed")


def _index_idle(d: Daemon) -> dict[str, Any]:
    for _ in range(600):
        status = _sys(d, "fs.index_status")
        if not status["status"]["queued"] and not status["status"]["busy"]:
            return status  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("the indexer did not finish")


def test_links_are_served_by_the_daemon(tmp_path: Path) -> None:
    d = Daemon(tmp_path / "data").start()
    try:
        _sys(d, "fs.write", path="share/report.txt", content="quarterly numbers")
        link = _sys(d, "fs.link", path="share/report.txt", ttl_s=60)
        url = f"{d.url}/v1/links/{link['token']}"  # no token header: the link is the key
        r = httpx.get(url)
        assert r.status_code == 200 and r.text == "quarterly numbers"
        assert "report.txt" in r.headers["content-disposition"]
        assert httpx.get(f"{d.url}/v1/links/not-a-real-token").status_code == 404
    finally:
        assert d.stop() == 0


def test_acknowledged_write_survives_kill_9_and_the_index_agrees(
    tmp_path: Path, embedder: Embedder
) -> None:
    d = Daemon(tmp_path / "data").start()
    _sys(d, "fs.write", path="j/before.txt", content="Saved before the crash: albatross.")
    _wait_indexed(d, "j/before.txt")
    acked = _sys(d, "fs.write", path="j/acked.txt", content="Acknowledged: cormorant.")
    assert acked["version"] == 1
    d.stop(signal.SIGKILL)  # no shutdown at all, indexing possibly mid-way
    d2 = Daemon(tmp_path / "data").start()
    try:
        assert _sys(d2, "fs.read", path="j/acked.txt")["text"] == "Acknowledged: cormorant."
        assert _sys(d2, "fs.read", path="j/before.txt")["text"].endswith("albatross.")
        _wait_indexed(d2, "j/acked.txt")
        hits = _sys(d2, "fs.retrieve", query="cormorant", mode="keyword")["hits"]
        assert [h["path"] for h in hits] == ["j/acked.txt"]
        status = _index_idle(d2)
        # two one-chunk files: every chunk row has its vector and its keyword row
        assert (status["chunks"], status["vectors"], status["keyword_rows"]) == (2, 2, 2)
        assert status["failed"] == 0
    finally:
        assert d2.stop() == 0
    # offline check: every chunk row has its vector and no vector is orphaned
    import asyncio

    from sqlalchemy import select

    from aios.config import load_config
    from aios.fs.models import ChunkRow
    from tests.fakes import FakeCore

    async def check() -> None:
        cfg = load_config(
            data_dir=tmp_path / "data",
            fs={"watch": False},
            llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        )
        async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
            assert k.fs is not None
            await asyncio.to_thread(k.fs.indexer.wait_idle, 60)
            with k.fs.sessions() as s:
                in_sql = set(s.scalars(select(ChunkRow.vector_id)))
            assert in_sql and k.fs.vectors.all_ids() == in_sql

    asyncio.run(check())
