"""The store on a real SQLite database: write-behind that never lies about a failed
batch, a bounded backlog, and reads that never block the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from aios.kernel.store import ProcessRow, Store, SyscallRow


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'aios.db'}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    # a long interval: what a test submits is still pending when it calls flush
    s = Store(_url(tmp_path), flush_interval_s=5.0, retry_delays_s=(0.01, 0.01))
    yield s
    s.close()


def _row(name: str, **kw: Any) -> dict[str, Any]:
    now = time.time()
    return {"caller": "admin", "name": name, "status": "ok", "queued_at": now, "finished_at": now}


def _pid(store: Store, **kw: Any) -> int:
    fields: dict[str, Any] = {
        "name": "p",
        "agent": "a",
        "owner": "admin",
        "state": "RUNNING",
        "created_at": 0.0,
        **kw,
    }
    return store.insert_process(**fields)


def _names(store: Store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(SyscallRow.name).order_by(SyscallRow.id)))


def _poison(store: Store) -> None:
    """Rows the database itself refuses: a trigger raises for them."""
    with sqlite3.connect(store.engine.url.database) as con:
        con.execute(
            "CREATE TRIGGER poison_rows BEFORE INSERT ON syscalls WHEN NEW.name LIKE 'poison%' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
        )
        con.execute(
            "CREATE TRIGGER poison_updates BEFORE UPDATE ON processes WHEN NEW.error = 'poison' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned update'); END"
        )


def test_a_failing_batch_keeps_its_good_rows_and_flush_reports_the_loss(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _poison(store)
    good, bad = _pid(store), _pid(store)
    for i in range(300):
        store.add_syscall(**_row(f"poison.{i}" if i in (7, 150, 299) else f"ok.{i}"))
    store.update_process(good, state="EXITED", result=42)
    store.update_process(bad, state="FAILED", error="poison")

    assert store.flush() is False  # not the success it used to claim
    assert _names(store) == [f"ok.{i}" for i in range(300) if i not in (7, 150, 299)]
    assert store.writer.lost_rows == 3 and store.writer.lost_updates == 1
    assert store.get_process(good).state == "EXITED"  # type: ignore[union-attr]
    assert store.get_process(bad).state == "RUNNING"  # type: ignore[union-attr]
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and "LOST 1 of 2 process updates and 3 of 300 syscall rows" in errors[0].message
    assert store.status()["lost_rows"] == 3

    # the loss was reported: later writes that succeed flush cleanly again
    store.add_syscall(**_row("after"))
    assert store.flush() is True
    assert _names(store)[-1] == "after"
    assert store.close() is False  # and closing says something was lost


def test_a_batch_that_fails_for_a_while_is_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    """The database's trouble (here: its table gone for longer than the retries for
    bad data last, 1.3 s) is waited out, never turned into lost rows."""
    store = Store(_url(tmp_path), flush_interval_s=0.01)
    try:
        db = store.engine.url.database
        with sqlite3.connect(db) as con:  # the table is away: every insert fails
            con.execute("ALTER TABLE syscalls RENAME TO syscalls_away")
        for i in range(10):
            store.add_syscall(**_row(f"r{i}"))
        deadline = time.monotonic() + 30
        while store.writer.retries == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert store.writer.retries > 0 and store.backlog == 10
        time.sleep(2.5)
        assert store.lost == 0 and store.backlog == 10
        with sqlite3.connect(db) as con:
            con.execute("ALTER TABLE syscalls_away RENAME TO syscalls")
        assert store.flush(timeout=30) is True
        assert _names(store) == [f"r{i}" for i in range(10)] and store.lost == 0
    finally:
        assert store.close() is True


def test_the_backlog_is_bounded_and_reported_while_the_database_is_locked(
    tmp_path: Path,
) -> None:
    store = Store(_url(tmp_path), flush_interval_s=0.01, max_backlog=100)
    locker = sqlite3.connect(store.engine.url.database, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        for i in range(150):
            store.add_syscall(**_row(f"r{i}"))
        assert store.backlog == 150 and store.overloaded
        locker.execute("COMMIT")
        assert store.flush(timeout=30) is True
        assert store.backlog == 0 and not store.overloaded and len(_names(store)) == 150
    finally:
        locker.close()
        store.close()


async def test_reads_run_off_the_event_loop(tmp_path: Path) -> None:
    """While the database is locked a read waits, but on the store's threads: the
    loop keeps running meanwhile (a read on the loop would stop the ticker)."""
    store = Store(_url(tmp_path), flush_interval_s=0.01)
    pid = _pid(store)
    locker = sqlite3.connect(
        store.engine.url.database, isolation_level=None, check_same_thread=False
    )
    ticks = 0
    release = threading.Event()

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            if ticks == 20:
                release.set()
            await asyncio.sleep(0.005)

    def unlock_later() -> None:
        release.wait(30)
        locker.execute("COMMIT")

    locker.execute("BEGIN EXCLUSIVE")
    store.update_process(pid, state="EXITED")  # cannot be written until the lock goes
    t = asyncio.create_task(ticker())
    unlocker = threading.Thread(target=unlock_later)
    unlocker.start()
    try:
        row = await asyncio.wait_for(store.aget_process(pid), 30)
        assert ticks >= 20  # the loop ran while the read waited for the lock
        assert row is not None and row.state == "EXITED"  # the update was flushed first
        rows = await store.alist_processes(states=["EXITED"])
        assert [r.pid for r in rows] == [pid]
    finally:
        release.set()
        t.cancel()
        unlocker.join()
        locker.close()
        store.close()


def test_descendants_through_ended_ancestors_in_one_query(store: Store) -> None:
    root = _pid(store)
    child = _pid(store, parent=root)
    grandchild = _pid(store, parent=child)
    other = _pid(store)
    assert store.reaching([grandchild, child, other, root], root) == {root, child, grandchild}
    assert store.reaching([grandchild], other) == set()
    under = [r.pid for r in store.list_processes(under=child)]
    assert under == [grandchild, child]
    with store.session() as s, s.begin():  # a cycle (a corrupt table) still ends
        s.get(ProcessRow, root).parent = grandchild  # type: ignore[union-attr]
    assert store.reaching([grandchild], other) == set()
