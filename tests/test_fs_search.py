"""LSFS retrieval, indexing and monitoring (real embeddings, chroma; SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from aios.errors import NotFound, PermissionDenied
from aios.fs import compose
from aios.fs.embed import Embedder
from aios.kernel import Capabilities, Kernel
from tests.conftest import make_config
from tests.fakes import FakeCore
from tests.fs_helpers import S, idle, load_corpus, top


@pytest.fixture
def k(k_any_db: Kernel) -> Kernel:
    """Every test here runs on SQLite and on PostgreSQL."""
    return k_any_db


# -- retrieval -------------------------------------------------------------------------


async def test_semantic_keyword_and_hybrid_each_find_what_the_others_miss(k: Kernel) -> None:
    await load_corpus(k)
    meaning = "looking after vegetable plants in the backyard"
    ident = "0x5f3759df"
    # semantic finds the garden notes, which share no word with the query
    assert top(await S(k, "fs.retrieve", query=meaning, mode="semantic"))[0] == "garden.md"
    assert "garden.md" not in top(
        await S(k, "fs.retrieve", query=meaning, mode="keyword", match="all")
    )
    # keyword finds the exact identifier, which semantic ranks below other files
    assert top(await S(k, "fs.retrieve", query=ident, mode="keyword"))[0] == "finance.md"
    assert top(await S(k, "fs.retrieve", query=ident, mode="semantic"))[0] != "finance.md"
    # hybrid gets both right
    assert top(await S(k, "fs.retrieve", query=meaning, mode="hybrid"))[0] == "garden.md"
    assert top(await S(k, "fs.retrieve", query=ident, mode="hybrid"))[0] == "finance.md"


async def test_results_say_where_the_match_sits(k: Kernel) -> None:
    await load_corpus(k)
    hit = (await S(k, "fs.retrieve", query="parse_config_v2", mode="keyword")).hits[0]
    text = (await S(k, "fs.read", path=hit["path"])).text
    assert "parse_config_v2" in hit["text"] and text[hit["start"] : hit["end"]] == hit["text"]
    assert hit["line"] == 1 and hit["version"] == 1


async def test_keyword_and_or_conditions(k: Kernel) -> None:
    await load_corpus(k)
    both = top(await S(k, "fs.retrieve", query="error restart", mode="keyword", match="all"))
    either = top(await S(k, "fs.retrieve", query="revenue temples", mode="keyword", match="any"))
    assert set(both) == {"printer-a.md", "printer-b.md"}
    assert set(either) == {"finance.md", "travel.md"}


async def test_prefix_limits_every_mode(k: Kernel) -> None:
    await load_corpus(k, "one")
    await load_corpus(k, "two")
    for mode in ("semantic", "keyword", "hybrid"):
        res = await S(k, "fs.retrieve", query="printer error", mode=mode, prefix="two")
        assert res.hits and all(h["path"].startswith("two/") for h in res.hits)


async def test_long_files_are_chunked_within_the_model_limit(k: Kernel) -> None:
    para = " ".join(f"Sentence {i} talks about lighthouse keepers and storms." for i in range(400))
    await S(k, "fs.write", path="long.txt", content=para + " The secret word is marmalade.")
    await idle(k)
    with k.fs.sessions() as s:
        from sqlalchemy import select

        from aios.fs.models import ChunkRow

        chunks = list(s.scalars(select(ChunkRow).order_by(ChunkRow.ordinal)))
    assert len(chunks) > 10
    tok = k.fs.embedder.tokenizer
    assert max(len(tok(c.text, add_special_tokens=True)["input_ids"]) for c in chunks) <= 256
    assert all(a.end > b.start for a, b in itertools.pairwise(chunks))  # overlap
    hit = (await S(k, "fs.retrieve", query="marmalade", mode="keyword", unit="chunk")).hits[0]
    assert hit["chunk"] == chunks[-1].ordinal


async def test_group_by_copies_matches_into_a_new_folder(k: Kernel) -> None:
    await load_corpus(k)
    res = await S(
        k, "fs.group_by", query="printer error", mode="keyword", folder="printers", top_k=10
    )
    assert set(res.sources) == {"c/printer-a.md", "c/printer-b.md", "c/printer-c.md"} or {
        "c/printer-a.md",
        "c/printer-b.md",
    } <= set(res.sources)
    names = [e.path for e in (await S(k, "fs.ls", path="printers")).entries]
    assert "printers/printer-a.md" in names
    assert (await S(k, "fs.history", path="printers/printer-a.md")).versions[0][
        "note"
    ] == "grouped from c/printer-a.md"


# -- indexing and monitoring -------------------------------------------------------------


async def test_reindexing_unchanged_files_is_skipped(k: Kernel) -> None:
    await load_corpus(k)
    status = k.fs.indexer.snapshot()
    with k.fs.sessions() as s:
        from sqlalchemy import select

        from aios.fs.models import FileRow

        ids = list(s.scalars(select(FileRow.id).where(FileRow.kind == "file")))
    k.fs.indexer.enqueue(*ids)
    await idle(k)
    after = k.fs.indexer.snapshot()
    assert after["indexed"] == status["indexed"]
    assert after["skipped_unchanged"] - status["skipped_unchanged"] == len(ids)
    st = await S(k, "fs.index_status")
    assert st.vectors == st.chunks == st.keyword_rows == after["chunks_indexed"]


async def test_an_outside_edit_becomes_a_searchable_version(k: Kernel) -> None:
    await S(k, "fs.write", path="ext/note.txt", content="Nothing yet.")
    await idle(k)
    (k.fs.paths.root / "ext" / "note.txt").write_text("The kestrel hovered over the meadow.")
    (k.fs.paths.root / "ext" / "fresh.txt").write_text("Brand new file about volcanoes.")
    # the watcher may see the two files in separate batches: wait for both
    for _ in range(200):
        seen = len((await S(k, "fs.history", path="ext/note.txt")).versions) == 2
        ls = (await S(k, "fs.ls", path="ext")).entries
        if seen and any(e.path == "ext/fresh.txt" for e in ls):
            break
        await asyncio.sleep(0.1)
    hist = (await S(k, "fs.history", path="ext/note.txt")).versions
    assert hist[-1]["op"] == "external" and hist[-1]["author"] == "external"
    await idle(k)
    assert top(await S(k, "fs.retrieve", query="kestrel", mode="keyword")) == ["note.txt"]
    assert (await S(k, "fs.stat", path="ext/fresh.txt")).version == 1


async def test_an_outside_move_keeps_history_and_rm_deletes(k: Kernel) -> None:
    await S(k, "fs.write", path="m/a.txt", content="first version")
    await S(k, "fs.write", path="m/a.txt", content="second version")
    root = k.fs.paths.root
    os.rename(root / "m" / "a.txt", root / "m" / "b.txt")
    for _ in range(100):
        try:
            hist = (await S(k, "fs.history", path="m/b.txt")).versions
            break
        except NotFound:
            await asyncio.sleep(0.1)
    assert [v["path"] for v in hist] == ["m/a.txt", "m/a.txt"]
    (root / "m" / "b.txt").unlink()
    for _ in range(100):
        try:
            await S(k, "fs.stat", path="m/b.txt")
            await asyncio.sleep(0.1)
        except NotFound:
            break
    with pytest.raises(NotFound):
        await S(k, "fs.stat", path="m/b.txt")


async def test_restart_reconciles_disk_database_and_vectors(
    tmp_path: Path, embedder: Embedder
) -> None:
    cfg = make_config(
        tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]}, fs={"watch": False}
    )
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        await load_corpus(k)
        root = k.fs.paths.root
    # while the daemon is down: an edit, a new file, a lost file, a stray vector
    (root / "c" / "travel.md").write_text("Two weeks in Peru, walking to Machu Picchu.")
    (root / "c" / "added.txt").write_text("Notes about beekeeping and honey.")
    (root / "c" / "finance.md").unlink()
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        import numpy as np

        k.fs.vectors.upsert(["stray-1"], np.ones((1, 384), dtype=np.float32), ["c/x"], [999], [0])
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        await idle(k)
        assert (await S(k, "fs.history", path="c/travel.md")).versions[-1]["op"] == "external"
        assert (await S(k, "fs.stat", path="c/added.txt")).indexed
        assert (root / "c" / "finance.md").exists()  # restored from its blob
        assert top(await S(k, "fs.retrieve", query="Machu Picchu", mode="keyword")) == ["travel.md"]
        with k.fs.sessions() as s:
            from sqlalchemy import select

            from aios.fs.models import ChunkRow

            in_sql = set(s.scalars(select(ChunkRow.vector_id)))
        assert k.fs.vectors.all_ids() == in_sql  # no orphans, nothing missing


async def test_lsfs_tools_act_as_the_calling_process(k: Kernel) -> None:
    await S(k, "fs.write", path="open/readme.txt", content="public")
    await S(k, "fs.write", path="closed/secret.txt", content="private")

    async def agent(ctx: Any, task: str) -> Any:
        ok = await ctx.tool("fs_read", path="open/readme.txt")
        try:
            await ctx.tool("fs_read", path="closed/secret.txt")
            return [ok, "leaked"]
        except PermissionDenied:
            return [ok, "denied"]

    proc = await k.spawn(agent, capabilities=Capabilities(fs_read=["open"]))
    assert (await k.wait(proc.pid, 10)).result == ["public", "denied"]


async def test_links_are_unguessable_and_expire(k: Kernel) -> None:
    await S(k, "fs.write", path="share/me.txt", content="shared content")
    link = await S(k, "fs.link", path="share/me.txt", ttl_s=0.2)
    assert len(link.token) >= 40 and link.url.endswith(link.token)
    data, mime, name = compose.open_link(k.fs, link.token)
    assert data == b"shared content" and name == "me.txt" and mime.startswith("text/")
    await asyncio.sleep(0.3)
    with pytest.raises(NotFound):
        compose.open_link(k.fs, link.token)
    with pytest.raises(NotFound):
        compose.open_link(k.fs, "guess")
