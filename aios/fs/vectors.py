"""The vector index: chromadb with our own embeddings.

Embedded (PersistentClient, one process owns it) by default, or a chroma server
(HttpClient) for scale-out: same code. Each vector carries its file's folder
prefixes (``p0``, ``p1``, ...) so a search can be limited to a folder in the
index itself, not by filtering afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aios.config import ChromaConfig
from aios.fs.paths import prefixes

__all__ = ["VectorIndex", "scope_filter"]

BATCH = 4000  # chromadb refuses batches over ~5461


def _meta(path: str, file_id: int, ordinal: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"path": path, "file_id": file_id, "ordinal": ordinal}
    for i, p in enumerate(prefixes(path)):
        meta[f"p{i}"] = p
    return meta


def scope_filter(scopes: Sequence[str] | None) -> dict[str, Any] | None:
    """A where-filter matching files under any of ``scopes`` (folders or file paths);
    None means everything."""
    if scopes is None or "" in scopes:
        return None
    conds: list[dict[str, Any]] = []
    for s in scopes:
        depth = s.count("/")
        conds.append({f"p{depth}": s})  # a folder: its prefix at that depth
        conds.append({"path": s})  # or the file itself
    return conds[0] if len(conds) == 1 else {"$or": conds}


class VectorIndex:
    def __init__(self, cfg: ChromaConfig, default_path: Path) -> None:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if cfg.mode == "http":
            self.client = chromadb.HttpClient(host=cfg.host, port=cfg.port, settings=settings)
        else:
            path = cfg.path or default_path
            path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(path), settings=settings)
        self.col = self.client.get_or_create_collection(
            cfg.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def close(self) -> None:
        """Release the client's files and threads (chromadb keeps them until this, or
        forever: a daemon that reopens its store, and every test, would leak them)."""
        close = getattr(self.client, "close", None)
        if close is not None:
            close()

    def upsert(
        self,
        ids: list[str],
        vectors: np.ndarray,
        paths: list[str],
        file_ids: list[int],
        ordinals: list[int],
    ) -> None:
        for i in range(0, len(ids), BATCH):
            j = i + BATCH
            self.col.upsert(
                ids=ids[i:j],
                embeddings=vectors[i:j].tolist(),
                metadatas=[
                    _meta(p, f, o)
                    for p, f, o in zip(paths[i:j], file_ids[i:j], ordinals[i:j], strict=True)
                ],
            )

    def move(self, ids: list[str], path: str, file_id: int, ordinals: list[int]) -> None:
        """A file moved: its vectors' folder metadata follows it."""
        for i in range(0, len(ids), BATCH):
            self.col.update(
                ids=ids[i : i + BATCH],
                metadatas=[_meta(path, file_id, o) for o in ordinals[i : i + BATCH]],
            )

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), BATCH):
            self.col.delete(ids=ids[i : i + BATCH])

    def query(
        self, vector: np.ndarray, k: int, scopes: Sequence[str] | None
    ) -> list[tuple[str, float]]:
        """(vector id, cosine similarity), best first."""
        if k <= 0:  # no count() first: on a large collection it costs more than the query
            return []
        res = self.col.query(
            query_embeddings=[vector.tolist()],
            n_results=k,
            where=scope_filter(scopes),
            include=["distances"],
        )
        distances = res["distances"] or [[]]
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], distances[0], strict=True)]

    def all_ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self.col.get(include=[], limit=BATCH, offset=offset)["ids"]
            out.update(got)
            if len(got) < BATCH:
                return out
            offset += BATCH

    def count(self) -> int:
        return int(self.col.count())
