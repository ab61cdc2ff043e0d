"""The interactive ``aios shell``: a prompt_toolkit prompt over one ``ShellSession``.

Each typed line goes to ``aios.shell.flow.run_line`` as an asyncio task, with
``RichOut`` (aios/shell/rich_out.py) for output and ``TerminalAsker`` for approvals.

- History persists in ``<data_dir>/shell_history``.
- Tab completes built-ins, LSFS paths (``fs.ls``) and, after ``run``, agent names
  (``agent.list``). The daemon is asked with a short timeout and the answers are
  cached per folder for a few seconds, so a slow daemon never holds up typing.
- Multi-line input: end a line with ``\\`` to go on to the next (the backslash is
  dropped, the line break kept), or press Esc then Enter (Meta+Enter) for a newline.
- Ctrl-C at the prompt clears the line; while a line runs it cancels it (the
  task is cancelled, its HTTP stream closed, and the daemon frees the core).
- Ctrl-D at the prompt, ``exit`` or ``quit`` leave with status 0.

The prompts run with prompt_toolkit's own SIGINT handling off: the terminal is in raw
mode there (Ctrl-C is a key), and the REPL's one SIGINT handler stays installed. While
an approval question is up, the running line's output waits (``RichOut.holding``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shlex
import signal
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output

from aios.config import Config
from aios.errors import AiosError
from aios.shell.asker import TerminalAsker
from aios.shell.commands import USAGE
from aios.shell.flow import run_line
from aios.shell.plans import safe_text
from aios.shell.rich_out import RichOut
from aios.shell.session import ShellSession

__all__ = ["PROMPT", "ShellCompleter", "TerminalAsker", "main", "repl"]

log = logging.getLogger(__name__)

PROMPT = "aios> "
HISTORY_FILE = "shell_history"
_PATH_ARG = frozenset({"ls", "cat", "history", "rollback", "diff"})  # their first argument

Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


# ---- completion ---------------------------------------------------------------------


class ShellCompleter(Completer):
    """Built-ins, LSFS paths and agent names. ``call`` is a syscall (``session.call``);
    each answer waits at most ``timeout`` seconds and is kept ``ttl`` seconds."""

    def __init__(
        self,
        call: Call,
        *,
        timeout: float = 0.5,
        ttl: float = 5.0,
        limit: int = 200,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._call, self._timeout, self._ttl, self._limit = call, timeout, ttl, limit
        self._clock = clock
        self._cache: dict[str, tuple[float, list[tuple[str, bool]]]] = {}
        self.max_cached = 64

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        kind, word = _context(document.text_before_cursor)
        if kind == "builtin":
            yield from _builtins(word)

    async def get_completions_async(
        self, document: Document, event: CompleteEvent
    ) -> AsyncGenerator[Completion, None]:
        kind, word = _context(document.text_before_cursor)
        if kind == "builtin":
            for c in _builtins(word):
                yield c
        elif kind == "path":
            for c in await self.paths(word):
                yield c
        elif kind == "agent":
            for name, _ in await self._cached("agent.list", {}, _agents):
                if name.startswith(word):
                    yield Completion(_quoted(name), -len(word), display=name)

    async def paths(self, word: str) -> list[Completion]:
        """The LSFS entries that complete ``word`` (a path typed so far)."""
        folder = word.rpartition("/")[0]
        entries = await self._cached(f"fs.ls:{folder}", {"path": folder}, _entries)
        prefix = f"{folder}/" if folder else ""
        out = []
        for name, is_dir in entries:
            full = prefix + name + ("/" if is_dir else "")
            if full.startswith(word):
                out.append(Completion(_quoted(full), -len(word), display=name + "/" * is_dir))
        return out

    async def _cached(
        self, key: str, args: dict[str, Any], read: Callable[[dict[str, Any]], list[Any]]
    ) -> list[tuple[str, bool]]:
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        syscall = key.split(":", 1)[0]
        try:
            res = await asyncio.wait_for(self._call(syscall, args), self._timeout)
            found = read(res)[: self._limit]
        except (AiosError, TimeoutError, OSError, ValueError) as exc:
            log.debug("completion: %s failed: %s", syscall, exc)
            found = []  # kept too: no retry at every Tab while the daemon is slow
        if len(self._cache) >= self.max_cached:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (now, found)
        return found


def _context(before: str) -> tuple[str, str]:
    """What the word before the cursor is: ``builtin``, ``path``, ``agent`` or ``none``."""
    if "\n" in before or before.lstrip().startswith("!"):
        return "none", ""
    words = before.split()
    word = "" if not words or before[-1:].isspace() else words[-1]
    index = len(words) - (1 if word else 0)
    first = words[0].lower() if words else ""
    if index == 0:
        return "builtin", word
    if index == 1 and first == "help":
        return "builtin", word
    if index == 1 and first in _PATH_ARG:
        return "path", word
    if index == 1 and first == "run":
        return "agent", word
    if "/" in word and not word.startswith(("'", '"')):
        return "path", word
    return "none", word


def _builtins(word: str) -> Iterator[Completion]:
    w = word.lower()
    for name, (_, desc) in USAGE.items():
        if name != "!" and name.startswith(w):
            yield Completion(name, -len(word), display_meta=desc)


def _clean(name: Any) -> str | None:
    """A name fit to insert: text without control or reordering characters."""
    return name if isinstance(name, str) and name and safe_text(name) == name else None


def _entries(res: dict[str, Any]) -> list[tuple[str, bool]]:
    out = []
    for e in res.get("entries") or []:
        if isinstance(e, dict) and (path := _clean(e.get("path"))):
            out.append((path.rstrip("/").rpartition("/")[2], e.get("kind") == "dir"))
    return [x for x in out if x[0]]


def _agents(res: dict[str, Any]) -> list[tuple[str, bool]]:
    items = res.get("agents") or []
    return [(n, False) for a in items if isinstance(a, dict) and (n := _clean(a.get("name")))]


def _quoted(text: str) -> str:
    return shlex.quote(text) if any(c.isspace() or c in "'\"\\" for c in text) else text


# ---- the loop ---------------------------------------------------------------------------


def _bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return kb


def _joined(text: str) -> str:
    """The typed text with backslash continuations turned into plain line breaks."""
    return text.replace("\\\n", "\n")


class _Repl:
    def __init__(self, session: ShellSession, *, policy: str, history: Path, out: RichOut,
                 input: Input | None, output: Output | None) -> None:  # fmt: skip
        self.session, self.policy, self.out = session, policy, out
        self.task: asyncio.Task[int] | None = None
        self.signalled: int | None = None  # SIGTERM or SIGHUP: leave, ending the session
        self.prompt: PromptSession[str] = PromptSession(
            history=FileHistory(str(history)),
            completer=ShellCompleter(session.call),
            complete_while_typing=False,
            multiline=Condition(lambda: self.prompt.default_buffer.text.endswith("\\")),
            prompt_continuation="... ",
            key_bindings=_bindings(),
            input=input,
            output=output,
        )
        # the same input and output as given (None: the terminal's; a PromptSession
        # given an output never takes the dumb-terminal path)
        self.asker = TerminalAsker(say=out.notice, hold=out.holding, input=input,
                                   output=output)  # fmt: skip

    def interrupt(self) -> None:
        """SIGINT while a line runs: cancel it (an editor running handles its own)."""
        if self.task is not None and not self.task.done() and not self.asker.editing:
            self.task.cancel()

    def banner(self) -> None:
        at = self.session.where.get("socket") or self.session.where.get("url") or "?"
        self.out.line(safe_text(f"aios shell: daemon at {at}, session pid {self.session.pid}"))
        self.out.line("'help' lists the built-ins; anything else is a request. A line ending in "
                      "\\ goes on below; Ctrl-C stops what runs; Ctrl-D leaves")  # fmt: skip

    async def run(self) -> int:
        self.banner()
        while True:
            try:
                text = await self.prompt.prompt_async(PROMPT, handle_sigint=False)
            except KeyboardInterrupt:
                continue  # Ctrl-C at the prompt: the line is dropped
            except EOFError:
                return 0
            text = _joined(text)
            if not text.strip():
                continue
            if text.strip().lower() in ("exit", "quit"):
                return 0
            await self.one(text)

    async def one(self, text: str) -> int | None:
        """Run one line; its exit code, None if it was cancelled or broke."""
        self.task = asyncio.create_task(
            run_line(self.session, text, out=self.out, policy=self.policy, asker=self.asker)
        )
        try:
            return await self.task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the REPL itself is being cancelled, not just the line
            self.out.finish()
            self.out.line("cancelled")
            return None
        except AiosError as exc:
            self.out.finish()
            self.out.line(f"aios: {safe_text(exc.message)}")
            return None
        except Exception as exc:  # a bug must not end the person's session
            log.exception("the line failed")
            self.out.finish()
            self.out.line(f"aios: internal error: {safe_text(type(exc).__name__)}: "
                          f"{safe_text(str(exc)[:300])}")  # fmt: skip
            return None
        finally:
            self.task = None
            self.out.finish()


async def repl(
    session: ShellSession,
    *,
    policy: str,
    config: Config | None = None,
    out: RichOut | None = None,
    input: Input | None = None,
    output: Output | None = None,
) -> int:
    """The REPL on an open ``ShellSession``: 0 when the person leaves, 128 + the signal
    after SIGTERM or SIGHUP (the caller's ``async with`` still ends the session)."""
    history = Path(session.data_dir or getattr(config, "data_dir", ".")) / HISTORY_FILE
    history.parent.mkdir(parents=True, exist_ok=True)
    r = _Repl(session, policy=policy, history=history, out=out or RichOut(), input=input,
              output=output)  # fmt: skip
    loop, me = asyncio.get_running_loop(), asyncio.current_task()

    def leave(sig: int) -> None:
        r.signalled = sig
        if me is not None:
            me.cancel()

    loop.add_signal_handler(signal.SIGINT, r.interrupt)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, leave, sig)
    try:
        return await r.run()
    except asyncio.CancelledError:
        if r.signalled is None or me is None:
            raise
        me.uncancel()
        return 128 + r.signalled
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)


async def _main(args: argparse.Namespace, config: Config) -> int:
    def say(msg: str) -> None:
        print(f"aios: {msg}", file=sys.stderr, flush=True)

    policy = getattr(args, "approval", "destructive")
    try:
        session = await ShellSession.connect(
            config, config_file=getattr(args, "config", None), say=say, policy=policy
        )
    except AiosError as exc:
        say(exc.message)
        return 1
    async with session:
        return await repl(session, policy=policy, config=config)


def main(args: argparse.Namespace, config: Config) -> int:
    """``aios shell`` on a terminal without ``-c``: the REPL until Ctrl-D or ``exit``."""
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the REPL is up
        return asyncio.run(_main(args, config))
    return 130
