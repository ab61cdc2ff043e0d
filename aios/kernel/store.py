"""SQLAlchemy models and the kernel's database handle.

The process table and the syscall log live here. Spawns are written at once (the
pid comes from the database, so pids stay unique across restarts); state changes
and syscall rows go through the write-behind thread (``writebehind.py``).

The event loop never touches the database: the ``a*`` methods run on the store's
own small thread pool, where a read first waits for the writer (``flush``), so it
sees every change submitted before it. The plain methods are for code off the loop
(start-up, tests).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

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
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql import Select

from aios.errors import Unavailable
from aios.kernel.writebehind import WriteBehind
from aios.migrations import migrate

__all__ = ["ProcessRow", "Store", "SyscallRow"]

log = logging.getLogger(__name__)

T = TypeVar("T")

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


def _processes_under(root: int) -> Select[tuple[int]]:
    """The pids of ``root`` and all its descendants (one recursive query)."""
    t = ProcessRow.__table__
    sub = select(t.c.pid).where(t.c.pid == root).cte("sub", recursive=True)
    child = t.alias("child")
    sub = sub.union(select(child.c.pid).where(child.c.parent == sub.c.pid))
    return select(sub.c.pid)


def _reaching(starts: Sequence[int], ancestor: int) -> Select[tuple[int]]:
    """Those of ``starts`` that are ``ancestor`` or descend from it: each start's
    chain of parents, walked in one recursive query (UNION ends a cycle)."""
    t = ProcessRow.__table__
    up = (
        select(t.c.pid.label("start"), t.c.pid, t.c.parent)
        .where(t.c.pid.in_(list(starts)))
        .cte("up", recursive=True)
    )
    p = t.alias("p")
    up = up.union(select(up.c.start, p.c.pid, p.c.parent).where(p.c.pid == up.c.parent))
    return select(up.c.start).where(up.c.pid == ancestor).distinct()


def _text(value: str) -> str:
    """Text the database can encode: a lone surrogate (an agent's exception message,
    a name made up in-process) would fail its whole batch, and so would a NUL on
    PostgreSQL (its text holds none): each becomes U+FFFD / an escape."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if value.isascii():
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _storable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: _text(v) if isinstance(v, str) else v for k, v in fields.items()}


class Store:
    """The kernel's database: created, passed in, closed."""

    def __init__(
        self,
        url: str,
        *,
        flush_interval_s: float = 0.05,
        threads: int = 4,
        max_backlog: int = 100_000,
        retry_delays_s: Sequence[float] = (0.05, 0.25, 1.0),
    ) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.revision = migrate(self.engine)  # the schema: created or brought up to date
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Database work of the event loop runs here, never on the loop itself.
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="aios-db")
        self.writer = WriteBehind(
            self._write,
            interval_s=flush_interval_s,
            retry_delays_s=retry_delays_s,
            max_backlog=max_backlog,
            # the database's trouble, not the rows': retry whole, never drop
            transient=lambda exc: isinstance(exc, OperationalError),
        )
        self._closed = False

    def session(self) -> Session:
        return self._sessions()

    async def _off_loop(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        if self._closed:
            raise Unavailable("the database is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kw))
        except OperationalError as exc:  # locked past the busy timeout, disk full, ...
            log.warning("store: %r", exc)
            raise Unavailable("the database is busy; try again", retry_after_s=1) from None
        except DatabaseError as exc:  # corrupt, or a statement it refused: not a 500
            log.error("store: %r", exc)
            raise Unavailable("the database failed; see the daemon's log") from None
        except RuntimeError as exc:  # the pool shut down meanwhile
            if not self._closed:
                raise
            raise Unavailable("the database is closed") from exc

    # -- the write-behind, as the rest of the kernel sees it ------------------------

    @property
    def backlog(self) -> int:
        return self.writer.backlog

    @property
    def overloaded(self) -> bool:
        """More is waiting to be written than the bound: new work should be refused."""
        return self.writer.overloaded

    @property
    def lost(self) -> int:
        return self.writer.lost

    def status(self) -> dict[str, Any]:
        w = self.writer
        return {
            "backlog": w.backlog,
            "max_backlog": w.max_backlog,
            "overloaded": w.overloaded,
            "lost_updates": w.lost_updates,
            "lost_rows": w.lost_rows,
            "retries": w.retries,
        }

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait for the writer (never on the event loop); see ``WriteBehind.flush``."""
        return self.writer.flush(timeout)

    # -- processes ---------------------------------------------------------

    def insert_process(self, **fields: Any) -> int:
        """Insert a process row now and return its pid."""
        with self.session() as s, s.begin():
            row = ProcessRow(**_storable(fields))
            s.add(row)
            s.flush()
            return row.pid

    async def ainsert_process(self, **fields: Any) -> int:
        return await self._off_loop(self.insert_process, **fields)

    def update_process(self, pid: int, **fields: Any) -> None:
        """Queue an update; later updates to the same pid merge into it."""
        self.writer.update(pid, _storable(fields))

    def get_process(self, pid: int) -> ProcessRow | None:
        self.flush()
        with self.session() as s:
            return s.get(ProcessRow, pid)

    async def aget_process(self, pid: int) -> ProcessRow | None:
        return await self._off_loop(self.get_process, pid)

    def list_processes(
        self,
        *,
        states: Iterable[str] | None = None,
        parent: int | None = None,
        under: int | None = None,
        limit: int = 1000,
    ) -> list[ProcessRow]:
        """Newest first; ``under``: only that process and its descendants."""
        self.flush()
        q = select(ProcessRow).order_by(ProcessRow.pid.desc()).limit(limit)
        if states:
            q = q.where(ProcessRow.state.in_(list(states)))
        if parent is not None:
            q = q.where(ProcessRow.parent == parent)
        if under is not None:
            q = q.where(ProcessRow.pid.in_(_processes_under(under)))
        with self.session() as s:
            return list(s.scalars(q))

    async def alist_processes(self, **kw: Any) -> list[ProcessRow]:
        return await self._off_loop(self.list_processes, **kw)

    def reaching(self, starts: Sequence[int], ancestor: int) -> set[int]:
        """Those of ``starts`` that are ``ancestor`` or its descendants. Parents never
        change and rows are inserted at spawn, so this needs no flush."""
        if not starts:
            return set()
        with self.session() as s:
            return set(s.scalars(_reaching(starts, ancestor)))

    async def areaching(self, starts: Sequence[int], ancestor: int) -> set[int]:
        return await self._off_loop(self.reaching, starts, ancestor)

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
        self.writer.add(_storable({**_SYSCALL_DEFAULTS, **fields}))

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

    async def alist_syscalls(self, **kw: Any) -> list[SyscallRow]:
        return await self._off_loop(self.list_syscalls, **kw)

    # -- writing (the writer's thread) ---------------------------------------

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

    def close(self) -> bool:
        """Write what is queued, stop the threads, dispose of the engine. False if
        rows were lost (the log says which and why)."""
        if self._closed:
            return not self.writer.lost
        self._closed = True
        ok = self.writer.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.engine.dispose()
        return ok
