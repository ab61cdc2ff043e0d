"""One line of the shell, from what was typed to what happened: ``run_line``.

A built-in, or a request the fast path matches, runs its syscall; anything else is
planned by the daemon (a streamed dry run of ``compile``, each step shown as it
arrives). A plan or built-in that needs a person goes through the kernel's approval
queue: the session process asks (``approval.request`` listing the exact calls), the
person answers here (``Asker``: yes, no, edit, explain) or with ``--yes``, and only
an approved plan runs, exactly as shown (``compile`` with that ``plan``), its calls
covered by the approval and nothing else. A call the daemon's own policy stops that
the shell did not foresee is asked here too while the line runs. Every input, plan,
approval and outcome is a line of the session's log.

Exit codes: ``OK`` 0, ``FAILED`` 1, ``USAGE`` 2, ``REFUSED`` 3 (needs a person and
none said yes: declined, or no terminal and no ``--yes``).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aios.errors import AiosError, BadRequest
from aios.shell import commands, plans
from aios.shell.approve import Asker, Line, message
from aios.shell.commands import NEEDS_POLICY, Command, UsageError
from aios.shell.out import Out
from aios.shell.plans import Step, safe_text
from aios.shell.session import ShellSession

__all__ = ["FAILED", "OK", "REFUSED", "USAGE", "Asker", "run_line", "with_context"]

log = logging.getLogger(__name__)

OK, FAILED, USAGE, REFUSED = 0, 1, 2, 3
MAX_CONTEXT = 20_000  # characters of piped input appended to a request
MAX_QUERY = 10_000  # what compile takes as a query
CONTEXT_MARKER = "--- input piped to the shell ---"
EXPLAIN_TOKENS = 256
_EXPLAIN = (
    "You explain a plan before a person approves it. For each numbered step, say in "
    "one short sentence what it does and what it changes. Do not add steps."
)


def with_context(text: str, context: str | None) -> str:
    """``text`` with piped input after a marker line, cut to fit both bounds."""
    if not context or not context.strip():
        return text
    room = min(MAX_CONTEXT, MAX_QUERY - len(text) - len(CONTEXT_MARKER) - 80)
    if room <= 0:
        return text
    cut = context[:room]
    note = "" if len(cut) == len(context) else "\n[cut: the rest of the input is left out]"
    return f"{text}\n\n{CONTEXT_MARKER}\n{cut}{note}"


# -- built-ins -------------------------------------------------------------------------


def _builtin_reasons(cmd: Command, tools: dict[str, Any], policy: str) -> list[str]:
    """Why a built-in must be confirmed first: ``kill``/``rollback`` unless the policy
    is ``never``; ``!cmd`` by the plan rules (its dangerous patterns always ask)."""
    if cmd.destructive == NEEDS_POLICY:
        task = {"id": 1, "tool": "shell", "args": cmd.syscall_args.get("args", {})}
        return plans.needs_approval([plans.classify(task, tools)], policy)
    if cmd.destructive and policy != "never":
        return [f"{cmd.name} cannot be undone by LSFS versions"]
    return []


def _grant(cmd: Command) -> dict[str, Any]:
    args = dict(cmd.syscall_args)
    if cmd.syscall == "tool.call":
        return {"syscall": "tool.call", "tool": args.get("name"), "args": args.get("args", {})}
    return {"syscall": cmd.syscall, "args": args}


async def _builtin(line: Line, cmd: Command) -> int:
    if cmd.destructive:
        tools = await line.s.tools() if cmd.destructive == NEEDS_POLICY else {}
        shown = " ".join(safe_text(a) for a in cmd.args)
        line.out.line(f"{cmd.name} {shown}".strip() if cmd.name != "!" else f"! {shown}")
        reasons = _builtin_reasons(cmd, tools, line.policy)
        if reasons:
            choice, _ = await line.ask(f"{cmd.name} {shown}"[:500], {"command": shown},
                                       [_grant(cmd)], reasons)  # fmt: skip
            if choice != "yes":
                line.out.line("not run")
                return REFUSED
    async with line.answering():
        failed = await line.s.run_command(cmd, line.out)
    await line.s.log("outcome", command=cmd.name, failed=failed)
    return FAILED if failed else OK


# -- plans -----------------------------------------------------------------------------


def _schemas(tools: list[Any] | None) -> dict[str, Any]:
    """Caller-given OpenAI-style schemas as tool entries (no risk hints: may do anything)."""
    out: dict[str, Any] = {}
    for t in tools or []:
        fn = t.get("function", t) if isinstance(t, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            out[fn["name"]] = {"name": fn["name"], "parameters": fn.get("parameters")}
    return out


def _plan_text(tasks: list[Any], steps: list[Step], catalog: dict[str, Any]) -> str:
    """The plan to run, in the plan language: the daemon's own rendering of the tasks
    it planned or checked (so it parses back to them), else the shell's."""
    texts = [t.get("text") for t in tasks if isinstance(t, dict)]
    if len(texts) != len(steps) or not all(isinstance(x, str) and x for x in texts):
        texts = [t["text"] for t in plans.parse_edited(plans.edit_text(steps), catalog)]
    return "\n".join([*map(str, texts), "join()"])


