"""A throw-away PostgreSQL server for the tests: ``initdb`` into a temporary folder,
``pg_ctl start`` on a free loopback port (as the ``postgres`` user when the tests
run as root, which PostgreSQL refuses to run as), one fresh database per test.

PostgreSQL comes from the Debian package (``postgresql``). Without it the tests that
need it fail and say so; ``AIOS_TEST_POSTGRES=0`` skips them instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PgServer", "postgres_bin"]


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL program: on PATH, or in Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One running server; ``database()`` makes a fresh database and gives its URL."""

    def __init__(self, root: Path) -> None:
        initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            if os.environ.get("AIOS_TEST_POSTGRES") == "0":
                pytest.skip("PostgreSQL is not installed (AIOS_TEST_POSTGRES=0)")
            pytest.fail("PostgreSQL is not installed: apt-get install postgresql")
        self.pg_ctl = pg_ctl
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        root.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(root, "postgres")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        opts = f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(root / "log"), "-w", "start")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True, timeout=120)

    def database(self) -> str:
        """A new, empty database on the server: its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres"
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"{self.url}/{name}"

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    # not under pytest's temporary folder: it is root's alone, and the server's user
    # must reach its data folder
    root = Path(tempfile.mkdtemp(prefix="aios-pg-"))
    root.chmod(0o755)
    try:
        server = PgServer(root / "pg")
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
