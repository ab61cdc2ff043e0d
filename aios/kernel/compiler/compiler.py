"""One compile: plan, execute while planning, join, and replan when needed.

The first round's plan may be given (one the caller was shown and approved): it
is run as it is, without asking the planner, and later rounds are planned as usual.

Every LLM call is an ``llm.chat`` syscall and every tool call a ``tool.call``
syscall of the calling process, so both are scheduled, permission-checked and
accounted like anything else the process does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aios.errors import DeadlineExceeded
from aios.kernel.caps import Caller
from aios.kernel.compiler.executor import Executor, TaskRun, TaskStatus, ToolPolicy
from aios.kernel.compiler.joiner import Joiner
from aios.kernel.compiler.plan import Task
from aios.kernel.compiler.planner import Planner
from aios.kernel.compiler.prompts import Example, examples_for, observation
from aios.kernel.compiler.stops import PlanStops, call_key
from aios.kernel.compiler.validate import PlanInvalid, critical_path
from aios.tools.registry import ToolSpec

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel

__all__ = ["Compiler", "Outcome", "SyscallLLM"]

log = logging.getLogger(__name__)


class SyscallLLM:
    """The planner's and joiner's LLM: llm.chat syscalls made as the caller."""

    def __init__(self, kernel: Kernel, caller: Caller, model: str | None) -> None:
        self.kernel, self.caller, self.model = kernel, caller, model

    def _args(self, messages: list[dict[str, str]], params: dict[str, Any]) -> dict[str, Any]:
        args = {"messages": messages, **params}
        if self.model:
            args["model"] = self.model
        return args

    async def stream(self, messages: list[dict[str, str]], **params: Any) -> AsyncIterator[str]:
        events = self.kernel.syscall_stream(
            self.caller, "llm.chat", {**self._args(messages, params), "stream": True}
        )
        try:
            async for ev in events:
                if ev["type"] == "token":
                    yield ev["text"]
        finally:
            await events.aclose()

    async def chat(self, messages: list[dict[str, str]], **params: Any) -> Any:
        return await self.kernel.syscall(self.caller, "llm.chat", self._args(messages, params))


@dataclass
class Outcome:
    status: str = "ok"  # ok | planned | failed | deadline_exceeded
    answer: str | None = None
    thought: str | None = None
    error: dict[str, Any] | None = None
    plans: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[int, TaskRun] = field(default_factory=dict)
    planned: list[Task] = field(default_factory=list)  # dry runs
    replans: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class Compiler:
    def __init__(
        self,
        kernel: Kernel,
        caller: Caller,
        tools: list[ToolSpec],
        *,
        model: str | None,
        examples: list[Example],
        max_replans: int,
        deadline_s: float,
        dry_run: bool,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        given: list[Task] | None = None,
        given_text: str = "",
        lead: str | None = None,
        known_paths: frozenset[str] | None = None,
    ) -> None:
        cfg = kernel.config.compiler
        self.kernel, self.caller, self.tools = kernel, caller, tools
        self.max_replans, self.deadline_s, self.dry_run = max_replans, deadline_s, dry_run
        self.cfg = cfg
        self.on_event = on_event
        self.given, self.given_text = given, given_text  # the first round's plan, validated
        llm = SyscallLLM(kernel, caller, model)
        self.planner = Planner(
            llm,
            tools,
            grammar=kernel.grammar_ok(model),
            max_tasks=cfg.max_tasks,
            max_tokens=cfg.planner_max_tokens,
            examples=examples_for(tools, examples),
            anchored=cfg.anchor_args,
        )
        self.planner.lead = lead  # the first task's tool, chosen by meaning
        self.planner.known_paths = known_paths
        self.joiner = Joiner(llm, max_tokens=cfg.joiner_max_tokens)
        self.policies = {
            t.name: ToolPolicy(
                retryable=t.retryable,
                timeout_s=t.timeout_s,
                string_params=frozenset(
                    k
                    for k, s in t.parameters.get("properties", {}).items()
                    if s.get("type") == "string"
                ),
                scalar_params=frozenset(
                    k
                    for k, s in t.parameters.get("properties", {}).items()
                    if s.get("type") in _SCALARS
                ),
            )
            for t in tools
        }

    async def _invoke(self, task: Task, args: dict[str, Any]) -> Any:
        res = await self.kernel.syscall(self.caller, "tool.call", {"name": task.tool, "args": args})
        return res.result  # type: ignore[attr-defined]

    def _emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event)

    async def run(self, query: str) -> Outcome:
        out = Outcome()
        self.t0 = t0 = time.monotonic()
        deadline = t0 + self.deadline_s
        feedback: str | None = None
        next_id = 1
        try:
            async with asyncio.timeout(self.deadline_s):
                for round_no in range(self.max_replans + 1):
                    out.replans = round_no
                    runs = await self._round(query, out, next_id, feedback, deadline)
                    if self.dry_run:
                        out.status = "planned"
                        break
                    next_id = max([next_id - 1, *out.runs]) + 1
                    failed = [r for r in runs if r.status == TaskStatus.ERROR]
                    can_replan = round_no < self.max_replans
                    if failed and can_replan:  # a small model cannot be trusted to notice
                        feedback = "These calls failed: " + "; ".join(
                            f"{r.task.render()} -> {observation(r, 160)}" for r in failed
                        )
                        self._emit({"type": "replan", "feedback": feedback})
                        continue
                    t_join = time.monotonic()
                    decision = await self.joiner.decide(
                        query, [out.runs[i] for i in sorted(out.runs)], can_replan=can_replan
                    )
                    out.timings[f"join_{round_no}_s"] = time.monotonic() - t_join
                    self._emit(
                        {"type": "decision", "action": decision.action, "thought": decision.thought}
                    )
                    if decision.action == "finish":
                        out.answer, out.thought = decision.answer, decision.thought
                        break
                    feedback = decision.feedback
        except TimeoutError:
            out.status = "deadline_exceeded"
            out.error = DeadlineExceeded(
                f"compile did not finish within {self.deadline_s:g}s"
            ).to_dict()
        except PlanInvalid as exc:
            out.status, out.error = "failed", exc.to_dict()
        out.timings["total_s"] = time.monotonic() - t0
        if out.status == "ok" and out.answer is None:
            out.status = "failed"
            out.error = {"code": "no_answer", "message": "the joiner gave no answer", "details": {}}
        return out

    async def _round(
        self, query: str, out: Outcome, first_id: int, feedback: str | None, deadline: float
    ) -> list[TaskRun]:
        """Plan one round, dispatching each task as it streams in; at most one
        automatic replan if the plan itself is invalid."""
        t = out.timings
        key = len(out.plans)
        for attempt in (0, 1):
            executor = (
                None
                if self.dry_run
                else Executor(
                    self._invoke,
                    policies=self.policies,
                    task_timeout_s=self.cfg.task_timeout_s,
                    retries=self.cfg.retries,
                    deadline=deadline,
                    prior=out.runs,
                    on_event=lambda kind, run: self._emit(
                        {"type": "task", "event": kind, "task": run.to_dict(self.t0)}
                    ),
                )
            )
            tasks: list[Task] = []
            note = None
            t[f"plan_{key}_start_s"] = time.monotonic() - self.t0
            done_before = {
                call_key(r.task): r for r in out.runs.values() if r.status == TaskStatus.OK
            }
            given = self.given if key == 0 else None
            stops = PlanStops(self.planner.by_name, query) if given is None else None
            plan = (
                self.planner.plan(query, first_id=first_id, prior=out.runs, feedback=feedback)
                if given is None
                else _each(given)
            )
            try:
                async for task in plan:
                    why = stops.why(task) if stops is not None else None
                    if why is not None:  # the model has stopped planning
                        note = f"stopped at task {task.id}, {why}"
                        break
                    tasks.append(task)
                    self._emit({"type": "plan", "task": task.to_dict()})
                    if executor is None:
                        continue
                    if (ck := call_key(task)) in done_before:
                        executor.reuse(task, done_before[ck])
                    else:
                        executor.add(task)
                    t.setdefault(f"first_dispatch_{key}_s", time.monotonic() - self.t0)
                    t[f"last_dispatch_{key}_s"] = time.monotonic() - self.t0
                await plan.aclose()
                t[f"plan_{key}_done_s"] = time.monotonic() - self.t0
                record: dict[str, Any] = {"text": self.planner.text, "note": note}
                if given is not None:
                    record.update(text=self.given_text, given=True)
                out.plans.append({**record, "tasks": [x.to_dict() for x in tasks]})
                if executor is None:
                    out.planned.extend(tasks)
                    return []
                runs = await executor.wait()
                t[f"exec_{key}_done_s"] = time.monotonic() - self.t0
                out.runs.update(runs)
                return [runs[x.id] for x in tasks]
            except PlanInvalid as exc:
                out.plans.append(
                    {
                        "text": self.planner.text if given is None else self.given_text,
                        "error": exc.to_dict(),
                        "tasks": [x.to_dict() for x in tasks],
                    }
                )
                if executor is not None:
                    executor.cancel()
                    out.runs.update(await executor.wait())
                if attempt == 1 or given is not None:  # never a model's plan in its place
                    raise
                feedback = f"The plan was invalid: {exc.message}. Write a valid plan."
                first_id = max([first_id - 1, *out.runs]) + 1
            except BaseException:
                if executor is not None:  # killed, deadline, or a crash: stop the tools
                    executor.cancel({"code": "cancelled", "message": "compile stopped"})
                    out.runs.update(executor.runs)
                raise
        raise AssertionError("unreachable")

    def critical_path(self, out: Outcome) -> dict[str, Any]:
        runs = out.runs
        path, length = critical_path(
            [r.task for r in runs.values()], {i: r.duration for i, r in runs.items()}
        )
        return {"tasks": path, "seconds": length}


async def _each(tasks: list[Task]) -> AsyncGenerator[Task, None]:
    """A given plan's tasks, as the planner would stream them."""
    for task in tasks:
        yield task


_SCALARS = ("string", "number", "integer", "boolean")
