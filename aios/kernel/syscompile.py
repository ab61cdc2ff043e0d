"""The ``compile`` syscall: answer a query with a parallel plan of tool calls.

The plan is the planner's, or one the caller gives (``plan``: a plan it was shown
by a dry run and approved); a given plan is parsed and validated against the
caller's toolset before anything runs, and runs exactly as written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aios.errors import AiosError, BadRequest
from aios.kernel.compiler.compiler import Compiler, Outcome
from aios.kernel.compiler.plan import PlanSyntaxError, Task, parse_line
from aios.kernel.compiler.validate import PlanInvalid, PlanIssue, validate_plan
from aios.kernel.systool import allowed_tool, may_use
from aios.tools.context import planned_by
from aios.tools.registry import ToolSpec, external_spec

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["CompileArgs", "CompileResult", "PlanExample"]

log = logging.getLogger(__name__)

UNWIND_S = 10.0  # how long a cancelled compile may take to stop before it is left
MAX_PLAN_CHARS = 20_000
MAX_PLAN_ISSUES = 20  # of a refused given plan, shown
MAX_PATH_WORDS = 16  # of a question's words looked up as LSFS paths


class PlanExample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=2000)
    plan: str = Field(max_length=4000, description="numbered calls, one per line, then join()")


class CompileArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=10_000)
    tools: list[str | dict[str, Any]] | None = Field(
        default=None,
        max_length=64,
        description="registered tool names, or OpenAI-style function schemas (dry_run only); "
        "default: every tool the caller may call",
    )
    examples: list[PlanExample] = Field(default_factory=list, max_length=16)
    dry_run: bool = False
    max_replans: int = Field(default=2, ge=0, le=100)
    deadline_s: float | None = Field(default=None, gt=0, le=3600)
    model: str | None = None
    stream: bool = False
    plan: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PLAN_CHARS,
        description="the first round's plan, run as given instead of asking the planner: "
        'numbered calls, one per line (1. tool(arg="value", other=$1.field)), then join(); '
        "with dry_run it is only validated",
    )

    # Caller schemas are checked (limits, $refs) while the arguments are validated, so a
    # refused one is never held by the validated call; BadRequest passes pydantic as is.
    @field_validator("tools")
    @classmethod
    def _bounded_tools(
        cls, v: list[str | dict[str, Any]] | None
    ) -> list[str | dict[str, Any]] | None:
        for t in v or []:
            if isinstance(t, dict):
                external_spec(t)
        return v


class CompileResult(BaseModel):
    status: str = Field(description="ok | planned (dry run) | failed | deadline_exceeded")
    answer: str | None
    thought: str | None
    error: dict[str, Any] | None
    plans: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    replans: int
    critical_path: dict[str, Any]
    timings: dict[str, float]


def _toolset(k: Kernel, call: Call, args: CompileArgs) -> list[ToolSpec]:
    if args.tools is None:
        specs = [s for s in k.tools.specs() if may_use(call, s)]
    else:
        specs = [
            allowed_tool(k, call, t) if isinstance(t, str) else external_spec(t) for t in args.tools
        ]
    names = [s.name for s in specs]
    if not specs:
        raise BadRequest("no tools to plan with")
    if len(set(names)) != len(names):
        raise BadRequest(f"tool names must be unique: {names}")
    external = [s.name for s in specs if s.external]
    if external and not args.dry_run:
        raise BadRequest(
            f"external tools {external} can only be planned: set dry_run", tools=external
        )
    return specs


def given_plan(text: str, specs: list[ToolSpec], max_tasks: int) -> list[Task]:
    """The tasks of a plan the caller gives, or BadRequest naming the line and what is
    wrong with it: its syntax, ids that do not increase, text after join(), too many
    tasks, or any problem ``validate_plan`` finds against the caller's toolset."""
    if len(text) > MAX_PLAN_CHARS:
        raise BadRequest(f"a plan is at most {MAX_PLAN_CHARS} characters")
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(numbered) > max_tasks + 1:  # + join()
        raise BadRequest(f"a plan has at most {max_tasks} tasks", lines=len(numbered))
    tasks: list[Task] = []
    line_of: dict[int, int] = {}
    joined = False
    for n, line in numbered:
        if joined:
            raise PlanSyntaxError(f"plan line {n}: text after join()", line=n)
        task = _parse(n, line)
        if task is None:
            joined = True
            continue
        last = tasks[-1].id if tasks else 0
        if task.id <= last:
            raise PlanSyntaxError(
                f"plan line {n}: task {task.id} comes after task {last} (numbers must increase)",
                line=n,
            )
        tasks.append(task)
        line_of[task.id] = n
    if not tasks:
        raise BadRequest("the plan has no tasks")
    if len(tasks) > max_tasks:
        raise BadRequest(f"a plan has at most {max_tasks} tasks", tasks=len(tasks))
    issues = validate_plan(tasks, {s.name: s for s in specs})
    if issues:
        raise PlanInvalid(
            [
                PlanIssue(i.code, i.task, f"plan line {line_of[i.task]}: {i.message}")
                if i.task in line_of
                else i
                for i in issues[:MAX_PLAN_ISSUES]
            ]
        )
    return tasks


