"""Bringing the mount root, the database and the vector index back in line.

``reconcile`` runs at start: files changed on disk while the daemon was down
become new versions, new files are adopted, files the database has but the disk
lost are restored from their blobs, and the vector index loses vectors no chunk
row points at and gains what is missing. ``sync_external`` does the same for the
paths the monitor saw change while running; a file moved outside aios keeps its
history (matched by content).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from aios.errors import AiosError
from aios.fs.blobs import atomic_write, sha256
from aios.fs.models import ChunkRow, FileRow

if TYPE_CHECKING:
    from aios.fs.fs import LSFS

__all__ = ["is_ignored", "reconcile", "sync_external"]

log = logging.getLogger(__name__)

EXTERNAL = "external"


def is_ignored(rel: str) -> bool:
    """Our own temporary files, and hidden files, are not part of the file system."""
    return any(part.startswith(".") for part in rel.split("/"))


def _walk(root: Path) -> tuple[dict[str, os.stat_result], set[str]]:
    files: dict[str, os.stat_result] = {}
    dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath).relative_to(root).as_posix()
        base = "" if base == "." else base
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for d in dirnames:
            rel = f"{base}/{d}" if base else d
            if os.path.islink(os.path.join(dirpath, d)):
                continue
            dirs.add(rel)
        for f in filenames:
            rel = f"{base}/{f}" if base else f
            full = os.path.join(dirpath, f)
            if is_ignored(rel) or os.path.islink(full):
                continue
            files[rel] = os.stat(full)
    return files, dirs


def reconcile(fs: LSFS) -> dict[str, Any]:
    report = {
        "adopted": 0,
        "changed": 0,
        "restored": 0,
        "folders": 0,
        "orphan_vectors": 0,
        "requeued": 0,
    }
    root = fs.paths.root
    disk_files, disk_dirs = _walk(root)
    with fs.lock:
        with fs.sessions() as s:
            live = {r.path: r for r in s.scalars(select(FileRow).where(FileRow.deleted.is_(False)))}
        for rel in sorted(disk_dirs - {p for p, r in live.items() if r.kind == "dir"}):
            if rel not in live:
                fs.mkdir(rel, author=EXTERNAL)
                report["folders"] += 1
        for rel, st in disk_files.items():
            row = live.get(rel)
            if (
                row is not None
                and row.kind == "file"
                and row.size == st.st_size
                and row.disk_mtime_ns == st.st_mtime_ns
            ):
                continue  # unchanged since we wrote or saw it: no need to hash
            if _adopt(fs, rel, row):
                report["changed" if row is not None else "adopted"] += 1
        for rel, row in live.items():
            if (
                row.kind == "file"
                and rel not in disk_files
                and row.sha256
                and fs.blobs.has(row.sha256)
            ):
                # the database is the source of truth: put the file back
                atomic_write(fs.paths.disk(rel), fs.blobs.get(row.sha256))
                report["restored"] += 1
                log.warning("lsfs: %s was missing on disk; restored v%d", rel, row.version)
    report.update(_reconcile_vectors(fs))
    return report


def _adopt(fs: LSFS, rel: str, row: FileRow | None) -> bool:
    """Record the disk content of ``rel`` if it differs from the database."""
    disk = fs.paths.disk(rel)
    try:
        data = disk.read_bytes()
        mtime = disk.stat().st_mtime_ns
    except OSError:
        return False
    if row is not None and row.kind == "dir":
        log.warning("lsfs: %s is a folder in the database but a file on disk", rel)
        return False
    if row is not None and row.sha256 == sha256(data):
        with fs.tx() as s:  # same content, new mtime: remember it, skip hashing next time
            s.execute(update(FileRow).where(FileRow.id == row.id).values(disk_mtime_ns=mtime))
        return False
    if row is not None and row.locked:
        assert row.sha256 is not None
        atomic_write(disk, fs.blobs.get(row.sha256))
        log.warning("lsfs: locked file %s was changed outside aios; restored", rel)
        return False
    try:
        fs.write(rel, data, author=EXTERNAL, op=EXTERNAL)
    except AiosError as exc:
        log.warning("lsfs: cannot record %s: %s", rel, exc.message)
        return False
    return True


def _reconcile_vectors(fs: LSFS) -> dict[str, int]:
    with fs.sessions() as s:
        rows = s.execute(select(ChunkRow.vector_id, ChunkRow.file_id)).all()
        pending = list(
            s.scalars(
                select(FileRow.id).where(
                    FileRow.deleted.is_(False),
                    FileRow.kind == "file",
                    (FileRow.index_state == "pending")
                    | (FileRow.indexed_sha.is_(None))
                    | (FileRow.indexed_sha != FileRow.sha256),
                )
            )
        )
        dead = list(
            s.scalars(
                select(ChunkRow.file_id)
                .join(FileRow, FileRow.id == ChunkRow.file_id)
                .where(FileRow.deleted.is_(True))
                .distinct()
            )
        )
    in_sql = {r[0]: r[1] for r in rows}
    in_chroma = fs.vectors.all_ids()
    orphans = in_chroma - in_sql.keys()
    fs.vectors.delete(orphans)
    missing_files = {in_sql[v] for v in in_sql.keys() - in_chroma}
    if missing_files:
        with fs.tx() as s:
            s.execute(
                update(FileRow)
                .where(FileRow.id.in_(missing_files))
                .values(index_state="pending", indexed_sha=None)
            )
    todo = set(pending) | missing_files | set(dead)
    fs.indexer.enqueue(*sorted(todo))
    return {"orphan_vectors": len(orphans), "requeued": len(todo)}


def sync_external(fs: LSFS, changed: set[str], deleted: set[str]) -> dict[str, int]:
    """Apply edits made outside aios: ``changed`` exist on disk, ``deleted`` do not."""
    out = {"versions": 0, "moved": 0, "deleted": 0, "folders": 0}
    changed = {p for p in changed if not is_ignored(p)}
    deleted = {p for p in deleted if not is_ignored(p)}
    with fs.lock:
        with fs.sessions() as s:
            gone = {p: r for p in deleted if (r := fs.live(s, p)) is not None}
            known = {p: fs.live(s, p) for p in changed}
        by_sha = {r.sha256: p for p, r in gone.items() if r.kind == "file" and r.sha256}
        for rel in sorted(changed):
            disk = fs.paths.disk(rel)
            if disk.is_dir():
                if known[rel] is None:
                    fs.mkdir(rel, author=EXTERNAL)
                    out["folders"] += 1
                continue
            if not disk.is_file():
                continue
            row = known[rel]
            if row is None:  # new here: moved from a path that just disappeared?
                try:
                    digest = sha256(disk.read_bytes())
                except OSError:
                    continue
                src = by_sha.pop(digest, None)
                if src is not None and _adopt_move(fs, src, rel):
                    gone.pop(src, None)
                    out["moved"] += 1
                    continue
            if _adopt(fs, rel, row):
                out["versions"] += 1
        for rel in sorted(gone):
            if not fs.paths.disk(rel).exists():
                try:
                    fs.delete(rel, author=EXTERNAL, recursive=True)
                    out["deleted"] += 1
                except AiosError as exc:
                    log.warning("lsfs: %s vanished on disk but stays: %s", rel, exc.message)
    return out


def _adopt_move(fs: LSFS, src: str, dst: str) -> bool:
    """The file at ``src`` was moved to ``dst`` outside aios: move its record."""
    with fs.tx() as s:
        row = fs.live(s, src)
        if row is None or fs.live(s, dst) is not None:
            return False
        fs._parents(s, dst, EXTERNAL)
        row.path, row.updated_at = dst, time.time()
        row.disk_mtime_ns = fs.paths.disk(dst).stat().st_mtime_ns
        fid = row.id
    fs._move_vectors(fid, dst)
    log.info("lsfs: %s moved to %s outside aios; history kept", src, dst)
    return True
