"""One-shot mode of the shell: ``run_line`` runs one typed line (a built-in, a
fast-path request, or natural language through the planner) and returns its exit
code; ``with_context`` appends piped input to a request. Text goes to a writer
passed in (anything with ``write``), so it is testable and knows no terminal.

Exit codes: ``OK`` 0, ``FAILED`` 1, ``USAGE`` 2, ``REFUSED`` 3 (needs approval, not
given), ``UNSUPPORTED`` 4 (the daemon cannot run an approved plan yet).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any, Protocol

from aios.config import Config
from aios.errors import AiosError, BadRequest
from aios.shell import commands, plans
from aios.shell.commands import NEEDS_POLICY, Command, UsageError
from aios.shell.plans import safe_text
from aios.shell.session import ShellSession

__all__ = ["FAILED", "OK", "REFUSED", "UNSUPPORTED", "USAGE", "main", "run_line", "with_context"]

log = logging.getLogger(__name__)

OK, FAILED, USAGE, REFUSED, UNSUPPORTED = 0, 1, 2, 3, 4
MAX_CONTEXT = 20_000  # characters of piped input appended to a request
MAX_QUERY = 10_000  # what compile takes as a query
CONTEXT_MARKER = "--- input piped to the shell ---"


class Writer(Protocol):
    def write(self, s: str, /) -> Any: ...


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


def _say(out: Writer, *lines: str) -> None:
    for line in lines:
        out.write(line + "\n")


def _builtin_reasons(cmd: Command, tools: dict[str, Any], policy: str) -> list[str]:
    """Why a built-in must be confirmed first: ``kill``/``rollback`` unless the policy
    is ``never``; ``!cmd`` by the plan rules (its dangerous patterns always ask)."""
    if cmd.destructive == NEEDS_POLICY:
        task = {"id": 1, "tool": "shell", "args": cmd.syscall_args.get("args", {})}
        return plans.needs_approval([plans.classify(task, tools)], policy)
    if cmd.destructive and policy != "never":
        return [f"{cmd.name} cannot be undone by LSFS versions"]
    return []


def _refuse(out: Writer, reasons: list[str], *, yes: bool, interactive: bool) -> int | None:
    """REFUSED unless ``yes``; None: go on."""
    if not reasons:
        return None
    _say(out, "needs approval:", *(f"  - {r}" for r in reasons))
    if yes:
        _say(out, "approved (--yes)")
        return None
    if interactive:
        _say(out, "not run: interactive approval comes with the REPL; use --yes to approve")
    else:
        _say(out, "not run: no terminal to ask on; use --yes to approve")
    return REFUSED


async def _builtin(
    session: ShellSession, cmd: Command, *, yes: bool, interactive: bool, out: Writer, policy: str
) -> int:
    if cmd.destructive:
        tools = await session.tools() if cmd.destructive == NEEDS_POLICY else {}
        shown = " ".join(safe_text(a) for a in cmd.args)
        _say(out, f"{cmd.name} {shown}".strip() if cmd.name != "!" else f"! {shown}")
        if (rc := _refuse(out, _builtin_reasons(cmd, tools, policy), yes=yes,
                          interactive=interactive)) is not None:  # fmt: skip
            return rc
    lines, failed = await session.run_command(cmd)
    _say(out, *lines)
    return FAILED if failed else OK


def _plan_text(steps: list[plans.Step], tools: dict[str, Any]) -> tuple[str, list[plans.Step]]:
    """The shown plan in the plan language (comments out) and its steps, renumbered."""
    tasks = plans.parse_edited(plans.edit_text(steps), tools)
    text = "\n".join([*(t["text"] for t in tasks), "join()"])
    return text, plans.classify_plan(tasks, tools)


def _schemas(tools: list[Any] | None) -> dict[str, Any]:
    """Caller-given OpenAI-style schemas as tool entries (no risk hints: may do anything)."""
    out: dict[str, Any] = {}
    for t in tools or []:
        fn = t.get("function", t) if isinstance(t, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            out[fn["name"]] = {"name": fn["name"], "parameters": fn.get("parameters")}
    return out


def _unknown_plan_field(exc: BadRequest) -> bool:
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and list(e.get("loc") or [])[:1] == ["plan"] for e in errors
    )


def _results(res: dict[str, Any]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for t in res.get("tasks") or []:
        if isinstance(t, dict) and isinstance(t.get("id"), int):
            out[t["id"]] = t.get("result") if t.get("status") != "failed" else None
    return out


def _touched(steps: list[plans.Step], results: dict[int, Any]) -> list[str]:
    paths = []
    for s in steps:
        r = results.get(s.id)
        changes = {"write", "delete", "move", "rollback"} & s.effects
        if changes and isinstance(r, dict) and isinstance(r.get("path"), str):
            paths.append(safe_text(r["path"]))
    return list(dict.fromkeys(paths))


async def _natural(
    session: ShellSession,
    query: str,
    *,
    yes: bool,
    interactive: bool,
    out: Writer,
    policy: str,
    tools: list[Any] | None,
) -> int:
    catalog = {**_schemas(tools), **await session.tools()}
    dry = await session.plan(query, tools)
    if dry.get("status") != "planned":
        err = dry.get("error") or {}
        msg = err.get("message") if isinstance(err, dict) else err
        _say(out, f"aios: no plan ({safe_text(str(dry.get('status')))}): {safe_text(str(msg))}")
        return FAILED
    steps = plans.classify_plan(dry.get("tasks") or [], catalog)
    _say(out, "plan:", *(f"  {line}" for line in plans.render(steps) or ["(no steps)"]))
    reasons = plans.needs_approval(steps, policy)
    if (rc := _refuse(out, reasons, yes=yes, interactive=interactive)) is not None:
        return rc
    text, steps = _plan_text(steps, catalog)
    try:
        res = await session.run_plan(query, text, tools)
    except BadRequest as exc:
        if _unknown_plan_field(exc):
            _say(out, "aios: running an approved plan needs a newer daemon (compile takes no plan)")
            return UNSUPPORTED
        raise
    if res.get("status") != "ok":
        err = res.get("error") or {}
        msg = err.get("message") if isinstance(err, dict) else err
        _say(out, f"aios: the plan {safe_text(str(res.get('status')))}: {safe_text(str(msg))}")
        return FAILED
    answer = res.get("answer")
    _say(out, *(safe_text(x) for x in str(answer if answer is not None else "").split("\n")))
    results = _results(res)
    if touched := _touched(steps, results):
        _say(out, f"files: {', '.join(touched)}")
    if hint := plans.undo_hint(steps, results):
        _say(out, f"undo: {hint}")
    return OK


async def run_line(
    session: ShellSession,
    text: str,
    *,
    yes: bool,
    interactive: bool,
    out: Writer,
    policy: str = "destructive",
    context: str | None = None,
    tools: list[Any] | None = None,
) -> int:
    """Run one line; its exit code. ``context``: piped input (natural language only);
    ``tools``: what the planner may use (names or schemas; default: all the caller's)."""
    if policy not in plans.POLICIES:
        _say(
            out,
            f"aios: unknown policy {safe_text(str(policy)[:40])!r} ({', '.join(plans.POLICIES)})",
        )
        return USAGE
    if not isinstance(text, str) or not text.strip():
        return OK
    try:
        cmd = commands.parse(text)
        cmd = cmd if cmd is not None else commands.fast_path(text)
    except UsageError as exc:
        _say(out, f"aios: {safe_text(exc.message)}")
        return USAGE
    try:
        if cmd is not None:
            return await _builtin(
                session, cmd, yes=yes, interactive=interactive, out=out, policy=policy
            )
        query = with_context(text.strip(), context)
        return await _natural(
            session, query, yes=yes, interactive=interactive, out=out, policy=policy, tools=tools
        )
    except AiosError as exc:
        log.debug("line failed: %s", exc, exc_info=True)
        _say(out, f"aios: {safe_text(exc.message)}")
        return FAILED


async def _lines(session: ShellSession, args: argparse.Namespace, out: Writer) -> int:
    """Each line of stdin as one one-shot command; stop at the first failure (or exit)."""
    rc = OK
    for raw in sys.stdin:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() in ("exit", "quit"):
            break
        code = await run_line(session, line, yes=args.yes, interactive=False, out=out,
                              policy=args.approval)  # fmt: skip
        if code != OK:
            rc = code
            if not args.keep_going:
                break
    return rc


async def _main(args: argparse.Namespace, config: Config) -> int:
    def say(msg: str) -> None:
        print(f"aios: {msg}", file=sys.stderr, flush=True)

    from_stdin = args.line is None or args.line == "-"
    interactive = sys.stdin.isatty()
    context = None
    if not from_stdin and not interactive:
        context = sys.stdin.read(MAX_CONTEXT + 1)
    try:
        session = await ShellSession.connect(config, config_file=args.config, say=say)
    except AiosError as exc:
        say(exc.message)
        return FAILED
    async with session:
        if from_stdin:
            return await _lines(session, args, sys.stdout)
        return await run_line(session, args.line, yes=args.yes, interactive=interactive,
                              out=sys.stdout, policy=args.approval, context=context)  # fmt: skip


def main(args: argparse.Namespace, config: Config) -> int:
    """``aios shell``: ``-c TEXT`` runs one line; without it (or ``-c -``), stdin's lines."""
    return asyncio.run(_main(args, config))
