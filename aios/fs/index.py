"""The background indexer: extract, chunk, embed, store vectors and keyword rows.

Incremental: a file whose content hash is already indexed is skipped. Work is
taken in batches across files so the embedding model sees full batches. Vectors
are written before the SQL rows that point at them, and the rows commit only if
the file still has the content that was indexed; whatever a crash leaves behind
(vectors without rows, rows without vectors) is found by ``reconcile``.

A file whose indexing raises is marked failed with the error and tried again
after a backoff that doubles (``index_attempts`` tries in all); retries go one
file per batch, so one file that breaks the embedder cannot fail its neighbours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from aios.fs.blobs import BlobStore
from aios.fs.chunking import Chunk, chunk_text
from aios.fs.embed import Embedder
from aios.fs.extract import extract
from aios.fs.models import ChunkRow, FileRow
from aios.fs.vectors import VectorIndex
from aios.fs.writes import Writes

__all__ = ["IndexStatus", "Indexer"]

log = logging.getLogger(__name__)

MAX_FILES_PER_BATCH = 64
MAX_CHUNKS_PER_BATCH = 512
MAX_BACKOFF_S = 600.0


@dataclass
class IndexStatus:
    queued: int = 0
    indexed: int = 0
    skipped_unchanged: int = 0
    not_text: int = 0
    failed: int = 0  # failed attempts since start
    chunks_indexed: int = 0
    busy: bool = False
    last_error: str | None = None
    started_at: float = field(default_factory=time.time)


@dataclass
class _Job:
    file_id: int
    path: str
    sha: str
    old_ids: list[str]
    chunks: list[Chunk]
    done: bool = False


@dataclass
class _Retry:
    attempts: int  # failed attempts so far
    due: float  # time.monotonic() of the next try; inf: no more tries
    error: str


class Indexer:
    def __init__(
        self,
        sessions: Callable[[], Session],
        blobs: BlobStore,
        embedder: Embedder,
        vectors: VectorIndex,
        *,
        chunk_tokens: int,
        overlap: int,
        writes: Writes | None = None,
        attempts: int = 4,
        backoff_s: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._blobs = blobs
        self._embedder = embedder
        self._vectors = vectors
        self._chunk_tokens = chunk_tokens
        self._overlap = overlap
        self.writes = writes or Writes()
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._queue: dict[int, None] = {}  # ordered set of file ids
        self._failed: dict[int, _Retry] = {}  # files whose last try raised
        self._cond = threading.Condition()
        self._stop = False
        self._busy = False
        self.status = IndexStatus()
        self._thread = threading.Thread(target=self._loop, name="aios-indexer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 120) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def enqueue(self, *file_ids: int) -> None:
        with self._cond:
            for f in file_ids:
                self._queue[f] = None
                self._failed.pop(f, None)  # new content, or asked again: a fresh start
            self.status.queued = len(self._queue)
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None, *, retries: bool = False) -> bool:
        """Block until nothing is queued or being indexed (with ``retries``: nor waiting
        to be tried again); False on timeout."""

        def idle() -> bool:
            return not self._queue and not self._busy and not (retries and self._due())

        with self._cond:
            return self._cond.wait_for(idle, timeout)

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            s = self.status
            return {
                **s.__dict__,
                "queued": len(self._queue),
                "busy": self._busy,
                "retrying": len(self._due()),
            }

    def failures(self) -> dict[int, dict[str, Any]]:
        """Files whose last try failed: attempts and seconds to the next try (None: no
        more tries until the file changes or the daemon restarts)."""
        now = time.monotonic()
        with self._cond:
            return {
                f: {
                    "attempts": r.attempts,
                    "retry_in_s": None if r.due == float("inf") else max(0.0, r.due - now),
                }
                for f, r in self._failed.items()
            }

    def _due(self) -> list[int]:
        return [f for f, r in self._failed.items() if r.due != float("inf")]

    # -- the worker -------------------------------------------------------------

    def _take(self) -> list[int] | None:
        """The next batch: queued files, else one file whose retry is due (None: stop)."""
        while True:
            if self._stop:
                return None
            if self._queue:
                batch = list(self._queue)[:MAX_FILES_PER_BATCH]
                for f in batch:
                    del self._queue[f]
                return batch
            now = time.monotonic()
            due = min((r.due for r in self._failed.values()), default=float("inf"))
            if due <= now:
                fid = next(f for f, r in self._failed.items() if r.due == due)
                self._failed[fid].due = float("inf")  # in progress; _fail reschedules
                return [fid]
            self._cond.wait(None if due == float("inf") else due - now)

    def _loop(self) -> None:
        while True:
            with self._cond:
                batch = self._take()
                if batch is None:
                    return
                self._busy = True
            # every write acknowledged before this point is in the rows read below
            upto = self.writes.seq
            finished: set[int] = set()
            try:
                self._index_batch(batch, upto, finished)
            except Exception as exc:  # never let one bad batch stop indexing
                log.exception("indexer: batch failed")
                for fid in batch:
                    if fid not in finished:
                        self._fail(fid, exc, upto)
            finally:
                with self._cond:
                    self._busy = False
                    self.status.queued = len(self._queue)
                    self._cond.notify_all()

    def _index_batch(self, file_ids: list[int], upto: int, finished: set[int]) -> None:
        jobs: list[_Job] = []
        for n, fid in enumerate(file_ids):
            if self._stop:  # shutting down: what is left stays queued in the database
                self.enqueue(*file_ids[n:])
                finished.update(file_ids[n:])
                break
            try:
                job = self._prepare(fid)
            except Exception as exc:
                log.exception("indexer: cannot prepare file %d", fid)
                self._fail(fid, exc, upto)
                finished.add(fid)
                continue
            if job is None:
                self._settle(fid, upto)
                finished.add(fid)
                continue
            jobs.append(job)
            if sum(len(j.chunks) for j in jobs) >= MAX_CHUNKS_PER_BATCH:
                self._store_all(jobs, upto, finished)
                jobs = []
        if jobs:
            self._store_all(jobs, upto, finished)

    def _store_all(self, jobs: list[_Job], upto: int, finished: set[int]) -> None:
        try:
            self._embed_and_store(jobs)
        except Exception as exc:
            log.exception("indexer: embedding or storing %d files failed", len(jobs))
            for job in jobs:
                if not job.done:
                    self._fail(job.file_id, exc, upto)
                    finished.add(job.file_id)
        for job in jobs:
            if job.done:
                self._settle(job.file_id, upto)
                finished.add(job.file_id)
            # else: the file changed meanwhile; its new content is queued

    def _settle(self, fid: int, upto: int) -> None:
        with self._cond:
            self._failed.pop(fid, None)
        self.writes.settled(fid, upto)

    def _fail(self, fid: int, exc: BaseException, upto: int) -> None:
        """Mark the file failed with the error; try again later, if tries are left."""
        error = f"{type(exc).__name__}: {exc}"[:500]
        self.status.failed += 1
        self.status.last_error = error
        with self._cond:
            prev = self._failed.get(fid)
            attempts = (prev.attempts if prev else 0) + 1
            due = float("inf")
            if attempts < self._attempts:
                delay = min(MAX_BACKOFF_S, self._backoff_s * 2 ** (attempts - 1))
                due = time.monotonic() + delay
            self._failed[fid] = _Retry(attempts, due, error)
            self._cond.notify_all()
        try:
            self._mark(fid, None, "failed", f"{error} (attempt {attempts} of {self._attempts})")
        except Exception:
            log.exception("indexer: cannot mark file %d failed", fid)
        # the writer's search stops waiting: fs.stat and fs.index_status say it failed
        self.writes.settled(fid, upto)

    def _prepare(self, fid: int) -> _Job | None:
        with self._sessions() as s:
            row = s.get(FileRow, fid)
            old_ids = list(s.scalars(select(ChunkRow.vector_id).where(ChunkRow.file_id == fid)))
            if row is None or row.deleted or row.kind != "file" or row.sha256 is None:
                self._drop(s, fid, old_ids)
                return None
            if row.indexed_sha == row.sha256 and row.index_state in ("indexed", "skipped"):
                self.status.skipped_unchanged += 1
                return None
            path, sha = row.path, row.sha256
        data = self._blobs.get(sha)
        ex = extract(path, data)
        if ex.text is None:
            with self._sessions() as s:
                self._drop(s, fid, old_ids)
            self._mark(fid, sha, "skipped", ex.note, mime=ex.mime)
            self.status.not_text += 1
            return None
        chunks = chunk_text(
            ex.text, self._embedder.tokenizer, size=self._chunk_tokens, overlap=self._overlap
        )
        return _Job(fid, path, sha, old_ids, chunks)

    def _embed_and_store(self, jobs: list[_Job]) -> None:
        texts = [c.text for j in jobs for c in j.chunks]
        vectors = self._embedder.encode(texts)
        pos = 0
        for job in jobs:
            n = len(job.chunks)
            ids = [f"{job.file_id}-{job.sha[:16]}-{c.ordinal}" for c in job.chunks]
            if n:
                self._vectors.upsert(
                    ids,
                    vectors[pos : pos + n],
                    [job.path] * n,
                    [job.file_id] * n,
                    [c.ordinal for c in job.chunks],
                )
            pos += n
            path = self._commit(job, ids)
            if path is not None:
                job.done = True
                stale = [i for i in job.old_ids if i not in set(ids)]
                self._vectors.delete(stale)
                if path != job.path and n:  # moved while we were embedding
                    self._vectors.move(ids, path, job.file_id, [c.ordinal for c in job.chunks])
                self.status.indexed += 1
                self.status.chunks_indexed += n
            else:  # the file changed meanwhile; its new content is queued
                self._vectors.delete([i for i in ids if i not in set(job.old_ids)])

    def _commit(self, job: _Job, ids: list[str]) -> str | None:
        """Store the chunk rows if the file still has this content; its path, or None."""
        with self._sessions() as s, s.begin():
            row = s.get(FileRow, job.file_id)
            if row is None or row.deleted or row.sha256 != job.sha:
                return None
            s.execute(delete(ChunkRow).where(ChunkRow.file_id == job.file_id))
            s.add_all(
                [
                    ChunkRow(
                        file_id=job.file_id,
                        sha256=job.sha,
                        ordinal=c.ordinal,
                        start=c.start,
                        end=c.end,
                        line=c.line,
                        text=c.text.replace("\x00", "\ufffd"),  # PostgreSQL text holds no NUL
                        vector_id=vid,
                    )
                    for c, vid in zip(job.chunks, ids, strict=True)
                ]
            )
            row.index_state, row.indexed_sha, row.index_note = "indexed", job.sha, None
            return row.path

    def _drop(self, s: Session, fid: int, old_ids: list[str]) -> None:
        if old_ids:
            self._vectors.delete(old_ids)
        s.execute(delete(ChunkRow).where(ChunkRow.file_id == fid))
        s.commit()

    def _mark(
        self, fid: int, sha: str | None, state: str, note: str | None, mime: str | None = None
    ) -> None:
        with self._sessions() as s, s.begin():
            row = s.get(FileRow, fid)
            if row is None or (sha is not None and row.sha256 != sha):
                return
            # an exception's text may hold a NUL, which PostgreSQL text refuses
            row.index_state, row.index_note = state, note and note.replace("\x00", "\ufffd")
            row.indexed_sha = sha
            if mime:
                row.mime = mime
