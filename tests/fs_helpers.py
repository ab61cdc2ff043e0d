"""Helpers for the LSFS tests: call a syscall, wait for the indexer, load the corpus,
a kernel configuration without the monitor, an
embedder with a fault in it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from aios.fs.embed import Embedder
from aios.kernel import ADMIN, Kernel
from tests.conftest import make_config

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


class Faulty:
    """The real embedder, with a fault (or a gate) in the indexer's ``encode``."""

    def __init__(self, real: Embedder, fault: Callable[[list[str]], None]) -> None:
        self.real, self.fault = real, fault

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def encode(self, texts: list[str]) -> np.ndarray:
        self.fault(texts)
        return self.real.encode(texts)


def fs_config(tmp_path: Path, **fs: Any) -> Any:
    return make_config(
        tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]}, fs={"watch": False, **fs}
    )
