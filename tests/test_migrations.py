"""The schema's migrations (aios/migrations), on SQLite and on a real PostgreSQL:
a new database is made by them and matches the models; one made before migrations
existed is taken as the baseline and brought up to date with its rows intact; one
at an older revision is upgraded, its chunks searchable by keyword afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from aios.agents.consent import _Base as ConsentBase
from aios.errors import ConfigError
from aios.fs.keyword_index import keyword_rows, search
from aios.fs.models import ChunkRow, FileRow, FsBase
from aios.kernel.store import Base, ProcessRow, Store
from aios.migrations import BASELINE, _config, head, migrate
from tests.pg_helpers import PgServer

METADATA = [Base.metadata, FsBase.metadata, ConsentBase.metadata]


def _url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'aios.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.database()


def _keyword_objects(obj: Any, name: str | None, type_: str, reflected: bool, _: Any) -> bool:
    """The keyword index is the migrations' own (FTS5 tables, the tsv column)."""
    return not (name or "").startswith("fs_chunks_fts") and name not in ("tsv", "fs_chunks_tsv")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request.param, tmp_path, request)


def test_a_new_database_is_made_by_the_migrations_and_matches_the_models(url: str) -> None:
    engine = create_engine(url)
    assert migrate(engine) == head() == "0002"
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": _keyword_objects})
        assert compare_metadata(ctx, METADATA) == []  # no model change without a migration
        assert keyword_rows(conn) == 0
    assert migrate(engine) == head()  # a second start changes nothing


def _old_database(url: str) -> None:
    """What the daemon made before migrations: the models' tables (and, on SQLite,
    the FTS5 table and triggers), rows in them, no alembic_version."""
    engine = create_engine(url)
    for md in METADATA:
        md.create_all(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE VIRTUAL TABLE fs_chunks_fts USING fts5(text, content='fs_chunks', "
                "content_rowid='id', tokenize='porter unicode61')"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER fs_chunks_ai AFTER INSERT ON fs_chunks BEGIN "
                "INSERT INTO fs_chunks_fts(rowid, text) VALUES (new.id, new.text); END"
            )
        conn.execute(
            insert(ProcessRow),
            [dict(pid=7, name="old", agent="a", task="", owner="admin", priority=0,
                  state="EXITED", capabilities={}, created_at=0.0, syscalls=0,
                  prompt_tokens=0, completion_tokens=0, llm_wait_s=0.0, llm_run_s=0.0,
                  tool_s=0.0)],
        )  # fmt: skip
        conn.execute(
            insert(FileRow),
            [dict(id=1, path="notes/old.md", kind="file", sha256="s", size=5, version=1,
                  created_at=0.0, updated_at=0.0, locked=False, deleted=False,
                  index_state="indexed", disk_mtime_ns=0)],
        )  # fmt: skip
        conn.execute(
            insert(ChunkRow),
            [dict(file_id=1, sha256="s", ordinal=0, start=0, end=20, line=1,
                  text="the quarterly budget review", vector_id="v1")],
        )  # fmt: skip
    engine.dispose()


def test_a_database_from_before_migrations_opens_with_its_rows(url: str) -> None:
    _old_database(url)
    store = Store(url)  # what the daemon does at start
    try:
        assert store.revision == head()
        with store.session() as s:
            assert s.get(ProcessRow, 7).name == "old"  # type: ignore[union-attr]
            assert [c for c, _ in search(s, ["budget"], match="all", k=5, scopes=None)] == [1]
    finally:
        store.close()


def test_an_older_revision_is_upgraded_and_its_chunks_become_searchable(url: str) -> None:
    engine = create_engine(url)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, BASELINE)  # the tables, no keyword index yet
        conn.execute(
            insert(FileRow),
            [dict(id=1, path="a.md", kind="file", sha256="s", size=1, version=1,
                  created_at=0.0, updated_at=0.0, locked=False, deleted=False,
                  index_state="indexed", disk_mtime_ns=2**62)],
        )  # fmt: skip
        conn.execute(
            insert(ChunkRow),
            [dict(file_id=1, sha256="s", ordinal=0, start=0, end=9, line=1,
                  text="owls hunt at night", vector_id="v1")],
        )  # fmt: skip
    assert migrate(engine) == head()
    with Session(engine) as s:
        assert [c for c, _ in search(s, ["owls"], match="any", k=5, scopes=None)] == [1]
        assert keyword_rows(s.connection()) == 1
        assert s.execute(text("SELECT disk_mtime_ns FROM fs_files")).scalar_one() == 2**62


def test_a_database_from_a_newer_aios_is_refused_clearly(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'aios.db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(ConfigError, match="revision 0099, which this aios does not know"):
        migrate(engine)


def test_a_database_from_before_migrations_with_only_the_kernel_tables_opens(url: str) -> None:
    """LSFS off, or PostgreSQL before LSFS could use it: processes and syscalls only."""
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(ProcessRow),
            [dict(pid=3, name="kept", agent="a", task="t", owner="admin", priority=0,
                  state="EXITED", capabilities={}, created_at=0.0, syscalls=0,
                  prompt_tokens=0, completion_tokens=0, llm_wait_s=0.0, llm_run_s=0.0,
                  tool_s=0.0)],
        )  # fmt: skip
    assert migrate(engine) == head()
    with Session(engine) as s:
        assert s.get(ProcessRow, 3).name == "kept"  # type: ignore[union-attr]
        assert search(s, ["anything"], match="all", k=5, scopes=None) == []  # LSFS's tables


def test_a_task_with_a_nul_is_stored_on_either_database(url: str) -> None:
    store = Store(url)
    try:
        pid = store.insert_process(
            name="n", agent="a", task="before\x00after", parent=None, owner="admin",
            priority=0, state="EXITED", capabilities={}, created_at=0.0,
        )  # fmt: skip
        with store.session() as s:
            assert s.get(ProcessRow, pid).task == "before\ufffdafter"  # type: ignore[union-attr]
    finally:
        store.close()
