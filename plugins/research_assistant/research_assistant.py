"""research-assistant: answers a question from your files, citing the ones it used.

1. ``fs.retrieve`` (hybrid: semantic and keyword, rank-fused) over the LSFS folders
   the manifest lets it read (``docs`` by default);
2. ``fs.read`` of the best files: their best-matching passages become numbered
   sources;
3. one ``llm.chat`` that answers from those sources only, citing them as [n].

The result's ``sources`` are exactly the files it read and gave the model (every one
returned by the search); the answer ends with the list ``[n] path``. A citation the
model invents ([7] of three sources) is removed, never shown as a source.

The task is the question, or JSON: ``{"question": ..., "folder": "docs/papers",
"top_k": 3}``.

    aios agents run research-assistant "How does the scheduler preempt a generation?"
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aios.agents.sdk import Agent
from aios.errors import BadRequest

__all__ = ["Request", "ResearchAssistant", "cite", "parse_task", "tidy"]

SYSTEM = (
    "You answer a question using only the numbered sources given. Cite the sources "
    "you use as [1], [2]. If the sources do not answer it, say so. Be brief."
)
CONTEXT_CHARS = 2400  # what the sources may take of the prompt (small models: 1-4k tokens)
NOTHING = "No file in the folders I may read matches this question."
NO_SUMMARY = "(The model gave no summary: see the passages of the sources.)"
_HEADER = re.compile(r"^\s*(?:\[\d{1,3}\]\s*)+\S*:?\s*$")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=2000)
    folder: str = Field(default="", max_length=1024, description="only search under this")
    top_k: int = Field(default=3, ge=1, le=8, description="files to read and cite")
    max_tokens: int = Field(default=160, ge=16, le=1024)


def parse_task(task: str) -> Request:
    """The question, plain or as JSON; ValueError says what is wrong."""
    text = (task or "").strip()
    try:
        if text.startswith("{"):
            return Request.model_validate(json.loads(text))
        return Request(question=text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the task looks like JSON but is not: {exc.msg}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(x) for x in first["loc"]) or "task"
        raise ValueError(f"{where}: {first['msg']}") from None


def cite(text: str, n_sources: int) -> tuple[str, list[int]]:
    """``text`` without citations of sources that do not exist, and the numbers of
    the sources it cites (each once, in order)."""
    cited: list[int] = []

    def keep(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= n_sources:
            if n not in cited:
                cited.append(n)
            return m.group(0)
        return ""

    return re.sub(r"\[(\d{1,3})\]", keep, text).strip(), cited


def tidy(text: str) -> str:
    """The model's reply without what small models pad it with: lines that only
    repeat a source's header ("[2] docs/a.md:") and lines said before."""
    seen: set[str] = set()
    out: list[str] = []
    for line in text.splitlines():
        key = " ".join(line.split()).casefold()
        if _HEADER.match(line) or (key and key in seen):
            continue
        seen.add(key)
        out.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _excerpt(content: Any, hit: dict[str, Any], limit: int) -> str:
    """The passage the search matched (the file's best chunk); the file's start if the
    file changed since it was indexed. A binary file (PDF, DOCX) keeps the passage:
    it is the text extracted when it was indexed. At most ``limit`` characters."""
    text = hit.get("text")
    passage = text if isinstance(text, str) else ""
    if isinstance(content, str) and (not passage.strip() or passage.strip() not in content):
        passage = content
    return " ".join(passage.split())[:limit]


class ResearchAssistant(Agent):
    """Answers a question from your LSFS files, citing the files it used."""

    async def run(self, task: str, ctx: Any) -> dict[str, Any]:
        req = parse_task(task)
        found = await ctx.fs.retrieve(
            req.question, mode="hybrid", top_k=req.top_k, prefix=req.folder
        )
        hits = [h for h in found.get("hits", []) if isinstance(h.get("path"), str)]
        hits = list({h["path"]: h for h in reversed(hits)}.values())[::-1][: req.top_k]
        if not hits:
            return {"question": req.question, "answer": NOTHING, "sources": [], "cited": []}
        per_source = CONTEXT_CHARS // len(hits)
        passages: list[dict[str, Any]] = []
        for hit in hits:
            try:
                content: str | None = await ctx.fs.read(hit["path"])
            except BadRequest:  # not UTF-8 text (a PDF): the indexed passage stands
                content = None
            passages.append(
                {
                    "source": len(passages) + 1,
                    "path": hit["path"],
                    "line": hit.get("line"),
                    "text": _excerpt(content, hit, per_source),
                }
            )
        sources = [p["path"] for p in passages]
        blocks = [f"[{p['source']}] {p['path']}:\n{p['text']}" for p in passages]
        prompt = "Sources:\n" + "\n\n".join(blocks) + f"\n\nQuestion: {req.question}"
        reply = await ctx.llm.chat(
            prompt,
            system=SYSTEM,
            max_tokens=req.max_tokens,
            temperature=0,
            repeat_penalty=1.3,  # small models loop on the source list otherwise
            stop=["\nSources", "\nQuestion:", "\n\n["],
        )
        summary, cited = cite(tidy(reply), len(sources))
        listing = "\n".join(f"[{i}] {p}" for i, p in enumerate(sources, 1))
        return {
            "question": req.question,
            "answer": f"{summary or NO_SUMMARY}\n\nSources:\n{listing}",
            "summary": summary,
            "sources": sources,
            "cited": [sources[n - 1] for n in cited],
            "passages": passages,
        }
