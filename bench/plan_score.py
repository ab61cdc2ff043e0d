"""Scoring a contender's calls against a plan-quality case, call by call.

A contender's calls are ``(name, args)`` pairs; an argument value may be a
``Made`` reference (a plan's ``$N.path``: produced call N, 0-based). The calls are
right when they can be paired one to one with the expected calls (in any order)
so that each pair has the same function and matching arguments:

- every expected argument is there and matches (``OneOf``: any of its values);
  strings match case-insensitively after trimming, numbers numerically (a bool is
  not a number), lists item by item, objects key by key;
- an argument the case does not expect is allowed only at the schema's default;
- a chain's ``Ref`` is the expected call's canned result at its path. A plan's
  reference is read the same way, from the canned result of the expected call its
  target is paired with, so ``$1.lat`` is right where the first call is the
  geocoding and its result has that ``lat``; a whole-result ``$1`` given to a
  scalar parameter ``lat`` reads the result's first ``lat`` (``field_for``), as the
  executor does. A
  function-calling loop that copied the fed result's value is right too.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from aios.kernel.compiler.plan import field_for
from bench.plan_cases import Call, Case, OneOf, Ref

__all__ = ["Made", "score"]

_MISSING = object()
_SCALARS = ("string", "number", "integer", "boolean")


@dataclass(frozen=True)
class Made:
    """A reference in a produced plan: produced call ``call``'s result at ``path``."""

    call: int
    path: tuple[str | int, ...] = ()


def _follow(value: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return value


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, OneOf):
        return any(_same(got, w) for w in want.values)
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)):
        return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-9)
    if isinstance(want, str):
        return isinstance(got, str) and got.strip().casefold() == want.strip().casefold()
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_same(g, w) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(want)
            and all(_same(got[k], want[k]) for k in want)
        )
    return bool(got == want)


class _Pairing:
    def __init__(self, case: Case, order: tuple[int, ...]) -> None:
        self.case = case
        self.order = order  # produced call i is paired with expected call order[i]

    def resolve(self, value: Any, *, made: bool) -> Any:
        """A value with its references replaced by what they read."""
        exp = self.case.expected
        if made and isinstance(value, Made):
            if value.call >= len(self.order):
                return _MISSING
            return _follow(exp[self.order[value.call]].result, value.path)
        if not made and isinstance(value, Ref):
            return _follow(exp[value.call].result, value.path)
        if isinstance(value, dict):
            return {k: self.resolve(v, made=made) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, made=made) for v in value]
        return value

    def matches(self, got: tuple[str, dict[str, Any]], want: Call) -> str | None:
        name, args = got
        if name != want.name:
            return f"called {name}, expected {want.name}"
        fn = next(f for f in self.case.functions if f["name"] == want.name)
        props = fn["parameters"].get("properties", {})
        for key, expected in want.args.items():
            if key not in args:
                return f"{name}: no {key}"
            value = self.resolve(args[key], made=True)
            if (
                isinstance(args[key], Made)
                and not args[key].path
                and isinstance(value, (dict, list))
                and props.get(key, {}).get("type") in _SCALARS
            ):
                found, inner = field_for(value, key)  # as the executor reads $1 given to lat
                value = inner if found else value
            if not _same(value, self.resolve(expected, made=False)):
                return f"{name}: {key}={value!r}, expected {expected!r}"
        for key in set(args) - set(want.args):
            default = props.get(key, {}).get("default", _MISSING)
            if default is _MISSING or not _same(self.resolve(args[key], made=True), default):
                return f"{name}: unexpected {key}={args[key]!r}"
        return None


def score(case: Case, calls: list[tuple[str, dict[str, Any]]]) -> tuple[bool, str]:
    """Whether ``calls`` answer ``case``, and why not."""
    want = case.expected
    if len(calls) != len(want):
        return False, f"{len(calls)} calls, expected {len(want)}"
    first_reason = ""
    for order in itertools.permutations(range(len(want))):
        pairing = _Pairing(case, order)
        reasons = [pairing.matches(c, want[order[i]]) for i, c in enumerate(calls)]
        bad = [r for r in reasons if r]
        if not bad:
            return True, "ok"
        first_reason = first_reason or bad[0]
    return False, first_reason
