"""Acknowledged means durable: a real daemon killed with SIGKILL loses nothing it
acknowledged, and comes back clean (index consistent, interrupted processes FAILED).

Real ``aios serve`` subprocesses on loopback (the bundled model, real LSFS: SQLite,
FTS5, embedded chromadb), each on its own data directory; SIGKILL gives the daemon no
chance to flush, close or clean up.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.daemon_helpers import Daemon

pytestmark = [pytest.mark.model, pytest.mark.slow]

log = logging.getLogger(__name__)

WRITES = 1000
ROUNDS = 5
CATCH_UP_S = 120.0
FILES = 20  # for the kill during indexing: about 6 chunks each


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[list[Daemon]]:
    """Daemons a test starts; whatever is still running at the end is killed."""
    started: list[Daemon] = []
    yield started
    for d in started:
        if d.proc is not None and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(30)


def _daemon(started: list[Daemon], data: Path) -> Daemon:
    # the rate limit is not under test; the watcher would only add noise
    env = {"AIOS_API__ADMIN_RATE_PER_S": "0", "AIOS_FS__WATCH": "false"}
    d = Daemon(data, env=env)
    started.append(d)
    return d


def _kill(d: Daemon) -> None:
    assert d.stop(signal.SIGKILL) == -signal.SIGKILL


# -- the index, read from the daemon's own stores ------------------------------------


def _db(d: Daemon) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{d.data_dir / 'aios.db'}?mode=ro", uri=True, timeout=30)


def _rows(d: Daemon) -> dict[str, Any]:
    """Chunk rows, keyword (FTS5) rows and files still waiting, straight from SQLite."""
    with _db(d) as db:
        return {
            "chunks": db.execute("SELECT count(*) FROM fs_chunks").fetchone()[0],
            # one docsize row per indexed document: the FTS table itself would read
            # through to its content table and always agree
            "keyword_rows": db.execute("SELECT count(*) FROM fs_chunks_fts_docsize").fetchone()[0],
            "pending": db.execute(
                "SELECT count(*) FROM fs_files WHERE kind = 'file' AND deleted = 0 "
                "AND index_state = 'pending'"
            ).fetchone()[0],
            "vector_ids": {r[0] for r in db.execute("SELECT vector_id FROM fs_chunks")},
        }


def _caught_up(d: Daemon) -> dict[str, Any]:
    """Waits until the indexer has nothing queued and no file is pending."""
    deadline = time.monotonic() + CATCH_UP_S
    while True:
        status = d.syscall("fs.index_status").json()["result"]
        rows = _rows(d)
        if not status["status"]["queued"] and not status["status"]["busy"] and not rows["pending"]:
            return {**rows, "vectors": status["vectors"], "status": status}
        assert time.monotonic() < deadline, f"index did not catch up: {status} {rows['pending']}"
        time.sleep(0.2)


def _assert_consistent(d: Daemon) -> None:
    """Chroma ids equal chunk rows, FTS rows equal chunk rows (the daemon running)."""
    idx = _caught_up(d)
    assert idx["keyword_rows"] == idx["chunks"], idx["status"]
    assert idx["vectors"] == idx["chunks"], idx["status"]
    status = idx["status"]
    # the exact counts fs.index_status reports, where it reports them
    for key in ("chunks", "vectors", "keyword_rows"):
        if key in status:
            assert status[key] == idx["chunks"], status
    assert not status.get("failed"), status


def _chroma_ids(d: Daemon) -> set[str]:
    """Every id in the daemon's chroma collection; only with the daemon stopped."""
    import chromadb

    client = chromadb.PersistentClient(path=str(d.data_dir / "chroma"))
    col = client.get_collection("lsfs_chunks")
    return set(col.get(include=[])["ids"])


def _assert_ids_equal(d: Daemon) -> None:
    assert d.proc is None or d.proc.poll() is not None, "stop the daemon first"
    rows = _rows(d)
    assert rows["keyword_rows"] == rows["chunks"]
    ids = _chroma_ids(d)
    assert ids == rows["vector_ids"], (
        f"{len(ids - rows['vector_ids'])} vectors without rows, "
        f"{len(rows['vector_ids'] - ids)} rows without vectors"
    )


# -- (a) SIGKILL during 1,000 concurrent writes -------------------------------------


async def _write_all(
    d: Daemon, contents: dict[str, str], acked: dict[str, str], kill_after: int
) -> None:
    """All writes at once; SIGKILL the daemon once ``kill_after`` are acknowledged."""
    killed = asyncio.Event()
    limits = httpx.Limits(max_connections=WRITES, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=d.url,
        headers={"Authorization": f"Bearer {d.token}"},
        limits=limits,
        timeout=httpx.Timeout(60, pool=60),
    ) as client:

        async def one(path: str, content: str) -> None:
            try:
                r = await client.post("/v1/fs/write", json={"path": path, "content": content})
            except httpx.HTTPError:
                assert killed.is_set(), f"{path}: the write failed before the kill"
                return
            if r.status_code == 200:
                acked[path] = content
                if len(acked) >= kill_after and not killed.is_set():
                    killed.set()
                    _kill(d)
            else:
                assert r.status_code >= 500 or killed.is_set(), r.text

        await asyncio.gather(*(one(p, c) for p, c in contents.items()))
    if not killed.is_set():  # every write finished first: kill anyway, mid-indexing
        _kill(d)


async def _read_all(d: Daemon, paths: list[str]) -> dict[str, str | None]:
    async with httpx.AsyncClient(
        base_url=d.url, headers={"Authorization": f"Bearer {d.token}"}, timeout=60
    ) as client:
        sem = asyncio.Semaphore(32)

        async def one(path: str) -> tuple[str, str | None]:
            async with sem:
                r = await client.post("/v1/fs/read", json={"path": path})
            if r.status_code == 404:
                return path, None
            assert r.status_code == 200, r.text
            return path, r.json()["text"]

        return dict(await asyncio.gather(*(one(p) for p in paths)))