def _parse(n: int, line: str) -> Task | None:
    try:
        return parse_line(line)
    except PlanSyntaxError as exc:
        text = line.strip()
        prefix = f"plan line {text!r}: "
        what = exc.message[len(prefix) :] if exc.message.startswith(prefix) else exc.message
        raise PlanSyntaxError(
            f"plan line {n} ({text[:80]!r}): {what[:200]}",
            line=n,
            column=exc.details.get("column"),
        ) from None


async def _planner_tools(
    k: Kernel, args: CompileArgs, specs: list[ToolSpec]
) -> tuple[list[ToolSpec], str | None]:
    """The tools the planner is offered: the nearest few when many are offered (a
    given plan is checked against them all), and the first task's tool if chosen."""
    cfg = k.config.compiler
    if k.narrower is None or not cfg.narrow_tools or len(specs) <= cfg.narrow_above:
        return specs, None
    if args.plan is not None:
        return specs, None
    kept, nearest = await k.narrower.anarrow(args.query, specs, cfg.narrow_tools)
    return kept, nearest if cfg.lead_tool else None


async def _known_paths(k: Kernel, call: Call, args: CompileArgs) -> frozenset[str] | None:
    """The question's words that name files or folders the caller may read, so a path
    argument is one of those or a file-like word (None: LSFS is off, or a given plan)."""
    if k.fs is None or args.plan is not None or not k.config.compiler.anchor_args:
        return None
    from aios.kernel.compiler.anchors import Anchors, file_like
    from aios.kernel.sysfs import check, run_io

    found = []
    for word in Anchors(args.query).paths[:MAX_PATH_WORDS]:
        if file_like(word):
            continue
        try:
            rel = check(k, call, word, write=False)
            await run_io(k.fs.stat, rel)
        except AiosError:
            continue
        found.append(word)
    return frozenset(found)


async def _compiler(k: Kernel, call: Call, args: CompileArgs, on_event: Any = None) -> Compiler:
    cfg = k.config.compiler
    if args.max_replans > cfg.max_replans:
        raise BadRequest(f"max_replans is at most {cfg.max_replans}")
    specs, lead = await _planner_tools(k, args, _toolset(k, call, args))
    given = None if args.plan is None else given_plan(args.plan, specs, cfg.max_tasks)
    return Compiler(
        k,
        call.caller,
        specs,
        model=args.model,
        examples=[(e.question, e.plan) for e in args.examples],
        max_replans=args.max_replans,
        deadline_s=args.deadline_s or cfg.deadline_s,
        dry_run=args.dry_run,
        on_event=on_event,
        given=given,
        given_text=args.plan or "",
        lead=lead,
        known_paths=await _known_paths(k, call, args),
    )


def _result(c: Compiler, out: Outcome) -> CompileResult:
    tasks = (
        [out.runs[i].to_dict(c.t0) for i in sorted(out.runs)]
        if out.runs
        else [t.to_dict() for t in out.planned]
    )
    if out.runs:
        cp = c.critical_path(out)
    else:
        from aios.kernel.compiler.validate import critical_path

        path, _ = critical_path(out.planned, {t.id: 1.0 for t in out.planned})
        cp = {"tasks": path, "seconds": None}
    return CompileResult(
        status=out.status,
        answer=out.answer,
        thought=out.thought,
        error=out.error,
        plans=out.plans,
        tasks=tasks,
        replans=out.replans,
        critical_path=cp,
        timings=out.timings,
    )


async def compile_(k: Kernel, call: Call, args: CompileArgs) -> CompileResult:
    """Plan and run tool calls in parallel to answer a query (LLMCompiler)."""
    c = await _compiler(k, call, args)
    return _result(c, await asyncio.ensure_future(_planning(c, args.query, call.caller.pid)))


async def compile_stream(k: Kernel, call: Call, args: CompileArgs) -> AsyncIterator[dict[str, Any]]:
    """Events as the plan streams and runs, then ``{"type": "result"}``."""
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    c = await _compiler(k, call, args, on_event=queue.put_nowait)
    task = asyncio.ensure_future(_planning(c, args.query, call.caller.pid))
    task.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        while (event := await queue.get()) is not None:
            yield event
        out = await task
    finally:
        if not task.done():
            # The client went away (or the stream was closed): stop the compile and see
            # it unwind (its llm.chat and tool.call syscalls end, their rows written)
            # rather than leave a pending task to be destroyed with the loop.
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=UNWIND_S)
            if not done:
                log.warning("compile did not stop within %.0f s of being cancelled", UNWIND_S)
            task.add_done_callback(_retrieved)
    yield {"type": "result", "result": _result(c, out).model_dump(mode="json")}


async def _planning(c: Compiler, query: str, pid: int | None) -> Outcome:
    """The compile, in a task of its own that marks its calls as a plan's (so only
    they resolve a grant's references: ``aios.kernel.gate``)."""
    planned_by.set(pid)
    return await c.run(query)


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Mark a cancelled compile's outcome as seen: nobody is left to read it."""
    if not task.cancelled():
        task.exception()
