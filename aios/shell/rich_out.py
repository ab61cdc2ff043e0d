"""The REPL's output: ``RichOut`` is the shell's ``Out`` (aios/shell/flow.py) on a rich
``Console``: built-ins' tables as rich tables, streamed model text as it arrives, a live
status line while a plan's steps run, plain lines otherwise.

Nothing shown is ever read as markup: every string is a ``rich.text.Text``, and the
console is built with markup, emoji and highlighting off. Streamed tokens are
untrusted and pass ``safe_text`` here (lines and cells come already made safe).
``NO_COLOR`` turns colour off (rich reads it); a dumb terminal (``TERM=dumb``) or one
that is not a terminal gets no colour and no live line, only plain lines.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from aios.shell.out import safe_lines, step_text
from aios.shell.plans import safe_text

__all__ = ["RichOut", "make_console"]

log = logging.getLogger(__name__)

_MAX_RUNNING_SHOWN = 3  # steps named on the live line; the rest are counted


def make_console(file: IO[str] | None = None, **kw: Any) -> Console:
    """A console that renders nothing as markup (``file``: default stdout)."""
    return Console(file=file, markup=False, emoji=False, highlight=False, **kw)


class RichOut:
    """``Out`` on a rich console. ``finish`` ends whatever a line left open (a token
    stream, the live line). While a prompt is up (``holding``), output waits: a plan's
    progress must not scribble over the question the person is answering."""

    def __init__(self, console: Console | None = None, *, clock: Any = time.monotonic) -> None:
        self.console = console or make_console()
        self._clock = clock
        self._running: dict[int, tuple[str, float]] = {}  # step id -> (tool, started)
        self._live: Live | None = None
        self._spinner = Spinner("dots", text="")
        self._in_tokens = False
        self._held = 0
        self._later: list[Callable[[], None]] = []

    @property
    def live_capable(self) -> bool:
        """Whether this console can redraw a status line in place."""
        return self.console.is_interactive and not self.console.is_dumb_terminal

    # ---- Out ------------------------------------------------------------------------

    def line(self, text: str) -> None:
        if self._defer(self.line, text):
            return
        self.notice(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if self._defer(self.table, header, rows):
            return
        self._end_tokens_if_open()
        if not rows:
            self.console.print(Text("  ".join(header)), soft_wrap=True)
            self.console.print(Text("(none)"))
            return
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, safe_box=True)
        for h in header:
            t.add_column(Text(h), overflow="fold")
        for row in rows:
            t.add_row(*(Text(str(c)) for c in row))
        self.console.print(t)

    def token(self, text: str) -> None:
        if not text or self._defer(self.token, text):
            return
        self._stop_live()  # a live line would redraw over a half-written line
        self._in_tokens = True
        self.console.print(Text(safe_lines(text)), end="", soft_wrap=True)

    def end_tokens(self) -> None:
        if self._defer(self.end_tokens):
            return
        if self._in_tokens:
            self._in_tokens = False
            self.console.print()

    def step(self, event: dict[str, Any]) -> None:
        sid = event.get("id")
        if not isinstance(sid, int) or isinstance(sid, bool):
            log.debug("step event without an id: %r", event)
            return
        if self._defer(self.step, event):
            return
        self._end_tokens_if_open()
        if event.get("status") == "running":
            self._running[sid] = (safe_text(str(event.get("tool", "?")))[:60], self._clock())
            if self.live_capable:
                self._start_live()
            else:  # no redraws: a line now, another when it ends
                self.console.print(Text("  " + step_text(event)), soft_wrap=True)
            return
        started = self._running.pop(sid, None)
        if event.get("seconds") is None and started is not None:
            event = {**event, "seconds": self._clock() - started[1]}
        self._print(Text("  " + step_text(event)))
        if not self._running:
            self._stop_live()

    # ---- around a line and a prompt -------------------------------------------------

    def notice(self, text: str) -> None:
        """A line shown now, even while output is held (what a prompt itself says)."""
        self._end_tokens_if_open()
        self.console.print(Text(text), soft_wrap=True)

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Hold output back while a prompt is up; show it, in order, when it is done."""
        self._end_tokens_if_open()
        self._stop_live()
        self._held += 1
        try:
            yield
        finally:
            self._held = max(0, self._held - 1)  # finish() may have let go already
            while not self._held and self._later:
                self._later.pop(0)()

    def finish(self) -> None:
        """End a line's output: show what was held, close a token stream, drop the
        live line."""
        self._held = 0
        while self._later:
            self._later.pop(0)()
        self._end_tokens_if_open()
        self._stop_live()
        self._running.clear()

    # ---- helpers ---------------------------------------------------------------------

    def _defer(self, method: Callable[..., None], *args: Any) -> bool:
        if self._held:
            self._later.append(lambda: method(*args))
        return bool(self._held)

    def _end_tokens_if_open(self) -> None:
        if self._in_tokens:
            self._in_tokens = False
            self.console.print()

    def _print(self, text: Text) -> None:
        self.console.print(text, soft_wrap=True)  # with a live line up, rich prints above it

    def _status(self) -> Spinner:
        now = self._clock()
        items = sorted(self._running.copy().items())  # copy: this runs on Live's thread
        shown = [f"{sid}. {tool} {now - t0:.1f} s" for sid, (tool, t0) in items]
        more = len(shown) - _MAX_RUNNING_SHOWN
        text = "running " + ", ".join(shown[:_MAX_RUNNING_SHOWN])
        self._spinner.update(text=Text(text + (f" and {more} more" if more > 0 else "")))
        return self._spinner

    def _start_live(self) -> None:
        if self._live is None:
            self._live = Live(
                console=self.console,
                get_renderable=self._status,
                refresh_per_second=8,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def _stop_live(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()
