"""Approved calls: what a person said yes to, ahead of time.

A process that asks a person about a whole piece of work (``approval.request`` with
``calls``: a plan's tool calls, or one built-in's syscall) gets, once the person
approves, one grant per listed call. A later call of that process that the approval
policy would stop waits for nobody if it is one of them: same syscall, same tool,
the same arguments (a ``{"$ref": N, "path": [...]}`` value stands for whatever
task N returns, as the person was shown it, and only in a call a plan makes). Each
grant is used once, lasts at most ``GRANT_S``, and goes with its process, or when the
process releases its approval (``approval.release``: the work is done).
Permissions are checked as always: a grant only spares the question.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["GRANT_S", "MAX_GRANTS", "Grant", "Grants", "has_ref", "is_ref", "same_args"]

log = logging.getLogger(__name__)

GRANT_S = 3600.0  # how long after the decision an approved call may still run
MAX_GRANTS = 256  # per process: older ones go first


@dataclass(eq=False)
class Grant:
    approval: int
    syscall: str
    tool: str | None
    args: dict[str, Any]
    expires_at: float
    refs: bool = False  # it holds references: only a plan's call can match it


def is_ref(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) <= {"$ref", "path"}
        and isinstance(value.get("$ref"), int)
        and not isinstance(value.get("$ref"), bool)
    )


def has_ref(value: Any) -> bool:
    """Whether a reference is anywhere in ``value``."""
    stack = [value]
    while stack:
        v = stack.pop()
        if is_ref(v):
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def same_args(granted: Any, actual: Any) -> bool:
    """Whether ``actual`` is what was granted: equal JSON, where a reference in the
    grant matches any value (at any depth, only where the grant has one)."""
    stack = [(granted, actual)]
    while stack:
        g, a = stack.pop()
        if is_ref(g):
            continue
        if isinstance(g, dict):
            if not isinstance(a, dict) or set(g) != set(a):
                return False
            stack.extend((g[k], a[k]) for k in g)
        elif isinstance(g, list):
            if not isinstance(a, list) or len(g) != len(a):
                return False
            stack.extend(zip(g, a, strict=True))
        elif _canon(g) != _canon(a) or isinstance(g, bool) != isinstance(a, bool):
            return False
    return True


class Grants:
    """The unused grants of every live process."""

    def __init__(self) -> None:
        self._by_pid: dict[int, list[Grant]] = {}

    def add(self, pid: int, approval: int, calls: list[dict[str, Any]]) -> None:
        expires = time.time() + GRANT_S
        mine = self._by_pid.setdefault(pid, [])
        for c in calls:
            args = c.get("args") or {}
            grant = Grant(approval, c["syscall"], c.get("tool"), args, expires, has_ref(args))
            mine.append(grant)
        del mine[:-MAX_GRANTS]

    def take(
        self, pid: int, syscall: str, tool: str | None, args: Any, *, planned: bool = False
    ) -> int | None:
        """Use up the grant that covers this call; the approval it came from, or None.
        A grant with references covers only a call a plan makes (``planned``)."""
        mine = self._by_pid.get(pid)
        if not mine:
            return None
        now = time.time()
        mine[:] = [g for g in mine if g.expires_at > now]
        for g in mine:
            if g.refs and not planned:
                continue
            if g.syscall == syscall and g.tool == tool and same_args(g.args, args or {}):
                mine.remove(g)
                log.info("pid %d: %s runs as approved (approval %d)", pid, tool or syscall,
                         g.approval)  # fmt: skip
                return g.approval
        return None

    def release(self, pid: int, approval: int) -> int:
        """Drop a process's unused grants from one approval (its work is done); how many."""
        mine = self._by_pid.get(pid, [])
        kept = [g for g in mine if g.approval != approval]
        released = len(mine) - len(kept)
        if mine:
            mine[:] = kept
        return released

    def held(self, pid: int) -> int:
        return len(self._by_pid.get(pid, ()))

    def forget_process(self, pid: int) -> None:
        self._by_pid.pop(pid, None)
