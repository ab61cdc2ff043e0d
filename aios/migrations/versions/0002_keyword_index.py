"""The keyword index of LSFS chunks: SQLite's FTS5 table and its triggers, or, on
PostgreSQL, a generated tsvector column with a GIN index (written with IF NOT
EXISTS: a database made before migrations already has the SQLite one).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS fs_chunks_fts USING fts5("
    "text, content='fs_chunks', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS fs_chunks_ai AFTER INSERT ON fs_chunks BEGIN "
    "INSERT INTO fs_chunks_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS fs_chunks_ad AFTER DELETE ON fs_chunks BEGIN "
    "INSERT INTO fs_chunks_fts(fs_chunks_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
]
# chunks written before the FTS table existed (a database whose FTS table was made
# before migrations has them indexed already: no rebuild, which takes the write lock)
_SQLITE_REBUILD = "INSERT INTO fs_chunks_fts(fs_chunks_fts) VALUES ('rebuild')"
_POSTGRES = [
    "ALTER TABLE fs_chunks ADD COLUMN IF NOT EXISTS tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
    "CREATE INDEX IF NOT EXISTS fs_chunks_tsv ON fs_chunks USING GIN (tsv)",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for sql in _POSTGRES:
            op.execute(sql)
    elif bind.dialect.name == "sqlite":
        existed = sa.inspect(bind).has_table("fs_chunks_fts")
        for sql in _SQLITE:
            op.execute(sql)
        if not existed:
            op.execute(_SQLITE_REBUILD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS fs_chunks_tsv")
        op.execute("ALTER TABLE fs_chunks DROP COLUMN IF EXISTS tsv")
    else:
        op.execute("DROP TRIGGER IF EXISTS fs_chunks_ai")
        op.execute("DROP TRIGGER IF EXISTS fs_chunks_ad")
        op.execute("DROP TABLE IF EXISTS fs_chunks_fts")
