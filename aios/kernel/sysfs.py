"""File syscalls: ``fs.*`` over LSFS, each checked against the caller's readable
and writable path prefixes. Blocking disk and database work runs in threads, and
so does anything that grows with a file's size (encoding, decoding, base64):
a 25 MB file must not hold the event loop."""

from __future__ import annotations

import asyncio
import binascii
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aios.errors import AiosError, BadRequest, NotFound, PermissionDenied, Unavailable
from aios.fs import codec, compose, versions

if TYPE_CHECKING:
    from aios.fs.fs import LSFS
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["FileInfo", "FsArgs", "PathArgs", "ReadResult", "WriteArgs", "run_io"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def _utf8(value: str) -> bool:
    if value.isascii():  # the common case, without a copy
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class FsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_surrogates(cls, data: Any) -> Any:
        # A lone surrogate ("\ud800", sent as a JSON escape) is no text: it cannot be
        # stored, indexed or even logged as UTF-8. One clear answer, before pydantic's
        # own error (whose JSON form cannot hold the input either). A file's content
        # (up to 25 MB) is checked when it is encoded, in a thread: not here, on the loop.
        if isinstance(data, dict):
            for name, value in data.items():
                if name != "content" and isinstance(value, str) and not _utf8(value):
                    raise BadRequest(
                        f"{name} is not valid UTF-8 text (it holds a lone surrogate)",
                        field=str(name)[:100] if _utf8(str(name)) else "?",
                    )
        return data


class PathArgs(FsArgs):
    path: str = Field(max_length=1024)


class WriteArgs(FsArgs):
    path: str = Field(max_length=1024)
    content: str | None = Field(default=None, description="text (UTF-8)")
    content_b64: str | None = Field(default=None, description="bytes, base64-encoded")

    @model_validator(mode="after")
    def _one(self) -> WriteArgs:
        if (self.content is None) == (self.content_b64 is None):
            raise ValueError("give exactly one of content and content_b64")
        return self

    def data(self) -> bytes:
        if self.content is not None:
            try:
                return codec.utf8_encode(self.content)
            except UnicodeEncodeError:
                raise BadRequest(
                    "content is not valid UTF-8 text (it holds a lone surrogate)"
                ) from None
        try:
            return codec.b64decode(self.content_b64 or "")
        except (binascii.Error, ValueError):
            raise BadRequest("content_b64 is not valid base64") from None


class ReadArgs(FsArgs):
    path: str = Field(max_length=1024)
    version: int | None = Field(default=None, ge=1, le=2**31)


class DeleteArgs(FsArgs):
    path: str = Field(max_length=1024)
    recursive: bool = False


class LsArgs(FsArgs):
    path: str = Field(default="", max_length=1024)
    recursive: bool = False


class MvArgs(FsArgs):
    src: str = Field(max_length=1024)
    dst: str = Field(max_length=1024)


class RollbackArgs(FsArgs):
    path: str = Field(max_length=1024)
    n: int | None = Field(default=None, ge=1, le=2**31, description="versions back")
    at: float | None = Field(default=None, description="a UNIX time: the version current then")


class DiffArgs(FsArgs):
    path: str = Field(max_length=1024)
    from_version: int | None = Field(default=None, ge=1, le=2**31)
    to_version: int | None = Field(default=None, ge=1, le=2**31)


class JoinArgs(FsArgs):
    a: str = Field(max_length=1024)
    b: str = Field(max_length=1024)
    dst: str = Field(max_length=1024)
    separator: str = Field(default="\n", max_length=100)


class FileInfo(BaseModel):
    path: str
    kind: str
    size: int = 0
    version: int = 0
    sha256: str | None = None
    created_at: float | None = None
    updated_at: float | None = None
    locked: bool = False
    mime: str | None = None
    index_state: str | None = None
    indexed: bool = False
    index_note: str | None = None


class ReadResult(BaseModel):
    info: FileInfo
    text: str | None = Field(default=None, description="the content, if it is UTF-8 text")
    content_b64: str | None = Field(default=None, description="otherwise, base64")


class ListResult(BaseModel):
    entries: list[FileInfo]


class PathsResult(BaseModel):
    paths: list[str]


class HistoryResult(BaseModel):
    path: str
    versions: list[dict[str, Any]]


class DiffResult(BaseModel):
    path: str
    diff: str


def lsfs(k: Kernel) -> LSFS:
    if k.fs is None:
        raise Unavailable("LSFS is disabled in this daemon's configuration (fs.enabled)")
    return k.fs


def _norm_scope(p: str) -> str:
    return p.strip("/")


def may(call: Call, path: str, *, write: bool) -> bool:
    caps = call.caller.caps
    if caps is None:
        return True
    scopes = caps.fs_write if write else caps.fs_read
    return any((s := _norm_scope(p)) == "" or path == s or path.startswith(s + "/") for p in scopes)


def denied(call: Call, rel: str, *, write: bool) -> PermissionDenied:
    # One answer whether ``rel`` exists or not, is a file or a folder: decided
    # before LSFS is asked anything, so it cannot be an oracle.
    what = "write" if write else "read"
    need = f"fs_{what}"  # the message repeats only the caller's own path
    return PermissionDenied(
        f"process {call.caller.pid} may not {what} {rel!r}: missing capability {need}",
        path=rel,
        capability=f"{need}:{rel}",
    )


def check(k: Kernel, call: Call, path: str, *, write: bool) -> str:
    """The normalised path, if the caller may read (or write) it. For a process,
    ``~`` and ``~/...`` are in its home folder, as in its capabilities."""
    home = call.proc.home if call.proc is not None else None
    if home and (path == "~" or path.startswith("~/")):
        path = home + path[1:]
    rel = lsfs(k).paths.norm(path)
    if not may(call, rel, write=write):
        raise denied(call, rel, write=write)
    return rel


def on_the_way(call: Call, path: str) -> bool:
    """True if ``path`` is a folder above one the caller may read, and not readable."""
    caps = call.caller.caps
    if caps is None or may(call, path, write=False):
        return False
    scopes = [_norm_scope(p) for p in caps.fs_read]
    return any(s and (path == "" or s.startswith(path + "/")) for s in scopes)


def readable_scopes(call: Call, prefix: str) -> list[str] | None:
    """The folders a search under ``prefix`` may look in (None: everything)."""
    caps = call.caller.caps
    if caps is None:
        return None if prefix == "" else [prefix]
    allowed = [_norm_scope(p) for p in caps.fs_read]
    if "" in allowed:
        return None if prefix == "" else [prefix]
    if prefix == "":
        return allowed
    if any(prefix == a or prefix.startswith(a + "/") for a in allowed):
        return [prefix]
    return [a for a in allowed if a.startswith(prefix + "/")]


async def run_io(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run blocking LSFS work in a thread. LSFS turns disk errors into AiosErrors
    that name LSFS paths; anything else from the OS is answered without its paths."""
    try:
        return await asyncio.to_thread(fn, *args, **kw)
    except OSError as exc:
        log.warning("lsfs: %s failed: %s", getattr(fn, "__name__", fn), exc)
        why = os.strerror(exc.errno) if exc.errno else type(exc).__name__
        raise AiosError(f"disk error: {why}") from None


def _read_result(data: bytes, meta: dict[str, Any]) -> ReadResult:
    try:
        return ReadResult(info=FileInfo(**meta), text=codec.utf8_decode(data))
    except UnicodeDecodeError:
        return ReadResult(info=FileInfo(**meta), content_b64=codec.b64encode(data))


def _write(fs: LSFS, rel: str, args: WriteArgs, author: str, **kw: Any) -> FileInfo:
    return FileInfo(**fs.write(rel, args.data(), author=author, **kw))  # decoded here


def _append(fs: LSFS, rel: str, args: WriteArgs, author: str) -> FileInfo:
    return FileInfo(**fs.append(rel, args.data(), author=author))


def _read(fs: LSFS, rel: str, version: int | None) -> ReadResult:
    return _read_result(*fs.read(rel, version))


async def create(k: Kernel, call: Call, args: WriteArgs) -> FileInfo:
    """Create a new file (fails if it exists)."""
    rel = check(k, call, args.path, write=True)
    return await run_io(_write, lsfs(k), rel, args, call.caller.label, op="create", exclusive=True)


async def write(k: Kernel, call: Call, args: WriteArgs) -> FileInfo:
    """Write a file (creating it if needed): a new version if the content changed."""
    rel = check(k, call, args.path, write=True)
    return await run_io(_write, lsfs(k), rel, args, call.caller.label)


async def append(k: Kernel, call: Call, args: WriteArgs) -> FileInfo:
    """Append to a file (creating it if needed)."""
    rel = check(k, call, args.path, write=True)
    return await run_io(_append, lsfs(k), rel, args, call.caller.label)


async def read(k: Kernel, call: Call, args: ReadArgs) -> ReadResult:
    """Read a file, or one of its versions."""
    rel = check(k, call, args.path, write=False)
    return await run_io(_read, lsfs(k), rel, args.version)


async def delete(k: Kernel, call: Call, args: DeleteArgs) -> PathsResult:
    """Delete a file or a folder (recursive for a non-empty one); history is kept."""
    rel = check(k, call, args.path, write=True)
    return PathsResult(
        paths=await run_io(lsfs(k).delete, rel, author=call.caller.label, recursive=args.recursive)
    )


async def mkdir(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """Create a folder (and its parents)."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await run_io(lsfs(k).mkdir, rel, author=call.caller.label))


async def ls(k: Kernel, call: Call, args: LsArgs) -> ListResult:
    """List a folder (recursive: everything under it) that the caller may read; above
    its folders, only the folders on the way to them."""
    rel = lsfs(k).paths.norm(args.path)
    if may(call, rel, write=False):
        return await run_io(_ls, lsfs(k), call, rel, args.recursive)
    if on_the_way(call, rel):
        try:  # missing, or a file: the same empty answer, so neither is an oracle
            return await run_io(_ls, lsfs(k), call, rel, args.recursive)
        except (NotFound, BadRequest):
            return ListResult(entries=[])
    raise denied(call, rel, write=False)


def _ls(fs: LSFS, call: Call, rel: str, recursive: bool) -> ListResult:
    return ListResult(  # a recursive listing can be long: built off the loop too
        entries=[
            FileInfo(**e)
            for e in fs.ls(rel, recursive)
            if may(call, e["path"], write=False)
            or (e["kind"] == "dir" and on_the_way(call, e["path"]))
        ]
    )


async def stat(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """A file's or folder's metadata, its version and whether it is indexed."""
    rel = check(k, call, args.path, write=False)
    fs = lsfs(k)
    # Off the loop even for SQLite: microseconds alone, but behind a 20 MB write's
    # commit it was the longest stall left on the loop (bench/loop).
    return FileInfo(**await run_io(fs.stat, rel))


async def mv(k: Kernel, call: Call, args: MvArgs) -> FileInfo:
    """Move or rename; the history follows the file."""
    src = check(k, call, args.src, write=True)
    check(k, call, src, write=False)  # else a write-only folder could be read by moving
    dst = check(k, call, args.dst, write=True)
    return FileInfo(**await run_io(lsfs(k).mv, src, dst, author=call.caller.label))


async def lock(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """Make a file read-only."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await run_io(lsfs(k).set_locked, rel, True))


async def unlock(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """Make a locked file writable again."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await run_io(lsfs(k).set_locked, rel, False))


async def history(k: Kernel, call: Call, args: PathArgs) -> HistoryResult:
    """Every version of a file: when, by whom, how."""
    rel = check(k, call, args.path, write=False)
    return HistoryResult(path=rel, versions=await run_io(versions.history, lsfs(k), rel))


async def rollback(k: Kernel, call: Call, args: RollbackArgs) -> FileInfo:
    """Restore an earlier version (n back, or as of a time), as a new version."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(
        **await run_io(
            versions.rollback, lsfs(k), rel, author=call.caller.label, n=args.n, at=args.at
        )
    )


async def diff(k: Kernel, call: Call, args: DiffArgs) -> DiffResult:
    """A unified diff between two versions of a file."""
    rel = check(k, call, args.path, write=False)
    return DiffResult(
        path=rel, diff=await run_io(versions.diff, lsfs(k), rel, args.from_version, args.to_version)
    )


async def join(k: Kernel, call: Call, args: JoinArgs) -> FileInfo:
    """Join two files into a new one."""
    a = check(k, call, args.a, write=False)
    b = check(k, call, args.b, write=False)
    dst = check(k, call, args.dst, write=True)
    return FileInfo(
        **await run_io(
            compose.join, lsfs(k), a, b, dst, author=call.caller.label, separator=args.separator
        )
    )
