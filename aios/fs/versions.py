"""A file's versions: its history, diffs between versions, and rollback (which is
itself a new version, so nothing is ever lost)."""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import select

from aios.errors import BadRequest, NotFound
from aios.fs.fs import LSFS
from aios.fs.models import VersionRow

__all__ = ["diff", "history", "rollback"]


def history(fs: LSFS, path: str) -> list[dict[str, Any]]:
    rel = fs.paths.norm(path)
    with fs.sessions() as s:
        row = fs.require(s, rel, "file")
        vs = s.scalars(
            select(VersionRow).where(VersionRow.file_id == row.id).order_by(VersionRow.n)
        )
        return [
            {
                "version": v.n,
                "sha256": v.sha256,
                "size": v.size,
                "at": v.created_at,
                "op": v.op,
                "author": v.author,
                "path": v.path,
                "note": v.note,
            }
            for v in vs
        ]


def diff(fs: LSFS, path: str, a: int | None = None, b: int | None = None) -> str:
    """Unified diff from version a (default: the one before b) to b (default: now)."""
    rel = fs.paths.norm(path)
    with fs.sessions() as s:
        row = fs.require(s, rel, "file")
        b = b or row.version
        a = a if a is not None else max(1, b - 1)
        va, vb = fs.version_of(s, row, a), fs.version_of(s, row, b)
    old, new = fs.blobs.get(va.sha256), fs.blobs.get(vb.sha256)
    try:
        lines_a = old.decode("utf-8").splitlines(keepends=True)
        lines_b = new.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"binary content: v{a} ({va.size} bytes) -> v{b} ({vb.size} bytes)\n"
    return "".join(difflib.unified_diff(lines_a, lines_b, f"{rel}@v{a}", f"{rel}@v{b}"))


def rollback(
    fs: LSFS, path: str, *, author: str, n: int | None = None, at: float | None = None
) -> dict[str, Any]:
    """Go back ``n`` versions, or to the version current at time ``at``;
    recorded as a new version."""
    if (n is None) == (at is None):
        raise BadRequest("give either n (versions back) or at (a time)")
    rel = fs.paths.norm(path)
    with fs.lock:
        with fs.sessions() as s:
            row = fs.require(s, rel, "file")
            if n is not None:
                if n < 1 or n >= row.version:
                    raise BadRequest(
                        f"{rel!r} has {row.version} versions; n must be 1..{row.version - 1}"
                    )
                target = fs.version_of(s, row, row.version - n)
            else:
                found = s.scalars(
                    select(VersionRow)
                    .where(VersionRow.file_id == row.id, VersionRow.created_at <= at)
                    .order_by(VersionRow.n.desc())
                ).first()
                if found is None:
                    raise NotFound(f"{rel!r} did not exist at {at}")
                target = found
        return fs.write(
            rel,
            fs.blobs.get(target.sha256),
            author=author,
            op="rollback",
            note=f"to v{target.n}",
        )
