"""Retrieval: semantic (vectors), keyword (FTS5 BM25) and hybrid (reciprocal rank
fusion of the two). Every mode can be limited to folders, and only ever returns
files under the caller's readable scopes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select

from aios.fs.keyword import keyword_search, terms_of
from aios.fs.models import ChunkRow, FileRow

if TYPE_CHECKING:
    from aios.fs.fs import LSFS

__all__ = ["Hit", "retrieve"]

Mode = Literal["semantic", "keyword", "hybrid"]
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al., 2009)


@dataclass
class Hit:
    path: str
    score: float
    text: str
    start: int
    end: int
    line: int
    version: int
    chunk: int
    ranks: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _chunks(
    fs: LSFS, *, ids: list[int] | None = None, vector_ids: list[str] | None = None
) -> dict[Any, tuple[ChunkRow, FileRow]]:
    """Chunk rows (with their live file) keyed by id or vector id; stale ones dropped."""
    q = (
        select(ChunkRow, FileRow)
        .join(FileRow, FileRow.id == ChunkRow.file_id)
        .where(FileRow.deleted.is_(False), ChunkRow.sha256 == FileRow.sha256)
    )
    if ids is not None:
        q = q.where(ChunkRow.id.in_(ids))
    if vector_ids is not None:
        q = q.where(ChunkRow.vector_id.in_(vector_ids))
    with fs.sessions() as s:
        rows = s.execute(q).all()
    key = (lambda c: c.id) if ids is not None else (lambda c: c.vector_id)
    return {key(c): (c, f) for c, f in rows}


def _in_scope(path: str, scopes: Sequence[str] | None) -> bool:
    return scopes is None or any(s == "" or path == s or path.startswith(s + "/") for s in scopes)


def retrieve(
    fs: LSFS,
    query: str,
    *,
    mode: Mode = "hybrid",
    k: int = 10,
    scopes: Sequence[str] | None = None,
    match: Literal["all", "any"] = "any",
    unit: Literal["file", "chunk"] = "file",
) -> list[Hit]:
    """The best ``k`` files (or chunks) for ``query`` under ``scopes`` (None: all)."""
    if scopes is not None and not scopes:
        return []
    depth = max(30, k * 3)  # candidates per ranked list

    def semantic() -> list[tuple[ChunkRow, FileRow, float]]:
        hits = fs.vectors.query(fs.embedder.encode_query(query), depth, scopes)
        rows = _chunks(fs, vector_ids=[h[0] for h in hits])
        return [(*rows[v], score) for v, score in hits if v in rows]

    def keyword() -> list[tuple[ChunkRow, FileRow, float]]:
        terms = terms_of(query)
        with fs.sessions() as s:
            if mode == "hybrid" and match == "any" and len(terms) > 1:
                # All terms first: far fewer matches to rank on a large index; only if
                # that finds too little, any term.
                kw = keyword_search(s, terms, match="all", k=depth, scopes=scopes)
                if len(kw) < k:
                    kw = keyword_search(s, terms, match="any", k=depth, scopes=scopes)
            else:
                kw = keyword_search(s, terms, match=match, k=depth, scopes=scopes)
        rows = _chunks(fs, ids=[c for c, _ in kw])
        return [(*rows[c], score) for c, score in kw if c in rows]

    ranked: dict[str, list[tuple[ChunkRow, FileRow, float]]] = {}
    if mode == "hybrid":  # the two searches overlap: the model and SQLite release the GIL
        pending = fs.search_pool.submit(keyword)
        ranked["semantic"] = semantic()
        ranked["keyword"] = pending.result()
    elif mode == "semantic":
        ranked["semantic"] = semantic()
    else:
        ranked["keyword"] = keyword()
    # Fuse (hybrid) or just rank; per file, the best chunk stands for the file.
    fused: dict[Any, Hit] = {}
    for name, items in ranked.items():
        seen_files: set[int] = set()
        rank = 0
        for chunk, file, score in items:
            if not _in_scope(file.path, scopes):
                continue  # belt and braces: never return what the caller may not read
            unit_key: Any = file.id if unit == "file" else chunk.id
            if unit == "file":
                if file.id in seen_files:
                    continue
                seen_files.add(file.id)
            rank += 1
            contribution = 1.0 / (RRF_K + rank) if mode == "hybrid" else score
            hit = fused.get(unit_key)
            if hit is None:
                fused[unit_key] = Hit(
                    file.path,
                    contribution,
                    chunk.text,
                    chunk.start,
                    chunk.end,
                    chunk.line,
                    file.version,
                    chunk.ordinal,
                    {name: rank},
                )
            else:
                hit.score += contribution
                hit.ranks[name] = rank
    return sorted(fused.values(), key=lambda h: -h.score)[:k]
