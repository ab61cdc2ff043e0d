"""Noticing edits made outside aios (an editor, cp, mv, rm) in the mount root.

Each batch of changes is applied in one go, so a move (a delete and an add in the
same batch) keeps the file's history (matched by content). A path is judged by
what is on disk now, not by its events. aios's own writes come back as events
too: a file whose size and mtime are what aios recorded is not read again. One
path that cannot be applied (a symlink, a name that is not UTF-8, a disk error)
is skipped and logged; the rest of its batch is applied. If the watcher itself
fails (watchfiles gives up on a file name that is not UTF-8), it is started again
and the mount rescanned, so the changes it missed are not lost until a restart.
The first start rescans too: what changed between start-up's reconcile and the
watcher's going live would otherwise wait for the next restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from aios.errors import AiosError
from aios.fs.blobs import sha256
from aios.fs.models import FileRow
from aios.fs.reconcile import (
    EXTERNAL,
    _adopt,
    _drop,
    _try,
    _under,
    _walk,
    _warn_once,
    is_ignored,
)

if TYPE_CHECKING:
    from aios.fs.fs import LSFS

__all__ = ["rescan", "sync_external", "watch"]

log = logging.getLogger(__name__)


async def watch(fs: LSFS, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set, applying each batch of outside changes."""
    warned: set[str] = set()  # paths warned about: one warning each, not one per event
    failures = 0
    while not stop.is_set():
        try:
            await _watch(fs, stop, warned)
            return
        except Exception as exc:  # an ExceptionGroup from watchfiles' task group, too
            failures += 1
            delay = min(30.0, 0.5 * 2 ** min(failures, 6))
            log.warning(
                "lsfs: the file monitor failed (%s); restarting it in %.1fs and rescanning",
                exc,
                delay,
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def _watch(fs: LSFS, stop: asyncio.Event, warned: set[str]) -> None:
    from watchfiles import awatch

    # after the watcher has started: what changed meanwhile is caught by one of them
    later = asyncio.create_task(_rescan(fs, warned, after=0.3))
    try:
        await _batches(fs, stop, warned, awatch)
    finally:
        later.cancel()


async def _batches(fs: LSFS, stop: asyncio.Event, warned: set[str], awatch: Any) -> None:
    root = fs.paths.root
    async for batch in awatch(
        root, stop_event=stop, debounce=200, step=50, recursive=True, ignore_permission_denied=True
    ):
        # What counts is the state now, not the events: a batch may hold a write, then a
        # rename of the same file.
        touched = {rel for _, path in batch if (rel := _rel(root, path))}
        # lexists: a symlink is there (and refused), whatever it points at
        changed = {rel for rel in touched if os.path.lexists(root / rel)}
        deleted = touched - changed
        if len(warned) > 10_000:
            warned.clear()
        try:
            result = await asyncio.to_thread(sync_external, fs, changed, deleted, warned)
        except Exception:
            log.exception("lsfs: applying outside changes failed")
            continue
        if any(n for what, n in result.items() if what != "skipped"):
            log.info("lsfs: outside changes applied: %s", result)


async def _rescan(fs: LSFS, warned: set[str], *, after: float) -> None:
    await asyncio.sleep(after)
    try:
        result = await asyncio.to_thread(rescan, fs, warned)
        if any(n for what, n in result.items() if what != "skipped"):
            log.info("lsfs: the rescan as the monitor started applied: %s", result)
    except Exception:
        log.exception("lsfs: rescanning the mount failed")


def rescan(fs: LSFS, warned: set[str]) -> dict[str, int]:
    """Everything on disk as changed, every live row not on disk as deleted: what a
    failed watcher may have missed (the size and mtime checks keep it cheap)."""
    scan = _walk(fs.paths.root)
    on_disk = set(scan.files) | scan.dirs | scan.links | set(scan.odd)
    with fs.sessions() as s:
        live = set(s.scalars(select(FileRow.path).where(FileRow.deleted.is_(False))))
    return sync_external(fs, on_disk, live - on_disk, warned)


def _rel(root: Path, path: str) -> str | None:
    try:
        return Path(path).relative_to(str(root)).as_posix()
    except ValueError:
        return None


def _valid(fs: LSFS, rel: str, warned: set[str]) -> bool:
    try:
        return fs.paths.norm(rel) == rel
    except AiosError as exc:  # not UTF-8, too long: it can have no row, and gets none
        _warn_once(warned, rel, "lsfs: %r not adopted: %s", rel, exc.message)
        return False


def sync_external(
    fs: LSFS, changed: set[str], deleted: set[str], warned: set[str] | None = None
) -> dict[str, int]:
    """Apply edits made outside aios: ``changed`` exist on disk, ``deleted`` do not.
    ``warned``: paths already warned about (the monitor keeps it across batches)."""
    out = {"versions": 0, "moved": 0, "deleted": 0, "folders": 0, "unlinked": 0, "skipped": 0}
    warned = set() if warned is None else warned
    changed = {p for p in changed if not is_ignored(p) and _valid(fs, p, warned)}
    deleted = {p for p in deleted if not is_ignored(p) and _valid(fs, p, warned)}
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
                what = _changed(fs, rel, known[rel], by_sha, gone, warned)
            except Exception as exc:  # one bad entry must not cost the rest of the batch
                _warn_once(warned, rel, "lsfs: outside change to %s not applied: %r", rel, exc)
                what = None
            if what:
                out[what] += 1
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


def _changed(
    fs: LSFS,
    rel: str,
    row: FileRow | None,
    by_sha: dict[str, str],
    gone: dict[str, FileRow],
    warned: set[str],
) -> str | None:
    """Apply one path that exists on disk; what it counted as (None: nothing)."""
    try:
        st = fs.disk.lstat(rel)
    except AiosError:
        return None
    if st is None:
        return None
    if stat.S_ISDIR(st.st_mode):
        if row is None and _try(fs.mkdir, rel, author=EXTERNAL):
            return "folders"
        return None
    if (
        row is not None
        and row.kind == "file"
        and stat.S_ISREG(st.st_mode)
        and row.size == st.st_size
        and row.disk_mtime_ns == st.st_mtime_ns
    ):
        return "skipped"  # as aios wrote or last saw it (its own write's event): no hashing
    read = None
    if row is None and stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
        # new here: moved from a path that just disappeared?
        try:
            read = fs.disk.read(rel, fs.cfg.max_file_bytes)
        except AiosError:
            read = None
        src = by_sha.pop(sha256(read[0]), None) if read else None
        if src is not None and _adopt_move(fs, src, rel):
            gone.pop(src, None)
            return "moved"
    return "versions" if _adopt(fs, rel, row, warned, read) else None


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