def _error_text(res: dict[str, Any]) -> str:
    err = res.get("error") or {}
    return safe_text(str(err.get("message") if isinstance(err, dict) else err))


async def _planned(
    line: Line, args: dict[str, Any], catalog: dict[str, Any], show: bool
) -> dict[str, Any]:
    """A streamed dry run (each step shown as it arrives); its final result. If the
    final plan is not what was streamed (the daemon planned again after an invalid
    plan), it is shown whole: what is asked about and run is always what was shown."""
    result: dict[str, Any] = {}
    shown: list[str] = []
    async for event in line.s.stream("compile", {**args, "dry_run": True}):
        if event.get("type") == "plan" and show and isinstance(event.get("task"), dict):
            with contextlib.suppress(BadRequest):
                step = plans.classify(event["task"], catalog)
                shown.append(plans.render([step])[0])
                line.out.line("  " + shown[-1])
        elif event.get("type") == "result" and isinstance(event.get("result"), dict):
            result = event["result"]
    if show and result.get("status") == "planned":
        with contextlib.suppress(BadRequest):
            final = plans.render(plans.classify_plan(result.get("tasks") or [], catalog))
            if final != shown:
                line.out.line("plan to run (the first was invalid, planned again):")
                for text in final:
                    line.out.line("  " + text)
    return result


async def _explain(line: Line, text: str) -> None:
    messages = [{"role": "system", "content": _EXPLAIN}, {"role": "user", "content": text}]
    args = {"messages": messages, "max_tokens": EXPLAIN_TOKENS, "temperature": 0}
    async for event in line.s.stream("llm.chat", args):
        if event.get("type") == "token" and isinstance(event.get("text"), str):
            line.out.token(event["text"])
    line.out.end_tokens()


def _progress(event: dict[str, Any]) -> dict[str, Any] | None:
    task = event.get("task")
    if event.get("type") != "task" or not isinstance(task, dict):
        return None
    status = str(task.get("status"))
    shown = {"running": "running", "ok": "ok", "pending": None}.get(status, "failed")
    if shown is None:
        return None
    start, end = task.get("started_s"), task.get("finished_s")
    took = end - start if isinstance(start, int | float) and isinstance(end, int | float) else None
    return {"id": task.get("id"), "tool": task.get("tool"), "status": shown,
            "seconds": took, "error": task.get("error")}  # fmt: skip


async def _execute(line: Line, query: str, text: str, tools: list[Any] | None) -> dict[str, Any]:
    args: dict[str, Any] = {"query": query, "plan": text, "max_replans": 0}
    if tools is not None:
        args["tools"] = tools
    result: dict[str, Any] = {}
    async with line.answering():
        async for event in line.s.stream("compile", args):
            if (step := _progress(event)) is not None:
                line.out.step(step)
            elif event.get("type") == "result" and isinstance(event.get("result"), dict):
                result = event["result"]
    return result


