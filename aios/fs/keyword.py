"""Keyword search: SQLite FTS5 with BM25 ranking over the same chunks.

Each term is searched as a phrase, so an identifier like ``parse_config_v2``
matches exactly its own tokens in order; terms are combined with AND or OR.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["keyword_search", "terms_of"]


# English function words: in an OR query they match nearly every chunk, and rank
# fusion (which ignores BM25's low weight for them) would then reward noise.
STOPWORDS = frozenset(
    """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers him his how i if in into is it its
itself just me more most my no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these
they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours
""".split()
)


def terms_of(query: str) -> list[str]:
    """Search terms of a free-text query, without function words (unless that is all)."""
    terms = [t.strip(".,;:!?()[]{}'\"") for t in query.split()]
    terms = [t for t in terms if any(c.isalnum() for c in t)]
    content = [t for t in terms if t.lower() not in STOPWORDS]
    return content or terms


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def keyword_search(
    session: Session,
    terms: Sequence[str],
    *,
    match: Literal["all", "any"],
    k: int,
    scopes: Sequence[str] | None,
) -> list[tuple[int, float]]:
    """(chunk id, BM25 score, higher is better), best first."""
    terms = [t for t in terms if t.strip()]
    if not terms or k <= 0:
        return []
    expr = (" AND " if match == "all" else " OR ").join(_phrase(t) for t in terms)
    params: dict[str, object] = {"q": expr, "k": k}
    live = "f.deleted = 0 AND c.sha256 = f.sha256"
    if scopes is None or "" in scopes:
        # Rank inside FTS5 first and join only the best: far cheaper than joining
        # every match (an OR of common terms matches much of a large index).
        params["n"] = 2 * k + 20
        sql = (
            "WITH top AS (SELECT rowid AS id, bm25(fs_chunks_fts) AS score "
            "FROM fs_chunks_fts WHERE fs_chunks_fts MATCH :q ORDER BY score LIMIT :n) "
            "SELECT c.id, top.score FROM top JOIN fs_chunks c ON c.id = top.id "
            f"JOIN fs_files f ON f.id = c.file_id WHERE {live} ORDER BY top.score LIMIT :k"
        )
        rows = session.execute(text(sql), params).all()
        return [(int(r[0]), -float(r[1])) for r in rows]
    conds = []
    for i, s in enumerate(scopes):
        params[f"s{i}"] = s
        params[f"l{i}"] = s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        conds.append(f"(f.path = :s{i} OR f.path LIKE :l{i} ESCAPE '\\')")
    rows = session.execute(
        text(
            "SELECT c.id, bm25(fs_chunks_fts) AS score FROM fs_chunks_fts "
            "JOIN fs_chunks c ON c.id = fs_chunks_fts.rowid "
            "JOIN fs_files f ON f.id = c.file_id "
            f"WHERE fs_chunks_fts MATCH :q AND {live} AND (" + " OR ".join(conds) + ") "
            "ORDER BY score LIMIT :k"
        ),
        params,
    ).all()
    return [(int(r[0]), -float(r[1])) for r in rows]
