"""The index's three stores, counted and brought back in line.

Chunk rows (SQL) are the truth; the keyword index and the chromadb vectors follow
them. Keyword rows change in the chunk rows' own transactions (FTS5 triggers, or
PostgreSQL's generated column), so only a damaged database can leave them apart: a
count that differs rebuilds the index from the rows. Vectors are written before the
rows that point at them, so a kill mid-indexing leaves vectors without rows
(dropped) or, after a lost chroma write, rows without vectors (their files are
indexed again).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from aios.fs.keyword_index import keyword_rows, rebuild_keyword_index
from aios.fs.models import ChunkRow, FileRow

if TYPE_CHECKING:
    from aios.fs.fs import LSFS

__all__ = ["MAX_FAILURES_SHOWN", "counts", "failures", "repair_index"]

log = logging.getLogger(__name__)

MAX_FAILURES_SHOWN = 20


def counts(fs: LSFS) -> dict[str, int]:
    """Exact sizes: chunk rows, keyword index rows and vectors."""
    with fs.engine.connect() as c:
        chunks = int(c.execute(select(func.count()).select_from(ChunkRow)).scalar_one())
        keyword = keyword_rows(c)
    return {"chunks": chunks, "keyword_rows": keyword, "vectors": fs.vectors.count()}


def failures(fs: LSFS) -> tuple[int, list[dict[str, Any]]]:
    """Files whose indexing failed: how many, and the latest few with their error."""
    failed = (FileRow.index_state == "failed") & FileRow.deleted.is_(False)
    with fs.engine.connect() as c:
        n = int(c.execute(select(func.count()).select_from(FileRow).where(failed)).scalar_one())
        rows = c.execute(
            select(FileRow.id, FileRow.path, FileRow.index_note)
            .where(failed)
            .order_by(FileRow.updated_at.desc())
            .limit(MAX_FAILURES_SHOWN)
        ).all()
    tries = fs.indexer.failures()
    shown = [
        {
            "path": r.path,
            "error": r.index_note or "",
            "attempts": tries.get(r.id, {}).get("attempts", 1),
            "retry_in_s": tries.get(r.id, {}).get("retry_in_s"),
        }
        for r in rows
    ]
    return n, shown


def repair_index(fs: LSFS) -> dict[str, int]:
    """At start: keyword rows rebuilt if they disagree, orphan vectors dropped, files
    with missing vectors or unfinished indexing queued again."""
    out = {"keyword_rebuilt": 0}
    with fs.engine.begin() as c:
        chunks = int(c.execute(select(func.count()).select_from(ChunkRow)).scalar_one())
        keyword = keyword_rows(c)
        if chunks != keyword:
            log.warning("lsfs: %d keyword rows for %d chunks; rebuilding", keyword, chunks)
            rebuild_keyword_index(c)
            out["keyword_rebuilt"] = 1
    out.update(_repair_vectors(fs))
    return out


def _repair_vectors(fs: LSFS) -> dict[str, int]:
    with fs.sessions() as s:
        rows = s.execute(select(ChunkRow.vector_id, ChunkRow.file_id)).all()
        pending = list(
            s.scalars(
                select(FileRow.id).where(
                    FileRow.deleted.is_(False),
                    FileRow.kind == "file",
                    (FileRow.index_state.in_(["pending", "failed"]))
                    | (FileRow.indexed_sha.is_(None))
                    | (FileRow.indexed_sha != FileRow.sha256),
                )
            )
        )
        dead = list(
            s.scalars(
                select(ChunkRow.file_id)
                .join(FileRow, FileRow.id == ChunkRow.file_id, isouter=True)
                .where(FileRow.id.is_(None) | FileRow.deleted.is_(True))
                .distinct()
            )
        )
    in_sql = {r[0]: r[1] for r in rows}
    in_chroma = fs.vectors.all_ids()
    orphans = in_chroma - in_sql.keys()
    fs.vectors.delete(orphans)
    missing_files = {in_sql[v] for v in in_sql.keys() - in_chroma}
    if missing_files:
        with fs.tx() as s:
            s.execute(
                update(FileRow)
                .where(FileRow.id.in_(missing_files))
                .values(index_state="pending", indexed_sha=None)
            )
    todo = set(pending) | missing_files | set(dead)
    fs.indexer.enqueue(*sorted(todo))
    return {
        "orphan_vectors": len(orphans),
        "missing_vectors": len(missing_files),
        "requeued": len(todo),
    }
