"""LSFS against a chroma server (`chroma run`), the scale-out configuration."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aios.fs.embed import Embedder
from aios.kernel import ADMIN, Kernel
from tests.conftest import make_config
from tests.fakes import FakeCore
from tests.servers import chroma_run


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with chroma_run(tmp_path_factory.mktemp("chroma") / "db") as port:
        yield port


async def test_same_code_runs_against_a_chroma_server(
    tmp_path: Path, chroma_server: int, embedder: Embedder
) -> None:
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        fs={
            "watch": False,
            "chroma": {"mode": "http", "port": chroma_server, "collection": "aios_test"},
        },
    )
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        assert k.fs is not None
        await k.syscall(
            ADMIN, "fs.write", {"path": "a/owls.txt", "content": "Owls hunt at night in silence."}
        )
        await k.syscall(
            ADMIN, "fs.write", {"path": "b/tax.txt", "content": "File the tax return by April."}
        )
        assert await asyncio.to_thread(k.fs.indexer.wait_idle, 120)
        res: Any = await k.syscall(
            ADMIN, "fs.retrieve", {"query": "nocturnal birds", "mode": "semantic", "prefix": "a"}
        )
        assert [h["path"] for h in res.hits] == ["a/owls.txt"]
        assert k.fs.vectors.count() == 2
