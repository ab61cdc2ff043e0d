"""Read your own writes: acknowledged writes not yet indexed, by writer.

Indexing runs in the background, so a search right after a write would miss it.
A write records (writer, file) with a sequence number before its file is queued;
when the indexer takes a batch it notes the sequence reached, and once it has
finished a file (indexed, skipped, dropped or failed) every write of that file up
to the noted number is settled: the indexer read the file's row after those
writes committed, so it indexed their content or a newer one. A search by a
writer waits, on the event loop and without a thread, until the writes it made
before the search are settled. Other writers' writes stay eventually consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading

__all__ = ["Writes"]


class Writes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._by_writer: dict[str, dict[int, int]] = {}  # writer -> {file id: seq}
        self._by_file: dict[int, set[str]] = {}  # file id -> writers with unsettled writes
        self._ids = itertools.count()
        # waiting searches: id -> (writer, loop, event); woken when their writer settles
        self._waiters: dict[int, tuple[str, asyncio.AbstractEventLoop, asyncio.Event]] = {}

    @property
    def seq(self) -> int:
        with self._lock:
            return self._seq

    def add(self, writer: str, file_id: int) -> None:
        """A write of ``file_id`` by ``writer`` was acknowledged (call before queueing it)."""
        with self._lock:
            self._seq += 1
            self._by_writer.setdefault(writer, {})[file_id] = self._seq
            self._by_file.setdefault(file_id, set()).add(writer)

    def settled(self, file_id: int, upto: int) -> None:
        """The indexer finished ``file_id`` as it was after write ``upto``."""
        with self._lock:
            writers = self._by_file.get(file_id)
            if not writers:
                return
            done = []
            for w in list(writers):
                mine = self._by_writer[w]
                if mine.get(file_id, upto + 1) <= upto:
                    del mine[file_id]
                    writers.discard(w)
                    if not mine:
                        del self._by_writer[w]
                    done.append(w)
            if not writers:
                del self._by_file[file_id]
            wake = [(loop, ev) for w, loop, ev in self._waiters.values() if w in done]
        for loop, ev in wake:
            # RuntimeError: that loop is closed, nobody waits there any more
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(ev.set)

    def pending(self, writer: str) -> dict[int, int]:
        """The writer's unsettled writes now: {file id: seq}."""
        with self._lock:
            return dict(self._by_writer.get(writer, {}))

    def _left(self, writer: str, before: dict[int, int]) -> int:
        with self._lock:
            mine = self._by_writer.get(writer, {})
            # a later write of the same file replaced the earlier one: that one is moot
            return sum(1 for f, s in before.items() if mine.get(f, s + 1) <= s)

    async def wait(self, writer: str, timeout: float) -> int:
        """Wait until the writes ``writer`` made before this call are settled, at most
        ``timeout`` seconds; how many are still pending (0: all settled)."""
        before = self.pending(writer)
        if not before or timeout <= 0:
            return len(before)
        loop = asyncio.get_running_loop()
        ev = asyncio.Event()
        key = next(self._ids)
        with self._lock:
            self._waiters[key] = (writer, loop, ev)
        try:
            deadline = loop.time() + timeout
            while left := self._left(writer, before):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return left
                ev.clear()
                if not self._left(writer, before):  # settled between the check and clear
                    return 0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ev.wait(), remaining)
            return 0
        finally:
            with self._lock:
                del self._waiters[key]
