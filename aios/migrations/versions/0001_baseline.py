"""Baseline: the schema of the last release before migrations (kernel, LSFS and
plugin consents), generated from the models then. A database made before
migrations is stamped with this revision, not made again.

Revision ID: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("pid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("parent", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("syscalls", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("llm_wait_s", sa.Float(), nullable=False),
        sa.Column("llm_run_s", sa.Float(), nullable=False),
        sa.Column("tool_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pid"),
    )
    op.create_index(op.f("ix_processes_parent"), "processes", ["parent"], unique=False)
    op.create_index(op.f("ix_processes_state"), "processes", ["state"], unique=False)
    op.create_table(
        "syscalls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("queued_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=False),
        sa.Column("run_s", sa.Float(), nullable=False),
        sa.Column("turnaround_s", sa.Float(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("prefill_tokens", sa.Integer(), nullable=False),
        sa.Column("resume_tokens", sa.Integer(), nullable=False),
        sa.Column("preemptions", sa.Integer(), nullable=False),
        sa.Column("core", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_syscalls_name"), "syscalls", ["name"], unique=False)
    op.create_index(op.f("ix_syscalls_pid"), "syscalls", ["pid"], unique=False)
    op.create_table(
        "fs_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("index_state", sa.String(length=16), nullable=False),
        sa.Column("indexed_sha", sa.String(length=64), nullable=True),
        sa.Column("index_note", sa.Text(), nullable=True),
        sa.Column("mime", sa.String(length=100), nullable=True),
        sa.Column("disk_mtime_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "fs_files_live_path",
        "fs_files",
        ["path"],
        unique=True,
        sqlite_where=sa.text("deleted = 0"),
        postgresql_where=sa.text("deleted = false"),
    )
    op.create_index(op.f("ix_fs_files_index_state"), "fs_files", ["index_state"], unique=False)
    op.create_index(op.f("ix_fs_files_path"), "fs_files", ["path"], unique=False)
    op.create_table(
        "fs_chunks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("vector_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["fs_files.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vector_id"),
    )
    op.create_index(op.f("ix_fs_chunks_file_id"), "fs_chunks", ["file_id"], unique=False)
    op.create_table(
        "fs_links",
        sa.Column("token", sa.String(length=100), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["fs_files.id"],
        ),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_table(
        "fs_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["fs_files.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("fs_versions_file_n", "fs_versions", ["file_id", "n"], unique=True)
    op.create_index(op.f("ix_fs_versions_file_id"), "fs_versions", ["file_id"], unique=False)
    op.create_table(
        "plugin_consents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.Float(), nullable=False),
        sa.Column("origin", sa.String(length=1000), nullable=False),
        sa.Column("in_process", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_plugin_consents_name"), "plugin_consents", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_plugin_consents_name"), table_name="plugin_consents")
    op.drop_table("plugin_consents")
    op.drop_index(op.f("ix_fs_versions_file_id"), table_name="fs_versions")
    op.drop_index("fs_versions_file_n", table_name="fs_versions")
    op.drop_table("fs_versions")
    op.drop_table("fs_links")
    op.drop_index(op.f("ix_fs_chunks_file_id"), table_name="fs_chunks")
    op.drop_table("fs_chunks")
    op.drop_index(op.f("ix_fs_files_path"), table_name="fs_files")
    op.drop_index(op.f("ix_fs_files_index_state"), table_name="fs_files")
    op.drop_index(
        "fs_files_live_path",
        table_name="fs_files",
        sqlite_where=sa.text("deleted = 0"),
        postgresql_where=sa.text("deleted = false"),
    )
    op.drop_table("fs_files")
    op.drop_index(op.f("ix_syscalls_pid"), table_name="syscalls")
    op.drop_index(op.f("ix_syscalls_name"), table_name="syscalls")
    op.drop_table("syscalls")
    op.drop_index(op.f("ix_processes_state"), table_name="processes")
    op.drop_index(op.f("ix_processes_parent"), table_name="processes")
    op.drop_table("processes")
