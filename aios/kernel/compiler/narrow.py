"""Narrowing the planner's tools: when many are offered, plan with the few whose
descriptions are nearest the question in meaning (the bundled embedding model).

A small model offered a dozen tools mostly picks the one that is easiest to call
(one without required arguments) whatever was asked, and even among the three
nearest it often picks wrong, while the nearest one by meaning is the right first
call about three times in four (the shell benchmark). So the planner sees the
nearest few, and its first task calls the nearest (``compiler.lead_tool``); later
tasks choose among the few. Only the planner's choice is narrowed: a plan the caller
gives is checked against every tool it may use.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from aios.tools.registry import ToolSpec

__all__ = ["ToolNarrower", "tool_text"]

log = logging.getLogger(__name__)

_CACHE = 1024  # tool texts whose vectors are kept
NAMED_BONUS = 0.15  # a question that names the tool ("delete", "calculate") ranks it higher
_WORD = re.compile(r"[a-z0-9]+")
_TEXT_CHARS = 600


def tool_text(spec: ToolSpec) -> str:
    """What a tool is compared by: its name in words, its description, its parameters."""
    props = (spec.parameters or {}).get("properties") or {}
    params = " ".join(str(p).replace("_", " ") for p in props)
    name = spec.name.replace("_", " ").replace(".", " ")
    return f"{name}: {spec.description} ({params})"[:_TEXT_CHARS]


def named(part: str, words: list[str]) -> bool:
    """Whether a word of the question starts as ``part`` (a word of a tool's name) does:
    "delete" names fs_delete, "calculate" the calculator; "fs" and the like never."""
    if len(part) < 4:
        return False
    stem = part[:5]
    return any(w.startswith(stem) or (len(w) >= 5 and part.startswith(w)) for w in words)


class ToolNarrower:
    """Ranks tools by similarity to a question; tool vectors are cached by text."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def _tool_vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        for t in missing:  # the query path: thread-safe, and fast for short texts
            self._vectors[t] = np.asarray(self.embedder.encode_query(t), dtype=np.float32)
        for t in texts:
            self._vectors.move_to_end(t)
        while len(self._vectors) > _CACHE:
            self._vectors.popitem(last=False)
        return np.stack([self._vectors[t] for t in texts])

    def rank(self, query: str, specs: list[ToolSpec]) -> list[tuple[float, ToolSpec]]:
        """Every tool with its cosine similarity to ``query`` (plus ``NAMED_BONUS`` if
        the question has a word its name starts as), nearest first."""
        q = np.asarray(self.embedder.encode_query(query), dtype=np.float32).reshape(-1)
        scores = self._tool_vectors([tool_text(s) for s in specs]) @ q
        words = _WORD.findall(query.casefold())
        for i, s in enumerate(specs):
            if any(named(part, words) for part in _WORD.findall(s.name.casefold())):
                scores[i] += NAMED_BONUS
        order = sorted(range(len(specs)), key=lambda i: -float(scores[i]))
        return [(float(scores[i]), specs[i]) for i in order]

    def narrow(
        self, query: str, specs: list[ToolSpec], keep: int
    ) -> tuple[list[ToolSpec], str | None]:
        """The ``keep`` nearest tools, in the order they were offered, and the
        nearest one's name."""
        if keep <= 0 or len(specs) <= keep:
            return specs, None
        ranked = self.rank(query, specs)
        kept = {id(s) for _, s in ranked[:keep]}
        nearest = ranked[0][1].name
        # an MCP server's tool ("server.tool") is never forced first: its description is
        # the server's to write, and words stuffed into it would take plans' first steps
        return [s for s in specs if id(s) in kept], None if "." in nearest else nearest

    async def anarrow(
        self, query: str, specs: list[ToolSpec], keep: int
    ) -> tuple[list[ToolSpec], str | None]:
        """``narrow`` off the event loop; on any failure of the model, every tool."""
        try:
            return await asyncio.to_thread(self.narrow, query, specs, keep)
        except Exception as exc:  # a missing or broken embedding model: plan with all
            log.warning("narrowing the planner's tools failed, using all: %s", exc)
            return specs, None
