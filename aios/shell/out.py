"""Where the shell's output goes: ``Out`` (lines, tables, streamed tokens, plan
progress) and ``PlainOut``, its plain-text form for one-shot mode and pipes. The
REPL has a rich one (``aios.shell.rich_out``).

Callers pass text already made safe (``plans.safe_text``), except ``token``, whose
model text the ``Out`` makes safe itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aios.shell.plans import safe_text

__all__ = ["Out", "PlainOut", "Writer", "aligned", "safe_lines", "step_text"]


class Writer(Protocol):
    def write(self, s: str, /) -> Any: ...


class Out(Protocol):
    def line(self, text: str) -> None: ...

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None: ...

    def token(self, text: str) -> None: ...

    def end_tokens(self) -> None: ...

    def step(self, event: dict[str, Any]) -> None: ...


def aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned columns, the last one left ragged."""
    if not rows:
        return ["  ".join(header), "(none)"]
    cols = [list(header), *(list(r) for r in rows)]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header) - 1)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
        for r in cols
    ]


def safe_lines(text: str) -> str:
    """Model text made safe, its newlines kept (tabs as spaces)."""
    return "\n".join(safe_text(p) for p in text.expandtabs(4).split("\n"))


def step_text(event: dict[str, Any]) -> str:
    """A plan step's progress as one line: ``[2] fs_write ok (0.1 s)``."""
    status = safe_text(str(event.get("status", "")))
    seconds = event.get("seconds")
    took = f" ({seconds:.1f} s)" if isinstance(seconds, int | float) else ""
    error = event.get("error")
    why = f": {safe_text(str(error))[:300]}" if error else ""
    tool = safe_text(str(event.get("tool", "")))[:80]
    return f"[{event.get('id')}] {tool} {status}{took}{why}"


class PlainOut:
    """Plain text to a writer: tables aligned, tokens as they come, one line a step
    once it ends (a running step is not shown: pipes want lines, not redraws)."""

    def __init__(self, writer: Writer) -> None:
        self.w = writer
        self._mid_tokens = False

    def line(self, text: str) -> None:
        self.end_tokens()
        self.w.write(text + "\n")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        for text in aligned(header, rows):
            self.line(text)

    def token(self, text: str) -> None:
        self.w.write(safe_lines(text))
        self._mid_tokens = True

    def end_tokens(self) -> None:
        if self._mid_tokens:
            self.w.write("\n")
            self._mid_tokens = False

    def step(self, event: dict[str, Any]) -> None:
        if event.get("status") != "running":
            self.line("  " + step_text(event))
