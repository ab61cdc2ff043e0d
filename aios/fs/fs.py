"""LSFS: the semantic file system service (storage, versions, locks, links).

Files live as ordinary files under the mount root; every content a file ever had
is a content-addressed blob; metadata and history are rows in the kernel's
database, which is the source of truth. A write stores the blob, replaces the
file atomically and commits its version row, in that order, so an acknowledged
write survives a crash and a crash before the commit leaves a change that
``reconcile`` records. Mutations are serialised by one lock (they are short);
reads run concurrently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from aios.config import FsConfig
from aios.errors import BadRequest, Conflict, NotFound, TooLarge
from aios.fs.blobs import BlobStore, sha256
from aios.fs.disk import Disk
from aios.fs.embed import Embedder
from aios.fs.extract import guess_mime
from aios.fs.index import Indexer
from aios.fs.models import ChunkRow, FileRow, VersionRow, create_tables
from aios.fs.models import file_info as info
from aios.fs.paths import Paths, parent_of
from aios.fs.vectors import VectorIndex
from aios.fs.writes import Writes

__all__ = ["LSFS"]

log = logging.getLogger(__name__)


class LSFS:
    def __init__(
        self, cfg: FsConfig, engine: Engine, data_dir: Path, embedder: Embedder | None = None
    ) -> None:
        self.cfg = cfg
        self.paths = Paths(cfg.mount or data_dir / "files")
        self.disk = Disk(self.paths)  # never follows a symlink
        self.blobs = BlobStore(data_dir / "blobs")
        create_tables(engine)
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        files = FileRow.__table__
        self._stat_query = select(files).where(
            files.c.path == bindparam("path"), files.c.deleted.is_(False)
        )
        self.embedder = embedder or Embedder(cfg.embedding_path)
        self.vectors = VectorIndex(cfg.chroma, data_dir / "chroma")
        self.writes = Writes()  # acknowledged writes not yet indexed, by author
        self.indexer = Indexer(
            self.sessions,
            self.blobs,
            self.embedder,
            self.vectors,
            chunk_tokens=cfg.chunk_tokens,
            overlap=cfg.chunk_overlap,
            writes=self.writes,
            attempts=cfg.index_attempts,
            backoff_s=cfg.index_backoff_s,
        )
        self.lock = threading.RLock()
        self._warmer: threading.Thread | None = None
        self.search_pool = ThreadPoolExecutor(4, thread_name_prefix="aios-search")

    def start(self) -> None:
        from aios.fs.reconcile import reconcile

        report = reconcile(self)
        log.info("lsfs: reconciled %s", report)
        self.indexer.start()

    def warm_in_background(self) -> None:
        """Load the embedding model off the request path, so the first search does
        not wait for it (the daemon does this at start)."""
        # Not a daemon thread: native code (torch, onnxruntime) still running when the
        # interpreter exits aborts the process; close() waits for it instead.
        self._warmer = threading.Thread(target=self._warm, name="aios-embedder-warm")
        self._warmer.start()

    def _warm(self) -> None:
        try:
            self.embedder.warm()
        except Exception:
            log.exception("lsfs: the embedding model could not be loaded")

    def close(self) -> None:
        if self._warmer is not None:
            self._warmer.join(120)
        self.indexer.stop()
        self.search_pool.shutdown(wait=False, cancel_futures=True)
        self.vectors.close()

    # -- lookups -------------------------------------------------------------------

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with self.sessions() as s, s.begin():
            yield s

    @staticmethod
    def live(s: Session, path: str) -> FileRow | None:
        return s.scalars(
            select(FileRow).where(FileRow.path == path, FileRow.deleted.is_(False))
        ).first()

    def require(self, s: Session, path: str, kind: str | None = None) -> FileRow:
        row = self.live(s, path)
        if row is None:
            raise NotFound(f"no such file or folder: {path!r}", path=path)
        if kind is not None and row.kind != kind:
            raise BadRequest(f"{path!r} is a {row.kind}, not a {kind}", path=path)
        return row

    def _children(self, s: Session, path: str) -> list[FileRow]:
        like = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        q = select(FileRow).where(FileRow.deleted.is_(False))
        if path:
            q = q.where(FileRow.path.like(like, escape="\\"))
        return list(s.scalars(q.order_by(FileRow.path)))

    # -- reading ------------------------------------------------------------------

    def stat(self, path: str) -> dict[str, Any]:
        rel = self.paths.norm(path)
        if rel == "":
            return {"path": "", "kind": "dir", "size": 0, "version": 0, "locked": False}
        with self.engine.connect() as c:  # Core, not the ORM: stat is the hot path
            row = c.execute(self._stat_query, {"path": rel}).first()
        if row is None:
            raise NotFound(f"no such file or folder: {rel!r}", path=rel)
        return info(row)

    def ls(self, path: str = "", recursive: bool = False) -> list[dict[str, Any]]:
        rel = self.paths.norm(path)
        with self.sessions() as s:
            if rel:
                self.require(s, rel, "dir")
            rows = self._children(s, rel)
        if not recursive:
            rows = [r for r in rows if parent_of(r.path) == rel]
        return [info(r) for r in rows]

    def read(self, path: str, version: int | None = None) -> tuple[bytes, dict[str, Any]]:
        rel = self.paths.norm(path)
        with self.sessions() as s:
            row = self.require(s, rel, "file")
            meta = info(row)
            sha = row.sha256
            if version is not None and version != row.version:
                v = self.version_of(s, row, version)
                sha, meta = v.sha256, {**meta, "version": v.n, "size": v.size, "sha256": v.sha256}
        assert sha is not None
        return self.blobs.get(sha), meta

    def version_of(self, s: Session, row: FileRow, n: int) -> VersionRow:
        v = s.scalars(
            select(VersionRow).where(VersionRow.file_id == row.id, VersionRow.n == n)
        ).first()
        if v is None:
            raise NotFound(f"{row.path!r} has no version {n} (it has 1..{row.version})")
        return v

    # -- writing ------------------------------------------------------------------

    def write(
        self,
        path: str,
        data: bytes,
        *,
        author: str,
        op: str = "write",
        create: bool = True,
        exclusive: bool = False,
        note: str | None = None,
    ) -> dict[str, Any]:
        if len(data) > self.cfg.max_file_bytes:
            raise TooLarge(
                f"file over {self.cfg.max_file_bytes} bytes", limit=self.cfg.max_file_bytes
            )
        rel = self.paths.norm(path)
        if not rel:
            raise BadRequest("cannot write to the mount root itself")
        with self.lock, self.tx() as s:
            row = self.live(s, rel)
            if row is not None:
                if row.kind == "dir":
                    raise Conflict(f"{rel!r} is a folder", path=rel)
                if exclusive:
                    raise Conflict(f"{rel!r} already exists", path=rel)
                if row.locked:
                    raise Conflict(f"{rel!r} is locked (read-only)", path=rel)
            elif not create:
                raise NotFound(f"no such file: {rel!r}", path=rel)
            digest = sha256(data)
            if row is not None and row.sha256 == digest:
                return info(row)  # same content: no new version
            self._parents(s, rel, author)
            self.blobs.put(data)
            st = self.disk.write(rel, data)
            row = self._record(
                s,
                row,
                rel,
                data,
                digest,
                op=op,
                author=author,
                note=note,
                mtime_ns=st.st_mtime_ns,
            )
            out = info(row)
            fid = row.id
        self.writes.add(author, fid)  # before queueing: the indexer must see its number
        self.indexer.enqueue(fid)
        return out

    def _record(
        self,
        s: Session,
        row: FileRow | None,
        rel: str,
        data: bytes,
        digest: str,
        *,
        op: str,
        author: str,
        note: str | None,
        mtime_ns: int,
    ) -> FileRow:
        now = time.time()
        if row is None:
            row = FileRow(path=rel, kind="file", created_at=now, version=0)
            s.add(row)
        row.version += 1
        row.sha256, row.size, row.updated_at = digest, len(data), now
        row.mime = guess_mime(rel, data[:65536])
        row.index_state, row.disk_mtime_ns = "pending", mtime_ns
        s.flush()
        s.add(
            VersionRow(
                file_id=row.id,
                n=row.version,
                sha256=digest,
                size=len(data),
                created_at=now,
                op=op,
                author=author,
                path=rel,
                note=note,
            )
        )
        return row

    def _parents(self, s: Session, rel: str, author: str) -> None:
        parent = parent_of(rel)
        chain = []
        while parent:
            row = self.live(s, parent)
            if row is not None:
                if row.kind != "dir":
                    raise Conflict(f"{parent!r} is a file, not a folder", path=parent)
                break
            chain.append(parent)
            parent = parent_of(parent)
        now = time.time()
        for d in reversed(chain):
            self.disk.mkdirs(d)
            s.add(
                FileRow(
                    path=d,
                    kind="dir",
                    created_at=now,
                    updated_at=now,
                    index_state="skipped",
                    index_note="folder",
                )
            )
        s.flush()

    def append(self, path: str, data: bytes, *, author: str) -> dict[str, Any]:
        rel = self.paths.norm(path)
        with self.lock:
            try:
                current, _ = self.read(rel)
            except NotFound:
                current = b""
            return self.write(rel, current + data, author=author, op="append")

    def mkdir(self, path: str, *, author: str) -> dict[str, Any]:
        rel = self.paths.norm(path)
        if not rel:
            raise Conflict("the mount root exists")
        with self.lock, self.tx() as s:
            row = self.live(s, rel)
            if row is not None:
                if row.kind != "dir":
                    raise Conflict(f"{rel!r} is a file", path=rel)
                return info(row)
            self._parents(s, rel + "/x", author)
            return info(self.require(s, rel))

    def delete(self, path: str, *, author: str, recursive: bool = False) -> list[str]:
        rel = self.paths.norm(path)
        if not rel:
            raise BadRequest("cannot delete the mount root")
        trash: str | None = None
        with self.lock:
            try:
                with self.tx() as s:
                    rows = self._doomed(s, rel, recursive)
                    for r in rows:
                        r.deleted, r.updated_at = True, time.time()
                    ids = [r.id for r in rows if r.kind == "file"]
                    paths = [r.path for r in rows]
                    # One rename takes the whole tree out of the mount before the commit:
                    # all or nothing on disk too; a removal that fails afterwards leaves
                    # only a hidden folder, which reconcile purges and never adopts.
                    trash = self.disk.detach(rel)
            except BaseException:
                if trash is not None:  # the commit failed: the files are still live
                    self.disk.restore(trash, rel)
                raise
        if trash is not None:
            self.disk.purge(trash)
        self.indexer.enqueue(*ids)  # drops their chunks and vectors
        log.info("lsfs: %s deleted %s", author, paths)
        return paths

    def _doomed(self, s: Session, rel: str, recursive: bool) -> list[FileRow]:
        row = self.require(s, rel)
        rows = [row]
        if row.kind == "dir":
            children = self._children(s, rel)
            if children and not recursive:
                raise Conflict(f"{rel!r} is not empty (use recursive)", path=rel)
            rows += children
        locked = [r.path for r in rows if r.locked]
        if locked:
            raise Conflict(f"locked files: {locked}", paths=locked)
        return rows

    def mv(self, src: str, dst: str, *, author: str) -> dict[str, Any]:
        a, b = self.paths.norm(src), self.paths.norm(dst)
        if not a or not b:
            raise BadRequest("cannot move the mount root")
        if b == a or b.startswith(a + "/"):
            raise BadRequest(f"cannot move {a!r} into itself")
        with self.lock, self.tx() as s:
            row = self.require(s, a)
            if self.live(s, b) is not None:
                raise Conflict(f"{b!r} already exists", path=b)
            moving = [row] + (self._children(s, a) if row.kind == "dir" else [])
            if any(r.locked for r in moving):
                raise Conflict(f"{a!r} is or holds locked files", path=a)
            self._parents(s, b, author)
            self.disk.rename(a, b)
            for r in moving:
                r.path = b + r.path[len(a) :]
                r.updated_at = time.time()
            s.flush()
            moved = [(r.id, r.path) for r in moving if r.kind == "file"]
            out = info(row)
        for fid, path in moved:  # history follows the file; so do its vectors' folders
            self._move_vectors(fid, path)
        return out

    def _move_vectors(self, fid: int, path: str) -> None:
        with self.sessions() as s:
            rows = s.execute(
                select(ChunkRow.vector_id, ChunkRow.ordinal).where(ChunkRow.file_id == fid)
            ).all()
        if rows:
            self.vectors.move([r[0] for r in rows], path, fid, [r[1] for r in rows])

    def set_locked(self, path: str, locked: bool) -> dict[str, Any]:
        rel = self.paths.norm(path)
        with self.lock, self.tx() as s:
            row = self.require(s, rel, "file")
            row.locked = locked
            self.disk.chmod(rel, 0o444 if locked else 0o644)  # a hint to other tools too
            return info(row)
