"""Noticing edits made outside aios (an editor, cp, mv, rm) in the mount root."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from aios.fs.reconcile import sync_external

if TYPE_CHECKING:
    from aios.fs.fs import LSFS

__all__ = ["watch"]

log = logging.getLogger(__name__)


async def watch(fs: LSFS, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set; each batch of changes is applied in one go, so a
    move (a delete and an add in the same batch) keeps the file's history."""
    from watchfiles import awatch

    root = fs.paths.root
    warned: set[str] = set()  # paths warned about: one warning each, not one per event
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
        if any(result.values()):
            log.info("lsfs: outside changes applied: %s", result)


def _rel(root: object, path: str) -> str | None:
    from pathlib import Path

    try:
        return Path(path).relative_to(str(root)).as_posix()
    except ValueError:
        return None
