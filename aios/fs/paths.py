"""LSFS paths: every path is relative to the mount root and must stay inside it.

``..`` segments, absolute paths outside the root, NUL bytes and symlinks that
resolve outside the root are refused. Paths are normalised to POSIX form without
leading or trailing slashes; the root itself is "".
"""

from __future__ import annotations

import os
from pathlib import Path

from aios.errors import BadRequest, PermissionDenied

__all__ = ["MAX_PATH", "Paths", "parent_of", "prefixes"]

MAX_PATH = 1024
MAX_DEPTH = 32


class Paths:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()

    def norm(self, path: str) -> str:
        """The normalised LSFS path of ``path``; BadRequest/PermissionDenied if unsafe."""
        if not isinstance(path, str) or len(path) > MAX_PATH:
            raise BadRequest(f"a path is a string of at most {MAX_PATH} characters")
        if "\x00" in path or "\\" in path:
            raise BadRequest(f"invalid character in path {path!r}")
        if path.startswith("/"):
            p = Path(path)
            try:  # an absolute path is only accepted inside the mount root
                path = str(p.relative_to(self.root))
            except ValueError:
                raise PermissionDenied(f"{path!r} is outside the LSFS mount root") from None
        parts = [s for s in path.split("/") if s not in ("", ".")]
        if any(s == ".." for s in parts):
            raise PermissionDenied(f"'..' is not allowed in LSFS paths: {path!r}")
        if len(parts) > MAX_DEPTH:
            raise BadRequest(f"path deeper than {MAX_DEPTH} levels")
        # syntax only: every access to the disk goes through disk(), which refuses
        # symlinks that lead outside (a realpath per call would cost every stat)
        return "/".join(parts)

    def disk(self, rel: str) -> Path:
        """The file on disk for a normalised path, checked to stay inside the root."""
        p = self.root / rel if rel else self.root
        real = Path(os.path.realpath(p))
        if real != self.root and self.root not in real.parents:
            raise PermissionDenied(f"{rel!r} leads outside the LSFS mount root (symlink)")
        return p

    def rel(self, disk_path: str | Path) -> str | None:
        """The LSFS path of a file on disk, or None if it is not inside the root."""
        try:
            return Path(disk_path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def prefixes(path: str) -> list[str]:
    """``a/b/c.txt`` -> ``["a", "a/b"]``: the folders a file sits in."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
