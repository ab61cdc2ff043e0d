"""LSFS tables: files, their versions, index chunks (with a keyword index), share links.

The database is the source of truth: the mount root and the vector index are
brought back in line with it at start (see reconcile.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ChunkRow",
    "FileRow",
    "FsBase",
    "LinkRow",
    "VersionRow",
    "create_tables",
    "file_info",
]


class FsBase(DeclarativeBase):
    pass


class FileRow(FsBase):
    __tablename__ = "fs_files"
    __table_args__ = (
        # one live entry per path; deleted entries keep their history
        Index(
            "fs_files_live_path",
            "path",
            unique=True,
            sqlite_where=text("deleted = 0"),
            postgresql_where=text("deleted = false"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(String(1024), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "file" | "dir"
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)  # bytes: past 2 GiB on PostgreSQL
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # indexing: "pending" | "indexed" | "failed" | "skipped" (not text)
    index_state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    indexed_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    index_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    mime: Mapped[str | None] = mapped_column(String(100), nullable=True)
    disk_mtime_ns: Mapped[int] = mapped_column(BigInteger, default=0)  # as last synced


def file_info(row: Any) -> dict[str, Any]:
    """A file's metadata from its row (an ORM FileRow or a Core row of fs_files)."""
    return {
        "path": row.path,
        "kind": row.kind,
        "size": row.size,
        "version": row.version,
        "sha256": row.sha256,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "locked": row.locked,
        "mime": row.mime,
        "index_state": row.index_state,
        "indexed": row.index_state == "indexed" and row.indexed_sha == row.sha256,
        "index_note": row.index_note,
    }


class VersionRow(FsBase):
    __tablename__ = "fs_versions"
    __table_args__ = (Index("fs_versions_file_n", "file_id", "n", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("fs_files.id"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[float] = mapped_column(Float)
    op: Mapped[str] = mapped_column(String(16))  # create write append rollback external join
    author: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(1024))  # where the file was at that version
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ChunkRow(FsBase):
    __tablename__ = "fs_chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("fs_files.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))  # the content it was cut from
    ordinal: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)  # character offsets in the text
    end: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)  # first line (1-based)
    text: Mapped[str] = mapped_column(Text)
    vector_id: Mapped[str] = mapped_column(String(100), unique=True)


class LinkRow(FsBase):
    __tablename__ = "fs_links"

    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("fs_files.id"))
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(100))


def create_tables(engine: Engine) -> None:
    """The LSFS tables and their keyword index, by the database's migrations (SQLite
    or PostgreSQL; the kernel's store has usually run them already)."""
    from aios.fs.keyword_index import is_postgres
    from aios.migrations import migrate

    is_postgres(engine.dialect.name)  # another database is refused before any table
    migrate(engine)
