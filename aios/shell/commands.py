"""The shell's built-ins: ``parse`` reads a typed built-in (``ps``, ``kill 12``, ``!ls -la``)
into a ``Command`` naming the syscall that answers it and its arguments; ``fast_path`` maps
simple natural-language requests ("show my processes", "undo my last change to plan.md")
to the same commands without the model; ``HELP`` is their one-line help.

For a typed line: ``parse`` first; None means natural language: ``fast_path``, then the
planner. ``parse`` falls back to the fast path itself when a built-in's word starts a
request it answers ("kill process 12", "history of plan.md", "find notes about owls"), and
returns None when the word starts a sentence ("help me write a poem", "run the tests") or,
for ``find``, a request of several steps ("find notes about X and summarize them").

Rollback: ``fs.rollback`` takes ``n``, versions back (a new version holds the restored
content). ``rollback PATH N`` is N back, and "undo my last change to X" is ``n=1``, the
version before the current one: nothing for the caller to resolve. ``!cmd`` runs one
program through the confined ``shell`` tool (no pipes, redirections or globs); whether it
writes is for the approval policy: its ``destructive`` is ``NEEDS_POLICY`` (truthy).
Pure logic: no I/O, no kernel import.
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from aios.errors import BadRequest
from aios.shell.commands_fast import FUNCTION_WORDS, MULTI, NOT_PATHS, VERBS, matches, normalize

__all__ = ["HELP", "MAX_LINE", "NEEDS_POLICY", "USAGE", "Command", "UsageError"]
__all__ += ["fast_path", "parse"]

log = logging.getLogger(__name__)

NEEDS_POLICY: Literal["needs_policy"] = "needs_policy"
MAX_LINE = 262_144  # a built-in's line; longer ones are refused
_MAX_FAST = 500  # the fast path answers short requests only
_STATES = ("pending", "approved", "denied", "expired", "cancelled")

USAGE = MappingProxyType(
    {
        "ps": ("ps", "list processes"),
        "kill": ("kill PID", "kill a process (asks first)"),
        "ls": ("ls [PATH]", "list a folder"),
        "cat": ("cat PATH", "show a file"),
        "find": ("find QUERY...", "search files (hybrid: meaning and keywords)"),
        "history": ("history PATH", "a file's versions"),
        "rollback": ("rollback PATH N", "restore the version N back, as a new one (asks first)"),
        "diff": ("diff PATH [A B]", "changes from version A to B (default: the last change)"),
        "agents": ("agents", "list agents"),
        "run": ("run AGENT TASK...", "start an agent on a task"),
        "tools": ("tools", "list the tools you may call"),
        "approvals": ("approvals [STATE|all]", "approval requests (default: pending)"),
        "help": ("help [BUILTIN]", "this help, or one built-in's"),
        "exit": ("exit", "leave the shell (also: quit, Ctrl-D)"),
        "quit": ("quit", "leave the shell"),
        "!": ("!PROGRAM [ARGS...]", "run one program with the confined shell tool"),
    }
)
HELP = "\n".join(f"{u:<22} {d}" for k, (u, d) in USAGE.items() if k != "quit")


class UsageError(BadRequest):
    """A built-in used wrongly; ``usage`` is the right form."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(f"{message} (usage: {usage})", usage=usage)
        self.usage = usage


@dataclass(frozen=True)
class Command:
    """A built-in: its words, and the syscall (None: handled by the shell) that runs it."""

    name: str
    args: tuple[str, ...] = ()
    syscall: str | None = None
    syscall_args: dict[str, Any] = field(default_factory=dict, hash=False)
    destructive: bool | Literal["needs_policy"] = False


def _u(name: str) -> str:
    return USAGE[name][0]


def _bad_text(s: str, *, controls: bool) -> str | None:
    if "\x00" in s:
        return "holds a NUL byte"
    if controls and any(ord(c) < 32 or ord(c) == 127 for c in s):
        return "holds control characters"
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 text"
    return None


def _text(s: str, what: str, limit: int, usage: str, *, controls: bool = False) -> str:
    if not s:
        raise UsageError(f"give {what}", usage)
    bad = _bad_text(s, controls=controls) or (
        f"is over {limit} characters" if len(s) > limit else None
    )
    if bad:
        raise UsageError(f"the {what} {bad}", usage)
    return s


def _path(s: str, usage: str) -> str:
    return _text(s, "path", 1024, usage, controls=True)


def _int(s: str, what: str, hi: int, usage: str) -> int:
    if not re.fullmatch(r"[0-9]{1,20}", s) or not 1 <= int(s) <= hi:
        raise UsageError(f"{what} must be a whole number from 1 to {hi}, not {s[:40]!r}", usage)
    return int(s)


