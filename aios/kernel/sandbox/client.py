"""The daemon's side of the sandbox: one broker process, confined programs, their
folders and limits. Every tool that runs an OS process goes through ``Sandbox``
(the shell tool now; MCP stdio servers and isolated agents reuse it), so there is
one confinement mechanism and no unconfined fallback: if the probe fails at start,
every spawn refuses with the reason and how to fix it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aios.config import SandboxConfig
from aios.errors import AiosError, BadRequest, DeadlineExceeded
from aios.kernel.sandbox.channel import BrokerChannel
from aios.kernel.sandbox.process import (
    ConfinedProcess,
    Exit,
    SandboxStatus,
    SandboxUnavailable,
    close_set_up_pipes,
    connect_pipes,
    take,
)

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


class Sandbox:
    def __init__(self, cfg: SandboxConfig, root: Path) -> None:
        self.cfg = cfg
        self.root = root
        self._euid = os.geteuid()
        self.uid = cfg.uid if self._euid == 0 else self._euid
        self.gid = cfg.gid if self._euid == 0 else os.getegid()
        self._status = SandboxStatus(False, "the sandbox has not been started")
        self._broker = BrokerChannel(self._on_event, self._on_gone)
        self._running: dict[int, ConfinedProcess] = {}
        self._folders: dict[str, str] = {}  # owner -> its folder, in the broker's view
        self._releasing: set[str] = set()
        self._making: set[str] = set()  # owners whose folder the broker is mounting
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
            self.release("probe")
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
        msg = await self._broker.start(self.root, _PATH)
        abi = int(msg.get("landlock_abi", 0))
        self._status = SandboxStatus(False, None, abi, f"uid {self.uid}")
        if abi < 1:
            raise SandboxUnavailable("Landlock is not available in this kernel")
        if msg.get("error"):
            raise SandboxUnavailable(str(msg["error"]))
        self._broker.send({"op": "warm", "spec": self._template(False)})

    def status(self) -> SandboxStatus:
        return self._status

    @property
    def broker_alive(self) -> bool:
        return self._broker.alive and self._broker.running

    @property
    def broker_pid(self) -> int | None:
        """The broker's pid (its /proc/<pid>/root shows the sandbox folders)."""
        return self._broker.pid

    async def close(self) -> None:
        for proc in list(self._running.values()):
            proc.kill()
        await self._broker.close()
        self._on_gone()

    # -- folders ------------------------------------------------------------------------

    async def folder(self, owner: str) -> str:
        """The sandbox folder of one aios process (or "admin"): its programs' only
        writable place, shared by its calls. A tmpfs of exactly the quota, in the
        broker's mount namespace (never on the host's disk, never seen by another
        process's programs), dropped when the process ends (``release``)."""
        if not owner.replace("-", "").isalnum() or len(owner) > 64:
            raise BadRequest("invalid sandbox owner")
        path = self._folders.get(owner)
        if path is None:
            cfg = self.cfg
            self._making.add(owner)  # a release meanwhile must still drop it
            try:
                msg = await self._broker.ask(
                    {
                        "op": "folder",
                        "owner": owner,
                        "bytes": cfg.disk_quota_bytes,
                        "files": cfg.folder_files,
                        "uid": self.uid,
                        "gid": self.gid,
                    }
                )
            finally:
                self._making.discard(owner)
            path = self._folders[owner] = str(msg["path"])
        return path

    def release(self, owner: str) -> None:
        """An aios process ended: kill its running programs, then drop its folder."""
        mine = [p for p in self._running.values() if p.owner == owner]
        if owner not in self._folders and owner not in self._making and not mine:
            return
        self._releasing.add(owner)
        for proc in mine:
            proc.kill()
        if not mine:
            self._drop(owner)

    def _drop(self, owner: str) -> None:
        self._releasing.discard(owner)
        self._folders.pop(owner, None)
        if self._broker.alive:  # after any folder request in flight: the broker's order
            self._broker.send({"op": "drop", "owner": owner})

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
        ro_paths: Sequence[str | tuple[str, str]] = (),
        limits: Mapping[str, int] | None = None,
    ) -> ConfinedProcess:
        """Start ``argv`` confined, as ``owner``'s. Refuses when confinement is not
        available. The caller must wait for or kill the result. ``limits`` overrides
        some of the configured ones (``cpu_s``, ``memory_bytes``, ...) for programs
        that live long, such as MCP servers and isolated agents. ``ro_paths``: host
        paths it also sees, read-only, where they are, or (host, inside) pairs."""
        if not self._broker.alive or (not self._status.confined and owner != "probe"):
            raise SandboxUnavailable(
                f"programs cannot be confined here: {self._status.reason or 'not started'}"
            )
        if owner in self._releasing:
            raise SandboxUnavailable(f"process {owner} has ended")
        self._check_shown(ro_paths)
        folder = await self.folder(owner)
        cfg = self.cfg
        spec = self._template(network, ro_paths) | {
            "path": self.resolve(argv[0]),
            "argv": list(argv),
            "env": {"PATH": _PATH, "LANG": "C.UTF-8", "HOME": "/sandbox", "TMPDIR": "/tmp"}
            | dict(env or {}),
            "sandbox_dir": folder,
            "limits": _limits(cfg, limits),
        }
        return await self._spawn(spec, stdin, owner)

    def _check_shown(self, ro_paths: Sequence[str | tuple[str, str]]) -> None:
        """No program is shown a folder holding the daemon's data directory (the
        sandbox root's parent: the admin token, every process's files), such as "/"
        or "~" in a server's ro_paths, or an agent folder that links to a parent."""
        data = os.path.realpath(self.root.parent)
        for entry in ro_paths:
            host = os.path.realpath(entry if isinstance(entry, str) else entry[0])
            if data == host or data.startswith(host.rstrip("/") + "/"):
                raise BadRequest(
                    "a folder the program would see holds the daemon's data directory "
                    "(the admin token, every process's files): no confined program is "
                    "shown it. Name a folder beside it, not above (or an agent folder "
                    "that is no link to one of its parents)"
                )

    def _template(
        self, network: bool, ro_paths: Sequence[str | tuple[str, str]] = ()
    ) -> dict[str, Any]:
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

    async def _spawn(self, spec: dict[str, Any], want_stdin: bool, owner: str) -> ConfinedProcess:
        loop = asyncio.get_running_loop()
        broker = self._broker
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        if want_stdin:
            in_r, in_w = os.pipe2(os.O_CLOEXEC)
        else:
            in_r, in_w = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
        exited: asyncio.Future[Exit] = loop.create_future()
        # The pipes are ours before the broker hears of the program: a program that
        # ends at once is reported while these awaits would still be running. Set up
        # shielded: a cancel meanwhile must not leave an fd both closed here and owned
        # by a transport (its number reused, the transport would close another's fd).
        setup = asyncio.ensure_future(connect_pipes(out_r, err_r, in_w))
        try:
            stdout, t_out, stderr, t_err, stdin_w = await asyncio.shield(setup)
        except BaseException:
            for fd in (in_r, out_w, err_w):  # the program never reached the broker
                os.close(fd)
            setup.add_done_callback(close_set_up_pipes)
            raise
        rid, started = broker.expect()
        proc = ConfinedProcess(
            rid,
            0,
            owner,
            stdout,
            stderr,
            stdin_w,
            exited,
            lambda: broker.send({"op": "kill", "id": rid}),
            [t_out, t_err],
        )
        if stdin_w is not None:
            proc._pipes.append(stdin_w.transport)
        self._running[rid] = proc  # before the send: its exit may come right after
        try:
            broker.send({"op": "spawn", "id": rid, "spec": spec}, [in_r, out_w, err_w])
        except BaseException:
            broker.forget(rid)
            self._running.pop(rid, None)
            proc.close_pipes()
            raise
        finally:
            for fd in (in_r, out_w, err_w):
                os.close(fd)
        try:
            proc.pid = int((await started)["pid"])
        except BaseException:
            broker.forget(rid)
            proc.close_pipes()
            if started.cancelled():  # the broker may be starting it: kill it once it has
                with contextlib.suppress(AiosError):  # (its exit or failure ends it here)
                    proc.kill()
            else:  # the broker refused it: it never ran
                self._running.pop(rid, None)
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
                        take(proc.stdout, max_output, proc), take(proc.stderr, max_output, proc)
                    )
                    ex = await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
                raise DeadlineExceeded(
                    f"{argv[0]} did not finish within {timeout_s:g}s (killed)", timeout_s=timeout_s
                ) from None
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

    # -- what the broker says unasked -------------------------------------------------

    def _on_event(self, msg: dict[str, Any]) -> None:
        op, rid = msg.get("op"), int(msg.get("id") or 0)
        proc = self._running.pop(rid, None) if op in ("exit", "failed") else None
        if proc is None:
            return
        if op == "exit" and not proc.exited.done():
            proc.exited.set_result(
                Exit(msg.get("code"), msg.get("signal"), msg["cpu_s"], msg["max_rss_kb"])
            )
        self._ended(proc)  # "failed": a spawn given up, that never ran

    def _ended(self, proc: ConfinedProcess) -> None:
        """A program is gone: the last one of a released owner drops its folder."""
        if proc.owner in self._releasing and not any(
            p.owner == proc.owner for p in self._running.values()
        ):
            self._drop(proc.owner)

    def _on_gone(self) -> None:
        if self._status.confined:
            self._status = SandboxStatus(
                False, "the sandbox broker ended", self._status.landlock_abi
            )
        self._folders.clear()
        for proc in self._running.values():
            if not proc.exited.done():
                proc.exited.set_result(Exit(None, 9))
        self._running.clear()


def _limits(cfg: SandboxConfig, over: Mapping[str, int] | None) -> dict[str, int]:
    base = {
        "cpu_s": cfg.cpu_s,
        "memory_bytes": cfg.memory_bytes,
        "file_bytes": cfg.file_bytes,
        "open_files": cfg.open_files,
        "processes": cfg.processes,
    }
    unknown = set(over or ()) - set(base)
    if unknown:
        raise BadRequest(f"unknown sandbox limits: {sorted(unknown)}")
    return base | {k: int(v) for k, v in (over or {}).items()}
