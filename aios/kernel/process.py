"""The process table: agent processes, their states and their counters.

States and every transition between them live here (``_TRANSITIONS``,
``ProcessTable._set_state``). A live process's state follows from what it is
doing, in this order: a syscall on an LLM core -> RUNNING; an LLM syscall in the
ready queue -> READY; a tool, file or person in progress -> WAITING; otherwise
its own code runs -> RUNNING. SUSPENDED overrides all of them until resumed.

All methods run on the kernel's event loop thread; no locking is needed. The table
holds live processes only: one that has ended leaves it when its task is done, and
is answered from the database from then on (so memory stays bounded however many
processes have run).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from aios.errors import Conflict, NotFound
from aios.kernel.caps import Capabilities
from aios.kernel.lineage import KEEP_ENDED, Ancestry, Lineage
from aios.kernel.results import storable_error, storable_result
from aios.kernel.store import ProcessRow, Store

__all__ = ["Counters", "Process", "ProcessInfo", "ProcessState", "ProcessTable"]


class ProcessState(StrEnum):
    NEW = "NEW"
    READY = "READY"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    SUSPENDED = "SUSPENDED"
    EXITED = "EXITED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def terminal(self) -> bool:
        return self in (ProcessState.EXITED, ProcessState.FAILED, ProcessState.KILLED)


_S = ProcessState
_END = {_S.EXITED, _S.FAILED, _S.KILLED}
_TRANSITIONS: dict[ProcessState, set[ProcessState]] = {
    _S.NEW: {_S.RUNNING, _S.READY, _S.SUSPENDED} | _END,
    _S.READY: {_S.RUNNING, _S.WAITING, _S.SUSPENDED} | _END,
    _S.RUNNING: {_S.READY, _S.WAITING, _S.SUSPENDED} | _END,
    _S.WAITING: {_S.RUNNING, _S.READY, _S.SUSPENDED} | _END,
    _S.SUSPENDED: {_S.RUNNING, _S.READY, _S.WAITING} | _END,
    _S.EXITED: set(),
    _S.FAILED: set(),
    _S.KILLED: set(),
}


@dataclass
class Counters:
    syscalls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_wait_s: float = 0.0
    llm_run_s: float = 0.0
    tool_s: float = 0.0


class ProcessInfo(BaseModel):
    pid: int
    name: str
    agent: str
    task: str
    parent: int | None
    owner: str
    priority: int
    state: ProcessState
    capabilities: Capabilities
    created_at: float
    started_at: float | None
    ended_at: float | None
    result: Any = None
    error: str | None = None
    waiting_on: str | None = Field(
        default=None, description='while WAITING: "tool", "file" or "approval" (a person)'
    )
    home: str | None = Field(default=None, description='its LSFS home folder ("~")')
    syscalls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_wait_s: float = 0.0
    llm_run_s: float = 0.0
    tool_s: float = 0.0


@dataclass(eq=False)
class Process:
    pid: int
    name: str
    agent: str
    task: str
    parent: int | None
    owner: str
    priority: int
    capabilities: Capabilities
    created_at: float
    state: ProcessState = ProcessState.NEW
    started_at: float | None = None
    ended_at: float | None = None
    result: Any = None
    error: str | None = None
    counters: Counters = field(default_factory=Counters)
    suspended: bool = False
    llm_running: int = 0
    llm_queued: int = 0
    io_waiting: int = 0
    waiting_on: str | None = None
    home: str | None = None
    thread_queued: bool = False  # a plain-function agent waiting for an agent thread
    lineage: Lineage | None = None
    # Kernel-side handles: the agent's task, what its syscalls are doing.
    task_handle: asyncio.Task[Any] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    inflight: set[Any] = field(default_factory=set)
    calls: set[asyncio.Task[Any]] = field(default_factory=set)  # its syscalls in progress

    def info(self) -> ProcessInfo:
        return ProcessInfo.model_validate(
            {**self.__dict__, **self.counters.__dict__}, from_attributes=False
        )


def _row_info(row: ProcessRow) -> ProcessInfo:
    return ProcessInfo.model_validate(row, from_attributes=True)


class ProcessTable:
    def __init__(
        self, store: Store, on_change: Callable[[Process, ProcessState], None] | None = None
    ) -> None:
        self._store = store
        self._live: dict[int, Process] = {}
        # The final info of recently ended processes: it answers at once, even while
        # the database's copy of the end is still queued (or was lost).
        self._ended: OrderedDict[int, ProcessInfo] = OrderedDict()
        self._on_change = on_change
        # Spawns between their checks and their row (they count against the limits).
        self.creating: dict[int | None, int] = {}
        self.ancestry = Ancestry(store, self._lineage)

    def recover(self) -> list[int]:
        """After a restart: processes the last daemon left unfinished failed.
        Runs at start-up, before the loop serves anyone."""
        return self._store.fail_unfinished("daemon restarted")

    async def create(
        self,
        *,
        name: str,
        agent: str,
        task: str,
        parent: int | None,
        owner: str,
        priority: int,
        capabilities: Capabilities,
    ) -> Process:
        now = time.time()
        self.creating[parent] = self.creating.get(parent, 0) + 1
        insert = asyncio.ensure_future(
            self._store.ainsert_process(
                name=name,
                agent=agent,
                task=task,
                parent=parent,
                owner=owner,
                priority=priority,
                state=ProcessState.NEW.value,
                capabilities=capabilities.model_dump(),
                created_at=now,
            )
        )
        try:
            pid = await asyncio.shield(insert)
        except asyncio.CancelledError:
            # The caller is gone, but the row may still be written: never leave it NEW.
            insert.add_done_callback(self._abandon)
            raise
        finally:
            self.creating[parent] -= 1
            if not self.creating[parent]:
                del self.creating[parent]
        up = self._live.get(parent) if parent is not None else None
        proc = Process(
            pid=pid,
            name=name,
            agent=agent,
            task=task,
            parent=parent,
            owner=owner,
            priority=priority,
            capabilities=capabilities,
            created_at=now,
            lineage=Lineage.of(pid, parent, up.lineage if up is not None else None),
        )
        proc.resumed.set()
        self._live[pid] = proc
        return proc

    def _abandon(self, insert: asyncio.Future[int]) -> None:
        if not insert.cancelled() and insert.exception() is None:
            self._store.update_process(
                insert.result(), state="FAILED", error="spawn cancelled", ended_at=time.time()
            )

    def attach(self, proc: Process, task: asyncio.Task[Any]) -> None:
        """The process runs as ``task``; it leaves the table once that is done."""
        proc.task_handle = task
        task.add_done_callback(lambda _t: self._task_done(proc))

    def _task_done(self, proc: Process) -> None:
        if not proc.state.terminal:  # cancelled before it ever ran
            self.end(proc, ProcessState.KILLED, error="killed")
        self._retire(proc)

    def _retire(self, proc: Process) -> None:
        if self._live.get(proc.pid) is proc:
            del self._live[proc.pid]
            self._ended[proc.pid] = proc.info()
            while len(self._ended) > KEEP_ENDED:
                self._ended.popitem(last=False)
        if proc.lineage is not None:
            self.ancestry.ended(proc.lineage)

    def set_capabilities(self, proc: Process, caps: Capabilities) -> None:
        """Only while NEW (the spawn resolves its home folder once the pid is known)."""
        if proc.state != ProcessState.NEW:
            raise Conflict(f"process {proc.pid} has started: its capabilities are fixed")
        proc.capabilities = caps
        self._store.update_process(proc.pid, capabilities=caps.model_dump())

    def live(self, pid: int) -> Process | None:
        """A live process (or one that has just ended and whose task is finishing)."""
        return self._live.get(pid)

    def all_live(self) -> list[Process]:
        return list(self._live.values())

    def running(self) -> list[Process]:
        return [p for p in self._live.values() if not p.state.terminal]

    def _known(self, pid: int) -> ProcessInfo | None:
        proc = self._live.get(pid)
        return proc.info() if proc is not None else self._ended.get(pid)

    async def get(self, pid: int) -> ProcessInfo:
        if (known := self._known(pid)) is not None:
            return known
        row = await self._store.aget_process(pid)
        if row is None:
            raise NotFound(f"no process {pid}", pid=pid)
        return _row_info(row)

    def get_sync(self, pid: int) -> ProcessInfo:
        """``get`` for code off the event loop (and tests): it reads on this thread."""
        if (known := self._known(pid)) is not None:
            return known
        row = self._store.get_process(pid)
        if row is None:
            raise NotFound(f"no process {pid}", pid=pid)
        return _row_info(row)

    def list_sync(
        self, *, states: list[str] | None = None, parent: int | None = None, limit: int = 1000
    ) -> list[ProcessInfo]:
        """``list`` for code off the event loop (and tests)."""
        rows = self._store.list_processes(states=states, parent=parent, limit=limit)
        return self._merge(rows, states)

    def _merge(self, rows: Iterable[ProcessRow], states: list[str] | None) -> list[ProcessInfo]:
        out = []
        for row in rows:  # live processes: the in-memory state is the newest
            info = self._known(row.pid) or _row_info(row)
            if not states or info.state.value in states:
                out.append(info)
        return out

    async def list(
        self,
        *,
        states: list[str] | None = None,
        parent: int | None = None,
        under: int | None = None,
        limit: int = 1000,
    ) -> list[ProcessInfo]:
        """Newest first; ``under``: that process and its descendants only."""
        rows = await self._store.alist_processes(
            states=states, parent=parent, under=under, limit=limit
        )
        return self._merge(rows, states)

    def _lineage(self, pid: int) -> Lineage | None:
        proc = self._live.get(pid)
        return proc.lineage if proc is not None else None

    def known_descendant(self, pid: int, ancestor: int) -> bool | None:
        """From memory only: None when the answer needs the database."""
        return self.ancestry.known(pid, ancestor)

    async def is_descendant(self, pid: int, ancestor: int) -> bool:
        """Whether ``pid`` is ``ancestor`` or descends from it. Live processes answer
        from memory; only an ended one's chain is read (one query)."""
        return pid in await self.ancestry.among([pid], ancestor)

    async def descendants_among(self, pids: Iterable[int], ancestor: int) -> set[int]:
        """Those of ``pids`` that are ``ancestor`` or its descendants."""
        return await self.ancestry.among(pids, ancestor)

    # -- state: every transition goes through here ----------------------------

    def _set_state(self, proc: Process, new: ProcessState, **fields: Any) -> None:
        if new == proc.state and not fields:
            return
        if new != proc.state and new not in _TRANSITIONS[proc.state]:
            raise Conflict(
                f"process {proc.pid} cannot go from {proc.state} to {new}",
                pid=proc.pid,
                state=proc.state.value,
            )
        old, proc.state = proc.state, new
        self._store.update_process(proc.pid, state=new.value, **fields)
        if self._on_change is not None and old != new:
            self._on_change(proc, old)

    def _derived_state(self, proc: Process) -> ProcessState:
        if proc.suspended:
            return ProcessState.SUSPENDED
        if proc.llm_running:
            return ProcessState.RUNNING
        if proc.llm_queued or proc.thread_queued:
            return ProcessState.READY
        if proc.io_waiting:
            return ProcessState.WAITING
        return ProcessState.RUNNING

    def refresh(self, proc: Process) -> None:
        """Recompute a live process's state from what it is doing."""
        if proc.state.terminal or proc.state == ProcessState.NEW:
            return
        self._set_state(proc, self._derived_state(proc))

    def start(self, proc: Process) -> None:
        proc.started_at = time.time()
        self._set_state(proc, self._derived_state(proc), started_at=proc.started_at)

    def set_suspended(self, proc: Process, suspended: bool) -> None:
        if proc.state.terminal:
            raise Conflict(f"process {proc.pid} has ended ({proc.state})", pid=proc.pid)
        proc.suspended = suspended
        if suspended:
            proc.resumed.clear()
        else:
            proc.resumed.set()
        self._set_state(proc, self._derived_state(proc))

    def end(
        self, proc: Process, state: ProcessState, *, result: Any = None, error: str | None = None
    ) -> None:
        if proc.state.terminal:
            return
        proc.ended_at = time.time()
        proc.result = storable_result(result)
        proc.error = error = storable_error(error)
        self._set_state(proc, state, ended_at=proc.ended_at, result=proc.result, error=error)
        proc.resumed.set()
        proc.done.set()
        if proc.task_handle is None:  # nothing left to finish
            self._retire(proc)

    def account(self, proc: Process) -> None:
        """Persist the counters (called after each syscall)."""
        self._store.update_process(proc.pid, **proc.counters.__dict__)
