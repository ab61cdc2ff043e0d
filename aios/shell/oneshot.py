"""``aios shell``: the REPL on a terminal; ``-c TEXT`` runs one line; without ``-c``
and without a terminal (or with ``-c -``), each line of stdin is a command; with
``-c`` and stdin not a terminal, stdin is context for the request
(``cat notes.md | aios shell -c "summarize this"``); ``--log`` shows what the
shell stored. Lines run through ``aios.shell.flow.run_line``; the exit code is its.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aios.config import Config
from aios.errors import AiosError
from aios.shell.flow import FAILED, MAX_CONTEXT, OK, USAGE, run_line
from aios.shell.out import PlainOut
from aios.shell.session import ShellSession

__all__ = ["main"]

log = logging.getLogger(__name__)


def _say(msg: str) -> None:
    print(f"aios: {msg}", file=sys.stderr, flush=True)


async def _lines(session: ShellSession, args: argparse.Namespace, out: PlainOut) -> int:
    """Each line of stdin as one command; stop at the first failure (or exit)."""
    rc = OK
    for raw in sys.stdin:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() in ("exit", "quit"):
            break
        code = await run_line(session, line, out=out, policy=args.approval, yes=args.yes)
        if code != OK:
            rc = code
            if not args.keep_going:
                break
    return rc


async def _show_log(session: ShellSession, args: argparse.Namespace, out: PlainOut) -> int:
    from aios.shell.shell_log import entries, show_log

    show_log(await entries(session, args.sessions), out)
    return OK


async def _main(args: argparse.Namespace, config: Config) -> int:
    from_stdin = args.line is None or args.line == "-"
    context = None
    if not from_stdin and not sys.stdin.isatty():
        context = sys.stdin.read(MAX_CONTEXT + 1)
    try:
        session = await ShellSession.connect(config, config_file=args.config, say=_say,
                                             policy=args.approval)  # fmt: skip
    except AiosError as exc:
        _say(exc.message)
        return FAILED
    out = PlainOut(sys.stdout)
    async with session:
        if args.log:
            return await _show_log(session, args, out)
        if from_stdin:
            return await _lines(session, args, out)
        return await run_line(session, args.line, out=out, policy=args.approval, yes=args.yes,
                              context=context)  # fmt: skip


def main(args: argparse.Namespace, config: Config) -> int:
    """``aios shell``: the REPL when stdin and stdout are a terminal and no ``-c`` or
    ``--log`` is given; otherwise one-shot."""
    if args.line is None and not args.log and sys.stdin.isatty() and sys.stdout.isatty():
        from aios.shell.repl import main as repl_main

        return repl_main(args, config)
    if args.yes and args.approval == "never":
        log.debug("--yes with --policy never: nothing will ask")
    try:
        return asyncio.run(_main(args, config))
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except ValueError as exc:  # e.g. an unknown policy from a caller bypassing argparse
        _say(str(exc))
        return USAGE
