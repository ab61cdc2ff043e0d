"""Content-addressed storage of file versions: each distinct content is stored once,
named by its sha256, written atomically (temporary file, fsync, rename)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from aios.errors import AiosError, Unavailable

__all__ = ["BlobStore", "atomic_write", "sha256"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        _fsync_dir(path.parent.parent)  # the new folder's own name must survive a crash
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".aios-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)  # the rename itself must survive a crash


def _fsync_dir(path: Path) -> None:
    dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        digest = sha256(data)
        p = self.path(digest)
        if not p.exists():
            try:
                atomic_write(p, data)
            except OSError as exc:  # the message must not name the data dir
                raise Unavailable(f"cannot store content: {_why(exc)}") from None
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except OSError as exc:
            raise AiosError(f"stored content {digest[:12]} cannot be read: {_why(exc)}") from None

    def has(self, digest: str) -> bool:
        return self.path(digest).exists()


def _why(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else type(exc).__name__