_SYSCALLS = MappingProxyType(
    {
        "ps": ("proc.list", ()),
        "kill": ("proc.kill", ("pid",)),
        "ls": ("fs.ls", ("path",)),
        "cat": ("fs.read", ("path",)),
        "find": ("fs.retrieve", ("query",)),
        "history": ("fs.history", ("path",)),
        "rollback": ("fs.rollback", ("path", "n")),
        "diff": ("fs.diff", ("path", "from_version", "to_version")),
        "agents": ("agent.list", ()),
        "run": ("proc.spawn", ("agent", "task")),
        "tools": ("tool.list", ()),
        "approvals": ("approval.list", ("state",)),
    }
)


def _cmd(name: str, *values: Any) -> Command:
    """A built-in with its syscall's arguments, named as the syscall names them."""
    syscall, keys = _SYSCALLS.get(name, (None, ()))
    args = dict(zip(keys, values, strict=False))
    if name == "find":
        args.update(mode="hybrid", top_k=10)
    if args.get("state") == "all":
        del args["state"]
    words = tuple(str(v) for v in values if v != "")
    return Command(name, words, syscall, args, name in ("kill", "rollback"))


# ---- parse -------------------------------------------------------------------------

_SHELL_OPS = frozenset("();<>|&")


def _split(rest: str, usage: str, *, lenient: bool = False) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as exc:
        if lenient and re.search(r"\w['\u2019]\w", rest):  # John's, don't: words, not quoting
            return rest.split()
        raise UsageError(f"bad quoting: {exc}", usage) from None


def _sentence(tokens: list[str]) -> bool:
    """Words after a built-in's name that read as a sentence, not as its arguments."""
    if tokens and tokens[0].lower().strip(",.?!") in FUNCTION_WORDS:
        return True
    return len(tokens) >= 3 and sum(t.isalpha() for t in tokens) >= 3


