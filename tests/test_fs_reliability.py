"""LSFS under faults: the event loop under big contents, failing index batches,
deletes that fail half-way, the monitor and aios's own writes (real embeddings,
chroma, SQLite). Reading one's own writes and index repair: test_fs_consistency.py."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from aios.errors import NotFound, PermissionDenied
from aios.fs.embed import Embedder
from aios.fs.models import FileRow
from aios.kernel import Kernel, sysfs, sysfs_semantic
from tests.fakes import FakeCore
from tests.fs_helpers import Faulty, S, fs_config, idle, top


async def _until(check: Callable[[], Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _state(k: Kernel, path: str) -> str:
    return str((await S(k, "fs.stat", path=path)).index_state)


# -- 1. nothing heavy on the event loop -----------------------------------------------


async def test_big_contents_are_encoded_extracted_and_decoded_off_the_loop(
    k: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    seen: dict[str, int] = {}

    def spy(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **kw: Any) -> Any:
            seen[name] = threading.get_ident()
            return fn(*a, **kw)

        return wrapped

    monkeypatch.setattr(sysfs.WriteArgs, "data", spy("decode", sysfs.WriteArgs.data))
    monkeypatch.setattr(sysfs, "_read_result", spy("encode", sysfs._read_result))
    monkeypatch.setattr(sysfs_semantic, "extract", spy("extract", sysfs_semantic.extract))
    blob = base64.b64encode(os.urandom(1 << 20)).decode()
    await S(k, "fs.write", path="big.bin", content_b64=blob)
    await S(k, "fs.read", path="big.bin")
    await S(k, "fs.write", path="doc.docx", content_b64=base64.b64encode(_docx(20)).decode())
    await S(k, "fs.summarize", path="doc.docx")
    assert set(seen) == {"decode", "encode", "extract"}
    assert loop_thread not in seen.values()


async def test_the_loop_keeps_running_while_a_big_document_is_summarised(k: Kernel) -> None:
    await S(k, "fs.write", path="long.docx", content_b64=base64.b64encode(_docx(6000)).decode())
    ticks = 0
    stop = asyncio.Event()

    async def probe() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(probe())
    res = await S(k, "fs.summarize", path="long.docx")
    stop.set()
    await task
    assert res.truncated  # the whole document was extracted (seconds of CPU)
    # on the loop, the probe would run about once; in a thread, every 10 ms or so
    assert ticks >= 5, ticks


def _docx(paragraphs: int) -> bytes:
    import docx

    doc = docx.Document()
    for i in range(paragraphs):
        doc.add_paragraph(f"Paragraph {i}: the lighthouse keeper climbed the tower in the storm.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# -- 2. a failing index batch ----------------------------------------------------------


async def test_a_failing_batch_marks_its_files_failed_and_is_retried(
    tmp_path: Path, embedder: Embedder
) -> None:
    healed = threading.Event()

    def fault(texts: list[str]) -> None:
        if not healed.is_set():
            raise RuntimeError("embedding service down")

    cfg = fs_config(tmp_path, index_attempts=20, index_backoff_s=0.02)
    async with Kernel(cfg, cores=[FakeCore()], embedder=Faulty(embedder, fault)) as k:  # type: ignore[arg-type]
        await S(k, "fs.write", path="n/a.txt", content="The heron waits in the reeds.")
        await _until(lambda: _is(k, "n/a.txt", "failed"), "the file to be marked failed")
        stat = await S(k, "fs.stat", path="n/a.txt")
        assert "embedding service down" in stat.index_note and not stat.indexed
        status = await S(k, "fs.index_status")
        assert status.failed == 1 and status.failures[0].path == "n/a.txt"
        assert "embedding service down" in status.failures[0].error
        healed.set()
        await _until(lambda: _is(k, "n/a.txt", "indexed"), "the retry to index it")
        status = await S(k, "fs.index_status")
        assert status.failed == 0 and status.failures == []
        assert top(await S(k, "fs.retrieve", query="heron", mode="keyword")) == ["a.txt"]


async def test_one_file_that_always_fails_neither_fails_its_batch_nor_retries_forever(
    tmp_path: Path, embedder: Embedder
) -> None:
    calls = {"poison": 0}

    def fault(texts: list[str]) -> None:
        if any("POISON" in t for t in texts):
            calls["poison"] += 1
            raise ValueError("cannot embed this")

    cfg = fs_config(tmp_path, index_attempts=3, index_backoff_s=0.01)
    async with Kernel(cfg, cores=[FakeCore()], embedder=Faulty(embedder, fault)) as k:  # type: ignore[arg-type]
        for name, body in [("good1", "Otters"), ("bad", "POISON pill"), ("good2", "Beavers")]:
            await S(k, "fs.write", path=f"b/{name}.txt", content=f"{body} in the river.")
        assert await asyncio.to_thread(k.fs.indexer.wait_idle, 60, retries=True)
        assert (await S(k, "fs.stat", path="b/good1.txt")).indexed
        assert (await S(k, "fs.stat", path="b/good2.txt")).indexed
        status = await S(k, "fs.index_status")
        assert status.failed == 1
        (f,) = status.failures
        assert f.path == "b/bad.txt" and f.attempts == 3 and f.retry_in_s is None
        assert "cannot embed this" in f.error and "attempt 3 of 3" in f.error
        assert calls["poison"] == 3
        assert status.vectors == status.chunks == status.keyword_rows == 2


async def _is(k: Kernel, path: str, state: str) -> bool:
    return await _state(k, path) == state


# -- 3. deletes ------------------------------------------------------------------------


async def test_a_delete_whose_removal_fails_half_way_does_not_come_back(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = fs_config(tmp_path)
    real_unlink = os.unlink

    def unlink(path: Any, *a: Any, **kw: Any) -> None:
        if str(path) == "stuck.txt":
            raise PermissionError(1, "Operation not permitted")
        real_unlink(path, *a, **kw)

    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        for p in ["d/a.txt", "d/sub/stuck.txt", "d/sub/b.txt", "keep.txt"]:
            await S(k, "fs.write", path=p, content=f"content of {p}")
        root = k.fs.paths.root
        monkeypatch.setattr(os, "unlink", unlink)
        paths = (await S(k, "fs.delete", path="d", recursive=True)).paths
        monkeypatch.setattr(os, "unlink", real_unlink)
        assert set(paths) == {"d", "d/a.txt", "d/sub", "d/sub/stuck.txt", "d/sub/b.txt"}
        assert {n for n in os.listdir(root) if not n.startswith(".")} == {"keep.txt"}
        assert not (root / "d").exists()  # what could not be removed is hidden
        await idle(k)
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        with pytest.raises(NotFound):
            await S(k, "fs.stat", path="d/sub/stuck.txt")
        assert [e.path for e in (await S(k, "fs.ls", path="", recursive=True)).entries] == [
            "keep.txt"
        ]
        assert os.listdir(k.fs.paths.root) == ["keep.txt"]  # the leftovers were purged


async def test_a_delete_that_cannot_touch_the_disk_deletes_nothing(
    k: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    await S(k, "fs.write", path="d/a.txt", content="alpha")

    def refuse(*a: Any, **kw: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises(PermissionDenied):
        await S(k, "fs.delete", path="d", recursive=True)
    monkeypatch.undo()
    assert (await S(k, "fs.read", path="d/a.txt")).text == "alpha"
    assert (k.fs.paths.root / "d" / "a.txt").read_text() == "alpha"


async def test_files_left_by_an_older_delete_are_not_adopted_at_start(
    tmp_path: Path, embedder: Embedder
) -> None:
    cfg = fs_config(tmp_path)
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        await S(k, "fs.write", path="old/x.txt", content="deleted long ago")
        await S(k, "fs.write", path="old/y.txt", content="also deleted")
        await idle(k)
        root = k.fs.paths.root
        # what an older aios left: the rows say deleted, a failed removal left the files
        with k.fs.tx() as s:
            s.execute(update(FileRow).where(FileRow.path.like("old%")).values(deleted=True))
        (root / "old" / "y.txt").write_text("edited since: this one is new content")
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        with pytest.raises(NotFound):
            await S(k, "fs.stat", path="old/x.txt")
        assert not (root / "old" / "x.txt").exists()
        # a file changed since (another size or mtime) is someone's new content: adopted
        assert (await S(k, "fs.read", path="old/y.txt")).text.startswith("edited since")


# -- 4, 5. the monitor -----------------------------------------------------------------


async def _settle(k: Kernel) -> None:
    """Wait until the monitor has applied every outside change made before this call."""
    name = f"sentinel-{time.monotonic_ns()}.txt"
    (k.fs.paths.root / name).write_text("sentinel")

    async def seen() -> bool:
        try:
            await S(k, "fs.stat", path=name)
            return True
        except NotFound:
            return False

    await _until(seen, "the monitor to catch up")


async def test_the_monitor_does_not_rehash_aios_own_writes(
    k: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    queued: list[int] = []
    real_read, real_enqueue = k.fs.disk.read, k.fs.indexer.enqueue

    def read(rel: str, max_bytes: int) -> Any:
        reads.append(rel)
        return real_read(rel, max_bytes)

    def enqueue(*ids: int) -> None:
        queued.extend(ids)
        real_enqueue(*ids)

    monkeypatch.setattr(k.fs.disk, "read", read)
    monkeypatch.setattr(k.fs.indexer, "enqueue", enqueue)
    await S(k, "fs.write", path="w/own.txt", content="written through aios")
    await S(k, "fs.write", path="w/own.txt", content="written through aios, twice")
    await _settle(k)
    assert "w/own.txt" not in reads
    with k.fs.sessions() as s:
        fid = s.scalars(select(FileRow.id).where(FileRow.path == "w/own.txt")).one()
    assert queued.count(fid) == 2  # once per write, none from the monitor
    (k.fs.paths.root / "w" / "own.txt").write_text("edited outside")

    async def adopted() -> bool:
        return len((await S(k, "fs.history", path="w/own.txt")).versions) == 3

    await _until(adopted, "the outside edit to be recorded")
    assert (await S(k, "fs.history", path="w/own.txt")).versions[-1]["op"] == "external"


async def test_one_bad_entry_does_not_cost_the_monitor_its_batch(
    k: Kernel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await S(k, "fs.mkdir", path="b")
    root = k.fs.paths.root
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the mount")
    real_lstat = k.fs.disk.lstat

    def lstat(rel: str) -> Any:
        if rel == "b/boom.txt":
            raise RuntimeError("an unexpected failure on one path")
        return real_lstat(rel)

    monkeypatch.setattr(k.fs.disk, "lstat", lstat)
    os.symlink(outside, root / "b" / "link")
    (root / "b" / "boom.txt").write_text("this one fails")
    (root / "b" / "n1.txt").write_text("new one")
    (root / "b" / "n2.txt").write_text("new two")
    for name in ("n1.txt", "n2.txt"):

        async def adopted(name: str = name) -> bool:
            try:
                return (await S(k, "fs.stat", path=f"b/{name}")).version == 1
            except NotFound:
                return False

        await _until(adopted, f"b/{name} to be adopted")
    with pytest.raises((NotFound, PermissionDenied)):
        await S(k, "fs.stat", path="b/link")
    assert "b/boom.txt" in caplog.text and "symlink" in caplog.text
