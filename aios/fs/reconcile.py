"""Bringing the mount root, the database and the vector index back in line.

``reconcile`` runs at start: files changed on disk while the daemon was down
become new versions, new files are adopted, files the database has but the disk
lost are restored from their blobs, and the vector index loses vectors no chunk
row points at and gains what is missing. ``sync_external`` does the same for the
paths the monitor saw change while running; a file moved outside aios keeps its
history (matched by content).

What is on disk is untrusted. Symlinks (and anything under a symlinked folder)
are never adopted, and rows that lie under one (an older version followed links)
leave the live tree, history kept: a link would let a path in one folder name a
file in another. Files with other hard links (they may alias a file elsewhere)
and anything that is not a regular file are not adopted either.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from aios.errors import AiosError
from aios.fs.blobs import sha256
from aios.fs.models import ChunkRow, FileRow, VersionRow
from aios.fs.paths import prefixes

if TYPE_CHECKING:
    from aios.fs.fs import LSFS

__all__ = ["is_ignored", "reconcile", "sync_external"]

log = logging.getLogger(__name__)

EXTERNAL = "external"


def is_ignored(rel: str) -> bool:
    """Our own temporary files, and hidden files, are not part of the file system."""
    return any(part.startswith(".") for part in rel.split("/"))


def _warn_once(warned: set[str], key: str, msg: str, *args: Any) -> None:
    """One warning per path per pass: a flood of events must not flood the log."""
    if key not in warned:
        warned.add(key)
        log.warning(msg, *args)


@dataclass
class _Scan:
    files: dict[str, os.stat_result] = field(default_factory=dict)  # adoptable
    dirs: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)  # symlinks: never followed
    odd: dict[str, str] = field(default_factory=dict)  # not adoptable, and why


def _walk(root: Path) -> _Scan:
    out = _Scan()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath).relative_to(root).as_posix()
        base = "" if base == "." else base
        keep = []
        for d in dirnames:
            rel = f"{base}/{d}" if base else d
            if d.startswith("."):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                out.links.add(rel)  # os.walk does not descend into it either
                continue
            out.dirs.add(rel)
            keep.append(d)
        dirnames[:] = keep
        for f in filenames:
            rel = f"{base}/{f}" if base else f
            if is_ignored(rel):
                continue
            try:
                st = os.lstat(os.path.join(dirpath, f))
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                out.links.add(rel)
            elif not stat.S_ISREG(st.st_mode):
                out.odd[rel] = "is not a regular file"
            elif st.st_nlink > 1:
                out.odd[rel] = "has other hard links (it may alias a file elsewhere)"
            else:
                out.files[rel] = st
    return out


def _under(path: str, links: set[str]) -> str | None:
    """The symlink ``path`` is or lies under, if any."""
    for p in [*prefixes(path), path]:
        if p in links:
            return p
    return None


def reconcile(fs: LSFS) -> dict[str, Any]:
    report = {
        "adopted": 0,
        "changed": 0,
        "restored": 0,
        "folders": 0,
        "unlinked": 0,
        "orphan_vectors": 0,
        "requeued": 0,
    }
    scan = _walk(fs.paths.root)
    for rel in sorted(scan.links):
        log.warning("lsfs: %s is a symlink; LSFS does not follow symlinks (not adopted)", rel)
    for rel, why in sorted(scan.odd.items()):
        log.warning("lsfs: %s %s; not adopted", rel, why)
    with fs.lock:
        with fs.sessions() as s:
            live = {r.path: r for r in s.scalars(select(FileRow).where(FileRow.deleted.is_(False)))}
        linked = [r for p, r in live.items() if _under(p, scan.links)]
        report["unlinked"] = _drop(fs, linked, "lie under a symlink on disk")
        for r in linked:
            live.pop(r.path)
        for rel in sorted(scan.dirs - {p for p, r in live.items() if r.kind == "dir"}):
            if rel not in live and _try(fs.mkdir, rel, author=EXTERNAL):
                report["folders"] += 1
        for rel, st in scan.files.items():
            row = live.get(rel)
            if (
                row is not None
                and row.kind == "file"
                and row.size == st.st_size
                and row.disk_mtime_ns == st.st_mtime_ns
            ):
                continue  # unchanged since we wrote or saw it: no need to hash
            if _adopt(fs, rel, row, set()):
                report["changed" if row is not None else "adopted"] += 1
        aliased = [r for p, r in live.items() if p in scan.odd and _last_op(fs, r) == EXTERNAL]
        report["unlinked"] += _drop(fs, aliased, "came from hard-linked or odd files on disk")
        for r in aliased:
            live.pop(r.path)
        for rel, row in live.items():
            # the database is the source of truth: put the file back (by a rename, so
            # a hard link or FIFO in its place is replaced, never written through)
            if (
                row.kind == "file"
                and rel not in scan.files
                and row.sha256
                and fs.blobs.has(row.sha256)
                and _try(fs.disk.write, rel, fs.blobs.get(row.sha256))
            ):
                report["restored"] += 1
                log.warning(
                    "lsfs: %s was missing or replaced on disk; restored v%d", rel, row.version
                )
    report.update(_reconcile_vectors(fs))
    return report


def _try(fn: Any, rel: str, *args: Any, **kw: Any) -> bool:
    """Run one repair; a path that cannot be repaired is logged, not fatal to start."""
    try:
        fn(rel, *args, **kw)
    except AiosError as exc:
        log.warning("lsfs: cannot reconcile %s: %s", rel, exc.message)
        return False
    return True


def _last_op(fs: LSFS, row: FileRow) -> str | None:
    with fs.sessions() as s:
        return s.scalars(
            select(VersionRow.op).where(VersionRow.file_id == row.id, VersionRow.n == row.version)
        ).first()


def _drop(fs: LSFS, rows: list[FileRow], why: str) -> int:
    """Take rows out of the live tree (marked deleted: their history stays)."""
    if not rows:
        return 0
    with fs.tx() as s:
        s.execute(
            update(FileRow)
            .where(FileRow.id.in_([r.id for r in rows]))
            .values(deleted=True, updated_at=time.time())
        )
    paths = sorted(r.path for r in rows)  # one line, however many rows a link hid
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    log.warning(
        "lsfs: %s%s %s; dropped from the live tree (history kept)", ", ".join(paths[:5]), more, why
    )
    fs.indexer.enqueue(*[r.id for r in rows if r.kind == "file"])  # drops their chunks
    return len(rows)


def _adopt(fs: LSFS, rel: str, row: FileRow | None, warned: set[str]) -> bool:
    """Record the disk content of ``rel`` if it differs from the database."""
    if row is not None and row.kind == "dir":
        _warn_once(warned, rel, "lsfs: %s is a folder in the database but not on disk", rel)
        return False
    try:
        data, st = fs.disk.read(rel, fs.cfg.max_file_bytes)
    except AiosError as exc:
        _warn_once(warned, rel, "lsfs: %s not adopted: %s", rel, exc.message)
        return False
    if row is not None and row.sha256 == sha256(data):
        with fs.tx() as s:  # same content, new mtime: remember it, skip hashing next time
            s.execute(
                update(FileRow).where(FileRow.id == row.id).values(disk_mtime_ns=st.st_mtime_ns)
            )
        return False
    if row is not None and row.locked:
        assert row.sha256 is not None
        if _try(fs.disk.write, rel, fs.blobs.get(row.sha256)):
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


def sync_external(
    fs: LSFS, changed: set[str], deleted: set[str], warned: set[str] | None = None
) -> dict[str, int]:
    """Apply edits made outside aios: ``changed`` exist on disk, ``deleted`` do not.
    ``warned``: paths already warned about (the monitor keeps it across batches)."""
    out = {"versions": 0, "moved": 0, "deleted": 0, "folders": 0, "unlinked": 0}
    warned = set() if warned is None else warned
    changed = {p for p in changed if not is_ignored(p)}
    deleted = {p for p in deleted if not is_ignored(p)}
    links: set[str] = set()
    for rel in changed | deleted:  # one lstat per component, for the touched paths only
        if (link := fs.paths.link_in(rel)) is not None:
            links.add(link)
            _warn_once(warned, link, "lsfs: %s is a symlink; LSFS does not follow symlinks", link)
    changed = {p for p in changed if not _under(p, links)}
    deleted = {p for p in deleted if not _under(p, links)}
    with fs.lock:
        with fs.sessions() as s:
            gone = {p: r for p in deleted if (r := fs.live(s, p)) is not None}
            known = {p: fs.live(s, p) for p in changed}
            linked = [r for link in sorted(links) for r in _rows_under(fs, s, link)]
        out["unlinked"] = _drop(fs, linked, "lie under a symlink on disk")
        by_sha = {r.sha256: p for p, r in gone.items() if r.kind == "file" and r.sha256}
        for rel in sorted(changed):
            try:
                st = fs.disk.lstat(rel)
            except AiosError:
                continue
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                if known[rel] is None and _try(fs.mkdir, rel, author=EXTERNAL):
                    out["folders"] += 1
                continue
            row = known[rel]
            if row is None and stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
                # new here: moved from a path that just disappeared?
                try:
                    digest = sha256(fs.disk.read(rel, fs.cfg.max_file_bytes)[0])
                except AiosError:
                    digest = ""
                src = by_sha.pop(digest, None)
                if src is not None and _adopt_move(fs, src, rel):
                    gone.pop(src, None)
                    out["moved"] += 1
                    continue
            if _adopt(fs, rel, row, warned):
                out["versions"] += 1
        for rel in sorted(gone):
            try:
                present = fs.disk.lstat(rel) is not None
            except AiosError:
                present = True  # cannot tell: keep it
            if not present:
                try:
                    fs.delete(rel, author=EXTERNAL, recursive=True)
                    out["deleted"] += 1
                except AiosError as exc:
                    log.warning("lsfs: %s vanished on disk but stays: %s", rel, exc.message)
    return out


def _rows_under(fs: LSFS, s: Any, path: str) -> list[FileRow]:
    row = fs.live(s, path)
    return ([row] if row is not None else []) + fs._children(s, path)


def _adopt_move(fs: LSFS, src: str, dst: str) -> bool:
    """The file at ``src`` was moved to ``dst`` outside aios: move its record."""
    try:
        st = fs.disk.lstat(dst)
    except AiosError:
        return False
    if st is None:
        return False
    with fs.tx() as s:
        row = fs.live(s, src)
        if row is None or fs.live(s, dst) is not None:
            return False
        fs._parents(s, dst, EXTERNAL)
        row.path, row.updated_at = dst, time.time()
        row.disk_mtime_ns = st.st_mtime_ns
        fid = row.id
    fs._move_vectors(fid, dst)
    log.info("lsfs: %s moved to %s outside aios; history kept", src, dst)
    return True
