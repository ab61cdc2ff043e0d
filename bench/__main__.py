"""``python -m bench [NAME ...]``: run the benchmarks (all of them by default)."""

from __future__ import annotations

import importlib
import logging
import sys

ALL = [
    "inference",
    "preempt",
    "scheduler",
    "executor",
    "compiler",
    "plans",
    "fs_index",
    "fs_query",
    "fs_quality",
    "api",
]


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    names = argv or ALL
    unknown = [n for n in names if n not in ALL]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {ALL}", file=sys.stderr)
        return 2
    for name in names:
        importlib.import_module(f"bench.{name}").main()
    return 0


raise SystemExit(main(sys.argv[1:]))
