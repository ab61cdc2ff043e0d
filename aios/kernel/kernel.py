"""The kernel object: process table, scheduler, LLM cores and the syscall table.

Created, started, used through ``syscall``, closed::

    async with Kernel(config) as k:
        res = await k.syscall(ADMIN, "llm.chat", {"messages": [...]})

Everything hangs off this object; nothing is global, so tests build a fresh one
each time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from aios.agents.extras import activate_consented
from aios.agents.registry import AgentRegistry
from aios.config import Config
from aios.errors import AiosError, BadRequest, Cancelled, PermissionDenied, Unavailable
from aios.fs.embed import Embedder
from aios.fs.fs import LSFS
from aios.fs.monitor import watch
from aios.fs.tools import register_fs_tools
from aios.kernel.approvals import ApprovalQueue
from aios.kernel.audit import Audit
from aios.kernel.caps import Caller
from aios.kernel.compiler.narrow import ToolNarrower
from aios.kernel.events import EventBus
from aios.kernel.gate import gate
from aios.kernel.health import health
from aios.kernel.llm import Core, CoreWorker, build_cores
from aios.kernel.llm.pool import CorePool
from aios.kernel.metrics import Metrics, kernel_metrics
from aios.kernel.process import ProcessState, ProcessTable
from aios.kernel.procops import ProcessOps
from aios.kernel.sandbox import Sandbox
from aios.kernel.scheduler import Scheduler
from aios.kernel.store import Store
from aios.kernel.syscalls import Call, Syscall, SyscallTable, builtin_syscalls
from aios.kernel.sysllm import stream_tokens
from aios.kernel.tokens import TokenTable
from aios.tools.builtin import register_builtin_tools
from aios.tools.context import approved_tool
from aios.tools.mcp import McpManager
from aios.tools.registry import ToolRegistry

__all__ = ["Kernel"]

log = logging.getLogger(__name__)


class Kernel(ProcessOps):
    def __init__(
        self,
        config: Config,
        *,
        cores: list[Core] | None = None,
        agents: AgentRegistry | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.config = config
        self.store = Store(
            config.resolved_database_url, max_backlog=config.processes.max_write_backlog
        )
        self.events = EventBus(on_watch=lambda pid: stream_tokens(self.procs, pid))
        self.metrics = Metrics()
        self.tokens = TokenTable()
        self.procs = ProcessTable(self.store, on_change=self._state_changed)
        self.scheduler = Scheduler.from_config(config.scheduler)
        self.pool = CorePool(
            cores if cores is not None else build_cores(config.llm), self.scheduler
        )
        self.cores: list[Core] = self.pool.cores
        self.models = {c.model for c in self.cores}
        self.workers: list[CoreWorker] = self.pool.workers
        self.syscalls = SyscallTable(builtin_syscalls())
        self.audit = Audit(
            self.store, self.metrics, self.events, self.procs, known=self.syscalls.__contains__
        )
        self.approvals = ApprovalQueue(
            config.approvals,
            audit=self.audit.decision,
            publish=lambda pid, kind, data: self.events.publish(pid, kind, **data),
        )
        self.tools = ToolRegistry(
            threads=config.tools.threads, default_timeout_s=config.tools.default_timeout_s
        )
        self.sandbox = Sandbox(config.tools.sandbox, config.data_dir / "sandbox")
        register_builtin_tools(self.tools, config.tools, self.sandbox)
        self.mcp = McpManager(config.mcp, self.tools, self.sandbox, self.approvals, self.store)
        self.fs: LSFS | None = None
        if config.fs.enabled:
            self.fs = LSFS(
                config.fs,
                self.store.engine,
                config.data_dir,
                embedder
                or Embedder.configured(
                    config.fs, beside_llamacpp=any(c.kind == "llamacpp" for c in config.llm.cores)
                ),
            )
            register_fs_tools(self.tools, self)
        self.narrower = ToolNarrower(self.fs.embedder) if self.fs is not None else None
        self._fs_stop = asyncio.Event()
        self._fs_watch: asyncio.Task[None] | None = None
        self.agents = agents or AgentRegistry.discover(config, self.tools)
        self.started_at: float | None = None
        self.api_socket: Path | None = None  # the daemon's Unix socket, once it serves
        self._accepting = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        failed = self.procs.recover()
        if failed:
            log.warning(
                "marked %d processes left by the previous daemon FAILED: %s", len(failed), failed
            )
        try:
            await self.sandbox.start()  # probes confinement; tools refuse if it failed
            if self.fs is not None:
                await asyncio.to_thread(self.fs.start)  # reconcile disk, database, vectors
                if self.config.fs.watch:
                    self._fs_watch = asyncio.create_task(watch(self.fs, self._fs_stop))
            await self.pool.load()
        except BaseException:
            self._closed = True
            await self.sandbox.close()
            await self._stop_fs()
            self.pool.close()
            self.store.close()
            raise
        self.pool.start()
        await activate_consented(self)  # plugins' tools and MCP servers, once consented
        await self.mcp.start()  # connects in the background: never waits for a server
        self.started_at = time.time()
        self._accepting = True
        log.info(
            "kernel started: %d cores, models %s, policy %s",
            len(self.cores),
            sorted(self.models),
            self.scheduler.policy,
        )

    def stop_accepting(self) -> None:
        """Refuse new syscalls from now on (the first step of shutting down)."""
        self._accepting = False

    async def close(self, deadline_s: float | None = None) -> None:
        """Stop accepting work, let in-flight syscalls finish until the deadline,
        cancel the rest, close the models and the database."""
        if self._closed:
            return
        self._closed = True
        self._accepting = False
        deadline = self.config.shutdown_deadline_s if deadline_s is None else deadline_s
        for proc in self.procs.running():  # suspended work cannot finish: release it
            if proc.suspended:
                self.scheduler.release(proc.pid)
        self.scheduler.stop(cancel_queued=False)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=deadline)
        except TimeoutError:
            log.warning(
                "shutdown: %d syscalls still running after %.1fs; cancelling",
                self._inflight,
                deadline,
            )
        self.scheduler.stop(cancel_queued=True)
        for proc in self.procs.running():
            for req in list(proc.inflight):
                self.scheduler.cancel(req)
            self.procs.end(proc, ProcessState.FAILED, error="daemon stopped")
            if proc.task_handle is not None:
                proc.task_handle.cancel()
        tasks = [p.task_handle for p in self.procs.all_live() if p.task_handle]
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        self.close_agent_threads()
        await self.pool.stop(self.config.llm.worker_stop_timeout_s)  # never frees a busy core
        await self._stop_fs()
        await self.mcp.close()
        await self.sandbox.close()
        self.tools.close()
        await asyncio.to_thread(self.store.close)  # joins its writer: not on the loop
        log.info("kernel stopped")

    async def _stop_fs(self) -> None:
        self._fs_stop.set()
        if self._fs_watch is not None:
            with suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._fs_watch, 5)
        if self.fs is not None:
            await asyncio.to_thread(self.fs.close)

    async def __aenter__(self) -> Kernel:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the syscall path --------------------------------------------------------

    def _prepare(
        self, call: Call, args: Mapping[str, Any] | BaseModel
    ) -> tuple[Syscall, BaseModel]:
        """Look the syscall up, check the caller may make it, validate its arguments."""
        if not self._accepting:
            raise Unavailable("the kernel is not accepting work (starting or shutting down)")
        # refusing is better than growing the backlog unbounded, but stopping the load
        # must stay possible
        if self.store.overloaded and call.name not in ("proc.kill", "proc.suspend"):
            raise Unavailable(
                f"the database is behind ({self.store.backlog} writes waiting); try again",
                retry_after_s=1,
            )
        entry = self.syscalls.get(call.name)
        caller = call.caller
        if not caller.admin:
            if caller.pid is None or caller.caps is None:
                raise PermissionDenied("the caller is neither the admin nor a process")
            proc = self.procs.live(caller.pid)
            if proc is None or proc.state.terminal:
                raise Cancelled(f"process {caller.pid} is not running", pid=caller.pid)
            call.proc = proc
            # the process table's capabilities, whatever the Caller object claimed
            caller = call.caller = Caller(pid=proc.pid, caps=proc.capabilities, owner=proc.owner)
            if entry.admin_only or not proc.capabilities.allows_syscall(call.name):
                need = "admin" if entry.admin_only else f"syscalls:{call.name}"
                raise PermissionDenied(
                    f"process {caller.pid} may not call {call.name}: missing capability {need}",
                    syscall=call.name,
                    pid=caller.pid,
                    capability=need,
                )
        if not isinstance(args, entry.request | Mapping):
            raise BadRequest(f"the arguments of {call.name} are an object of named values")
        try:
            req = (
                args
                if isinstance(args, entry.request)
                else entry.request.model_validate(dict(args))
            )
        except ValidationError as exc:
            raise BadRequest(
                f"invalid arguments for {call.name}",
                errors=json.loads(exc.json(include_url=False, include_input=False)),
            ) from None
        call.args = req
        return entry, req

    async def _gate(self, call: Call, entry: Syscall, req: BaseModel) -> None:
        await gate(self, call, entry, req)

    async def syscall(
        self, caller: Caller, name: str, args: Mapping[str, Any] | BaseModel | None = None
    ) -> BaseModel:
        """Run one syscall as ``caller``. Raises AiosError on any failure."""
        call = Call(caller, name[:100], None, time.time(), args=args or {})
        async with self._syscall_scope(call):
            entry, req = self._prepare(call, args or {})
            if call.proc is None:
                await self._gate(call, entry, req)
                return await entry.handler(self, call, req)
            return await self._as_process(call, entry, req)

    async def _as_process(self, call: Call, entry: Syscall, req: BaseModel) -> BaseModel:
        """A process's syscall runs as a task of its own, which killing the process
        cancels, wherever the call came from (its own code, or its token over HTTP)."""
        proc = call.proc
        assert proc is not None

        async def run() -> BaseModel:
            await self._gate(call, entry, req)
            if call.extra.get("approved_tool"):  # this task only: its own syscalls
                approved_tool.set(proc.pid)
            return await entry.handler(self, call, req)

        task = asyncio.ensure_future(run())
        proc.calls.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and not (current is not None and current.cancelling()):
                raise Cancelled(f"process {proc.pid} ended", pid=proc.pid) from None
            raise
        finally:
            proc.calls.discard(task)

    async def syscall_stream(
        self, caller: Caller, name: str, args: Mapping[str, Any] | BaseModel | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Run a streaming syscall: yields events, the last one ``{"type": "result"}``."""
        call = Call(caller, name[:100], None, time.time(), args=args or {})
        async with self._syscall_scope(call):
            entry, req = self._prepare(call, args or {})
            await self._gate(call, entry, req)
            if entry.stream is None:
                res = await entry.handler(self, call, req)
                yield {"type": "result", "result": res.model_dump(mode="json")}
                return
            events = entry.stream(self, call, req)
            try:
                async for event in events:
                    yield event
            finally:  # a consumer that stops early closes the handler before the audit
                await events.aclose()  # type: ignore[attr-defined]

    @asynccontextmanager
    async def _syscall_scope(self, call: Call) -> AsyncIterator[None]:
        self._inflight += 1
        self._idle.clear()
        status, err = "ok", None
        try:
            yield
        except AiosError as exc:
            status, err = ("cancelled" if isinstance(exc, Cancelled) else "error"), exc
            raise
        except (asyncio.CancelledError, GeneratorExit):  # killed, or a stream let go
            status, err = "cancelled", Cancelled("cancelled")
            raise
        except Exception as exc:
            # the log has the exception; the caller gets no text of it (paths, internals)
            log.exception("syscall %s failed", call.name)
            status, err = "error", AiosError(f"internal error in {call.name}")
            raise err from exc
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()
            self.audit.syscall(call, status, err)

    # -- inspection ------------------------------------------------------------

    def metrics_text(self) -> str:
        """Prometheus text: counters and histograms, plus gauges read now."""
        return kernel_metrics(self)

    def grammar_ok(self, model: str | None) -> bool:
        """Whether every core serving ``model`` takes GBNF grammars."""
        name = model or self.config.llm.resolved_default_model
        return all(c.grammar for c in self.cores if c.model == name)

    def health(self) -> dict[str, Any]:
        return health(self)
