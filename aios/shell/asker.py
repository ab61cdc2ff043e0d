"""The approval question on a terminal: ``TerminalAsker``, the shell's ``Asker``
(aios/shell/approve.py) in the REPL. ``[y]es / [n]o / [e]dit / e[x]plain``, one key
or the word; anything else asks again; Ctrl-C or Ctrl-D is no. Editing opens
``$VISUAL``/``$EDITOR`` on a private temporary file (else a multi-line prompt
holding the plan); an editor that fails, or a plan left empty or unchanged, keeps
the plan as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from aios.shell.plans import safe_text

__all__ = ["ASK", "TerminalAsker"]

ASK = "[y]es / [n]o / [e]dit / e[x]plain? "
_ANSWERS = {"y": "yes", "yes": "yes", "n": "no", "no": "no", "e": "edit", "edit": "edit",
            "x": "explain", "explain": "explain"}  # fmt: skip


class TerminalAsker:
    """``Asker`` on the terminal: the ``[y]es / [n]o / [e]dit / e[x]plain`` question and
    plan editing in ``$VISUAL``/``$EDITOR`` (else a multi-line prompt)."""

    def __init__(
        self,
        *,
        say: Callable[[str], None],
        hold: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
        input: Input | None = None,
        output: Output | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self._say, self._hold = say, hold
        self._io: dict[str, Any] = {"input": input, "output": output}
        self._env = os.environ if env is None else env
        self.editing = False  # an editor owns the terminal: Ctrl-C is its business

    async def choose(self, reasons: list[str]) -> str:
        ps: PromptSession[str] = PromptSession(**self._io)
        with self._hold():
            while True:
                try:
                    answer = await ps.prompt_async(ASK, handle_sigint=False)
                except (KeyboardInterrupt, EOFError):
                    return "no"
                if (choice := _ANSWERS.get(answer.strip().lower())) is not None:
                    return choice
                self._say("answer y, n, e or x")

    async def edit(self, text: str) -> str | None:
        editor = self._env.get("VISUAL") or self._env.get("EDITOR")
        with self._hold():
            new = await (self._in_editor(editor, text) if editor else self._in_prompt(text))
        if new is None or not new.strip() or new == text:
            return None
        return new

    async def _in_editor(self, editor: str, text: str) -> str | None:
        fd, name = tempfile.mkstemp(prefix="aios-plan-", suffix=".txt")  # mode 0600
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            argv = [*shlex.split(editor), str(path)]
            self.editing = True
            try:
                done = await asyncio.to_thread(subprocess.run, argv, check=False)
            finally:
                self.editing = False
            if done.returncode != 0:
                self._say(f"the editor exited with status {done.returncode}: plan not changed")
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError) as exc:  # no such editor, bad quoting in $EDITOR
            self._say(f"cannot run the editor {safe_text(editor[:80])!r}: {safe_text(str(exc))}")
            return None
        finally:
            path.unlink(missing_ok=True)

    async def _in_prompt(self, text: str) -> str | None:
        self._say("edit the plan: Esc then Enter when done, Ctrl-C to leave it as it was")
        ps: PromptSession[str] = PromptSession(multiline=True, **self._io)
        try:
            return await ps.prompt_async("", default=text, handle_sigint=False)
        except (KeyboardInterrupt, EOFError):
            return None
