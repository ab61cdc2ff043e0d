"""The daemon's side of the sandbox: one broker process, confined programs, their
folders and limits. Every tool that runs an OS process goes through ``Sandbox``
(the shell tool now; MCP stdio servers and isolated agents reuse it), so there is
one confinement mechanism and no unconfined fallback: if the probe fails at start,
every spawn refuses with the reason and how to fix it.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aios.config import SandboxConfig
from aios.errors import AiosError, BadRequest, TooLarge, Unavailable

__all__ = ["ConfinedProcess", "Exit", "Sandbox", "SandboxStatus"]

log = logging.getLogger(__name__)

_BROKER = Path(__file__).with_name("broker.py")
_PATH = "/usr/local/bin:/usr/bin:/bin"
_HOW_TO_FIX = (
    "aios confines programs with Linux namespaces (user, mount, PID, network) and "
    "Landlock. Use Linux 5.13 or newer with Landlock enabled (lsm=landlock,...), allow "
    "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or "
    "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu), and in a container "
    "allow unshare and mount (e.g. docker run --security-opt seccomp=unconfined "
    "--security-opt apparmor=unconfined)."
)


class SandboxUnavailable(Unavailable):
    code = "sandbox_unavailable"


@dataclass
class SandboxStatus:
    confined: bool
    reason: str | None = None
    landlock_abi: int = 0
    user: str = ""
    probe_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "confined": self.confined,
            "reason": self.reason,
            "landlock_abi": self.landlock_abi,
            "runs_as": self.user,
            "mechanism": "user+mount+pid+ipc+net namespaces, pivot_root, Landlock, rlimits",
            "probe_ms": self.probe_ms,
        }


@dataclass
class Exit:
    code: int | None
    signal: int | None
    cpu_s: float = 0.0
    max_rss_kb: int = 0

    @property
    def returncode(self) -> int:
        return self.code if self.code is not None else -(self.signal or 0)


@dataclass(eq=False)
class ConfinedProcess:
    """A running confined program: its pipes, its end."""

    rid: int
    pid: int
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader
    stdin: asyncio.StreamWriter | None
    exited: asyncio.Future[Exit]
    _sandbox: Sandbox = field(repr=False)
    _pipes: list[asyncio.BaseTransport] = field(default_factory=list, repr=False)

    def kill(self) -> None:
        if not self.exited.done():
            self._sandbox._send({"op": "kill", "id": self.rid})

    def close_pipes(self) -> None:
        for t in self._pipes:
            t.close()

    async def wait(self) -> Exit:
        return await asyncio.shield(self.exited)


class Sandbox:
    def __init__(self, cfg: SandboxConfig, root: Path) -> None:
        self.cfg = cfg
        self.root = root
        self._euid = os.geteuid()
        self.uid = cfg.uid if self._euid == 0 else self._euid
        self.gid = cfg.gid if self._euid == 0 else os.getegid()
        self._status = SandboxStatus(False, "the sandbox has not been started")
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._next = 0
        self._starting: dict[int, asyncio.Future[int]] = {}
        self._running: dict[int, ConfinedProcess] = {}
        self._slots = asyncio.Semaphore(cfg.concurrency)

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> SandboxStatus:
        """Start the broker and probe confinement with a real confined program."""
        try:
            await self._start_broker()
            true = shutil.which("true", path=_PATH)
            if true is None:
                raise SandboxUnavailable("no 'true' program to probe with")
            t0 = time.perf_counter()
            res = await self.run([true], owner="probe", timeout_s=10)
            ms = (time.perf_counter() - t0) * 1000
            if res["exit_code"] != 0:
                raise SandboxUnavailable(f"the probe exited with {res['exit_code']}")
            self._status.confined, self._status.reason = True, None
            self._status.probe_ms = round(ms, 2)
        except AiosError as exc:
            self._status = SandboxStatus(
                False, f"{exc.message}. {_HOW_TO_FIX}", self._status.landlock_abi
            )
            log.warning("sandbox: programs cannot be confined, so no tool will run them: %s", exc)
        return self._status

    async def _start_broker(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_BROKER), str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env={"PATH": _PATH, "LANG": "C.UTF-8"},
                start_new_session=True,  # a Ctrl-C for the daemon is not for the broker
            )
        finally:
            theirs.close()
        ours.setblocking(False)
        self._sock = ours
        loop = asyncio.get_running_loop()
        hello: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._hello = hello
        loop.add_reader(ours.fileno(), self._on_readable)
        try:
            msg = await asyncio.wait_for(hello, 30)
        except TimeoutError:
            raise SandboxUnavailable("the sandbox broker did not start") from None
        abi = int(msg.get("landlock_abi", 0))
        self._status = SandboxStatus(False, None, abi, f"uid {self.uid}")
        if abi < 1:
            raise SandboxUnavailable("Landlock is not available in this kernel")
        self._send({"op": "warm", "spec": self._template(False)})

    def status(self) -> SandboxStatus:
        return self._status

    async def close(self) -> None:
        for proc in list(self._running.values()):
            proc.kill()
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()  # the broker sees EOF and ends; its supervisors with it
            self._sock = None
        if self._proc is not None:
            try:
                await asyncio.to_thread(self._proc.wait, 5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
        self._fail_all("the sandbox is closed")

    # -- folders ------------------------------------------------------------------------

    def folder(self, owner: str) -> Path:
        """The sandbox folder of one aios process (or "admin"): its programs' only
        writable place, shared by its calls, removed when the process ends."""
        if not owner.replace("-", "").isalnum():
            raise BadRequest("invalid sandbox owner")
        path = self.root / owner
        if not path.is_dir():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self._euid == 0:
                os.chown(path, self.uid, self.gid)
        return path

    def folder_exists(self, owner: str) -> bool:
        return (self.root / owner).is_dir()

    def remove_folder(self, owner: str) -> None:
        shutil.rmtree(self.root / owner, ignore_errors=True)

    def _usage(self, path: Path) -> int:
        total, seen = 0, 0
        for dirpath, dirs, files in os.walk(path):
            for name in files + dirs:
                seen += 1
                if seen > 100_000:
                    return self.cfg.disk_quota_bytes + 1  # as good as full
                with contextlib.suppress(OSError):  # gone meanwhile
                    total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
        return total

    # -- running ------------------------------------------------------------------------

    def resolve(self, program: str) -> str:
        """The host path of a program confined processes can execute, or BadRequest."""
        found = shutil.which(program, path=_PATH) if "/" not in program else program
        if found is None:
            raise BadRequest(f"program {program!r} is not installed")
        real = os.path.realpath(found)
        visible = ["/usr", *self.cfg.ro_paths]
        if not any(real == p or real.startswith(p.rstrip("/") + "/") for p in visible):
            raise BadRequest(f"program {program!r} is outside the folders confined programs see")
        return real

    async def spawn(
        self,
        argv: Sequence[str],
        *,
        owner: str,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        stdin: bool = False,
        ro_paths: Sequence[str] = (),
    ) -> ConfinedProcess:
        """Start ``argv`` confined, as ``owner``'s. Refuses when confinement is not
        available. The caller must wait for or kill the result."""
        if self._sock is None or (not self._status.confined and owner != "probe"):
            raise SandboxUnavailable(
                f"programs cannot be confined here: {self._status.reason or 'not started'}"
            )
        folder = self.folder(owner)
        used = await asyncio.to_thread(self._usage, folder)
        room = self.cfg.disk_quota_bytes - used
        if room <= 0:
            raise TooLarge(
                f"the sandbox folder is over its quota of {self.cfg.disk_quota_bytes} bytes",
                quota=self.cfg.disk_quota_bytes,
            )
        cfg = self.cfg
        spec = self._template(network, ro_paths) | {
            "path": self.resolve(argv[0]),
            "argv": list(argv),
            "env": {"PATH": _PATH, "LANG": "C.UTF-8", "HOME": "/sandbox", "TMPDIR": "/tmp"}
            | dict(env or {}),
            "sandbox_dir": os.path.realpath(folder),
            "limits": {
                "cpu_s": cfg.cpu_s,
                "memory_bytes": cfg.memory_bytes,
                "file_bytes": min(cfg.file_bytes, room),
                "open_files": cfg.open_files,
                "processes": cfg.processes,
            },
        }
        return await self._spawn(spec, stdin)

    def _template(self, network: bool, ro_paths: Sequence[str] = ()) -> dict[str, Any]:
        """What the broker builds ahead of time (one program's root is made while the
        previous one runs); calls with the same template take the ready one."""
        cfg = self.cfg
        return {
            "ro": [*cfg.ro_paths, *(cfg.net_ro_paths if network else ()), *ro_paths],
            "network": network,
            "uid": self.uid,
            "gid": self.gid,
            "tmp_bytes": cfg.tmp_bytes,
        }

    async def _spawn(self, spec: dict[str, Any], want_stdin: bool) -> ConfinedProcess:
        loop = asyncio.get_running_loop()
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        if want_stdin:
            in_r, in_w = os.pipe2(os.O_CLOEXEC)
        else:
            in_r, in_w = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
        self._next += 1
        rid = self._next
        started: asyncio.Future[int] = loop.create_future()
        self._starting[rid] = started
        exited: asyncio.Future[Exit] = loop.create_future()
        try:
            self._send({"op": "spawn", "id": rid, "spec": spec}, [in_r, out_w, err_w])
        finally:
            for fd in (in_r, out_w, err_w):
                os.close(fd)
        (stdout, t_out), (stderr, t_err) = await _reader(out_r), await _reader(err_r)
        writer = await _writer(in_w) if in_w >= 0 else None
        proc = ConfinedProcess(rid, 0, stdout, stderr, writer, exited, self, [t_out, t_err])
        if writer is not None:
            proc._pipes.append(writer.transport)
        self._running[rid] = proc
        try:
            proc.pid = await started
        except BaseException:
            self._running.pop(rid, None)
            self._starting.pop(rid, None)
            proc.close_pipes()
            raise
        return proc

    async def run(
        self,
        argv: Sequence[str],
        *,
        owner: str,
        timeout_s: float,
        max_output: int = 65_536,
        network: bool = False,
    ) -> dict[str, Any]:
        """Run a program to its end: exit code, output (bounded: past the limit the
        program is killed) and resources used. At most ``concurrency`` at once."""
        async with self._slots:
            proc = await self.spawn(argv, owner=owner, network=network)
            try:
                async with asyncio.timeout(timeout_s):
                    out, err = await asyncio.gather(
                        _take(proc.stdout, max_output, proc), _take(proc.stderr, max_output, proc)
                    )
                    ex = await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise TimeoutError(f"{argv[0]} did not finish within {timeout_s:g}s") from None
            finally:
                proc.kill()  # a no-op once it has exited
                proc.close_pipes()
        return {
            "exit_code": ex.returncode,
            "stdout": out[:max_output].decode(errors="replace"),
            "stderr": err[:max_output].decode(errors="replace"),
            "truncated": len(out) > max_output or len(err) > max_output,
            "cpu_s": ex.cpu_s,
            "max_rss_kb": ex.max_rss_kb,
        }

    # -- the broker's socket ------------------------------------------------------------

    def _send(self, msg: dict[str, Any], fds: Sequence[int] = ()) -> None:
        if self._sock is None:
            raise SandboxUnavailable("the sandbox broker is not running")
        data = json.dumps(msg).encode()
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        try:
            self._sock.sendmsg([data], anc)
        except (BlockingIOError, BrokenPipeError, ConnectionError) as exc:
            raise SandboxUnavailable(f"the sandbox broker cannot be reached: {exc}") from None

    def _on_readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._broker_gone()
                return
            self._dispatch(json.loads(data))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        op, rid = msg.get("op"), msg.get("id")
        if op == "hello" and not self._hello.done():
            self._hello.set_result(msg)
        elif op == "started" and rid in self._starting:
            self._starting.pop(rid).set_result(int(msg["pid"]))
        elif op == "failed" and rid in self._starting:
            self._starting.pop(rid).set_exception(
                SandboxUnavailable(f"the program could not be confined: {msg.get('error')}")
            )
        elif op == "exit" and rid in self._running:
            proc = self._running.pop(rid)
            if not proc.exited.done():
                proc.exited.set_result(
                    Exit(msg.get("code"), msg.get("signal"), msg["cpu_s"], msg["max_rss_kb"])
                )

    def _broker_gone(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        log.error("sandbox: the broker ended; confined tools are unavailable until restart")
        self._status = SandboxStatus(False, "the sandbox broker ended", self._status.landlock_abi)
        self._fail_all("the sandbox broker ended")

    def _fail_all(self, why: str) -> None:
        for fut in self._starting.values():
            if not fut.done():
                fut.set_exception(SandboxUnavailable(why))
        self._starting.clear()
        for proc in self._running.values():
            if not proc.exited.done():
                proc.exited.set_result(Exit(None, 9))
        self._running.clear()


async def _reader(fd: int) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    pipe = os.fdopen(fd, "rb", buffering=0)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader, transport


async def _writer(fd: int) -> asyncio.StreamWriter:
    loop = asyncio.get_running_loop()
    pipe = os.fdopen(fd, "wb", buffering=0)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, pipe)
    return asyncio.StreamWriter(transport, protocol, None, loop)


async def _take(stream: asyncio.StreamReader, limit: int, proc: ConfinedProcess) -> bytes:
    """Up to limit+1 bytes; past that the program is killed (no endless draining)."""
    buf = b""
    while chunk := await stream.read(65536):
        buf += chunk[: limit + 1 - len(buf)]
        if len(buf) > limit:
            proc.kill()
            break
    return buf
