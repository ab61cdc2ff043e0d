"""Scoring the shell benchmark: a fast-path ``Command`` or a planner's tasks against a
case's expected calls (bench/shell_cases.py).

Expected values are plain JSON or one of the matchers below. Strings are compared
after trimming whitespace; path arguments (``path``, ``src``, ``dst``) also without a
leading or trailing "/" and without regard to case. A produced call may leave out an
argument whose tool default is the expected value, and may add one only at its
default (``TOOLS``). A timezone is compared as the clock tool reads it (a city such as
"tokyo" names its zone, as ``current_time`` accepts). Calls are paired one to one in
any order: order matters only through ``Ref``, a reference to the produced call
paired with an expected one.

A wrong plan gets one reason kind (``KINDS``), for grouping the failures.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from aios.tools.builtin.clock import resolve_zone

__all__ = ["ANY", "KINDS", "TOOLS", "Call", "Case", "Evaluates", "Has", "OneOf", "Ref"]
__all__ += ["Verdict", "score_command", "score_plan"]

PATH_KEYS = frozenset({"path", "src", "dst"})
_REQUIRED = object()
_MISSING = object()

# The tools a shell session plans over (aios/fs/tools.py, aios/tools/builtin/): each
# parameter's default, or _REQUIRED. The runner checks this against tool.list.
TOOLS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "fs_read": {"path": _REQUIRED},
        "fs_write": {"path": _REQUIRED, "content": _REQUIRED},
        "fs_search": {"query": _REQUIRED, "top_k": 5},
        "fs_ls": {"path": ""},
        "fs_history": {"path": _REQUIRED},
        "fs_delete": {"path": _REQUIRED, "recursive": False},
        "fs_mv": {"src": _REQUIRED, "dst": _REQUIRED},
        "fs_rollback": {"path": _REQUIRED, "n": 1},
        "calculator": {"expression": _REQUIRED},
        "current_time": {"timezone": "UTC"},
        "shell": {"program": _REQUIRED, "args": []},
        "http_get": {"url": _REQUIRED},
    }
)

# why a plan is wrong, in the order they are reported when several apply
KINDS = (
    "no plan",  # an error, or a plan that did not validate
    "no calls",
    "wrong tool",  # a call to a tool no expected call names
    "missing step",  # fewer calls than expected
    "extra step",  # more calls than expected
    "missing argument",
    "wrong argument",  # an expected argument with another value
    "invented argument",  # an argument not expected and not at its default
    "wrong reference",  # a literal where a result was needed, or the wrong result
)


@dataclass(frozen=True)
class OneOf:
    """Any of these values is right."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class Has:
    """A string holding each of these words or phrases (any case): a query, a content."""

    words: tuple[str, ...]

    def __init__(self, *words: str) -> None:
        object.__setattr__(self, "words", words)


@dataclass(frozen=True)
class Evaluates:
    """A calculator expression whose value is ``value`` (relative tolerance ``tol``)."""

    value: float
    tol: float = 1e-3


@dataclass(frozen=True)
class Ref:
    """The result of expected call ``call`` (0-based), in whole or in part."""

    call: int


@dataclass(frozen=True)
class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()  # present, whatever its value


