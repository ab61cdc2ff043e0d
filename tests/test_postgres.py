"""The kernel's and LSFS's state on a real PostgreSQL server (tests/pg_helpers.py):
processes, their syscalls, files, versions and the keyword index survive a restart
of the kernel. The fs syscalls themselves run on both databases in test_fs.py and
test_fs_search.py, a crash-left process in test_kernel.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect

from aios.kernel import ADMIN, Kernel, ProcessState
from tests.conftest import make_config
from tests.fakes import FakeCore
from tests.fs_helpers import S, idle
from tests.pg_helpers import PgServer


def _config(tmp_path: Path, url: str) -> Any:
    llm = {"cores": [{"kind": "llamacpp", "model": "fake"}]}
    return make_config(tmp_path, llm=llm, database_url=url)


async def test_state_in_postgresql_survives_a_restart(
    tmp_path: Path, pg_server: PgServer, embedder: Any
) -> None:
    url = pg_server.database()
    cfg = _config(tmp_path, url)

    async def agent(ctx: Any, task: str) -> None:
        await ctx.chat("hello", max_tokens=4)

    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        proc = await k.spawn(agent)
        await k.wait(proc.pid, 10)
        await S(k, "fs.write", path="notes/plan.md", content="ship the tsvector index")
        await S(k, "fs.write", path="notes/plan.md", content="ship the tsvector index on friday")
        await idle(k)
    names = set(inspect(create_engine(url)).get_table_names())
    assert {"processes", "syscalls", "fs_files", "fs_versions", "fs_chunks"} <= names
    async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
        info = await k.procs.get(proc.pid)
        assert info.state == ProcessState.EXITED and info.completion_tokens == 4
        rows: Any = await k.syscall(ADMIN, "proc.syscalls", {"pid": proc.pid})
        assert [r["name"] for r in rows.syscalls] == ["llm.chat"]
        history = (await S(k, "fs.history", path="notes/plan.md")).versions
        assert [v["op"] for v in history] == ["write", "write"]
        old = await S(k, "fs.read", path="notes/plan.md", version=1)
        assert old.text == "ship the tsvector index"
        hits = await S(k, "fs.retrieve", query="friday tsvector", mode="keyword")
        assert [h["path"] for h in hits.hits] == ["notes/plan.md"]
        hybrid = await S(k, "fs.retrieve", query="when does the index ship", mode="hybrid")
        assert hybrid.hits and hybrid.hits[0]["path"] == "notes/plan.md"
