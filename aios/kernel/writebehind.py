"""The store's write-behind thread: process updates and syscall rows, committed in
batches, because a commit per token-level event would cost more than the work it
records.

A batch that fails because of the database (locked, disk full, gone: ``transient``)
is retried whole with a capped backoff for as long as it takes, the backlog bound
refusing new work meanwhile; only at close is it given up after ``close`` 's
timeout. A batch that fails because of its data is retried a few times, then split
until the rows that fail are alone, so the good rows are kept and only the bad ones
are lost. Every loss is logged as an
error and counted (``lost``), and ``flush`` reports it instead of succeeding.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["WriteBehind"]

log = logging.getLogger(__name__)

Updates = dict[int, dict[str, Any]]
Rows = list[dict[str, Any]]


class WriteBehind:
    """``write(updates, rows)`` commits one transaction or raises."""

    def __init__(
        self,
        write: Callable[[Updates, Rows], None],
        *,
        interval_s: float = 0.05,
        retry_delays_s: Sequence[float] = (0.05, 0.25, 1.0),
        max_backlog: int = 100_000,
        transient: Callable[[Exception], bool] = lambda _exc: False,
        max_delay_s: float = 5.0,
    ) -> None:
        self._commit = write
        self._transient = transient
        self._max_delay = max_delay_s
        self._give_up_at: float | None = None  # set by close: retrying ends then
        self._interval = interval_s
        self._delays = tuple(retry_delays_s)
        self.max_backlog = max_backlog
        self._cond = threading.Condition()
        self._updates: Updates = {}
        self._rows: Rows = []
        self._in_batch = 0  # items of the batch being written
        self._submitted = 0
        self._written = 0  # submissions handled (written or given up on)
        self._loss_mark = 0  # _written as of the last batch that lost something
        self._closed = False
        self._urgent = False
        self.lost_updates = 0
        self.lost_rows = 0
        self.retries = 0
        self._thread = threading.Thread(target=self._loop, name="aios-store", daemon=True)
        self._thread.start()

    # -- submitting (any thread) ---------------------------------------------------

    def update(self, pid: int, fields: dict[str, Any]) -> None:
        with self._cond:
            if self._closed and not self._thread.is_alive():
                self._dropped_after_close("update")
                return
            self._updates.setdefault(pid, {}).update(fields)
            self._submitted += 1
            self._cond.notify()

    def add(self, row: dict[str, Any]) -> None:
        with self._cond:
            if self._closed and not self._thread.is_alive():
                self._dropped_after_close("row")
                return
            self._rows.append(row)
            self._submitted += 1
            self._cond.notify()

    def _dropped_after_close(self, what: str) -> None:
        if what == "row":
            self.lost_rows += 1
        else:
            self.lost_updates += 1
        log.error("store: a %s came after the store closed: lost", what)

    # -- state -----------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        """Updates and rows held in memory, not yet in the database."""
        with self._cond:
            return len(self._updates) + len(self._rows) + self._in_batch

    @property
    def overloaded(self) -> bool:
        return self.backlog >= self.max_backlog

    @property
    def lost(self) -> int:
        return self.lost_updates + self.lost_rows

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until what was submitted before the call is handled. True when all of
        it is in the database; False if the wait timed out, the writer has stopped,
        or a batch handled meanwhile lost rows. Never call it on the event loop."""
        with self._cond:
            target, start = self._submitted, self._written
            if target == start:
                return True
            self._urgent = True
            self._cond.notify_all()
            done = self._cond.wait_for(lambda: self._written >= target or self._closed, timeout)
            return done and self._written >= target and self._loss_mark <= start

    def close(self, timeout: float = 30.0) -> bool:
        """Write what is left and stop; False if something was lost or left."""
        with self._cond:
            self._closed = True
            self._give_up_at = time.monotonic() + timeout * 0.8
            self._cond.notify_all()
        self._thread.join(timeout=timeout)
        with self._cond:
            left = self._submitted - self._written
        if left:
            log.error("store: closed with %d submissions not written", left)
        return not left and not self.lost

    # -- the thread --------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._submitted > self._written)
                if self._closed and self._submitted == self._written:
                    return
                # Let a burst accumulate into one transaction, unless a reader waits.
                self._cond.wait_for(lambda: self._urgent or self._closed, self._interval)
                self._urgent = False
                updates, self._updates = self._updates, {}
                rows, self._rows = self._rows, []
                self._in_batch = len(updates) + len(rows)
                target = self._submitted
            lost_updates, lost_rows = self._write_batch(updates, rows)
            with self._cond:
                self._written = target
                self._in_batch = 0
                if lost_updates or lost_rows:
                    self._loss_mark = target
                    self.lost_updates += lost_updates
                    self.lost_rows += lost_rows
                self._cond.notify_all()

    def _write_batch(self, updates: Updates, rows: Rows) -> tuple[int, int]:
        """(process updates lost, syscall rows lost)."""
        if not updates and not rows:
            return 0, 0
        error: Exception | None = None
        attempt, data_attempts = 0, 0
        while True:
            try:
                self._commit(updates, rows)
                return 0, 0
            except Exception as exc:  # the thread must live on, whatever failed
                error = exc
                attempt += 1
                log.warning(
                    "store: batch of %d updates and %d rows failed (attempt %d): %r",
                    len(updates),
                    len(rows),
                    attempt,
                    exc,
                )
            if self._transient(error):
                if self._give_up_at is not None and time.monotonic() >= self._give_up_at:
                    break  # closing, and the database is still not there
                delay = min(self._max_delay, (self._delays or (0.05,))[0] * 2 ** (attempt - 1))
            elif data_attempts < len(self._delays):
                delay = self._delays[data_attempts]
                data_attempts += 1
            else:
                break
            self.retries += 1
            time.sleep(delay)
        # Keeps failing: find the bad ones, keep the rest.
        lost_updates = sum(0 if self._try({pid: f}, []) else 1 for pid, f in updates.items())
        lost_rows = self._write_rows(rows)
        if lost_updates or lost_rows:
            log.error(
                "store: LOST %d of %d process updates and %d of %d syscall rows "
                "(%d lost in all): %r",
                lost_updates,
                len(updates),
                lost_rows,
                len(rows),
                self.lost + lost_updates + lost_rows,
                error,
            )
        return lost_updates, lost_rows

    def _write_rows(self, rows: Rows) -> int:
        """Halve until the failing rows are alone: a few bad rows among thousands
        cost a few dozen transactions, not one per row."""
        if not rows or self._try({}, rows):
            return 0
        if len(rows) == 1:
            return 1
        mid = len(rows) // 2
        return self._write_rows(rows[:mid]) + self._write_rows(rows[mid:])

    def _try(self, updates: Updates, rows: Rows) -> bool:
        try:
            self._commit(updates, rows)
        except Exception as exc:
            log.debug("store: rejected: %r", exc)
            return False
        return True
