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

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aios.errors import AiosError, BadRequest
from aios.shell import commands, plans
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
FIND_S = 10.0  # how long the shell looks for the approval its session just asked for
WATCH_S = 1.0  # how often a running line looks for approvals the daemon asks
EXPLAIN_TOKENS = 256
_EXPLAIN = (
    "You explain a plan before a person approves it. For each numbered step, say in "
    "one short sentence what it does and what it changes. Do not add steps."
)


class Asker(Protocol):
    async def choose(self, reasons: list[str]) -> str: ...  # yes | no | edit | explain

    async def edit(self, text: str) -> str | None: ...  # the edited plan; None: as it was


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


def _message(exc: AiosError) -> str:
    return safe_text(exc.message)


class _Line:
    """The state of one line: its session, its output, how approvals are answered."""

    def __init__(
        self, session: ShellSession, out: Out, policy: str, yes: bool, asker: Asker | None
    ) -> None:
        self.s, self.out, self.policy, self.yes, self.asker = session, out, policy, yes, asker
        self.ours: set[int] = set()  # approvals this line asked for itself

    # -- approvals -----------------------------------------------------------------

    async def _find(self, request: asyncio.Future[Any]) -> int:
        """The id of the approval ``request`` created (the session's newest pending)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIND_S
        while loop.time() < deadline:
            if request.done():
                request.result()  # refused before anyone was asked: raise its error
            fresh = [a["id"] for a in await self.s.pending() if a.get("id") not in self.ours]
            if fresh:
                self.ours.add(fresh[-1])
                return int(fresh[-1])
            await asyncio.sleep(0.05)
        raise AiosError("the daemon did not show the approval it was asked for")

    async def _outcome(self, request: asyncio.Future[Any]) -> bool:
        """Whether the request came back approved."""
        try:
            res = await request
        except AiosError as exc:
            if exc.code == "approval_denied":
                return False
            raise
        return isinstance(res, dict) and res.get("state") == "approved"

    async def ask(
        self, summary: str, details: Any, calls: list[dict[str, Any]], reasons: list[str],
        edit: Any = None,
    ) -> tuple[str, Any]:  # fmt: skip
        """Ask a person through the queue: ``("yes"|"no", None)`` or ``("edit", new)``
        (``edit``: an async callable the edited text goes through; it returns what to
        ask about next, or raises to keep asking about this)."""
        self.out.line("needs approval:")
        for r in reasons:
            self.out.line(f"  - {safe_text(r)}")
        if not self.yes and self.asker is None:
            self.out.line("not run: no terminal to ask on; use --yes to approve")
            await self.s.log("approval", decision="refused", why="no terminal and no --yes")
            return "no", None
        args = {"summary": summary[:500], "details": details, "destructive": True,
                "calls": calls}  # fmt: skip
        request = asyncio.ensure_future(self.s.call("approval.request", args))
        aid, answered = None, False
        try:
            aid = await self._find(request)
            choice, new = await self._decide(aid, reasons, edit)
            decision = {"yes": "approve"}.get(choice, "deny")
            note = {"yes": "--yes" if self.yes else None, "edit": "edited"}.get(choice)
            answered = True
            await self.s.respond(aid, decision, note or ("declined" if choice == "no" else None))
            approved = await self._outcome(request)
        finally:
            if aid is not None and not answered:  # cancelled (Ctrl-C) or failed: say no
                with contextlib.suppress(BaseException):
                    await asyncio.shield(self.s.respond(aid, "deny", "cancelled at the shell"))
            if not request.done():
                request.cancel()
                with contextlib.suppress(BaseException):
                    await request
        await self.s.log("approval", id=aid, decision=choice, approved=approved)
        if choice == "yes" and not approved:
            self.out.line("not run: the approval was answered no (elsewhere, or it expired)")
            return "no", None
        return choice, new

    async def _decide(self, aid: int, reasons: list[str], edit: Any) -> tuple[str, Any]:
        if self.yes:
            self.out.line("approved (--yes)")
            return "yes", None
        assert self.asker is not None
        while True:
            choice = await self.asker.choose(reasons)
            if choice in ("yes", "no"):
                return choice, None
            if choice == "explain" and edit is not None:
                await edit("explain")
            elif choice == "edit" and edit is not None:
                try:
                    new = await edit("edit")
                except (AiosError, BadRequest) as exc:
                    self.out.line(f"aios: {_message(exc)}")
                    continue
                if new is not None:
                    return "edit", new
            elif choice in ("edit", "explain"):
                self.out.line(f"nothing to {choice} here: answer y or n")

    @contextlib.asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """While the body runs, answer what the daemon's policy asks of the session."""
        watcher = asyncio.ensure_future(self._watch())
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await watcher

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_S)
            try:
                items = [a for a in await self.s.pending() if a.get("id") not in self.ours]
            except AiosError:
                continue
            for a in items:
                self.ours.add(int(a["id"]))
                await self._answer(a)

    async def _answer(self, a: dict[str, Any]) -> None:
        what = safe_text(str(a.get("summary") or a.get("tool") or a.get("syscall")))[:200]
        self.out.line(f"the daemon asks first ({safe_text(str(a.get('rule')))[:80]}): {what}")
        if self.yes:
            choice = "yes"
        elif self.asker is None:
            choice = "no"
            self.out.line("denied: no terminal to ask on; use --yes to approve")
        else:
            choice = await self.asker.choose([f"the daemon's policy: {what}"])
        decision = "approve" if choice == "yes" else "deny"
        with contextlib.suppress(AiosError):  # answered elsewhere meanwhile
            await self.s.respond(int(a["id"]), decision, "--yes" if self.yes else None)
        await self.s.log("approval", id=a.get("id"), decision=choice, asked_by="daemon")


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


async def _builtin(line: _Line, cmd: Command) -> int:
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
    line: _Line, args: dict[str, Any], catalog: dict[str, Any], show: bool
) -> dict[str, Any]:
    """A streamed dry run (each step shown as it arrives); its final result."""
    result: dict[str, Any] = {}
    async for event in line.s.stream("compile", {**args, "dry_run": True}):
        if event.get("type") == "plan" and show and isinstance(event.get("task"), dict):
            with contextlib.suppress(BadRequest):
                step = plans.classify(event["task"], catalog)
                line.out.line("  " + plans.render([step])[0])
        elif event.get("type") == "result" and isinstance(event.get("result"), dict):
            result = event["result"]
    return result


async def _explain(line: _Line, text: str) -> None:
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


async def _execute(line: _Line, query: str, text: str, tools: list[Any] | None) -> dict[str, Any]:
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


async def _natural(line: _Line, query: str, tools: list[Any] | None) -> int:
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
    line = _Line(session, out, policy, yes, asker)
    await session.log("input", text=text[:2000], context_chars=len(context or ""))
    try:
        cmd = commands.parse(text)
        cmd = cmd if cmd is not None else commands.fast_path(text)
    except UsageError as exc:
        out.line(f"aios: {_message(exc)}")
        return USAGE
    try:
        if cmd is not None:
            return await _builtin(line, cmd)
        return await _natural(line, with_context(text.strip(), context), tools)
    except AiosError as exc:
        log.debug("line failed: %s", exc, exc_info=True)
        out.line(f"aios: {_message(exc)}")
        await session.log("outcome", status="error", error=exc.message[:1000])
        return FAILED
