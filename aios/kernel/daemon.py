"""The daemon's lifecycle: data directory, lock, token, serving, signals, shutdown.

``aios serve`` runs ``serve(config)``: it takes the data directory's lock (one
daemon per data directory), makes sure the admin token exists, binds the port (and the
Unix socket ``<data_dir>/run/api.sock``, the way in for isolated agents),
starts the kernel (a missing model fails here, before anything is served), then
serves HTTP until SIGTERM or SIGINT. On a signal the kernel stops accepting
work at once; in-flight requests get the shutdown deadline to finish; then the
kernel cancels what is left, closes the models and the database, and the
process exits 0.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import gc
import json
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, Any

import uvicorn

from aios.config import Config
from aios.errors import AiosError, ConfigError
from aios.kernel.kernel import Kernel

__all__ = ["DataDirLock", "api_socket_path", "daemon_file", "ensure_token", "read_token", "serve"]

log = logging.getLogger(__name__)

TOKEN_FILE = "token"
LOCK_FILE = "aios.lock"
DAEMON_FILE = "daemon.json"
API_SOCKET = "run/api.sock"
_MAX_UNIX_PATH = 107  # sun_path holds 108 bytes with the terminating NUL


class DataDirLock:
    """An exclusive lock on the data directory, released when the process dies."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise ConfigError(
                f"another aios daemon (pid {holder}) is already using {self.path.parent}; "
                "stop it first, or give this one its own --data-dir"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def ensure_token(data_dir: Path) -> str:
    """The admin token, created on first start with mode 0600."""
    path = data_dir / TOKEN_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_token(data_dir)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    log.info("created the admin token in %s", path)
    return token


def read_token(data_dir: Path) -> str:
    path = data_dir / TOKEN_FILE
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no admin token at {path}: start the daemon once ('aios serve')"
        ) from None
    if not token:
        raise ConfigError(f"the admin token file {path} is empty")
    return token


def daemon_file(data_dir: Path) -> dict[str, Any] | None:
    """Where the daemon serving this data directory listens, if one is running."""
    try:
        info: dict[str, Any] = json.loads((data_dir / DAEMON_FILE).read_text())
    except (OSError, ValueError):
        return None
    pid = info.get("pid")
    try:
        os.kill(int(pid or 0), 0)
    except (OSError, ValueError):
        return None
    return info


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "is already in use" if exc.errno == errno.EADDRINUSE else f"failed: {exc}"
        raise ConfigError(f"cannot listen on {host}:{port}: the address {why}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def api_socket_path(data_dir: Path) -> Path:
    """Where the daemon serving ``data_dir`` listens on a Unix socket."""
    return data_dir / API_SOCKET


def _bind_unix(data_dir: Path) -> socket.socket | None:
    """The API's Unix socket, for isolated agents (confined programs have no network;
    the sandbox bind-mounts this socket, read-only, at /run/aios.sock). Its folder is
    0700, so on the host only the daemon's user reaches it; the socket itself is 0666
    when the daemon is root, because confined programs then run as another user (uid
    65534). Every request still needs a token."""
    path = api_socket_path(data_dir)
    if len(os.fsencode(path)) > _MAX_UNIX_PATH:
        log.warning("no Unix socket: its path %s is too long (isolated agents are off)", path)
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        if path.parent.is_symlink():  # chmod and bind would follow it out of the data dir
            raise OSError(f"{path.parent} is a symbolic link")
        os.chmod(path.parent, 0o700)
        path.unlink(missing_ok=True)  # a dead daemon's: this one holds the data dir's lock
        sock.bind(str(path))
        os.chmod(path, 0o666 if os.geteuid() == 0 else 0o600)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on the Unix socket {path}: {exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(config: Config) -> int:
    """Run the daemon in the foreground; returns the exit status."""
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = DataDirLock(data_dir)
    lock.acquire()
    try:
        token = ensure_token(data_dir)
        sock = _bind(config.host, config.port)
        usock = None
        try:
            usock = _bind_unix(data_dir) if config.api.unix_socket else None
            with asyncio.Runner(loop_factory=_loop_factory(config.api.event_loop)) as runner:
                return runner.run(_serve(config, token, sock, usock))
        finally:
            sock.close()
            if usock is not None:
                usock.close()
                api_socket_path(data_dir).unlink(missing_ok=True)
    finally:
        (data_dir / DAEMON_FILE).unlink(missing_ok=True)
        lock.release()


def _loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop (about twice the HTTP throughput) where it is installed."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise ConfigError("api.event_loop is uvloop but uvloop is not installed") from None
        return None
    return uvloop.new_event_loop


async def _serve(
    config: Config, token: str, sock: socket.socket, usock: socket.socket | None = None
) -> int:
    from aios.api.app import create_app

    kernel = Kernel(config)
    await kernel.start()  # raises ModelError etc. before anything is served
    if kernel.fs is not None and config.fs.preload:
        kernel.fs.warm_in_background()
    try:
        host, port = sock.getsockname()[:2]
        (config.data_dir / DAEMON_FILE).write_text(
            json.dumps({"pid": os.getpid(), "host": host, "port": port})
        )
        app = create_app(kernel, token)
        if usock is not None:
            kernel.api_socket = api_socket_path(config.data_dir)
        gc.freeze()  # what start-up built lives on: keep it out of full collections
        # Threads that hold the interpreter lock (codecs, sampling, the indexer) give it
        # up to the loop within 1 ms of its asking, not 5: measured in bench/loop.
        sys.setswitchinterval(0.001)
        server = _Server(
            uvicorn.Config(
                app,
                log_level=config.log_level,
                timeout_graceful_shutdown=max(1, int(config.shutdown_deadline_s)),
                access_log=config.log_level == "debug",
                lifespan="off",
                # the client address is the socket's: a local process must not name
                # another per request (failed authentications are counted by address)
                proxy_headers=False,
            ),
            kernel,
        )
        log.info(
            "aios %s serving on http://%s:%d (data dir %s)",
            kernel.health()["version"],
            host,
            port,
            config.data_dir,
        )
        # uvicorn re-raises the signal it caught once it has stopped, with the
        # handler it found installed: make that a no-op so shutdown completes.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _ignore_signal)
        await server.serve(sockets=[sock] if usock is None else [sock, usock])
    finally:
        await kernel.close()
    return 0


def _ignore_signal(sig: int, frame: FrameType | None) -> None:
    log.debug("signal %d after shutdown began; already stopping", sig)


class _Server(uvicorn.Server):
    """uvicorn's server; the first signal also stops the kernel's intake."""

    def __init__(self, config: uvicorn.Config, kernel: Kernel) -> None:
        super().__init__(config)
        self._kernel = kernel

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._kernel.stop_accepting()
        super().handle_exit(sig, frame)


def run_or_explain(config: Config) -> int:
    """``serve`` for the CLI: a clear one-line error instead of a traceback."""
    try:
        return serve(config)
    except AiosError as exc:
        log.error("%s", exc.message)
        return 2
