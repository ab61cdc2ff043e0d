"""The keyword index of LSFS chunks, one per database: SQLite's FTS5 (BM25) or
PostgreSQL's full-text search (a generated ``tsvector`` column with a GIN index,
ranked by ``ts_rank_cd``), made by the migrations (aios/migrations/versions/0002).
Both behind the same three calls: search it, count its rows, rebuild it.

Each term is searched as a phrase in both, so ``parse_config_v2`` matches its own
tokens in order. FTS5 stems with Porter, PostgreSQL with its English snowball
stemmer: the two rank alike, not the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

__all__ = ["is_postgres", "keyword_rows", "rebuild_keyword_index", "search"]

# FTS5 keeps one docsize row per indexed document: counting the FTS table itself
# would read the external content table (fs_chunks) and always agree.
_FTS_ROWS = "SELECT count(*) FROM fs_chunks_fts_docsize"
_PG_ROWS = "SELECT count(*) FROM fs_chunks WHERE tsv IS NOT NULL"


def is_postgres(dialect: str) -> bool:
    """PostgreSQL (True) or SQLite (False); ConfigError for a database LSFS cannot search."""
    if dialect == "postgresql":
        return True
    if dialect == "sqlite":
        return False
    from aios.errors import ConfigError

    raise ConfigError(f"LSFS needs SQLite or PostgreSQL for keyword search, not {dialect}")


def keyword_rows(conn: Connection) -> int:
    """How many chunks the index holds."""
    sql = _PG_ROWS if is_postgres(conn.dialect.name) else _FTS_ROWS
    return int(conn.exec_driver_sql(sql).scalar_one())


def rebuild_keyword_index(conn: Connection) -> None:
    """Index every chunk again (a damaged index: SQLite only can drift, PostgreSQL's
    column is computed by the database with each row)."""
    if is_postgres(conn.dialect.name):
        conn.exec_driver_sql("REINDEX INDEX fs_chunks_tsv")
    else:
        conn.exec_driver_sql("INSERT INTO fs_chunks_fts(fs_chunks_fts) VALUES ('rebuild')")


def _scoped(scopes: Sequence[str], params: dict[str, object]) -> str:
    conds = []
    for i, s in enumerate(scopes):
        params[f"s{i}"] = s
        params[f"l{i}"] = s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        conds.append(f"(f.path = :s{i} OR f.path LIKE :l{i} ESCAPE '\\')")
    return "(" + " OR ".join(conds) + ")"


def _fts5(
    session: Session, terms: Sequence[str], op: str, k: int, scopes: Sequence[str] | None
) -> list[tuple[int, float]]:
    phrases = ['"' + t.replace('"', '""') + '"' for t in terms]
    params: dict[str, object] = {"q": f" {op} ".join(phrases), "k": k}
    live = "f.deleted = 0 AND c.sha256 = f.sha256"
    if scopes is None:
        # Rank inside FTS5 first and join only the best: far cheaper than joining
        # every match (an OR of common terms matches much of a large index).
        params["n"] = 2 * k + 20
        sql = (
            "WITH top AS (SELECT rowid AS id, bm25(fs_chunks_fts) AS score "
            "FROM fs_chunks_fts WHERE fs_chunks_fts MATCH :q ORDER BY score LIMIT :n) "
            "SELECT c.id, top.score FROM top JOIN fs_chunks c ON c.id = top.id "
            f"JOIN fs_files f ON f.id = c.file_id WHERE {live} ORDER BY top.score LIMIT :k"
        )
    else:
        sql = (
            "SELECT c.id, bm25(fs_chunks_fts) AS score FROM fs_chunks_fts "
            "JOIN fs_chunks c ON c.id = fs_chunks_fts.rowid "
            "JOIN fs_files f ON f.id = c.file_id "
            f"WHERE fs_chunks_fts MATCH :q AND {live} AND {_scoped(scopes, params)} "
            "ORDER BY score LIMIT :k"
        )
    rows = session.execute(text(sql), params).all()
    return [(int(r[0]), -float(r[1])) for r in rows]


def _tsquery(
    session: Session, terms: Sequence[str], op: str, k: int, scopes: Sequence[str] | None
) -> list[tuple[int, float]]:
    params: dict[str, object] = {"k": k}
    parts = []
    for i, t in enumerate(terms):
        params[f"t{i}"] = t.replace("\x00", " ")  # PostgreSQL text holds no NUL
        parts.append(f"phraseto_tsquery('english', :t{i})")
    query = (" && " if op == "AND" else " || ").join(parts)
    where = "c.tsv @@ q.q AND NOT f.deleted AND c.sha256 = f.sha256"
    if scopes is not None:
        where += " AND " + _scoped(scopes, params)
    sql = (
        f"WITH q AS (SELECT {query} AS q) "
        "SELECT c.id, ts_rank_cd(c.tsv, q.q) AS score FROM q, fs_chunks c "
        f"JOIN fs_files f ON f.id = c.file_id WHERE {where} "
        "ORDER BY score DESC, c.id LIMIT :k"
    )
    rows = session.execute(text(sql), params).all()
    return [(int(r[0]), float(r[1])) for r in rows]


def search(
    session: Session,
    terms: Sequence[str],
    *,
    match: Literal["all", "any"],
    k: int,
    scopes: Sequence[str] | None,
) -> list[tuple[int, float]]:
    """(chunk id, score, higher is better), best first; ``scopes``: path prefixes
    (None or one of them "": everywhere)."""
    terms = [t for t in terms if t.strip()]
    if not terms or k <= 0:
        return []
    if scopes is not None and "" in scopes:
        scopes = None
    op = "AND" if match == "all" else "OR"
    bind = session.get_bind()
    if is_postgres(bind.dialect.name):
        return _tsquery(session, terms, op, k, scopes)
    return _fts5(session, terms, op, k, scopes)