def _bang(rest: str) -> Command:
    usage = _u("!")
    lex = shlex.shlex(rest, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        words = list(lex)
    except ValueError as exc:
        raise UsageError(f"bad quoting: {exc}", usage) from None
    if not words:
        raise UsageError("give a program to run after !", usage)
    if any(set(w) <= _SHELL_OPS for w in words):
        raise UsageError("one program at a time: no pipes, redirections, ; or &&", usage)
    program = _text(words[0], "program", 100, usage, controls=True)
    if len(words) > 257 or sum(len(w) for w in words[1:]) > 65_536:
        raise UsageError("too many arguments (256 at most, 64 KiB in all)", usage)
    for w in words[1:]:
        _text(w or "x", "argument", 65_536, usage)
    args = {"name": "shell", "args": {"program": program, "args": words[1:]}}
    return Command("!", tuple(words), "tool.call", args, NEEDS_POLICY)


def _builtin(name: str, rest: str) -> Command | None:
    usage = _u(name)
    t = _split(rest, usage, lenient=name in ("find", "run"))
    n = len(t)

    def arity(lo: int, hi: int) -> None:
        if not lo <= n <= hi:
            raise UsageError("missing arguments" if n < lo else "too many arguments", usage)

    if name in ("ps", "agents", "tools", "exit", "quit"):
        arity(0, 0)
        return _cmd(name)
    if name == "help":
        arity(0, 1)
        if t and t[0].lower() not in USAGE:
            raise UsageError(f"no built-in {t[0][:40]!r}", usage)
        return Command("help", tuple(x.lower() for x in t))
    if name == "approvals":
        arity(0, 1)
        state = t[0].lower() if t else "pending"
        if state not in (*_STATES, "all"):
            raise UsageError(f"STATE is one of {', '.join(_STATES)}, all", usage)
        return _cmd("approvals", state)
    if name == "kill":
        arity(1, 1)
        return _cmd("kill", _int(t[0], "PID", 2**53, usage))
    if name == "ls":
        t = [x for x in t if not re.fullmatch(r"-[A-Za-z]+", x)]  # ls -la: flags, no path
        n = len(t)
        arity(0, 1)
        return _cmd("ls", _path(t[0], usage) if t else "")
    if name in ("cat", "history"):
        arity(1, 1)
        return _cmd(name, _path(t[0], usage))
    if name == "rollback":
        arity(2, 2)
        return _cmd("rollback", _path(t[0], usage), _int(t[1], "N", 2**31, usage))
    if name == "diff":
        if n == 2:
            raise UsageError("give both versions A and B, or neither", usage)
        arity(1, 3)
        if n == 1:
            return _cmd("diff", _path(t[0], usage))
        a, b = (_int(x, "a version", 2**31, usage) for x in t[1:])
        return _cmd("diff", _path(t[0], usage), a, b)
    if name == "find":
        query = _text(" ".join(t), "query", 2000, usage)
        return None if MULTI.search(query) else _cmd("find", query)
    # run
    arity(2, 10**9)
    agent = _text(t[0], "agent's name", 200, usage, controls=True)
    task = _text(" ".join(t[1:]), "task", 200_000, usage)
    return _cmd("run", agent, task)


def _strict(line: str) -> Command | None:
    s = line.strip()
    if s.startswith("!"):
        if len(s) > MAX_LINE:
            raise UsageError("the line is too long", _u("!"))
        return _bang(s[1:])
    head = s[:32].split(maxsplit=1)
    name = head[0].lower() if head else ""
    if name not in USAGE or name == "!":
        return None
    if len(s) > MAX_LINE:
        raise UsageError("the line is too long", _u(name))
    return _builtin(name, s[len(head[0]) :])


def parse(line: str) -> Command | None:
    """A typed built-in as a ``Command``; None for natural language (or an empty line).
    Raises ``UsageError`` for a built-in used wrongly."""
    if not isinstance(line, str):
        raise UsageError("a command line is text", "help")
    words = line.split()[:4] if len(line) < 4096 else line[:4096].split()[:4]
    try:
        cmd = _strict(line)
    except UsageError:
        if line.lstrip().startswith("!"):
            raise
        fast = fast_path(line)
        if fast is not None:
            return fast
        if _sentence(words[1:]):
            return None
        raise
    if cmd is not None and cmd.name in ("find", "run"):
        fast = fast_path(line) if cmd.name == "find" else None
        if fast is not None and fast.name == "find":
            return fast
        if _sentence(words[1:2]):
            return None
    return cmd


# ---- the fast path -------------------------------------------------------------------


def _p(m: re.Match[str], *, file: bool = False, folder: bool = False) -> str | None:
    p = m["p"]
    if len(p) >= 2 and p[0] == p[-1] and p[0] in "'\"":
        p = p[1:-1]
    if not p or p[0] in "'\"" or p[-1] in "'\"":
        return None
    if p.lower() in NOT_PATHS or "://" in p or _bad_text(p, controls=True) or len(p) > 1024:
        return None
    is_file = not p.endswith("/") and bool(re.search(r"(?:\.[A-Za-z0-9]{1,10}|/[^/]+)$", p))
    if (file and not is_file) or (folder and "/" not in p):
        return None
    return p


def _q(m: re.Match[str], *, any_: bool = False) -> Command | None:
    q = m["q"].strip()
    if q.count('"') % 2 or len(re.findall(r"(?:^|(?<=\s))'|'(?=\s|$)", q)) % 2:
        return None  # unbalanced quoting
    if len(q) >= 2 and q[0] == q[-1] and q[0] in "'\"":
        q = q[1:-1].strip()
    first = q.split(maxsplit=1)[0].lower() if q else ""
    if not q or len(q) > 2000 or _bad_text(q, controls=True) or re.search(rf"\b{VERBS}\b", q, re.I):
        return None
    if any_ and (first in FUNCTION_WORDS or first in ("out", "files", "notes")):
        return None
    return _cmd("find", q)


def _build(kind: str, m: re.Match[str]) -> Command | None:
    if kind == "kill":
        return _cmd("kill", int(m["pid"])) if 1 <= int(m["pid"]) <= 2**53 else None
    if kind in ("ps", "agents", "tools", "exit", "help"):
        return _cmd(kind)
    if kind == "approvals":
        return _cmd("approvals", "pending")
    if kind in ("find", "find_any"):
        return _q(m, any_=kind == "find_any")
    if kind == "ls_root":
        return _cmd("ls", "")
    p = _p(m, file=kind in ("history_file", "undo_file", "cat"), folder=kind == "ls_dir")
    if p is None:
        return None
    if kind.startswith("undo"):
        n = int(m.groupdict().get("n") or 1)
        return _cmd("rollback", p, n) if 1 <= n <= 2**31 else None
    if kind == "ls" and not p.endswith("/") and re.search(r"\.[A-Za-z0-9]{1,10}$", p):
        return _cmd("cat", p)  # "what's in plan.md": the file's content
    return _cmd(kind.split("_")[0], p)


def fast_path(text: str) -> Command | None:
    """The built-in that answers a simple natural-language request, or None (the planner's)."""
    if not isinstance(text, str) or len(text) > _MAX_FAST or "\x00" in text:
        return None
    t = normalize(text)
    if not t or t.startswith("!") or MULTI.search(t):
        return None
    for kind, m in matches(t):
        if (cmd := _build(kind, m)) is not None:
            log.debug("fast path: %r -> %s", t, cmd.name)
            return cmd
    try:  # a built-in behind "please"
        cmd = _strict(t)
    except UsageError:
        return None
    if cmd is not None and cmd.name in ("find", "run") and _sentence(t.split()[1:2]):
        return None
    return cmd
