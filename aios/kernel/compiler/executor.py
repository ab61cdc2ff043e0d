"""The executor (LLMCompiler's task fetching unit): runs a DAG of tool calls.

Event-driven: a task starts the moment its last input is ready (a callback of the
task it waits for), never by polling. Tasks can be added while the plan is still
being generated. A failed task marks everything downstream "upstream_failed"
and nothing hangs; per-task timeouts, retries with backoff for retryable tools
and a global deadline bound the whole run; ``cancel`` stops what is in flight.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aios.errors import AiosError, DeadlineExceeded, Unavailable
from aios.kernel.compiler.plan import Ref, Task
from aios.tools.registry import ToolError

__all__ = ["Executor", "TaskRun", "TaskStatus", "ToolPolicy"]

Invoke = Callable[[Task, dict[str, Any]], Awaitable[Any]]
EventSink = Callable[[str, "TaskRun"], None]


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"
    UPSTREAM_FAILED = "upstream_failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self not in _LIVE


_OK, _PENDING, _RUNNING = TaskStatus.OK, TaskStatus.PENDING, TaskStatus.RUNNING
_LIVE = frozenset({_PENDING, _RUNNING})


@dataclass(frozen=True)
class ToolPolicy:
    retryable: bool = False
    timeout_s: float | None = None
    string_params: frozenset[str] = frozenset()  # references into these become text
    scalar_params: frozenset[str] = frozenset()  # $1 given to these reads by name (field_for)


@dataclass(eq=False, slots=True)
class TaskRun:
    task: Task
    status: TaskStatus = TaskStatus.PENDING
    result: Any = None
    error: dict[str, Any] | None = None
    queued_at: float = 0.0  # monotonic
    started_at: float | None = None
    finished_at: float | None = None
    attempts: int = 0
    timed_out: bool = False
    reused_from: int | None = None  # the same call made earlier: its result, not a rerun
    inputs_left: int = 0  # referenced tasks not finished yet

    @property
    def duration(self) -> float:
        if self.started_at is None or self.finished_at is None:
            return 0.0
        return self.finished_at - self.started_at

    def to_dict(self, t0: float) -> dict[str, Any]:
        def rel(t: float | None) -> float | None:
            return None if t is None else round(t - t0, 6)

        return {
            **self.task.to_dict(),
            "status": self.status.value,
            "result": _jsonable(self.result),
            "error": self.error,
            "queued_s": rel(self.queued_at),
            "started_s": rel(self.started_at),
            "finished_s": rel(self.finished_at),
            "attempts": self.attempts,
            "reused_from": self.reused_from,
        }


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError, RecursionError):
        try:
            return repr(value)[:10_000]
        except Exception:  # repr() recurses as deep, or is broken
            return f"<{type(value).__name__}>"


_DEFAULT_POLICY = ToolPolicy()


class Executor:
    def __init__(
        self,
        invoke: Invoke,
        *,
        policies: dict[str, ToolPolicy] | None = None,
        task_timeout_s: float = 30.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        deadline: float | None = None,
        prior: dict[int, TaskRun] | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self._invoke = invoke
        self._policies = policies or {}
        self._task_timeout = task_timeout_s
        self._retries = retries
        self._backoff = backoff_s
        self._deadline = deadline
        self._on_event = on_event
        self.prior = dict(prior or {})
        self.runs: dict[int, TaskRun] = {}
        self._dependents: dict[int, list[TaskRun]] = {}
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._open = 0
        self._closed = False
        self._done = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._timeouts: list[tuple[float, int, TaskRun, int, asyncio.Task[None]]] = []
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._deadline_timer = (
            self._loop.call_at(self._loop.time() + (deadline - time.monotonic()), self._expire)
            if deadline is not None
            else None
        )

    # -- feeding ---------------------------------------------------------------

    def add(self, task: Task) -> TaskRun:
        """Schedule a task whose references name tasks added before (or prior ones)."""
        run = TaskRun(task, queued_at=time.monotonic())
        self.runs[task.id] = run
        self._open += 1
        self._emit("queued", run)
        failed = None
        for dep in task.deps:
            up = self.runs.get(dep) or self.prior.get(dep)
            if up is None:
                failed = failed or f"task {dep} does not exist"
            elif up.status is _OK:
                continue
            elif up.status not in _LIVE:
                failed = failed or f"task {dep} {up.status.value}"
            else:
                run.inputs_left += 1
                self._dependents.setdefault(dep, []).append(run)
        if failed:
            self._finish(
                run,
                TaskStatus.UPSTREAM_FAILED,
                error={"code": "upstream_failed", "message": failed},
            )
        elif self._deadline is not None and time.monotonic() >= self._deadline:
            self._finish(run, TaskStatus.CANCELLED, error=_deadline_error())
        elif not run.inputs_left:
            self._start(run)
        return run

    def reuse(self, task: Task, earlier: TaskRun) -> TaskRun:
        """Add ``task`` as a repeat of a call that already succeeded: same result."""
        now = time.monotonic()
        run = TaskRun(
            task,
            status=TaskStatus.OK,
            result=earlier.result,
            queued_at=now,
            started_at=now,
            finished_at=now,
            reused_from=earlier.task.id,
        )
        self.runs[task.id] = run
        self._emit("finished", run)
        return run

    def close(self) -> None:
        """No more tasks will be added."""
        self._closed = True
        self._check_done()

    async def wait(self) -> dict[int, TaskRun]:
        self.close()
        await self._done.wait()
        for timer in (self._timer, self._deadline_timer):
            if timer is not None:
                timer.cancel()
        self._timeouts.clear()
        return self.runs

    def cancel(self, error: dict[str, Any] | None = None) -> None:
        """Stop everything now: every unfinished task ends CANCELLED at once, and the
        in-flight ones are cancelled (their tools unwind in the background)."""
        err = error or {"code": "cancelled", "message": "cancelled"}
        inflight = list(self._inflight.values())
        # waiting tasks first, so they read "cancelled", not "upstream failed"
        for state in (TaskStatus.PENDING, TaskStatus.RUNNING):
            for run in [r for r in self.runs.values() if r.status == state]:
                self._finish(run, TaskStatus.CANCELLED, error=err)
        for task in inflight:
            task.cancel()

    # -- running -----------------------------------------------------------------

    def _start(self, run: TaskRun) -> None:
        run.status = TaskStatus.RUNNING
        run.started_at = time.monotonic()
        self._emit("started", run)
        self._inflight[run.task.id] = self._loop.create_task(self._execute(run))

    async def _execute(self, run: TaskRun) -> None:
        task = run.task
        policy = self._policies.get(task.tool, _DEFAULT_POLICY)
        args = task.args
        if task.deps:
            try:
                sp, sc = policy.string_params, policy.scalar_params
                args = {k: self._resolve(v, k in sp, k if k in sc else "") for k, v in args.items()}
            except LookupError as exc:
                self._finish(run, TaskStatus.ERROR, error={"code": "bad_ref", "message": str(exc)})
                return
        timeout = policy.timeout_s or self._task_timeout
        me = asyncio.current_task()
        assert me is not None
        while True:
            run.attempts += 1
            limit = timeout
            if self._deadline is not None:
                limit = max(0.0, min(limit, self._deadline - time.monotonic()))
            run.timed_out = False
            self._arm(run, me, limit)
            try:
                result = await self._invoke(task, args)
            except asyncio.CancelledError:
                if not run.timed_out:  # killed, or the deadline: stop here
                    if not run.status.terminal:
                        why = (
                            _deadline_error()
                            if self._expired()
                            else {"code": "cancelled", "message": "cancelled"}
                        )
                        self._finish(run, TaskStatus.CANCELLED, error=why)
                    raise
                me.uncancel()
                err: AiosError = DeadlineExceeded(
                    f"task {task.id} ({task.tool}) timed out after {limit:.3g}s"
                )
            except AiosError as exc:
                err = exc
            except Exception as exc:  # an invoke bug: report it, never hang
                self._finish(
                    run,
                    TaskStatus.ERROR,
                    error={"code": "internal", "message": f"{type(exc).__name__}: {exc}"},
                )
                return
            else:
                self._finish(run, TaskStatus.OK, result=result)
                return
            transient = isinstance(err, (ToolError, DeadlineExceeded, Unavailable))
            if (
                policy.retryable
                and transient
                and run.attempts <= self._retries
                and not self._expired()
            ):
                try:
                    await asyncio.sleep(self._backoff * 2 ** (run.attempts - 1))
                except asyncio.CancelledError:
                    if not run.status.terminal:
                        self._finish(
                            run,
                            TaskStatus.CANCELLED,
                            error={"code": "cancelled", "message": "cancelled"},
                        )
                    raise
                continue
            self._finish(run, TaskStatus.ERROR, error=err.to_dict())
            return

    # Timeouts: one heap and one loop timer for the earliest deadline, instead of a
    # timer (or an asyncio.timeout scope) per task: plans can have thousands of tasks.
    # Entries of finished attempts are dropped lazily when they come up.

    def _arm(self, run: TaskRun, task: asyncio.Task[None], limit: float) -> None:
        when = self._loop.time() + limit
        self._seq += 1
        heapq.heappush(self._timeouts, (when, self._seq, run, run.attempts, task))
        if self._timer_at is None or when < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = when
            self._timer = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        now = self._loop.time()
        heap = self._timeouts
        while heap and heap[0][0] <= now:
            _, _, run, attempt, task = heapq.heappop(heap)
            if run.status == TaskStatus.RUNNING and run.attempts == attempt and not task.done():
                run.timed_out = True
                task.cancel()
        while heap and heap[0][2].status != TaskStatus.RUNNING:
            heapq.heappop(heap)  # finished: nothing to time out
        self._timer = None
        self._timer_at = None
        if heap:
            self._timer_at = heap[0][0]
            self._timer = self._loop.call_at(self._timer_at, self._fire)

    def _resolve(self, value: Any, as_text: bool, field: str = "") -> Any:
        if isinstance(value, Ref):
            up = self.runs.get(value.task) or self.prior.get(value.task)
            if up is None or up.status is not _OK:
                raise LookupError(f"${value.task} has no result")
            out = value.follow(up.result, field)
            if as_text and not isinstance(out, str):
                try:
                    out = (
                        json.dumps(out, default=str) if isinstance(out, (dict, list)) else str(out)
                    )
                except (ValueError, RecursionError) as exc:  # cyclic, or too deep
                    raise LookupError(f"{value.render()[:120]} cannot be text: {exc}") from None
            return out
        if isinstance(value, list):
            return [self._resolve(v, False) for v in value]
        if isinstance(value, dict):
            return {k: self._resolve(v, False) for k, v in value.items()}
        return value

    def _finish(
        self,
        run: TaskRun,
        status: TaskStatus,
        *,
        result: Any = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """End ``run``, and with it everything downstream that can no longer run. A
        worklist, not recursion: a failure at the head of a chain of thousands of tasks
        reaches the end of it (in the order recursion would, depth first)."""
        work = [(run, status, result, error)]
        while work:
            run, status, result, error = work.pop()
            if run.status not in _LIVE:
                continue
            run.status, run.result, run.error = status, result, error
            run.finished_at = time.monotonic()
            self._inflight.pop(run.task.id, None)
            self._open -= 1
            self._emit("finished", run)
            failed = []
            for dep in self._dependents.pop(run.task.id, []):
                dep.inputs_left -= 1
                if status is not _OK:
                    why = f"task {run.task.id} ({run.task.tool}) {status.value}"
                    failed.append((dep, TaskStatus.UPSTREAM_FAILED, None, _upstream_failed(why)))
                elif not dep.inputs_left and dep.status is _PENDING:
                    self._start(dep)
            work.extend(reversed(failed))
        self._check_done()

    def _check_done(self) -> None:
        if self._closed and self._open == 0:
            self._done.set()

    def _expired(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _expire(self) -> None:
        self.cancel(_deadline_error())

    def _emit(self, kind: str, run: TaskRun) -> None:
        if self._on_event is not None:
            self._on_event(kind, run)  # pragma: no branch


def _upstream_failed(message: str) -> dict[str, Any]:
    return {"code": "upstream_failed", "message": message}


def _deadline_error() -> dict[str, Any]:
    return {"code": "deadline_exceeded", "message": "the compile deadline passed"}
