"""The plan-quality cases: questions over real public APIs, with the calls that answer them.

Each case offers functions written from a public API's documentation (``source``
names the page), asks a question a user of that API would ask, and lists the
calls that answer it with their argument values. Four categories:

- ``single``: one function offered, one call.
- ``choice``: two to five functions of the same API offered, one call.
- ``parallel``: several calls that do not need each other (the same function with
  different arguments, or different functions).
- ``chain``: a call needs an earlier call's result (``Ref``); each earlier call
  carries the ``result`` the API would return, so a function-calling loop can be
  fed it, and a plan's reference can be checked against it.

Values: plain JSON, ``OneOf`` when several are right, ``Ref`` for a chain's result.
An optional argument the question does not ask for is left out of ``args``; an
answer may leave it out too, or give the schema's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CATEGORIES", "Call", "Case", "OneOf", "Ref", "all_cases"]

CATEGORIES = ("single", "choice", "parallel", "chain")


@dataclass(frozen=True)
class Ref:
    """The result of expected call ``call`` (0-based), at ``path`` (keys, indices)."""

    call: int
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class OneOf:
    """Any of these values is right."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: dict[str, Any]
    result: Any = None  # what the API returns (chains: what later calls read)


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    source: str  # the documentation page the functions follow
    question: str
    functions: list[dict[str, Any]]  # {"name", "description", "parameters"}
    expected: list[Call]
    notes: str = field(default="")


def all_cases(categories: tuple[str, ...] = CATEGORIES) -> list[Case]:
    import importlib

    return [
        c for cat in categories for c in importlib.import_module(f"bench.plan_cases.{cat}").CASES
    ]