@dataclass(frozen=True)
class Call:
    """A tool call (model path) or a syscall (fast path) with the arguments that matter."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    id: str
    text: str  # as a user types it
    path: Literal["fast", "model"]
    expect: tuple[Call, ...]  # fast: one syscall; model: the plan's tool calls
    also: tuple[tuple[Call, ...], ...] = ()  # other right plans (vague requests)
    note: str = ""  # e.g. which built-in could answer a model-path case
    needs: tuple[str, ...] = ()  # tools that must be enabled (http_get)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    kind: str  # "ok" or one of KINDS
    why: str = ""


_OK = Verdict(True, "ok")


# ---- values ------------------------------------------------------------------------


def _norm_path(s: str) -> str:
    return s.strip().strip("/").casefold()


def _evaluates(got: Any, want: Evaluates) -> bool:
    if not isinstance(got, str):
        return False
    from aios.tools.builtin.calculator import evaluate  # the tool's own evaluator

    try:
        value = evaluate(got.strip())
    except (ValueError, TypeError, OverflowError):
        return False
    return math.isclose(float(value), want.value, rel_tol=want.tol, abs_tol=1e-9)


def same(got: Any, want: Any, *, path: bool = False) -> bool:
    """``got`` (a produced value, references already excluded) matches ``want``."""
    if want is ANY:
        return True
    if isinstance(want, OneOf):
        return any(same(got, w, path=path) for w in want.values)
    if isinstance(want, Has):
        low = got.casefold() if isinstance(got, str) else ""
        return isinstance(got, str) and all(w.casefold() in low for w in want.words)
    if isinstance(want, Evaluates):
        return _evaluates(got, want)
    if isinstance(want, Ref):
        return False
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)):
        if isinstance(got, str):  # "2" for n=2: the plan's schema check converts it
            try:
                got = float(got.strip())
            except ValueError:
                return False
        return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-9)
    if isinstance(want, str):
        if not isinstance(got, str):
            return False
        return _norm_path(got) == _norm_path(want) if path else got.strip() == want.strip()
    if isinstance(want, (list, tuple)):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(same(g, w) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, Mapping):  # the keys that matter: a subset
        return isinstance(got, Mapping) and all(
            k in got and same(got[k], w, path=k in PATH_KEYS) for k, w in want.items()
        )
    return bool(got == want)


def _ref(value: Any) -> int | None:
    """The task id a produced argument refers to ({"$ref": N, "path": [...]})."""
    if isinstance(value, Mapping) and isinstance(value.get("$ref"), int):
        return int(value["$ref"])
    return None


def _has_ref(value: Any) -> bool:
    if _ref(value) is not None:
        return True
    if isinstance(value, Mapping):
        return any(_has_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_ref(v) for v in value)
    return False


# ---- the fast path ------------------------------------------------------------------


def score_command(syscall: str | None, args: Mapping[str, Any], want: Call) -> Verdict:
    """A fast-path or built-in ``Command`` (its syscall and arguments) against one syscall."""
    if syscall is None:
        return Verdict(False, "no calls", "not matched")
    if syscall != want.name:
        return Verdict(False, "wrong tool", f"{syscall}, expected {want.name}")
    for key, value in want.args.items():
        if key not in args:
            return Verdict(False, "missing argument", f"{syscall}: no {key}")
        if not same(args[key], value, path=key in PATH_KEYS):
            return Verdict(
                False, "wrong argument", f"{syscall}: {key}={args[key]!r}, want {value!r}"
            )
    return _OK


# ---- the model path -----------------------------------------------------------------


def _arg_issue(
    tool: str, key: str, got: Any, want: Any, ids: Mapping[int, int], pair: tuple[int, ...]
) -> Verdict | None:
    """Why produced argument ``got`` does not match ``want``; ``ids`` maps a task id to
    its produced position, ``pair[i]`` is the expected call produced call i is paired with."""
    ref = _ref(got)
    if isinstance(want, Ref):
        if ref is None or ref not in ids:
            return Verdict(
                False, "wrong reference", f"{tool}: {key}={got!r}, want ${want.call + 1}"
            )
        if pair[ids[ref]] != want.call:
            return Verdict(False, "wrong reference", f"{tool}: {key} reads the wrong call")
        return None
    if want is ANY:
        return None
    if ref is not None or _has_ref(got):
        return Verdict(False, "wrong argument", f"{tool}: {key}={got!r}, want {want!r}")
    if key == "timezone" and isinstance(got, str):  # as the clock reads it: a city names a zone
        got = resolve_zone(got) or got
    if not same(got, want, path=key in PATH_KEYS):
        return Verdict(False, "wrong argument", f"{tool}: {key}={got!r}, want {want!r}")
    return None


def _call_issue(
    got: Mapping[str, Any], want: Call, ids: Mapping[int, int], pair: tuple[int, ...]
) -> Verdict | None:
    tool, args = str(got.get("tool")), got.get("args") or {}
    if tool != want.name:
        return Verdict(False, "wrong tool", f"called {tool}, expected {want.name}")
    defaults = TOOLS.get(tool, {})
    for key, value in want.args.items():
        if key in args:
            issue = _arg_issue(tool, key, args[key], value, ids, pair)
        elif defaults.get(key, _REQUIRED) is not _REQUIRED and same(defaults[key], value):
            issue = None  # left at its default, which is what is wanted
        else:
            issue = Verdict(False, "missing argument", f"{tool}: no {key}")
        if issue:
            return issue
    for key in set(args) - set(want.args):
        default = defaults.get(key, _REQUIRED)
        if default is _REQUIRED or _has_ref(args[key]) or not same(args[key], default):
            return Verdict(False, "invented argument", f"{tool}: {key}={args[key]!r}")
    return None


def _one(tasks: list[Mapping[str, Any]], want: tuple[Call, ...]) -> Verdict:
    if not tasks:
        return Verdict(False, "no calls", "the plan has no calls")
    made = [str(t.get("tool")) for t in tasks]
    wanted = [c.name for c in want]
    if set(made) - set(wanted):
        return Verdict(False, "wrong tool", f"called {made}, expected {wanted}")
    if len(made) < len(wanted):
        return Verdict(False, "missing step", f"called {made}, expected {wanted}")
    if len(made) > len(wanted):
        return Verdict(False, "extra step", f"called {made}, expected {wanted}")
    ids = {int(t.get("id", i + 1)): i for i, t in enumerate(tasks)}
    best: Verdict | None = None
    for pair in itertools.permutations(range(len(want))):
        issues = [_call_issue(t, want[pair[i]], ids, pair) for i, t in enumerate(tasks)]
        bad = [v for v in issues if v is not None]
        if not bad:
            return _OK
        first = min(bad, key=lambda v: KINDS.index(v.kind))
        if best is None or KINDS.index(first.kind) > KINDS.index(best.kind):
            best = first  # the pairing that gets furthest (the same tools at least)
    assert best is not None
    return best


def score_plan(tasks: list[Mapping[str, Any]], case: Case) -> Verdict:
    """A plan's tasks (compile's ``tasks``: id, tool, args) against the case: right if
    they match its expected calls or one of its other right plans."""
    first = _one(tasks, case.expect)
    if first.ok:
        return first
    for other in case.also:
        if _one(tasks, other).ok:
            return _OK
    return first
