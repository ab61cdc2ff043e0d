"""The mount root on disk, reached without ever following a symlink.

Every operation walks from the root one component at a time with ``O_NOFOLLOW``
(``openat``), so a symlink anywhere on the path, even one swapped in after a
check, fails instead of leading elsewhere. Files are replaced atomically by a
temporary file and a rename in the same folder: a rename replaces the name, so
a write never goes through a hard link into another file. Only regular files
with one link are read back (adopted): a FIFO would block, a hard link may alias
a file in another folder. Every OSError leaves as an AiosError that names the
LSFS path only.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from aios.errors import PermissionDenied, TooLarge
from aios.fs.paths import Paths, disk_error

__all__ = ["TRASH_PREFIX", "Disk"]

log = logging.getLogger(__name__)

TRASH_PREFIX = ".aios-trash-"  # hidden: reconcile and the monitor never adopt it

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Disk:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    @contextmanager
    def _errors(self, rel: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise disk_error(exc, rel) from None

    def _open_dir(self, parts: list[str], *, create: bool = False) -> int:
        fd = os.open(self.paths.root, _DIR)
        try:
            for part in parts:
                if create:
                    # an existing name is checked by the open: ENOTDIR, or ELOOP for a link
                    try:
                        os.mkdir(part, 0o755, dir_fd=fd)
                        os.fsync(fd)  # a new folder's name must survive a crash too
                    except FileExistsError:
                        pass
                try:
                    nfd = os.open(part, _DIR, dir_fd=fd)
                except NotADirectoryError:
                    # Linux answers ENOTDIR, not ELOOP, for a symlink opened this way
                    st = _lstat_at(fd, part)
                    if st is not None and stat.S_ISLNK(st.st_mode):
                        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP)) from None
                    raise
                os.close(fd)
                fd = nfd
        except BaseException:
            os.close(fd)
            raise
        return fd

    @contextmanager
    def _parent(self, rel: str, *, create: bool = False) -> Iterator[tuple[int, str]]:
        """(fd of the folder holding ``rel``, its last name)."""
        *parents, name = rel.split("/")
        fd = self._open_dir(parents, create=create)
        try:
            yield fd, name
        finally:
            os.close(fd)

    def lstat(self, rel: str) -> os.stat_result | None:
        """What ``rel`` itself is (a symlink is reported, not followed); None if absent."""
        with self._errors(rel):
            if not rel:
                return os.lstat(self.paths.root)
            try:
                with self._parent(rel) as (fd, name):
                    return os.stat(name, dir_fd=fd, follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                return None

    def read(self, rel: str, max_bytes: int) -> tuple[bytes, os.stat_result]:
        """The content of a regular, singly linked file (what may be adopted)."""
        with self._errors(rel), self._parent(rel) as (dfd, name):
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            _check_adoptable(rel, st, max_bytes)  # before open: a device may act on it
            fd = os.open(name, _READ, dir_fd=dfd)
            try:
                st = os.fstat(fd)
                _check_adoptable(rel, st, max_bytes)  # it may have been swapped meanwhile
                chunks = []
                while chunk := os.read(fd, 1 << 20):
                    chunks.append(chunk)
                return b"".join(chunks), st
            finally:
                os.close(fd)

    def write(self, rel: str, data: bytes) -> os.stat_result:
        """Replace ``rel`` with ``data`` so that a crash leaves the old or the new file."""
        with self._errors(rel), self._parent(rel, create=True) as (dfd, name):
            old = _lstat_at(dfd, name)
            if old is not None and stat.S_ISLNK(old.st_mode):
                raise PermissionDenied(
                    f"{rel!r} is a symlink on disk; LSFS does not follow symlinks", path=rel
                )
            tmp = f".aios-{secrets.token_hex(8)}.tmp"
            fd = os.open(tmp, _NEW, 0o600, dir_fd=dfd)
            try:
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
            except BaseException:
                with suppress(OSError):
                    os.unlink(tmp, dir_fd=dfd)
                raise
            os.fsync(dfd)  # the rename itself must survive a crash
            return os.stat(name, dir_fd=dfd, follow_symlinks=False)

    def mkdirs(self, rel: str) -> None:
        with self._errors(rel):
            os.close(self._open_dir(rel.split("/") if rel else [], create=True))

    def detach(self, rel: str) -> str | None:
        """Take a file or folder tree out of the mount with one rename, to a hidden name
        beside it; that name (to ``purge`` or ``restore``), or None if ``rel`` is absent.
        A symlink is moved, never followed."""
        with self._errors(rel):
            try:
                with self._parent(rel) as (dfd, name):
                    if _lstat_at(dfd, name) is None:
                        return None
                    trash = f"{TRASH_PREFIX}{secrets.token_hex(8)}"
                    os.rename(name, trash, src_dir_fd=dfd, dst_dir_fd=dfd)
                    os.fsync(dfd)
            except (FileNotFoundError, NotADirectoryError):
                return None  # already gone on disk
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        return f"{parent}/{trash}" if parent else trash

    def restore(self, trash: str, rel: str) -> None:
        """Undo ``detach`` (its commit failed)."""
        try:
            self.rename(trash, rel)
        except Exception:
            log.exception("lsfs: cannot put %s back after a failed delete", rel)

    def purge(self, trash: str) -> bool:
        """Remove a detached tree; what cannot be removed stays hidden (logged), to be
        tried again at the next start. True if it is all gone."""
        failed: list[str] = []

        def note(_fn: object, path: str, info: tuple[Any, ...]) -> None:
            failed.append(f"{path}: {info[1]}")

        try:
            with self._parent(trash) as (dfd, name):
                st = _lstat_at(dfd, name)
                if st is None:
                    return True
                if stat.S_ISDIR(st.st_mode):
                    # fd-based: never follows a link out of the tree
                    shutil.rmtree(name, dir_fd=dfd, onerror=note)
                else:
                    os.unlink(name, dir_fd=dfd)
        except OSError as exc:
            failed.append(str(exc))
        if failed:
            log.warning(
                "lsfs: %d entries of deleted %s could not be removed yet (hidden; retried "
                "at start): %s",
                len(failed),
                trash,
                failed[:3],
            )
        return not failed

    def rename(self, src: str, dst: str) -> None:
        with (
            self._errors(src),
            self._parent(src) as (sfd, sname),
            self._errors(dst),
            self._parent(dst, create=True) as (dfd, dname),
        ):
            os.replace(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd)
            os.fsync(dfd)

    def chmod(self, rel: str, mode: int) -> None:
        """Set a regular file's mode (no-op if it is not on disk as one)."""
        with self._errors(rel):
            try:
                with self._parent(rel) as (dfd, name):
                    fd = os.open(name, _READ, dir_fd=dfd)
            except (FileNotFoundError, NotADirectoryError):
                return
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    return  # a symlink: leave it and its target alone
                raise
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    os.fchmod(fd, mode)
            finally:
                os.close(fd)


def _lstat_at(dfd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _check_adoptable(rel: str, st: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise PermissionDenied(f"{rel!r} is a symlink; LSFS does not follow symlinks", path=rel)
    if not stat.S_ISREG(st.st_mode):
        raise PermissionDenied(f"{rel!r} is not a regular file", path=rel)
    if st.st_nlink > 1:
        raise PermissionDenied(
            f"{rel!r} has other hard links (it may alias a file elsewhere)", path=rel
        )
    if st.st_size > max_bytes:
        raise TooLarge(f"{rel!r} is over {max_bytes} bytes", path=rel)
