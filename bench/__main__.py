"""``python -m bench [NAME ...]``: run the benchmarks (all but soak by default)."""

from __future__ import annotations

import importlib
import logging
import subprocess
import sys

ALL = [
    "inference",
    "preempt",
    "scheduler",
    "executor",
    "compiler",
    "plans",
    "plan_quality",
    "shell",
    "fs_index",
    "fs_write",
    "fs_query",
    "fs_quality",
    "api",
    "sandbox",
    "loop",
    "agents",
    "soak",
]
# Run only when named (``make bench B=soak``): it takes minutes (10 of mixed load by
# default), too long for the all-benchmarks run.
NOT_BY_DEFAULT = {"soak"}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    names = argv or [n for n in ALL if n not in NOT_BY_DEFAULT]
    unknown = [n for n in names if n not in ALL]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {ALL}", file=sys.stderr)
        return 2
    if len(names) == 1:
        importlib.import_module(f"bench.{names[0]}").main()
        return 0
    # One process per benchmark: what one leaves behind (threads, loaded models, a
    # libgomp that torch has grown past the core count) must not skew the next.
    failed = [n for n in names if subprocess.run([sys.executable, "-m", "bench", n]).returncode]
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


raise SystemExit(main(sys.argv[1:]))
