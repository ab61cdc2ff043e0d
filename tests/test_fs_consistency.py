"""LSFS consistency: a search reads its caller's own writes (and only waits for
those), and a start repairs an index that a kill left inconsistent (real
embeddings, chroma, SQLite)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text, update

from aios.fs.embed import Embedder
from aios.fs.models import ChunkRow, FileRow
from aios.kernel import Caller, Capabilities, Kernel
from tests.fakes import FakeCore
from tests.fs_helpers import Faulty, S, fs_config, idle, top

# -- 6. read your own writes -----------------------------------------------------------


async def test_a_search_right_after_a_write_finds_it(k: Kernel) -> None:
    await S(k, "fs.write", path="notes/first.txt", content="Groceries: eggs, flour, butter.")
    await idle(k)
    await S(k, "fs.write", path="notes/todo.txt", content="Remember to water the orchids.")
    res = await S(k, "fs.retrieve", query="caring for houseplants", mode="semantic")
    assert res.pending == 0 and top(res)[0] == "todo.txt"

    async def agent(ctx: Any, task: str) -> Any:
        await ctx.syscall("fs.write", path="agent/memo.txt", content="The meeting moved to Oslo.")
        res = await ctx.syscall("fs.retrieve", query="Oslo", mode="hybrid")
        return [res.pending, [h["path"] for h in res.hits]]

    proc = await k.spawn(agent, capabilities=Capabilities(fs_read=["agent"], fs_write=["agent"]))
    info = await k.wait(proc.pid, 60)
    assert info.result == [0, ["agent/memo.txt"]], info.error


@pytest.fixture
async def gated(
    tmp_path: Path, embedder: Embedder
) -> AsyncIterator[tuple[Kernel, threading.Event]]:
    """A kernel whose indexer waits until the gate opens."""
    gate = threading.Event()

    def wait(texts: list[str]) -> None:
        gate.wait(60)

    faulty = Faulty(embedder, wait)
    async with Kernel(fs_config(tmp_path), cores=[FakeCore()], embedder=faulty) as k:  # type: ignore[arg-type]
        yield k, gate
        gate.set()


async def test_a_search_waits_for_its_callers_writes_only(
    gated: tuple[Kernel, threading.Event],
) -> None:
    k, gate = gated
    k.config.fs.read_own_writes_s = 60
    caps = Capabilities(syscalls=["fs.*"], fs_read=["n"], fs_write=["elsewhere"])
    reader = await k.spawn("sleep", "600", capabilities=caps)
    await S(k, "fs.write", path="n/heron.txt", content="The heron waits in the reeds.")
    # another caller's search does not wait for the admin's write (eventual consistency)
    caller = Caller(pid=reader.pid, caps=reader.capabilities)
    other = await asyncio.wait_for(
        k.syscall(caller, "fs.retrieve", {"query": "heron", "mode": "keyword"}), 30
    )
    assert other.pending == 0 and other.hits == []
    mine = asyncio.create_task(S(k, "fs.retrieve", query="heron", mode="keyword"))
    await asyncio.sleep(0.3)
    assert not mine.done()  # waiting for its own write to be indexed
    gate.set()
    res = await asyncio.wait_for(mine, 60)
    assert res.pending == 0 and top(res) == ["heron.txt"]


async def test_the_wait_for_own_writes_is_bounded(gated: tuple[Kernel, threading.Event]) -> None:
    k, gate = gated
    k.config.fs.read_own_writes_s = 0.2
    await S(k, "fs.write", path="n/a.txt", content="Kingfishers dive for fish.")
    await S(k, "fs.write", path="n/b.txt", content="Kingfishers nest in banks.")
    res = await S(k, "fs.retrieve", query="kingfishers", mode="keyword")
    assert res.pending == 2 and res.hits == []
    gate.set()
    await idle(k)
    res = await S(k, "fs.retrieve", query="kingfishers", mode="keyword")
    assert res.pending == 0 and len(res.hits) == 2


# -- 8. an index a kill left inconsistent ---------------------------------------------


async def test_start_repairs_an_interrupted_index(tmp_path: Path, embedder: Embedder) -> None:
    cfg = fs_config(tmp_path)
    files = {
        "a.txt": "Glaciers carve valleys over millennia.",
        "b.txt": "The word xylophone appears here once.",
        "c.txt": "Volcanic islands rise from the sea floor.",
    }
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        for name, body in files.items():
            await S(k, "fs.write", path=name, content=body)
        await idle(k)
        fs = k.fs
        with fs.sessions() as s:
            ids = {
                f.path: (
                    f.id,
                    list(s.scalars(select(ChunkRow.vector_id).where(ChunkRow.file_id == f.id))),
                )
                for f in s.scalars(select(FileRow))
            }
            b_chunk = s.scalars(select(ChunkRow).where(ChunkRow.file_id == ids["b.txt"][0])).one()
        fs.vectors.delete(ids["a.txt"][1])  # rows without vectors (a lost chroma write)
        fs.vectors.upsert(["9999-dead-0"], np.ones((1, 384), np.float32), ["gone.txt"], [9999], [0])
        with fs.tx() as s:  # killed after the vectors, before the rows: c is unindexed
            s.execute(ChunkRow.__table__.delete().where(ChunkRow.file_id == ids["c.txt"][0]))
            s.execute(
                update(FileRow)
                .where(FileRow.id == ids["c.txt"][0])
                .values(index_state="pending", indexed_sha=None)
            )
            # and a keyword index that lost a row (a damaged database)
            s.execute(
                text(
                    "INSERT INTO fs_chunks_fts(fs_chunks_fts, rowid, text) "
                    "VALUES ('delete', :id, :text)"
                ),
                {"id": b_chunk.id, "text": b_chunk.text},
            )
        before = await S(k, "fs.index_status")
        assert (before.chunks, before.keyword_rows, before.vectors) == (2, 1, 3)
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        await idle(k)
        st = await S(k, "fs.index_status")
        assert st.chunks == st.keyword_rows == st.vectors == 3
        with k.fs.sessions() as s:
            in_sql = set(s.scalars(select(ChunkRow.vector_id)))
        assert k.fs.vectors.all_ids() == in_sql
        assert top(await S(k, "fs.retrieve", query="xylophone", mode="keyword")) == ["b.txt"]
        assert (
            top(await S(k, "fs.retrieve", query="ice shaping mountains", mode="semantic"))[0]
            == "a.txt"
        )
        assert top(await S(k, "fs.retrieve", query="volcanic", mode="keyword")) == ["c.txt"]
