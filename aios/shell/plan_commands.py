"""Which shell commands write: the dangerous-pattern check of plan steps that run
programs (aios/shell/plans.py). Command lines are split with shlex (operators as
their own tokens); one that cannot be parsed, or that hides a command
(``$(...)``, backquotes, an interpreter's code), counts as writing."""

from __future__ import annotations

import re
import shlex
from typing import Any

__all__ = ["command_danger"]

_WRITERS = frozenset(
    "rm rmdir unlink mv cp dd chmod chown chgrp truncate tee shred ln install touch mkdir "
    "rsync scp mknod mkfifo patch tar unzip gzip gunzip bzip2 xz zip split csplit wget sudo doas"
    " su".split()
)
_INTERPRETERS = frozenset("python python3 perl ruby node php lua Rscript osascript".split())
_SHELLS = frozenset("sh bash zsh dash ksh fish".split())
_WRAPPERS = frozenset(
    "env timeout nice nohup time command exec builtin stdbuf ionice xargs".split()
)
_GIT_READS = frozenset(
    "status log diff show grep blame ls-files ls-tree rev-parse describe shortlog cat-file "
    "help version".split()
)
_OPS = frozenset(";|&()\n")


def _argv_danger(argv: list[str], depth: int) -> str | None:
    """Why running ``argv`` may write, or None."""
    if any(re.match(r"(\d*|&)>", a) for a in argv):
        return "redirects output into a file"
    while argv and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", argv[0]):
        argv = argv[1:]  # VAR=value program ...
    if not argv:
        return None
    prog, rest = argv[0].lstrip("\\").rsplit("/", 1)[-1], argv[1:]
    if prog in _WRAPPERS:  # look at the wrapped program (after the wrapper's options)
        if depth >= 3:
            return f"nests {prog} too deeply to read"
        for j in range(min(len(rest), 8)):
            if not rest[j].startswith("-") and (why := _argv_danger(rest[j:], depth + 1)):
                return why
        return None
    if prog in _WRITERS or prog.startswith("mkfs"):
        return f"runs {prog}"
    if prog in _SHELLS:
        if "-c" in rest and rest.index("-c") + 1 < len(rest) and depth < 3:
            return _command_danger(rest[rest.index("-c") + 1], depth + 1)
        return f"runs a {prog} script"
    if prog in _INTERPRETERS or prog.startswith("python"):
        return f"runs {prog} code"
    if prog in ("sed", "perl") and any(a.startswith(("-i", "--in-place")) for a in rest):
        return f"edits files in place ({prog} -i)"
    if prog == "find" and {"-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint"} & set(rest):
        return "runs find with -delete or -exec"
    if prog in ("sort", "curl") and any(a.startswith(("-o", "--output", "-O")) for a in rest):
        return f"writes a file ({prog} -o)"
    if prog in ("awk", "gawk", "mawk") and any(">" in a or "system" in a for a in rest):
        return f"runs {prog} code that may write"
    if prog == "git":
        sub = next((a for i, a in enumerate(rest) if not a.startswith("-")
                    and (i == 0 or rest[i - 1] not in ("-C", "-c"))), "")  # fmt: skip
        return None if sub in _GIT_READS else f"runs git {sub or '(no subcommand)'}"
    return None


def _command_danger(cmd: str, depth: int = 0) -> str | None:
    """Why a shell command line may write, or None; unparseable lines are dangerous."""
    if "$(" in cmd or "`" in cmd:
        return "uses command substitution"
    cmd = cmd.replace("\r", "\n").replace("\n", ";")  # a newline ends a command too
    try:
        lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        tokens = list(lex)
    except ValueError as exc:
        return f"cannot be parsed ({exc})"
    argv: list[str] = []
    for tok in [*tokens, ";"]:
        if ">" in tok and set(tok) <= set("<>&|;()0123456789"):
            return "redirects output into a file"
        if set(tok) <= _OPS:
            if why := _argv_danger(argv, depth):
                return why
            argv = []
        else:
            argv.append(tok)
    return None


def command_danger(args: dict[str, Any]) -> str | None:
    """Why a shell-like tool's call may write (``command``/``cmd``/``script`` as a
    command line, or ``program`` with ``args`` as the confined shell tool takes them),
    or None; what is known only when it runs counts as writing."""
    for key in ("command", "cmd", "script"):
        if key in args:
            cmd = args[key]
            return _command_danger(cmd) if isinstance(cmd, str) else "is known only when it runs"
    if "program" not in args:
        return None
    prog, rest = args["program"], args.get("args", [])
    if (
        not isinstance(prog, str)
        or not isinstance(rest, list)
        or not all(isinstance(a, str) for a in rest)
    ):
        return "is known only when it runs"
    return _argv_danger([prog, *rest], 0)
