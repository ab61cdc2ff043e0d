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

__all__ = ["ToolNarrower", "tool_text", "tool_texts"]

log = logging.getLogger(__name__)

_CACHE = 4096  # tool texts whose vectors are kept (up to 1 + _MAX_CLAUSES a tool)
NAMED_BONUS = 0.15  # a question that names the tool ("delete", "calculate") ranks it higher
VERB_BONUS = 0.1  # or a word its description starts with ("Move or rename ...": "rename")
_LEAD_ENDS = frozenset("a an the to of in for with about from on its it by as at".split())
_LEAD_SKIPS = frozenset("what when where which who whose how why".split())  # no verbs
_WORD = re.compile(r"[a-z0-9]+")
_TEXT_CHARS = 600
_CLAUSE = re.compile(r"[;:()]|, or |\. ")  # where a description's clauses end
_MAX_CLAUSES = 3


def tool_text(spec: ToolSpec) -> str:
    """What a tool is compared by: its name in words, its description, its parameters."""
    props = (spec.parameters or {}).get("properties") or {}
    params = " ".join(str(p).replace("_", " ") for p in props)
    name = spec.name.replace("_", " ").replace(".", " ")
    return f"{name}: {spec.description} ({params})"[:_TEXT_CHARS]


def tool_texts(spec: ToolSpec) -> list[str]:
    """``tool_text`` and each clause of the description with the tool's name: a
    request is compared with each and ranks the tool by the nearest. A description
    says several things ("delete a file, or a folder and all in it"); the whole
    text's one vector is nearer the files a request names than what it asks done."""
    name = spec.name.replace("_", " ").replace(".", " ")
    out = [tool_text(spec)]
    if "." in spec.name:  # an MCP server's: its words are the server's, one text only
        return out
    for clause in _CLAUSE.split(spec.description[:_TEXT_CHARS]):
        words = clause.split()
        if len(words) >= 2 and len(out) <= _MAX_CLAUSES:
            out.append(f"{name}: {' '.join(words)}")
    return out


def named(part: str, words: list[str]) -> bool:
    """Whether a word of the question starts as ``part`` (a word of a tool's name) does:
    "delete" names fs_delete, "calculate" the calculator; "fs" and the like never."""
    if len(part) < 4:
        return False
    stem = part[:5]
    return any(w.startswith(stem) or (len(w) >= 5 and part.startswith(w)) for w in words)


def lead_words(description: str) -> list[str]:
    """The words a description starts with, before its first article or preposition:
    what the tool does ("Move or rename a file" gives move, rename)."""
    out = []
    for w in _WORD.findall(description.casefold()[:_TEXT_CHARS]):
        if w in _LEAD_ENDS:
            break
        if len(w) >= 4 and w not in _LEAD_SKIPS:
            out.append(w)
    return out


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
        out = np.stack([self._vectors[t] for t in texts])  # before evicting: texts may be many
        while len(self._vectors) > _CACHE:
            self._vectors.popitem(last=False)
        return out

    def rank(self, query: str, specs: list[ToolSpec]) -> list[tuple[float, ToolSpec]]:
        """Every tool with its cosine similarity to ``query`` (its nearest text's, plus
        ``NAMED_BONUS`` if the question has a word its name starts as, or else
        ``VERB_BONUS`` for a word its description starts with), nearest first."""
        q = np.asarray(self.embedder.encode_query(query), dtype=np.float32).reshape(-1)
        texts = [tool_texts(s) for s in specs]
        sims = self._tool_vectors([t for ts in texts for t in ts]) @ q
        scores, at = np.empty(len(specs), dtype=np.float32), 0
        for i, ts in enumerate(texts):  # each tool by its nearest text
            scores[i] = sims[at : at + len(ts)].max()
            at += len(ts)
        words = _WORD.findall(query.casefold())
        for i, s in enumerate(specs):
            if any(named(part, words) for part in _WORD.findall(s.name.casefold())):
                scores[i] += NAMED_BONUS
            elif "." not in s.name and any(named(p, words) for p in lead_words(s.description)):
                scores[i] += VERB_BONUS  # never for an MCP tool: the server writes its words
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
