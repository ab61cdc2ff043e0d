"""fs_quality: retrieval quality of keyword, semantic and hybrid search.

Corpus: real text, the 79 topics of the Python language reference (pydoc_data).
Queries: written by hand, as a user would ask them, some in the reference's own
words and some not; each is labelled with the topics that answer it. Metrics:
recall@5 and nDCG@10 at file level. Goal: hybrid at least as good as the better
single mode.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from aios.fs.embed import Embedder
from aios.kernel import ADMIN, Kernel
from bench.common import bench_config, record, report

# query -> relevant topics (files reference/<topic>.txt)
LABELS: dict[str, list[str]] = {
    "how do I handle an error so my program does not crash": ["try", "exceptions"],
    "what happens when an exception is raised": ["exceptions", "raise"],
    "repeat a block of code for every element of a collection": ["for"],
    "keep looping until a condition becomes false": ["while"],
    "leave a loop early": ["break"],
    "skip the rest of the current loop iteration": ["continue"],
    "make sure a file gets closed after I use it": ["with", "context-managers"],
    "write my own class that works with the with statement": ["context-managers"],
    "define a reusable piece of code that takes arguments": ["function"],
    "small anonymous function in one expression": ["lambda"],
    "generator that produces values lazily": ["yield"],
    "give back a value from a function": ["return"],
    "modify a variable from the enclosing function scope": ["nonlocal"],
    "change a module level variable inside a function": ["global"],
    "bring in code from another module": ["import"],
    "create a new type with methods and attributes": ["class"],
    "special methods like __init__ and __repr__": ["customization", "specialnames"],
    "overload the + operator for my objects": ["specialnames", "numeric-types"],
    "check that a condition holds while debugging": ["assert"],
    "remove a name or an item from a list": ["del"],
    "do nothing placeholder statement": ["pass"],
    "choose between branches depending on a condition": ["if"],
    "coroutines with async and await": ["async", "await"],
    "mapping of keys to values": ["typesmapping", "dict"],
    "methods available on str objects": ["string-methods"],
    "format values inside a string literal with braces": ["formatstrings"],
    "get part of a list using start and stop indices": ["slicings", "typesseq"],
    "operations that change a list in place": ["typesseq-mutable"],
    "which values count as true or false": ["truth", "booleans"],
    "and or not operators": ["booleans"],
    "comparing objects with less than and equality": ["comparisons"],
    "shifting bits left and right": ["shifting", "bitwise"],
    "exponentiation operator": ["power"],
    "operator precedence table": ["operator-summary"],
    "augmented assignment like x += 1": ["augassign"],
    "unpack a tuple into several variables": ["assignment"],
    "complex numbers with an imaginary part": ["imaginary", "numbers"],
    "how python looks up names in scopes": ["naming", "execmodel"],
    "the pdb interactive debugger": ["debugger"],
    "the None object": ["bltin-null-object"],
}


def ndcg_at(ranked: list[str], relevant: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant)


async def _run() -> dict[str, Any]:
    from pydoc_data.topics import topics

    embedder = Embedder()
    cfg = bench_config(
        llm={"cores": [{"kind": "llamacpp", "n_ctx": 512, "n_seq": 1}]}, fs={"watch": False}
    )
    out: dict[str, Any] = {"per_query": {}}
    async with Kernel(cfg, embedder=embedder) as k:
        assert k.fs is not None
        for name, text in topics.items():
            await k.syscall(ADMIN, "fs.write", {"path": f"reference/{name}.txt", "content": text})
        assert await asyncio.to_thread(k.fs.indexer.wait_idle, 3600)
        for mode in ("keyword", "semantic", "hybrid"):
            recalls, ndcgs = [], []
            for query, rel in LABELS.items():
                res: Any = await k.syscall(
                    ADMIN, "fs.retrieve", {"query": query, "mode": mode, "top_k": 10}
                )
                ranked = [
                    h["path"].removeprefix("reference/").removesuffix(".txt") for h in res.hits
                ]
                recalls.append(recall_at(ranked, set(rel), 5))
                ndcgs.append(ndcg_at(ranked, set(rel), 10))
                out["per_query"].setdefault(query, {})[mode] = ranked[:5]
            out[mode] = {
                "recall@5": sum(recalls) / len(recalls),
                "ndcg@10": sum(ndcgs) / len(ndcgs),
            }
    return out


def main() -> None:
    r = asyncio.run(_run())
    best_recall = max(r["keyword"]["recall@5"], r["semantic"]["recall@5"])
    best_ndcg = max(r["keyword"]["ndcg@10"], r["semantic"]["ndcg@10"])
    records = []
    for mode in ("keyword", "semantic"):
        records.append(
            record(f"{mode}: recall@5", r[mode]["recall@5"], None, goal="(single mode)", met=None)
        )
        records.append(
            record(f"{mode}: nDCG@10", r[mode]["ndcg@10"], None, goal="(single mode)", met=None)
        )
    records.append(
        record(
            "hybrid: recall@5",
            r["hybrid"]["recall@5"],
            best_recall,
            goal=">= best single mode",
            met=r["hybrid"]["recall@5"] >= best_recall - 1e-9,
            note=f"{len(LABELS)} hand-written queries, 79 reference topics",
        )
    )
    records.append(
        record(
            "hybrid: nDCG@10",
            r["hybrid"]["ndcg@10"],
            best_ndcg,
            goal=">= best single mode",
            met=r["hybrid"]["ndcg@10"] >= best_ndcg - 1e-9,
        )
    )
    report("fs_quality", records, r)


if __name__ == "__main__":
    main()
