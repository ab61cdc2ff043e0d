"""File syscalls: ``fs.*`` over LSFS, each checked against the caller's readable
and writable path prefixes. Blocking disk and database work runs in threads."""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aios.errors import BadRequest, PermissionDenied, Unavailable
from aios.fs import compose, versions

if TYPE_CHECKING:
    from aios.fs.fs import LSFS
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["FileInfo", "PathArgs", "ReadResult", "WriteArgs"]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PathArgs(_Args):
    path: str = Field(max_length=1024)


class WriteArgs(_Args):
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
            return self.content.encode("utf-8")
        try:
            return base64.b64decode(self.content_b64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("content_b64 is not valid base64") from None


class ReadArgs(_Args):
    path: str = Field(max_length=1024)
    version: int | None = Field(default=None, ge=1, le=2**31)


class DeleteArgs(_Args):
    path: str = Field(max_length=1024)
    recursive: bool = False


class LsArgs(_Args):
    path: str = Field(default="", max_length=1024)
    recursive: bool = False


class MvArgs(_Args):
    src: str = Field(max_length=1024)
    dst: str = Field(max_length=1024)


class RollbackArgs(_Args):
    path: str = Field(max_length=1024)
    n: int | None = Field(default=None, ge=1, le=2**31, description="versions back")
    at: float | None = Field(default=None, description="a UNIX time: the version current then")


class DiffArgs(_Args):
    path: str = Field(max_length=1024)
    from_version: int | None = Field(default=None, ge=1, le=2**31)
    to_version: int | None = Field(default=None, ge=1, le=2**31)


class JoinArgs(_Args):
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


def check(k: Kernel, call: Call, path: str, *, write: bool) -> str:
    """The normalised path, if the caller may read (or write) it."""
    rel = lsfs(k).paths.norm(path)
    if not may(call, rel, write=write):
        what = "write" if write else "read"
        raise PermissionDenied(f"process {call.caller.pid} may not {what} {rel!r}", path=rel)
    return rel


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


async def _run(fn: Any, *args: Any, **kw: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kw)


def _read_result(data: bytes, meta: dict[str, Any]) -> ReadResult:
    try:
        return ReadResult(info=FileInfo(**meta), text=data.decode("utf-8"))
    except UnicodeDecodeError:
        return ReadResult(info=FileInfo(**meta), content_b64=base64.b64encode(data).decode())


async def create(k: Kernel, call: Call, args: WriteArgs) -> FileInfo:
    """Create a new file (fails if it exists)."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(
        **await _run(
            lsfs(k).write, rel, args.data(), author=call.caller.label, op="create", exclusive=True
        )
    )


async def write(k: Kernel, call: Call, args: WriteArgs) -> FileInfo:
    """Write a file (creating it if needed): a new version if the content changed."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await _run(lsfs(k).write, rel, args.data(), author=call.caller.label))


async def append(k: Kernel, call: Call, args: WriteArgs) -> FileInfo:
    """Append to a file (creating it if needed)."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await _run(lsfs(k).append, rel, args.data(), author=call.caller.label))


async def read(k: Kernel, call: Call, args: ReadArgs) -> ReadResult:
    """Read a file, or one of its versions."""
    rel = check(k, call, args.path, write=False)
    data, meta = await _run(lsfs(k).read, rel, args.version)
    return _read_result(data, meta)


async def delete(k: Kernel, call: Call, args: DeleteArgs) -> PathsResult:
    """Delete a file or a folder (recursive for a non-empty one); history is kept."""
    rel = check(k, call, args.path, write=True)
    return PathsResult(
        paths=await _run(lsfs(k).delete, rel, author=call.caller.label, recursive=args.recursive)
    )


async def mkdir(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """Create a folder (and its parents)."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await _run(lsfs(k).mkdir, rel, author=call.caller.label))


async def ls(k: Kernel, call: Call, args: LsArgs) -> ListResult:
    """List a folder (recursive: everything under it) that the caller may read."""
    rel = lsfs(k).paths.norm(args.path)
    entries = await _run(lsfs(k).ls, rel, args.recursive)
    return ListResult(entries=[FileInfo(**e) for e in entries if may(call, e["path"], write=False)])


async def stat(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """A file's or folder's metadata, its version and whether it is indexed."""
    rel = check(k, call, args.path, write=False)
    fs = lsfs(k)
    return FileInfo(**(fs.stat(rel) if fs.inline_reads else await _run(fs.stat, rel)))


async def mv(k: Kernel, call: Call, args: MvArgs) -> FileInfo:
    """Move or rename; the history follows the file."""
    src = check(k, call, args.src, write=True)
    dst = check(k, call, args.dst, write=True)
    return FileInfo(**await _run(lsfs(k).mv, src, dst, author=call.caller.label))


async def lock(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """Make a file read-only."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await _run(lsfs(k).set_locked, rel, True))


async def unlock(k: Kernel, call: Call, args: PathArgs) -> FileInfo:
    """Make a locked file writable again."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(**await _run(lsfs(k).set_locked, rel, False))


async def history(k: Kernel, call: Call, args: PathArgs) -> HistoryResult:
    """Every version of a file: when, by whom, how."""
    rel = check(k, call, args.path, write=False)
    return HistoryResult(path=rel, versions=await _run(versions.history, lsfs(k), rel))


async def rollback(k: Kernel, call: Call, args: RollbackArgs) -> FileInfo:
    """Restore an earlier version (n back, or as of a time), as a new version."""
    rel = check(k, call, args.path, write=True)
    return FileInfo(
        **await _run(
            versions.rollback, lsfs(k), rel, author=call.caller.label, n=args.n, at=args.at
        )
    )


async def diff(k: Kernel, call: Call, args: DiffArgs) -> DiffResult:
    """A unified diff between two versions of a file."""
    rel = check(k, call, args.path, write=False)
    return DiffResult(
        path=rel, diff=await _run(versions.diff, lsfs(k), rel, args.from_version, args.to_version)
    )


async def join(k: Kernel, call: Call, args: JoinArgs) -> FileInfo:
    """Join two files into a new one."""
    a = check(k, call, args.a, write=False)
    b = check(k, call, args.b, write=False)
    dst = check(k, call, args.dst, write=True)
    return FileInfo(
        **await _run(
            compose.join, lsfs(k), a, b, dst, author=call.caller.label, separator=args.separator
        )
    )
