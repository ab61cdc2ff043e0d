"""The kernel's process operations: spawn, run, kill, wait, suspend, resume, and the
WAITING state of a process blocked on something other than an LLM core.

Agents written as plain functions run on threads of their own (``AgentThreads``),
not the default pool every file call uses, so a few long agents cannot starve LSFS.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aios.agents.context import ProcessContext, SyncProcessContext
from aios.errors import AiosError, Conflict, Unavailable
from aios.kernel.caps import ADMIN, Caller, Capabilities
from aios.kernel.process import Process, ProcessInfo, ProcessState
from aios.kernel.spawn import grant, plan_spawn, prepare
from aios.kernel.sysllm import note_spawn

if TYPE_CHECKING:
    from aios.agents.registry import AgentRegistry
    from aios.kernel.events import EventBus
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import ProcessTable
    from aios.kernel.scheduler import Scheduler
    from aios.kernel.tokens import TokenTable
    from aios.tools.registry import ToolRegistry

__all__ = ["AgentThreads", "ProcessOps"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class AgentThreads:
    """A bounded pool for plain-function agents. ``threads`` agents compute at once;
    another waits on the loop for a slot (its process READY meanwhile). An agent
    blocked in a syscall gives its slot back until the syscall returns (``blocked``):
    else agents waiting on their children, as deep as the pool, would wait forever.
    A slot is free again only when its function returns, even if the process was
    killed (a thread cannot be stopped)."""

    def __init__(self, threads: int, max_threads: int) -> None:
        self.threads = threads
        # threads blocked in syscalls hold no slot: as many as there are processes
        self._pool = ThreadPoolExecutor(max(threads, max_threads), thread_name_prefix="aios-agent")
        self._slots = asyncio.Semaphore(threads)
        self._closed = False

    async def blocked(self, coro: Awaitable[T]) -> T:
        """Run a plain agent's syscall (on the loop) with its slot given back."""
        self._slots.release()
        try:
            return await coro
        finally:
            await self._slots.acquire()

    async def run(self, fn: Callable[..., Any], *args: Any, waiting: Callable[[bool], None]) -> Any:
        if self._slots.locked():
            waiting(True)
            try:
                await self._slots.acquire()
            finally:
                waiting(False)
        else:
            await self._slots.acquire()
        loop = asyncio.get_running_loop()
        try:
            if self._closed:
                raise Unavailable("the kernel is shutting down")
            ctx = contextvars.copy_context()  # as asyncio.to_thread does
            fut = self._pool.submit(ctx.run, fn, *args)
        except BaseException:
            self._slots.release()
            raise

        def free(_f: Future[Any]) -> None:
            with suppress(RuntimeError):  # the loop has closed: nobody waits for a slot
                loop.call_soon_threadsafe(self._slots.release)

        fut.add_done_callback(free)
        return await asyncio.wrap_future(fut)

    def close(self) -> None:
        """Queued agents are refused; running ones finish on their own threads."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


class ProcessOps:
    """Mixed into Kernel, which provides these."""

    procs: ProcessTable
    scheduler: Scheduler
    agents: AgentRegistry
    events: EventBus
    tokens: TokenTable
    tools: ToolRegistry
    _accepting: bool

    @property
    def agent_threads(self) -> AgentThreads:
        """Made on first use (the kernel's constructor knows nothing of it)."""
        pool: AgentThreads | None = self.__dict__.get("_agent_threads")
        if pool is None:
            limits = cast("Kernel", self).config.processes
            pool = AgentThreads(limits.agent_threads, limits.max_live)
            self.__dict__["_agent_threads"] = pool
        return pool

    def close_agent_threads(self) -> None:
        pool: AgentThreads | None = self.__dict__.pop("_agent_threads", None)
        if pool is not None:
            pool.close()

    def _state_changed(self, proc: Process, old: ProcessState) -> None:
        publish = self.events.publish_last if proc.state.terminal else self.events.publish
        publish(proc.pid, "state", state=proc.state.value, previous=old.value, error=proc.error)
        if proc.state.terminal:
            current = asyncio.current_task()
            for task in list(proc.calls):  # its calls over HTTP too (not a kill of itself)
                if task is not current:
                    task.cancel()
            self.tokens.revoke(proc.pid)  # a process token dies with its process
            self._forget_sandbox(proc.pid)
            self.llm_spent.pop(proc.pid, None)
            self.llm_ancestors.pop(proc.pid, None)
            cast("Kernel", self).approvals.forget_process(proc.pid)

    def _forget_sandbox(self, pid: int) -> None:
        """An ended process's programs are killed and its sandbox folder dropped."""
        cast("Kernel", self).sandbox.release(str(pid))

    @property
    def llm_spent(self) -> dict[int, int]:
        """Tokens used by each live process with a token budget, its descendants'
        included (``sysllm.budget_left``)."""
        spent: dict[int, int] | None = self.__dict__.get("_llm_spent")
        if spent is None:
            spent = self.__dict__["_llm_spent"] = {}
        return spent

    @property
    def llm_ancestors(self) -> dict[int, tuple[int, ...]]:
        """The ancestors with a token budget of each live process that has any
        (``sysllm.note_spawn``)."""
        up: dict[int, tuple[int, ...]] | None = self.__dict__.get("_llm_ancestors")
        if up is None:
            up = self.__dict__["_llm_ancestors"] = {}
        return up

    async def spawn(
        self,
        agent: str | Any,
        task: str = "",
        *,
        name: str | None = None,
        priority: int | None = None,
        capabilities: Capabilities | None = None,
        caller: Caller = ADMIN,
        isolated: bool = False,
        cerebrum: str | None = None,
    ) -> Process:
        """Start an agent (an installed name, a plugin, a callable, or with
        ``cerebrum`` a Cerebrum agent folder) as a new process.

        Without capabilities, an admin's child gets its manifest's (a plugin) or the
        least-privilege defaults (its home folder ``home/<pid>``, local tools), and a
        process's child its manifest's or its parent's set. A child's home is inside
        its parent's (``home/<parent>/<pid>``). A child never gets more than its
        parent: capabilities, priority (default: the parent's), approval rules, what
        is left of its token budget. A plugin's first run waits for a person's
        consent (``aios.agents.consent``) before any of its code runs."""
        if not self._accepting:
            raise Unavailable("the kernel is not accepting work")
        limits = cast("Kernel", self).config.processes
        live = self.procs.running()
        creating = self.procs.creating  # spawns awaiting their rows count too
        if len(live) + sum(creating.values()) >= limits.max_live:
            raise Unavailable(f"{len(live)} processes are running: the most there may be")
        if not caller.admin:
            children = sum(1 for p in live if p.parent == caller.pid)
            children += creating.get(caller.pid, 0)
            if children >= limits.max_children:
                raise Conflict(
                    f"process {caller.pid} already has {children} running children",
                    limit=limits.max_children,
                )
        kernel = cast("Kernel", self)
        if caller.admin and isinstance(agent, str) and agent and agent not in self.agents.names():
            await asyncio.to_thread(self.agents.rescan)  # a plugin folder added since start
        plan = plan_spawn(kernel, agent, isolated=isolated, cerebrum=cerebrum, caller=caller)
        parent, homes = None, "home"  # a child's home lies inside its parent's
        parent_proc: Process | None = None
        if not caller.admin:
            parent_proc = self.procs.live(caller.pid or 0)
            assert parent_proc is not None and caller.caps is not None
            parent = parent_proc.pid
            homes = parent_proc.home or "home"
        # "~" is the child's home: <parent's home>/<pid>, known once created
        caps, priority = grant(
            kernel, plan, capabilities, priority, caller, parent_proc, f"{homes}/0"
        )
        proc = await self.procs.create(
            name=name or plan.name,
            agent=plan.name,
            task=task,
            parent=parent,
            owner=caller.owner,
            priority=priority,
            capabilities=caps,
        )
        proc.home = f"{homes}/{proc.pid}"
        self.procs.set_capabilities(proc, caps.for_home(proc.home))
        if parent_proc is not None:
            note_spawn(kernel, proc, parent_proc)
        before = (
            functools.partial(prepare, kernel, proc, plan, caps) if plan.needs_prepare else None
        )
        self.procs.attach(
            proc,
            asyncio.create_task(self._run(proc, plan.fn, before), name=f"aios-pid-{proc.pid}"),
        )
        if parent_proc is not None and parent_proc.state.terminal:
            self.kill(proc.pid)  # its parent ended while the row was written
        return proc

    async def _run(
        self, proc: Process, fn: Any, before: Callable[[], Awaitable[Any]] | None = None
    ) -> None:
        """``before``: consent and loading, whose result is ``fn`` (a plugin's)."""
        self.procs.start(proc)
        ctx = ProcessContext(cast("Kernel", self), proc)
        try:
            await proc.resumed.wait()  # spawned, then suspended before it ran
            if before is not None:
                fn = await before()
                await proc.resumed.wait()  # suspended while a person decided
            if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
                getattr(fn, "__call__", None)  # noqa: B004
            ):
                result = await fn(ctx, proc.task)
            else:
                loop = asyncio.get_running_loop()

                def queued(waiting: bool) -> None:
                    proc.thread_queued = waiting
                    self.procs.refresh(proc)

                result = await self.agent_threads.run(
                    fn,
                    SyncProcessContext(ctx, loop, self.agent_threads.blocked),
                    proc.task,
                    waiting=queued,
                )
                if inspect.isawaitable(result):
                    result = await result
        except asyncio.CancelledError:
            self.procs.end(proc, ProcessState.KILLED, error="killed")
        except AiosError as exc:
            state = (
                ProcessState.KILLED if proc.state == ProcessState.KILLED else ProcessState.FAILED
            )
            self.procs.end(proc, state, error=f"{exc.code}: {exc.message}")
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # raised by agent code:
            # re-raised out of a task, these two would stop the daemon's event loop
            why = _describe(exc)
            log.info("process %d (%s) failed: %s", proc.pid, proc.name, why)
            self.procs.end(proc, ProcessState.FAILED, error=why)
        else:
            self.procs.end(proc, ProcessState.EXITED, result=result)

    def kill(self, pid: int) -> ProcessInfo:
        """Kill a live process; an ended one's final info, read on this thread if it
        has left the table (the syscall reads that off the loop instead)."""
        proc = self.procs.live(pid)
        if proc is None:
            return self.procs.get_sync(pid)
        if proc.state.terminal:
            return proc.info()
        for req in list(proc.inflight):
            self.scheduler.cancel(req)
        self.scheduler.release(pid)
        self.procs.end(proc, ProcessState.KILLED, error="killed")
        if proc.task_handle is not None:
            proc.task_handle.cancel()
        log.info("killed process %d (%s)", pid, proc.name)
        return proc.info()

    async def wait(self, pid: int, timeout: float | None = None) -> ProcessInfo:
        proc = self.procs.live(pid)
        if proc is None:
            return await self.procs.get(pid)
        with suppress(TimeoutError):
            await asyncio.wait_for(proc.done.wait(), timeout)
        return proc.info()

    def _live(self, pid: int) -> Process:
        proc = self.procs.live(pid)
        if proc is None:  # the syscalls tell NotFound from this first
            raise Conflict(f"process {pid} is not running", pid=pid)
        return proc

    def suspend(self, pid: int) -> ProcessInfo:
        proc = self._live(pid)
        self.procs.set_suspended(proc, True)
        self.scheduler.hold(pid)
        return proc.info()

    def resume(self, pid: int) -> ProcessInfo:
        proc = self._live(pid)
        if not proc.suspended:
            return proc.info()
        self.scheduler.release(pid)
        self.procs.set_suspended(proc, False)
        return proc.info()

    @asynccontextmanager
    async def io_wait(self, proc: Process, what: str) -> AsyncIterator[None]:
        """The process waits on something other than an LLM core: a "tool", a "file",
        a person ("approval"). Waiting for a person is not counted as tool time."""
        proc.io_waiting += 1
        proc.waiting_on = what
        self.procs.refresh(proc)
        t0 = time.monotonic()
        try:
            yield
        finally:
            proc.io_waiting -= 1
            if proc.io_waiting == 0:
                proc.waiting_on = None
            if what != "approval":
                proc.counters.tool_s += time.monotonic() - t0
            if not proc.state.terminal:
                self.procs.refresh(proc)
                self.procs.account(proc)


def _describe(exc: BaseException) -> str:
    """An agent's exception as text, even one whose ``__str__`` raises."""
    try:
        return f"{type(exc).__name__}: {exc}"
    except Exception:
        return f"{type(exc).__name__} (its message could not be read)"
