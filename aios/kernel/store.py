"""SQLAlchemy models and the kernel's database handle.

The process table and the syscall log live here. Spawns are written at once (the
pid comes from the database, so pids stay unique across restarts); state changes
and syscall rows go through a write-behind thread that commits them in batches,
because a commit per token-level event would cost more than the work it records.
``flush()`` waits for everything submitted so far; readers call it first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    Integer,
    String,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

__all__ = ["ProcessRow", "Store", "SyscallRow"]

log = logging.getLogger(__name__)

TERMINAL_STATES = ("EXITED", "FAILED", "KILLED")


class Base(DeclarativeBase):
    pass


class ProcessRow(Base):
    __tablename__ = "processes"

    pid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    agent: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(Text, default="")
    parent: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    owner: Mapped[str] = mapped_column(String(200), default="admin")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), index=True)
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    syscalls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    llm_wait_s: Mapped[float] = mapped_column(Float, default=0.0)
    llm_run_s: Mapped[float] = mapped_column(Float, default=0.0)
    tool_s: Mapped[float] = mapped_column(Float, default=0.0)


class SyscallRow(Base):
    """One row per syscall: the audit log and the accounting record in one."""

    __tablename__ = "syscalls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    caller: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100), index=True)
    args: Mapped[Any] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    queued_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float] = mapped_column(Float)
    wait_s: Mapped[float] = mapped_column(Float, default=0.0)
    run_s: Mapped[float] = mapped_column(Float, default=0.0)
    turnaround_s: Mapped[float] = mapped_column(Float, default=0.0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    prefill_tokens: Mapped[int] = mapped_column(Integer, default=0)
    resume_tokens: Mapped[int] = mapped_column(Integer, default=0)
    preemptions: Mapped[int] = mapped_column(Integer, default=0)
    core: Mapped[str | None] = mapped_column(String(100), nullable=True)


_SYSCALL_DEFAULTS: dict[str, Any] = {
    c.name: c.default.arg if c.default is not None and not callable(c.default.arg) else None
    for c in SyscallRow.__table__.columns
    if c.name != "id"
}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    """The kernel's database: created, passed in, closed."""

    def __init__(self, url: str, *, flush_interval_s: float = 0.05) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._interval = flush_interval_s
        self._cond = threading.Condition()
        self._proc_updates: dict[int, dict[str, Any]] = {}
        self._syscall_rows: list[dict[str, Any]] = []
        self._submitted = 0
        self._written = 0
        self._closed = False
        self._urgent = False
        self._writer = threading.Thread(target=self._write_loop, name="aios-store", daemon=True)
        self._writer.start()

    def session(self) -> Session:
        return self._sessions()

    # -- processes ---------------------------------------------------------

    def insert_process(self, **fields: Any) -> int:
        """Insert a process row now and return its pid."""
        with self.session() as s, s.begin():
            row = ProcessRow(**fields)
            s.add(row)
            s.flush()
            return row.pid

    def update_process(self, pid: int, **fields: Any) -> None:
        """Queue an update; later updates to the same pid merge into it."""
        with self._cond:
            self._proc_updates.setdefault(pid, {}).update(fields)
            self._submitted += 1
            self._cond.notify()

    def get_process(self, pid: int) -> ProcessRow | None:
        self.flush()
        with self.session() as s:
            return s.get(ProcessRow, pid)

    def list_processes(
        self, *, states: Iterable[str] | None = None, parent: int | None = None, limit: int = 1000
    ) -> list[ProcessRow]:
        self.flush()
        q = select(ProcessRow).order_by(ProcessRow.pid.desc()).limit(limit)
        if states:
            q = q.where(ProcessRow.state.in_(list(states)))
        if parent is not None:
            q = q.where(ProcessRow.parent == parent)
        with self.session() as s:
            return list(s.scalars(q))

    def fail_unfinished(self, reason: str) -> list[int]:
        """Mark every process a previous daemon left running as FAILED."""
        with self.session() as s, s.begin():
            pids = list(
                s.scalars(select(ProcessRow.pid).where(ProcessRow.state.not_in(TERMINAL_STATES)))
            )
            if pids:
                s.execute(
                    update(ProcessRow)
                    .where(ProcessRow.pid.in_(pids))
                    .values(state="FAILED", error=reason, ended_at=time.time())
                )
        return pids

    # -- syscalls ------------------------------------------------------------

    def add_syscall(self, **fields: Any) -> None:
        """Queue one audit row. Rows are inserted by one executemany, which takes its
        columns from the first row: every row carries every column."""
        row = {**_SYSCALL_DEFAULTS, **fields}
        with self._cond:
            self._syscall_rows.append(row)
            self._submitted += 1
            self._cond.notify()

    def list_syscalls(
        self, *, pid: int | None = None, name: str | None = None, limit: int = 1000
    ) -> list[SyscallRow]:
        self.flush()
        q = select(SyscallRow).order_by(SyscallRow.id).limit(limit)
        if pid is not None:
            q = q.where(SyscallRow.pid == pid)
        if name is not None:
            q = q.where(SyscallRow.name == name)
        with self.session() as s:
            return list(s.scalars(q))

    # -- write-behind --------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> None:
        with self._cond:
            target = self._submitted
            self._urgent = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._written >= target or self._closed, timeout)

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._submitted > self._written)
                if self._closed and self._submitted == self._written:
                    return
                # Let a burst accumulate into one transaction, unless a reader waits.
                self._cond.wait_for(lambda: self._urgent or self._closed, self._interval)
                self._urgent = False
                updates, self._proc_updates = self._proc_updates, {}
                rows, self._syscall_rows = self._syscall_rows, []
                target = self._submitted
            try:
                self._write(updates, rows)
            except Exception:
                log.exception("store: dropped %d updates and %d rows", len(updates), len(rows))
            with self._cond:
                self._written = target
                self._cond.notify_all()

    def _write(self, updates: dict[int, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        if not updates and not rows:
            return
        with self.session() as s, s.begin():
            for pid, fields in updates.items():
                s.execute(update(ProcessRow).where(ProcessRow.pid == pid).values(**fields))
            if rows:
                # Core executemany: a third of the ORM's per-row cost, which under load
                # let the backlog (and every full GC pass) grow.
                s.connection().execute(insert(Base.metadata.tables["syscalls"]), rows)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._writer.join(timeout=30)
        self.engine.dispose()
