"""Per-process event streams: state changes, syscalls and generated tokens, for
whoever watches (the API's SSE endpoint). Nothing is buffered for a process no one
watches; a slow watcher loses events rather than slowing the kernel, but never the
last one, which ends its stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

__all__ = ["EventBus"]

QUEUE_LIMIT = 1000


class EventBus:
    def __init__(self, on_watch: Callable[[int], None] | None = None) -> None:
        self._subs: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._on_watch = on_watch  # told when a process gets its first watcher

    def watching(self, pid: int | None) -> bool:
        return pid is not None and bool(self._subs.get(pid))

    def subscribe(self, pid: int) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        first = not self._subs.get(pid)
        self._subs.setdefault(pid, set()).add(q)
        if first and self._on_watch is not None:
            self._on_watch(pid)
        return q

    def unsubscribe(self, pid: int, q: asyncio.Queue[dict[str, Any]]) -> None:
        subs = self._subs.get(pid)
        if subs is not None:
            subs.discard(q)
            if not subs:
                del self._subs[pid]

    def publish(self, pid: int | None, kind: str, **data: Any) -> None:
        """Call on the kernel's loop."""
        if pid is None:
            return
        subs = self._subs.get(pid)
        if not subs:
            return
        event = {"type": kind, "pid": pid, "at": time.time(), **data}
        for q in subs:
            if q.full():
                continue  # this watcher is too slow: drop, never block the kernel
            q.put_nowait(event)

    def publish_last(self, pid: int, kind: str, **data: Any) -> None:
        """A process's last event (it ended). Every watcher gets it, a slow one too:
        its oldest event makes room, so its stream still sees the end and closes."""
        subs = self._subs.get(pid)
        if not subs:
            return
        event = {"type": kind, "pid": pid, "at": time.time(), **data}
        for q in subs:
            if q.full():
                q.get_nowait()
            q.put_nowait(event)
