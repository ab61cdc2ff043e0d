"""Who descends from whom: a process may act on itself and its descendants.

Each live process keeps its chain of ancestors (``Lineage``, shared with its
parent's), so the question needs no database while the chain is in memory: for live
processes, and a bounded number of recently ended ones. For the rest the store walks
the parents' chain in one recursive query.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aios.kernel.store import Store

__all__ = ["Ancestry", "Lineage"]

KEEP_ENDED = 4096  # recently ended processes whose lineage is kept in memory
MAX_DEPTH = 64  # a chain kept in memory; deeper ancestors are the database's (a relay
# of processes each spawning the next would otherwise keep every ancestor alive)


@dataclass(frozen=True, slots=True)
class Lineage:
    pid: int
    parent: int | None
    up: Lineage | None  # the parent's lineage; None if unknown (or no parent)
    depth: int = 0  # links to the farthest ancestor kept

    @staticmethod
    def of(pid: int, parent: int | None, up: Lineage | None) -> Lineage:
        if up is None or up.depth + 1 >= MAX_DEPTH:
            return Lineage(pid, parent, None)
        return Lineage(pid, parent, up, up.depth + 1)

    def reaches(self, ancestor: int) -> bool | None:
        """True if ``ancestor`` is this process or an ancestor; None if unknown."""
        node: Lineage | None = self
        while node is not None:
            if node.pid == ancestor:
                return True
            if node.parent is None:
                return False
            node = node.up
        return None


class Ancestry:
    def __init__(self, store: Store, live: Callable[[int], Lineage | None]) -> None:
        self._store = store
        self._live = live
        self._ended: OrderedDict[int, Lineage] = OrderedDict()

    def ended(self, lineage: Lineage) -> None:
        self._ended[lineage.pid] = lineage
        while len(self._ended) > KEEP_ENDED:
            self._ended.popitem(last=False)

    def forget_ended(self) -> None:
        self._ended.clear()

    def known(self, pid: int, ancestor: int) -> bool | None:
        """From memory only: None when the answer needs the database."""
        if pid == ancestor:
            return True
        lineage = self._live(pid) or self._ended.get(pid)
        return lineage.reaches(ancestor) if lineage is not None else None

    async def among(self, pids: Iterable[int], ancestor: int) -> set[int]:
        """Those of ``pids`` that are ``ancestor`` or its descendants."""
        out, unknown = set(), []
        for pid in set(pids):
            known = self.known(pid, ancestor)
            if known is None:
                unknown.append(pid)
            elif known:
                out.add(pid)
        if unknown:
            out |= await self._store.areaching(unknown, ancestor)
        return out
