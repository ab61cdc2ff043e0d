"""Helpers for the LSFS tests: call a syscall, wait for the indexer, load the corpus."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aios.kernel import ADMIN, Kernel

CORPUS = Path(__file__).parent / "corpus"


async def S(k: Kernel, name: str, **args: Any) -> Any:
    return await k.syscall(ADMIN, name, args)


async def idle(k: Kernel) -> None:
    assert k.fs is not None
    assert await asyncio.to_thread(k.fs.indexer.wait_idle, 120)


async def load_corpus(k: Kernel, folder: str = "c") -> None:
    for p in sorted(CORPUS.iterdir()):
        await S(k, "fs.write", path=f"{folder}/{p.name}", content=p.read_text())
    await idle(k)


def top(res: Any) -> list[str]:
    return [h["path"].rsplit("/", 1)[-1] for h in res.hits]