def test_sigkill_during_concurrent_writes_loses_no_acknowledged_write(
    daemons: list[Daemon], tmp_path: Path
) -> None:
    rng = random.Random(14)
    d = _daemon(daemons, tmp_path / "data")
    paths = [f"crash/f{i:04d}.txt" for i in range(WRITES)]
    durable: dict[str, str] = {}  # what each path must read back as
    maybe: dict[str, str] = {}  # sent, not acknowledged: may or may not have landed
    acknowledged = 0
    for r in range(ROUNDS + 1):
        t0 = time.monotonic()
        d.start(timeout=120)
        t1 = time.monotonic()
        seen = asyncio.run(_read_all(d, paths))
        t2 = time.monotonic()
        lost: list[str] = []
        differs: list[str] = []
        for p in paths:
            got = seen[p]
            if p in maybe and got == maybe[p]:
                durable[p] = maybe[p]  # an unacknowledged write that landed whole: fine
            elif got != durable.get(p):
                # gone, or content other than the last acknowledged (stale or torn)
                (lost if got is None else differs).append(p)
        assert not lost and not differs, (
            f"round {r}: {len(lost)} acknowledged files gone {lost[:3]}, "
            f"{len(differs)} differ from their last acknowledged write {differs[:3]}"
        )
        log.info("round %d: start %.1f s, read back %.1f s", r, t1 - t0, t2 - t1)
        if r == ROUNDS:
            break
        contents = {p: f"round {r} file {p}\n" + "word " * rng.randint(1, 60) for p in paths}
        acked: dict[str, str] = {}
        asyncio.run(_write_all(d, contents, acked, kill_after=rng.randint(50, 300)))
        log.info("round %d: %d acknowledged, then killed", r, len(acked))
        acknowledged += len(acked)
        durable.update(acked)
        maybe = {p: c for p, c in contents.items() if p not in acked}
    assert acknowledged >= ROUNDS * 50
    # every round was killed with the indexer behind the writes: after the last
    # restart it catches up, and the stores agree
    t0 = time.monotonic()
    _assert_consistent(d)
    log.info("index caught up in %.1f s", time.monotonic() - t0)
    assert d.stop() == 0, d.output()[-2000:]
    _assert_ids_equal(d)


# -- (b) SIGKILL during indexing ------------------------------------------------------


def test_sigkill_during_indexing_restarts_clean_and_catches_up(
    daemons: list[Daemon], tmp_path: Path
) -> None:
    d = _daemon(daemons, tmp_path / "data").start(timeout=120)
    text = " ".join(f"sentence {i} about lighthouses, tides and keepers." for i in range(80))
    for i in range(FILES):
        r = d.syscall("fs.write", path=f"docs/d{i:02d}.txt", content=f"tag{i:02d}. {text}")
        assert r.status_code == 200, r.text
    deadline = time.monotonic() + CATCH_UP_S
    while not _rows(d)["chunks"]:  # some chunks committed, most files still to go
        assert time.monotonic() < deadline, "indexing never started"
        time.sleep(0.05)
    assert _rows(d)["pending"], "indexing finished before the kill: give it more to do"
    _kill(d)
    d.start(timeout=120)
    _assert_consistent(d)
    with _db(d) as db:
        states = dict(
            db.execute(
                "SELECT index_state, count(*) FROM fs_files WHERE kind = 'file' GROUP BY 1"
            ).fetchall()
        )
    assert states == {"indexed": FILES}, states
    # every file is found by its own words (its chunks made it into FTS5)
    for i in (0, FILES // 2, FILES - 1):
        r = d.syscall("fs.retrieve", query=f"tag{i:02d}", mode="keyword", top_k=50)
        assert f"docs/d{i:02d}.txt" in {h["path"] for h in r.json()["result"]["hits"]}, r.text
    assert d.stop() == 0, d.output()[-2000:]
    _assert_ids_equal(d)


# -- (c) SIGKILL during a compile ----------------------------------------------------


def test_sigkill_during_compile_fails_the_process_with_its_reason(
    daemons: list[Daemon], tmp_path: Path
) -> None:
    d = _daemon(daemons, tmp_path / "data").start(timeout=120)
    spawned = httpx.post(
        d.url + "/v1/processes",
        json={"agent": "sleep", "task": "3600", "name": "compiler"},
        headers={"Authorization": f"Bearer {d.token}"},
    )
    assert spawned.status_code == 201, spawned.text
    pid, token = spawned.json()["process"]["pid"], spawned.json()["token"]
    query = (
        "Compute 17*23, then 19*29, then 31*37, then add the three results, then tell "
        "me the current time in UTC, and explain every step in detail."
    )
    body = {"name": "compile", "args": {"query": query, "stream": True}}
    with httpx.stream(
        "POST",
        d.url + "/v1/syscall",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    ) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data:"):
                break  # the planner is generating: kill now
        info = d.syscall("proc.get", pid=pid).json()["result"]
        assert info["state"] in ("RUNNING", "READY", "WAITING"), info
        _kill(d)
    d.start(timeout=120)
    info = d.syscall("proc.get", pid=pid).json()["result"]
    assert info["state"] == "FAILED", info
    assert info["error"] and "restart" in info["error"], info
    assert info["ended_at"] is not None
    # the daemon serves again: the interrupted compile left no core or queue behind
    r = d.syscall("llm.chat", messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
    assert r.status_code == 200, r.text
    assert httpx.get(d.url + "/v1/health").json()["processes_running"] == 0
    assert d.stop() == 0, d.output()[-2000:]
