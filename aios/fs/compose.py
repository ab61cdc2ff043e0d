"""What LSFS builds out of reads and writes: joined files, grouped copies, and
shared links (unguessable, expiring URLs of one file or version)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from aios.errors import Conflict, NotFound
from aios.fs.fs import LSFS
from aios.fs.models import FileRow, LinkRow

__all__ = ["group", "join", "make_link", "open_link"]


def join(
    fs: LSFS, a: str, b: str, dst: str, *, author: str, separator: str = "\n"
) -> dict[str, Any]:
    da, _ = fs.read(a)
    db, _ = fs.read(b)
    return fs.write(
        dst,
        da + separator.encode() + db,
        author=author,
        op="join",
        exclusive=True,
        note=f"{a} + {b}",
    )


def group(fs: LSFS, paths: list[str], folder: str, *, author: str) -> list[str]:
    """Copy files into a new folder (blobs are shared, so copies cost no storage)."""
    fs.mkdir(folder, author=author)
    out = []
    for p in paths:
        data, meta = fs.read(p)
        name = meta["path"].rsplit("/", 1)[-1]
        target, i = f"{fs.paths.norm(folder)}/{name}", 2
        while True:
            try:
                fs.write(
                    target,
                    data,
                    author=author,
                    op="create",
                    exclusive=True,
                    note=f"grouped from {meta['path']}",
                )
                break
            except Conflict:
                stem, dot, ext = name.rpartition(".")
                base = f"{stem}-{i}.{ext}" if dot else f"{name}-{i}"
                target, i = f"{fs.paths.norm(folder)}/{base}", i + 1
        out.append(target)
    return out


def make_link(
    fs: LSFS, path: str, *, author: str, ttl_s: float | None = None, version: int | None = None
) -> dict[str, Any]:
    _, meta = fs.read(path, version)
    ttl = min(ttl_s or fs.cfg.link_ttl_s, 30 * 86400)
    token = secrets.token_urlsafe(32)
    now = time.time()
    with fs.tx() as s:
        row = fs.require(s, meta["path"], "file")
        s.add(
            LinkRow(
                token=token,
                file_id=row.id,
                version=version,
                created_at=now,
                expires_at=now + ttl,
                created_by=author,
            )
        )
    return {"token": token, "path": meta["path"], "expires_at": now + ttl, "version": version}


def open_link(fs: LSFS, token: str) -> tuple[bytes, str, str]:
    """(content, mime, file name); NotFound if unknown or expired."""
    with fs.sessions() as s:
        link = s.get(LinkRow, token)
        if link is None or link.expires_at < time.time():
            raise NotFound("no such link, or it has expired")
        row = s.get(FileRow, link.file_id)
        if row is None or row.deleted:
            raise NotFound("the linked file was deleted")
        path, version = row.path, link.version
    data, meta = fs.read(path, version)
    return data, meta.get("mime") or "application/octet-stream", path.rsplit("/", 1)[-1]
