"""Bringing the mount root, the database and the vector index back in line.

``reconcile`` runs at start: files changed on disk while the daemon was down
become new versions, new files are adopted, files the database has but the disk
lost are restored from their blobs, and the index's stores are brought in line
(consistency.py). What the database says is deleted is never adopted again: the
hidden trash of a delete is purged, and a file left where a deleted one was, with
that file's size and mtime, is a leftover of the delete, not a new file. The
monitor applies the same rules to what changes while running (monitor.py).

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
from aios.fs.consistency import repair_index
from aios.fs.disk import TRASH_PREFIX
from aios.fs.models import FileRow, VersionRow
from aios.fs.paths import prefixes

if TYPE_CHECKING:
    from aios.fs.fs import LSFS

__all__ = ["EXTERNAL", "is_ignored", "reconcile"]

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
    trash: set[str] = field(default_factory=set)  # what deletes left to purge


def _walk(root: Path) -> _Scan:
    out = _Scan()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath).relative_to(root).as_posix()
        base = "" if base == "." else base
        keep = []
        for d in dirnames:
            rel = f"{base}/{d}" if base else d
            if d.startswith("."):
                if d.startswith(TRASH_PREFIX):
                    out.trash.add(rel)
                continue
            if not _utf8(rel):  # it could not even be looked up in the database
                out.odd[rel] = "has a name that is not UTF-8"
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                out.links.add(rel)  # os.walk does not descend into it either
                continue
            out.dirs.add(rel)
            keep.append(d)
        dirnames[:] = keep
        for f in filenames:
            rel = f"{base}/{f}" if base else f
            if f.startswith(TRASH_PREFIX) or (f.startswith(".aios-") and f.endswith(".tmp")):
                out.trash.add(rel)  # a delete's leftovers, or a write a crash cut short
            if is_ignored(rel):
                continue
            if not _utf8(rel):
                out.odd[rel] = "has a name that is not UTF-8"
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


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # os.walk hands undecodable bytes over as surrogates
    except UnicodeEncodeError:
        return False
    return True


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
        "leftovers": 0,
    }
    scan = _walk(fs.paths.root)
    for rel in sorted(scan.trash):
        fs.disk.purge(rel)
    for rel in sorted(scan.links):
        log.warning("lsfs: %s is a symlink; LSFS does not follow symlinks (not adopted)", rel)
    for rel, why in sorted(scan.odd.items()):
        shown = rel.encode("utf-8", "backslashreplace").decode()  # no surrogates in logs
        log.warning("lsfs: %s %s; not adopted", shown, why)
    with fs.lock:
        with fs.sessions() as s:
            live = {r.path: r for r in s.scalars(select(FileRow).where(FileRow.deleted.is_(False)))}
        linked = [r for p, r in live.items() if _under(p, scan.links)]
        report["unlinked"] = _drop(fs, linked, "lie under a symlink on disk")
        for r in linked:
            live.pop(r.path)
        report["leftovers"] = _purge_leftovers(fs, scan, live)
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
    report.update(repair_index(fs))
    return report


def _purge_leftovers(fs: LSFS, scan: _Scan, live: dict[str, FileRow]) -> int:
    """Remove what deletes left behind (an older aios ignored failed removals), so
    it is not adopted as new: a file exactly as aios last wrote it (size and mtime)
    at a path whose file was deleted, and folders deleted that hold nothing else."""
    unknown = [p for p in scan.files if p not in live]
    unknown_dirs = [p for p in scan.dirs if p not in live]
    dead: dict[str, FileRow] = {}
    with fs.sessions() as s:
        for i in range(0, len(unknown) + len(unknown_dirs), 500):
            batch = (unknown + unknown_dirs)[i : i + 500]
            q = select(FileRow).where(FileRow.deleted.is_(True), FileRow.path.in_(batch))
            for row in s.scalars(q.order_by(FileRow.updated_at)):
                dead[row.path] = row  # the latest deleted row at each path
    n = 0
    for rel in sorted(unknown):
        r, st = dead.get(rel), scan.files[rel]
        if (
            r is not None
            and r.kind == "file"
            and r.size == st.st_size
            and r.disk_mtime_ns == st.st_mtime_ns
            and _try(_remove, rel, fs)
        ):
            del scan.files[rel]
            n += 1
            log.warning("lsfs: %s was deleted but left on disk; removed, not adopted", rel)
    for rel in sorted(unknown_dirs, key=lambda p: -p.count("/")):  # deepest first
        r = dead.get(rel)
        holds = any(p.startswith(rel + "/") for p in [*scan.files, *scan.dirs, *scan.odd])
        if r is not None and r.kind == "dir" and not holds and _try(_remove, rel, fs):
            scan.dirs.discard(rel)
            n += 1
    return n


def _remove(rel: str, fs: LSFS) -> None:
    trash = fs.disk.detach(rel)
    if trash is not None:
        fs.disk.purge(trash)


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


def _adopt(
    fs: LSFS,
    rel: str,
    row: FileRow | None,
    warned: set[str],
    read: tuple[bytes, os.stat_result] | None = None,
) -> bool:
    """Record the disk content of ``rel`` (``read``: already read) if it differs from
    the database."""
    if row is not None and row.kind == "dir":
        _warn_once(warned, rel, "lsfs: %s is a folder in the database but not on disk", rel)
        return False
    try:
        data, st = read or fs.disk.read(rel, fs.cfg.max_file_bytes)
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
