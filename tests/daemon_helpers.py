"""Start real `aios serve` subprocesses on loopback for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Daemon:
    def __init__(
        self,
        data_dir: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        module: str = "aios",
    ) -> None:
        """``module`` is what ``python -m`` runs with ``serve ...``: benchmarks pass one
        that wraps the daemon (e.g. with an event-loop lag probe)."""
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"daemon-{self.port}.log"
        # tests do not need the embedding model loaded at every start
        self.env = {**os.environ, "AIOS_FS__PRELOAD": "false", **(env or {})}
        self.args = [
            sys.executable,
            "-m",
            module,
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(self.port),
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: bool = True, timeout: float = 60) -> Daemon:
        self._fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.args, stdout=self._fh, stderr=subprocess.STDOUT, env=self.env
        )
        if wait:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"daemon exited {self.proc.returncode}: {self.output()}")
                try:
                    if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            raise RuntimeError(f"daemon did not start: {self.output()}")
        return self

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def syscall(self, name: str, token: str | None = None, **args: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.post(
            self.url + "/v1/syscall",
            json={"name": name, "args": args},
            headers=headers,
            timeout=120,
        )

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "aios", *args, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        self._fh.close()
        return rc


def result(d: Daemon, name: str, **args: Any) -> dict[str, Any]:
    """A syscall that must succeed: its result."""
    r = d.syscall(name, **args)
    assert r.status_code == 200, r.text
    return r.json()["result"]  # type: ignore[no-any-return]
