"""LSFS paths: every path is relative to the mount root and must stay inside it.

``..`` segments, absolute paths outside the root, NUL and control characters,
backslashes, names over 255 bytes and symlinks are refused. Paths are normalised
to POSIX form without leading or trailing slashes; the root itself is "".

LSFS never follows a symlink inside the mount: a link could make a path in one
folder name a file in another, and folder scopes are checked on the path. Error
messages name only LSFS-relative paths, never where the mount lives.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from aios.errors import AiosError, BadRequest, Conflict, PermissionDenied, Unavailable

__all__ = ["MAX_NAME_BYTES", "MAX_PATH", "Paths", "disk_error", "parent_of", "prefixes"]

MAX_PATH = 1024
MAX_PATH_BYTES = 3072  # PATH_MAX is 4096 with the mount root in front
MAX_NAME_BYTES = 255  # NAME_MAX of Linux file systems
MAX_DEPTH = 32


def _bad_char(path: str) -> bool:
    return any(c < " " or c in "\x7f\\" for c in path)


class Paths:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()

    def norm(self, path: str) -> str:
        """The normalised LSFS path of ``path``; BadRequest/PermissionDenied if unsafe."""
        if not isinstance(path, str) or len(path) > MAX_PATH:
            raise BadRequest(f"a path is a string of at most {MAX_PATH} characters")
        if _bad_char(path):
            raise BadRequest("a path may not hold control characters, NUL or backslashes")
        if path.startswith("/"):
            try:  # an absolute path is only accepted inside the mount root
                path = Path(path).relative_to(self.root).as_posix()
            except ValueError:
                # the caller's own text is not echoed: it could name server paths
                raise PermissionDenied("absolute paths must lie inside the LSFS mount") from None
        parts = [s for s in path.split("/") if s not in ("", ".")]
        if any(s == ".." for s in parts):
            raise PermissionDenied("'..' is not allowed in LSFS paths")
        if len(parts) > MAX_DEPTH:
            raise BadRequest(f"path deeper than {MAX_DEPTH} levels")
        try:
            sizes = [len(s.encode("utf-8")) for s in parts]
        except UnicodeEncodeError:  # lone surrogates: a name from disk that is not UTF-8
            raise BadRequest("a path must be valid UTF-8") from None
        if any(n > MAX_NAME_BYTES for n in sizes):
            raise BadRequest(f"a name in a path is at most {MAX_NAME_BYTES} bytes (UTF-8)")
        if sum(sizes) + len(sizes) > MAX_PATH_BYTES:
            raise BadRequest(f"a path is at most {MAX_PATH_BYTES} bytes (UTF-8)")
        # syntax only: the disk is reached through Disk (disk.py), which refuses
        # symlinks; fs.stat never touches the disk, so it pays for none of this
        return "/".join(parts)

    def disk(self, rel: str) -> Path:
        """The file on disk for a normalised path; PermissionDenied if any component
        is a symlink (the answer does not say where it points)."""
        p = self.root / rel if rel else self.root
        if os.path.realpath(p) != str(p):
            raise symlink_refused(rel)
        return p

    def link_in(self, rel: str) -> str | None:
        """The first component of ``rel`` that is a symlink on disk, if any."""
        parts = rel.split("/") if rel else []
        for i in range(len(parts)):
            sub = "/".join(parts[: i + 1])
            try:
                if os.path.islink(self.root / sub):
                    return sub
            except (OSError, ValueError):
                return None
        return None

    def rel(self, disk_path: str | Path) -> str | None:
        """The LSFS path of a file on disk (lexically: links are not resolved), or None
        if it is not inside the root."""
        try:
            return Path(os.path.abspath(disk_path)).relative_to(self.root).as_posix()
        except ValueError:
            return None


def symlink_refused(rel: str) -> PermissionDenied:
    return PermissionDenied(
        f"{rel!r} passes through a symlink; LSFS does not follow symlinks", path=rel
    )


def disk_error(exc: OSError, rel: str) -> AiosError:
    """An OSError as the caller should see it: the LSFS path, never the disk's."""
    code = exc.errno
    why = os.strerror(code) if code else type(exc).__name__
    if code == errno.ELOOP:
        return symlink_refused(rel)
    if code == errno.ENAMETOOLONG:
        return BadRequest(f"a name in {rel!r} is too long", path=rel)
    if code in (errno.EACCES, errno.EPERM):
        return PermissionDenied(f"the disk refused access to {rel!r}: {why}", path=rel)
    if code in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENOTEMPTY, errno.ENOENT):
        return Conflict(f"{rel!r} does not match what is on disk: {why}", path=rel)
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return Unavailable(f"cannot write {rel!r}: {why}", path=rel)
    return AiosError(f"disk error on {rel!r}: {why}", path=rel)


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def prefixes(path: str) -> list[str]:
    """``a/b/c.txt`` -> ``["a", "a/b"]``: the folders a file sits in."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
