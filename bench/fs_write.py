"""fs_write: what durable writes cost.

``LSFS.write`` answers only after the blob (temporary file, fsync, rename, fsync of
its folder), the file in the mount (the same) and the version row (a SQLite
commit) are written. This measures small writes, one after another (they are
serialised by LSFS's lock anyway), three ways: as built (fsyncs, SQLite WAL with
synchronous=NORMAL: survives a killed process), without any fsync (what the
fsyncs cost), and with synchronous=FULL (an fsync of the WAL per commit as well:
survives a power cut too). No goal: the figures say what durability costs here.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event

from aios.config import FsConfig
from aios.fs.embed import Embedder
from aios.fs.fs import LSFS
from bench.common import percentile, record, report

WRITES = 300


@contextmanager
def _lsfs(synchronous: str) -> Iterator[LSFS]:
    with tempfile.TemporaryDirectory() as d:
        engine = create_engine(f"sqlite:///{d}/aios.db")

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.close()

        fs = LSFS(FsConfig(watch=False), engine, Path(d), Embedder())  # model never loaded
        try:
            yield fs
        finally:
            fs.close()
            engine.dispose()


def _run(synchronous: str = "NORMAL", fsync: bool = True) -> list[float]:
    real = os.fsync
    if not fsync:
        os.fsync = lambda fd: None
    try:
        with _lsfs(synchronous) as fs:
            out = []
            for i in range(WRITES):
                t0 = time.perf_counter()
                fs.write(f"d{i % 10}/note-{i}.txt", f"note {i} ".encode() * 20, author="bench")
                out.append(time.perf_counter() - t0)
            return out
    finally:
        os.fsync = real


def main() -> None:
    built = _run()
    loose = _run(fsync=False)
    full = _run(synchronous="FULL")
    p50 = {
        k: percentile(v, 0.5) * 1000
        for k, v in [("built", built), ("loose", loose), ("full", full)]
    }
    p99 = {
        k: percentile(v, 0.99) * 1000
        for k, v in [("built", built), ("loose", loose), ("full", full)]
    }
    report(
        "fs_write",
        [
            record(
                "fs.write p50, durable as built (fsyncs, WAL NORMAL)",
                p50["built"],
                p50["loose"],
                goal="(none: the cost of durability)",
                met=True,
                unit="ms",
                note=f"p99 {p99['built']:.2f} ms; baseline: no fsync at all",
            ),
            record(
                "fs.write p50 with synchronous=FULL (power-cut durable)",
                p50["full"],
                p50["built"],
                goal="(none)",
                met=True,
                unit="ms",
                note=f"p99 {p99['full']:.2f} ms; baseline: as built",
            ),
        ],
        {"writes": WRITES, "p50_ms": p50, "p99_ms": p99},
    )


if __name__ == "__main__":
    main()
