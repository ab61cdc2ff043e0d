"""The compose topology without containers: PostgreSQL, ``chroma run`` and two
llama.cpp servers (docker/llama-server.sh) on loopback, and ``aios serve`` with the
environment docker/compose.yaml gives it, each service's host and port mapped to
the loopback one and nothing else changed. End to end: a chat answered by a remote
core, files written and searched through the chroma server, processes and versions
in PostgreSQL, and a restart of aios that loses none of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.daemon_helpers import Daemon, result
from tests.pg_helpers import PgServer
from tests.servers import chroma_run, llama_server

pytestmark = pytest.mark.model

COMPOSE = Path(__file__).parent.parent / "docker" / "compose.yaml"


def compose_env(where: dict[str, str], database_url: str) -> dict[str, str]:
    """The aios service's environment in compose, with ``where`` (a service name to
    its loopback ``host:port``) put in for each service it names, and the database
    URL for the test's own database (compose's names a server with a password)."""
    service = yaml.safe_load(COMPOSE.read_text())["services"]["aios"]
    env = {k: str(v) for k, v in service["environment"].items()}
    assert env["AIOS_DATABASE_URL"].startswith("postgresql+psycopg://")
    env["AIOS_DATABASE_URL"] = database_url
    host, port = where["chroma"].split(":")
    assert env["AIOS_FS__CHROMA__HOST"] == "chroma"
    env["AIOS_FS__CHROMA__HOST"], env["AIOS_FS__CHROMA__PORT"] = host, port
    cores = env["AIOS_LLM__CORES"]
    for name, addr in where.items():
        cores = re.sub(rf"http://{re.escape(name)}:\d+/", f"http://{addr}/", cores)
    assert "llm-1:" not in cores and "llm-2:" not in cores, cores
    env["AIOS_LLM__CORES"] = cores
    return env


@pytest.fixture
def topology(tmp_path: Path, pg_server: PgServer) -> Iterator[dict[str, Any]]:
    with (
        chroma_run(tmp_path / "chroma") as chroma_port,
        llama_server(tmp_path) as (url1, _),
        llama_server(tmp_path) as (url2, _),
    ):
        where = {
            "chroma": f"127.0.0.1:{chroma_port}",
            "llm-1": url1.removeprefix("http://").removesuffix("/v1"),
            "llm-2": url2.removeprefix("http://").removesuffix("/v1"),
        }
        yield {"where": where, "database_url": pg_server.database(), "chroma": chroma_port}


def test_aios_as_compose_configures_it(tmp_path: Path, topology: dict[str, Any]) -> None:
    env = compose_env(topology["where"], topology["database_url"])
    data = tmp_path / "aios-data"
    d = Daemon(data, env=env).start(timeout=120)
    try:
        chat = result(d, "llm.chat", messages=[{"role": "user", "content": "Hi"}], max_tokens=8)
        assert chat["core"] in ("llm-1", "llm-2")  # a remote core answered
        result(d, "fs.write", path="notes/owls.md", content="Barn owls hunt by sound at night.")
        result(d, "fs.write", path="notes/owls.md", content="Barn owls hunt by sound.")
        hits = result(d, "fs.retrieve", query="nocturnal birds", mode="semantic")
        assert [h["path"] for h in hits["hits"]] == ["notes/owls.md"]
        spawned = result(d, "proc.spawn", agent="sleep", task="0")
    finally:
        assert d.stop() == 0
    vectors = chromadb.HttpClient(port=topology["chroma"]).get_collection("lsfs_chunks").count()
    assert vectors >= 1  # the chroma server holds them, not the data dir
    assert not (data / "chroma").exists()
    db = create_engine(topology["database_url"])
    with db.connect() as c:
        assert c.execute(text("SELECT count(*) FROM fs_versions")).scalar_one() == 2
        assert c.execute(text("SELECT count(*) FROM syscalls WHERE core LIKE 'llm-%'")).scalar_one()
        assert c.execute(
            text("SELECT count(*) FROM processes WHERE pid = :p"), {"p": spawned["pid"]}
        ).scalar_one()
    again = Daemon(data, env=env).start(timeout=120)  # a restart loses nothing
    try:
        info = result(again, "proc.get", pid=spawned["pid"])
        assert info["pid"] == spawned["pid"]
        history = result(again, "fs.history", path="notes/owls.md")["versions"]
        assert len(history) == 2
        hits = result(again, "fs.retrieve", query="owls hunting", mode="hybrid")
        assert hits["hits"] and hits["hits"][0]["path"] == "notes/owls.md"
    finally:
        assert again.stop() == 0