def _results(res: dict[str, Any]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for t in res.get("tasks") or []:
        if isinstance(t, dict) and isinstance(t.get("id"), int):
            out[t["id"]] = t.get("result") if t.get("status") == "ok" else None
    return out


def _touched(steps: list[Step], results: dict[int, Any]) -> list[str]:
    paths = []
    for s in steps:
        r = results.get(s.id)
        changed = {"write", "delete", "move", "rollback"} & s.effects
        if changed and isinstance(r, dict) and isinstance(r.get("path"), str):
            paths.append(safe_text(r["path"]))
    return list(dict.fromkeys(paths))


async def _natural(line: Line, query: str, tools: list[Any] | None) -> int:
    catalog = {**_schemas(tools), **await line.s.tools()}
    base: dict[str, Any] = {"query": query}
    if tools is not None:
        base["tools"] = tools
    line.out.line("plan:")
    dry = await _planned(line, base, catalog, show=True)
    if dry.get("status") != "planned":
        line.out.line(f"aios: no plan ({safe_text(str(dry.get('status')))}): {_error_text(dry)}")
        await line.s.log("outcome", status="no plan", error=_error_text(dry))
        return FAILED
    tasks = dry.get("tasks") or []
    steps = plans.classify_plan(tasks, catalog)
    if not steps:
        line.out.line("  (no steps)")
    while True:
        text = _plan_text(tasks, steps, catalog)
        reasons = plans.needs_approval(steps, line.policy)
        await line.s.log("plan", query=query[:1000], plan=text, reasons=reasons)
        if not reasons:
            break

        async def edit(what: str, steps: list[Step] = steps) -> Any:
            if what == "explain":
                await _explain(line, plans.edit_text(steps))
                return None
            assert line.asker is not None
            new = await line.asker.edit(plans.edit_text(steps))
            if new is None:
                return None
            tasks = plans.parse_edited(new, catalog)  # the shell's check, then the daemon's
            if not tasks:
                raise BadRequest("the edited plan has no steps")
            edited = "\n".join([*(t["text"] for t in tasks), "join()"])
            checked = await _planned(line, {**base, "plan": edited}, catalog, show=False)
            if checked.get("status") != "planned":
                raise BadRequest(f"the daemon refused the edited plan: {_error_text(checked)}")
            checked_tasks = checked.get("tasks") or []
            return checked_tasks, plans.classify_plan(checked_tasks, catalog)

        calls = [{"tool": s.tool, "args": s.args} for s in steps]
        details = {"query": query[:2000], "plan": text}
        choice, new = await line.ask(f"run this plan: {query}"[:500], details, calls, reasons,
                                     edit)  # fmt: skip
        if choice == "edit":
            tasks, steps = new
            line.out.line("edited plan:")
            for shown in plans.render(steps) or ["(no steps)"]:
                line.out.line(f"  {shown}")
            continue
        if choice != "yes":
            line.out.line("not run")
            await line.s.log("outcome", status="declined")
            return REFUSED
        break
    res = await _execute(line, query, text, tools)
    if res.get("status") != "ok":
        line.out.line(f"aios: the plan {safe_text(str(res.get('status')))}: {_error_text(res)}")
        await line.s.log("outcome", status=res.get("status"), error=_error_text(res))
        return FAILED
    answer = res.get("answer")
    for part in str(answer if answer is not None else "").split("\n"):
        line.out.line(safe_text(part))
    results = _results(res)
    touched = _touched(steps, results)
    if touched:
        line.out.line(f"files: {', '.join(touched)}")
    hint = plans.undo_hint(steps, results)
    if hint:
        line.out.line(f"undo: {hint}")
    await line.s.log("outcome", status="ok", answer=str(answer)[:1000], files=touched, undo=hint)
    return OK


async def run_line(
    session: ShellSession,
    text: str,
    *,
    out: Out,
    policy: str = "destructive",
    yes: bool = False,
    asker: Asker | None = None,
    context: str | None = None,
    tools: list[Any] | None = None,
) -> int:
    """Run one line; its exit code. ``asker``: how a person answers (None: nobody can,
    so what needs one is refused unless ``yes``); ``context``: piped input (natural
    language only); ``tools``: what the planner may use (default: all the session's)."""
    if policy not in plans.POLICIES:
        out.line(
            f"aios: unknown policy {safe_text(str(policy)[:40])!r} ({', '.join(plans.POLICIES)})"
        )
        return USAGE
    if not isinstance(text, str) or not text.strip():
        return OK
    line = Line(session, out, policy, yes, asker)
    await session.log("input", text=text[:2000], context_chars=len(context or ""))
    try:
        cmd = commands.parse(text)
        cmd = cmd if cmd is not None else commands.fast_path(text)
    except UsageError as exc:
        out.line(f"aios: {message(exc)}")
        return USAGE
    try:
        if cmd is not None:
            return await _builtin(line, cmd)
        return await _natural(line, with_context(text.strip(), context), tools)
    except AiosError as exc:
        log.debug("line failed: %s", exc, exc_info=True)
        out.line(f"aios: {message(exc)}")
        await session.log("outcome", status="error", error=exc.message[:1000])
        return FAILED
    finally:
        await line.release()  # what was approved and did not run may not run later
