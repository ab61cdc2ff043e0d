"""The plan language as the shell writes and reads it, without the kernel's parser
(the shell never imports aios.kernel): ``N. tool(arg=value, ...)`` one call per
line, then ``join()``. Values are JSON or references ``$N``, ``$N.field``,
``$N[0]``, ``$N["odd key"]`` (returned as ``{"$ref": N, "path": [...]}``); argument
names may be JSON strings; ``#`` starts a comment after a call or on its own line.
Also ``safe_text``: text made harmless for a terminal.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from aios.errors import BadRequest

__all__ = ["MAX_DEPTH", "NAME", "PlanLine", "parse_lines", "safe_text"]

MAX_DEPTH, MAX_TEXT = 20, 262_144
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOOL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)?")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
# C0, DEL, C1 (CSI is 0x9b), bidi marks/overrides/isolates, zero widths, line separators
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def safe_text(text: str) -> str:
    """``text`` with every character that could move the cursor, recolour or reorder
    the terminal (ESC, CR, BEL, C1, bidi overrides...) written as a ``\\uXXXX`` escape."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class PlanLine:
    """One line of an edited plan, and a recursive-descent parser of it."""

    def __init__(self, text: str, no: int) -> None:
        self.s, self.i, self.no = text, 0, no

    def fail(self, what: str) -> BadRequest:
        shown = safe_text(self.s[:120])
        msg = f"plan line {self.no}: {what} at column {self.i + 1}: {shown}"
        return BadRequest(msg, line=self.no, column=self.i + 1)

    def peek(self) -> str:
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1
        return self.s[self.i] if self.i < len(self.s) else ""

    def eat(self, pattern: re.Pattern[str] | str, what: str) -> str:
        self.peek()
        if isinstance(pattern, str):
            if not self.s.startswith(pattern, self.i):
                raise self.fail(f"expected {what}")
            self.i += len(pattern)
            return pattern
        if (m := pattern.match(self.s, self.i)) is None:
            raise self.fail(f"expected {what}")
        self.i = m.end()
        return m.group()

    def string(self) -> str:
        try:
            text, self.i = json.decoder.scanstring(self.s, self.i + 1)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            raise self.fail(f"bad string ({exc.msg})") from None
        return text

    def value(self, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail("values nested too deeply")
        c = self.peek()
        if c == "$":
            self.i += 1
            ref = int(self.eat(re.compile(r"\d{1,6}"), "a step number after $"))
            path: list[str | int] = []
            while self.s[self.i : self.i + 1] in (".", "["):
                self.i += 1
                if self.s[self.i - 1] == ".":
                    path.append(self.eat(NAME, "a field name"))
                else:
                    path.append(
                        self.string()
                        if self.peek() == '"'
                        else int(self.eat(re.compile(r"\d{1,9}"), "an index"))
                    )
                    self.eat("]", "']'")
            if any(isinstance(p, str) and (not p or p[0] == "_") for p in path):
                raise self.fail("fields starting with _ cannot be read")
            return {"$ref": ref, "path": path}
        if c == '"':
            return self.string()
        if c in "[{":
            close = "]" if c == "[" else "}"
            out: Any = [] if c == "[" else {}
            self.i += 1
            while self.peek() != close:
                if isinstance(out, list):
                    out.append(self.value(depth + 1))
                else:
                    if self.peek() != '"':
                        raise self.fail("expected a string key")
                    key = self.string()
                    self.eat(":", "':'")
                    out[key] = self.value(depth + 1)
                if self.peek() != ",":
                    break
                self.i += 1
            self.eat(close, f"{close!r}")
            return out
        for lit, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(lit, self.i):
                self.i += len(lit)
                return val
        num = self.eat(_NUMBER, "a value (JSON or $N)")
        number = json.loads(num) if len(num) < 400 else math.inf
        if isinstance(number, float) and not math.isfinite(number):
            raise self.fail(f"number {num[:40]} is too large")
        return number

    def call(self) -> tuple[int, str, dict[str, Any]]:
        sid = int(self.eat(re.compile(r"\d{1,6}"), "a step number"))
        self.eat(".", "'.' after the step number")
        tool = self.eat(_TOOL, "a tool name")
        self.eat("(", "'('")
        args: dict[str, Any] = {}
        while self.peek() not in (")", ""):
            name = self.string() if self.peek() == '"' else self.eat(NAME, "an argument name")
            if name in args:
                raise self.fail(f"argument {safe_text(name)!r} given twice")
            self.eat("=", "'='")
            args[name] = self.value()
            if self.peek() != ",":
                break
            self.i += 1
        self.eat(")", "')' or ','")
        if self.peek() not in ("", "#"):
            raise self.fail("unexpected text after the call")
        return sid, tool, args


def parse_lines(text: str) -> list[tuple[PlanLine, int, str, dict[str, Any]]]:
    """Each call of an edited plan: its line, step number, tool and arguments."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise BadRequest(f"an edited plan must be text of at most {MAX_TEXT} characters")
    out: list[tuple[PlanLine, int, str, dict[str, Any]]] = []
    ended = False
    for no, raw in enumerate(text.splitlines(), 1):
        line = PlanLine(raw.strip(), no)
        if not line.s or line.s.startswith("#"):
            continue
        if ended:
            raise line.fail("text after join()")
        if re.fullmatch(r"join\(\s*\)\s*(#.*)?", line.s):
            ended = True
            continue
        out.append((line, *line.call()))
    return out
