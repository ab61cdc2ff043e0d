"""file-organizer: sorts a folder's files into topic folders, with a person's say-so.

1. Dry run: for each topic, the same semantic search over the folder that
   ``fs.group_by`` runs (``fs.retrieve``, limited to the folder); each file goes to
   the topic it matches best. The result is the list of proposed moves; nothing is
   touched.
2. ``ctx.approve`` shows a person the moves (``aios approvals``, the API, MCP).
   Denied, or unanswered: nothing moves.
3. Approved: ``fs.mv`` of each file into ``<folder>/<topic>/`` (LSFS keeps each
   file's history across the move). A file that changed or vanished since the dry
   run is reported in ``failed``; the others still move.

``fs.group_by`` itself copies every match of one query into a folder (a file can
land in several, and the originals stay); organizing wants each file moved once,
so the organizer plans with the search and moves with ``fs.mv``.

The task: ``inbox: recipes, invoices, travel`` (folder, then topics), or JSON
``{"folder": "inbox", "topics": [...], "dry_run": true, "min_score": 0.2}``. Without
topics the model proposes a few from the file names.

    aios agents run file-organizer "inbox: recipes, invoices, travel notes"
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aios.agents.sdk import Agent

__all__ = ["FileOrganizer", "Request", "parse_task", "plan_moves", "slug"]

MAX_TOPICS = 12
MAX_FILES = 200  # the most fs.retrieve returns per query
TOPICS_SCHEMA = {
    "type": "object",
    "properties": {
        "topics": {
            "type": "array",
            "items": {"type": "string", "maxLength": 30},
            "minItems": 2,
            "maxItems": 5,
        }
    },
    "required": ["topics"],
}


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")
    folder: str = Field(min_length=1, max_length=1024)
    topics: list[str] = Field(default_factory=list, max_length=MAX_TOPICS)
    dry_run: bool = False
    min_score: float | None = Field(
        default=None, ge=-1.0, le=1.0, description="leave files that match no topic this well"
    )


def parse_task(task: str) -> Request:
    """``folder: topic, topic`` or JSON; ValueError says what is wrong."""
    text = (task or "").strip()
    try:
        if text.startswith("{"):
            return Request.model_validate(json.loads(text))
        folder, _, rest = text.partition(":")
        topics = [t.strip() for t in rest.split(",") if t.strip()]
        return Request(folder=folder.strip().strip("/"), topics=topics)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the task looks like JSON but is not: {exc.msg}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(x) for x in first["loc"]) or "task"
        raise ValueError(
            f'{where}: {first["msg"]} (write "FOLDER: topic, topic" or JSON)'
        ) from None


def slug(topic: str) -> str:
    """A topic's folder name: lower case letters, digits and dashes."""
    s = re.sub(r"[^a-z0-9]+", "-", topic.casefold()).strip("-")[:40].strip("-")
    if not s:
        raise ValueError(f"topic {topic[:40]!r} has no letters or digits to name a folder")
    return s


def plan_moves(
    folder: str,
    files: list[str],
    scores: dict[str, dict[str, float]],
    *,
    taken: set[str] | None = None,
    min_score: float | None = None,
) -> list[dict[str, Any]]:
    """The moves: each file of ``files`` to the topic that scores it best.

    ``scores[topic][path]`` is the search's similarity; a file no topic found (or
    none scored at least ``min_score``) stays where it is. ``taken``: paths that
    already exist, never a destination.
    """
    taken = set(taken or ())
    moves = []
    for path in files:
        best = max(
            ((s[path], t) for t, s in scores.items() if path in s),
            default=None,
            key=lambda st: st[0],
        )
        if best is None or (min_score is not None and best[0] < min_score):
            continue
        score, topic = best
        name = path.rsplit("/", 1)[-1]
        dst = f"{folder}/{slug(topic)}/{name}" if folder else f"{slug(topic)}/{name}"
        if dst in taken:
            continue
        taken.add(dst)
        moves.append({"src": path, "dst": dst, "topic": topic, "score": round(score, 4)})
    return moves


class FileOrganizer(Agent):
    """Sorts a folder's files into topic folders: dry run, approval, then moves."""

    async def run(self, task: str, ctx: Any) -> dict[str, Any]:
        req = parse_task(task)
        folder = req.folder.strip("/")
        listing = await ctx.fs.ls(folder)
        entries = listing.get("entries", [])
        files = [e["path"] for e in entries if e.get("kind") == "file"][:MAX_FILES]
        out: dict[str, Any] = {"folder": folder, "moves": [], "moved": [], "failed": []}
        if not files:
            return {**out, "dry_run": req.dry_run, "approved": None, "note": "no files to sort"}
        topics = list(dict.fromkeys(req.topics)) or await self._topics(ctx, files)
        slugs = {slug(t) for t in topics}  # a bad topic fails here, before anything moves
        scores: dict[str, dict[str, float]] = {}
        for topic in topics:
            found = await ctx.fs.retrieve(
                topic, mode="semantic", top_k=MAX_FILES, prefix=folder, unit="file"
            )
            scores[topic] = {h["path"]: float(h["score"]) for h in found.get("hits", [])}
        taken = {e["path"] for e in entries}
        for s in slugs:  # files already sorted into a topic folder keep their names
            sub = f"{folder}/{s}" if folder else s
            if sub in taken:
                taken |= {e["path"] for e in (await ctx.fs.ls(sub)).get("entries", [])}
        moves = plan_moves(folder, files, scores, taken=taken, min_score=req.min_score)
        out = {**out, "topics": topics, "moves": moves}
        if req.dry_run or not moves:
            return {**out, "dry_run": True, "approved": None}
        summary = f"Move {len(moves)} file(s) of {folder or '/'} into {len(slugs)} topic folder(s)"
        approved = await ctx.approve(summary, details={"folder": folder, "moves": moves})
        if not approved:
            return {**out, "dry_run": False, "approved": False}
        for m in moves:
            try:
                await ctx.fs.mv(m["src"], m["dst"])
            except Exception as exc:  # changed or gone since the dry run: say so, go on
                out["failed"].append({**m, "error": str(exc)[:300]})
            else:
                out["moved"].append(m)
        return {**out, "dry_run": False, "approved": True}

    async def _topics(self, ctx: Any, files: list[str]) -> list[str]:
        """A few topics proposed by the model from the file names (JSON-constrained)."""
        names = "\n".join(p.rsplit("/", 1)[-1] for p in files[:60])
        reply = await ctx.llm.chat(
            f"Files:\n{names}\n\nName 2 to 5 short topics to sort these files into.",
            system="You sort files into folders. Reply in JSON.",
            json_schema=TOPICS_SCHEMA,
            max_tokens=120,
            temperature=0,
        )
        try:
            proposed = json.loads(reply).get("topics", [])
        except (ValueError, AttributeError):
            proposed = []
        topics: list[str] = []
        for t in proposed:
            try:
                if isinstance(t, str) and slug(t) not in {slug(x) for x in topics}:
                    topics.append(t.strip())
            except ValueError:
                continue
        if not topics:
            raise ValueError('could not propose topics: name them, e.g. "inbox: recipes, travel"')
        return topics[:MAX_TOPICS]
