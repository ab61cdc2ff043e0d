"""Shared fixtures. Every test gets its own data directory and kernel."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aios.config import Config, load_config
from aios.fs.embed import Embedder
from aios.kernel import Kernel
from aios.kernel.sandbox import Sandbox
from tests.fakes import FakeCore
from tests.pg_helpers import pg_server  # noqa: F401  (a fixture: a PostgreSQL server)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A developer's AIOS_* variables must not leak into tests."""
    for key in list(os.environ):
        if key.startswith("AIOS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    yield


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    overrides.setdefault("data_dir", tmp_path / "data")
    llm = overrides.pop("llm", None) or {
        "cores": [{"kind": "llamacpp", "n_ctx": 1024, "n_seq": 4}],
    }
    return load_config(llm=llm, **overrides)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real embedding model, loaded once for the whole run (it takes seconds)."""
    return Embedder()


@pytest.fixture
async def kernel(config: Config, embedder: Embedder) -> AsyncIterator[Kernel]:
    """A kernel on the real bundled model."""
    async with Kernel(config, embedder=embedder) as k:
        yield k


@pytest.fixture
async def k(tmp_path: Path, embedder: Embedder) -> AsyncIterator[Kernel]:
    """A kernel with LSFS (real embeddings, chroma, SQLite) on a scripted LLM core."""
    cfg = make_config(tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]})
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as kernel:
        yield kernel


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A started sandbox (its own broker) with the default configuration."""
    sb = Sandbox(make_config(tmp_path).tools.sandbox, tmp_path / "sandbox")
    status = await sb.start()
    assert status.confined, status.reason
    yield sb
    await sb.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def k_any_db(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder
) -> AsyncIterator[Kernel]:
    """A kernel with LSFS on a scripted core, once on SQLite and once on a fresh
    PostgreSQL database (tests/pg_helpers.py): every fs syscall on both."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_server").database()
    llm = {"cores": [{"kind": "llamacpp", "model": "fake"}]}
    cfg = make_config(tmp_path, llm=llm, database_url=url)
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as kernel:
        yield kernel
