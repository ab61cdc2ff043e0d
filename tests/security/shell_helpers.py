"""Helpers for the shell-sandbox attacks: drive the shell tool as a hostile aios
process, and find confined programs on the host without ``ps`` (by scanning /proc).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aios.errors import AiosError
from aios.kernel import ADMIN, Caller, Capabilities, Kernel

#: The capabilities a hostile process holds: the shell tool, reading "public", no writes.
HOSTILE_CAPS: dict[str, Any] = {"tools": ["shell"], "fs_read": ["public"], "fs_write": []}


@dataclass
class Outcome:
    """One shell tool call: its result, or the AiosError the kernel raised."""

    result: dict[str, Any] | None
    error: AiosError | None
    seconds: float

    @property
    def text(self) -> str:
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"
        return json.dumps(self.result)

    @property
    def stdout(self) -> str:
        return "" if self.result is None else str(self.result["stdout"])

    @property
    def stderr(self) -> str:
        return "" if self.result is None else str(self.result["stderr"])

    @property
    def exit_code(self) -> int | None:
        return None if self.result is None else int(self.result["exit_code"])

    @property
    def refused(self) -> bool:
        """An AiosError from the tool, or a non-zero exit from inside the sandbox."""
        return self.error is not None or self.exit_code != 0


async def hostile(k: Kernel, caps: dict[str, Any] | None = None) -> Caller:
    """A running aios process with explicit capabilities (no defaults)."""
    proc = await k.spawn("sleep", "600", capabilities=Capabilities(**(caps or HOSTILE_CAPS)))
    return Caller(pid=proc.pid, caps=proc.capabilities)


async def shell(k: Kernel, caller: Caller, program: str, *args: str, **extra: Any) -> Outcome:
    """The shell tool through ``tool.call``, as the process would call it."""
    t0 = time.monotonic()
    payload: dict[str, Any] = {"program": program, "args": list(args)} | extra
    try:
        res = await k.syscall(caller, "tool.call", {"name": "shell", "args": payload})
    except AiosError as exc:
        return Outcome(None, exc, time.monotonic() - t0)
    return Outcome(res.result, None, time.monotonic() - t0)  # type: ignore[attr-defined]


async def latency(k: Kernel) -> float:
    """Seconds one trivial syscall takes (the daemon's event loop responsiveness)."""
    t0 = time.perf_counter()
    await k.syscall(ADMIN, "proc.list", {})
    return time.perf_counter() - t0


# -- processes on the host ---------------------------------------------------------------


@dataclass(frozen=True)
class HostProc:
    pid: int
    ppid: int
    uid: int
    name: str


def host_procs() -> dict[int, HostProc]:
    out: dict[int, HostProc] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
        try:
            if fields.get("State", "").startswith("Z"):
                continue  # a zombie is dead: it only waits to be reaped
            out[int(entry)] = HostProc(
                int(entry), int(fields["PPid"]), int(fields["Uid"].split()[0]), fields["Name"]
            )
        except (KeyError, ValueError):
            continue
    return out


def broker_pid(k: Kernel) -> int:
    pid = k.sandbox.broker_pid
    assert pid is not None, "the sandbox broker is not running"
    return pid


def confined(k: Kernel, uid: int = 65534) -> list[HostProc]:
    """Live processes under this kernel's sandbox broker running as the sandbox user:
    the confined programs (the broker is their subreaper, so orphans stay below it)."""
    procs = host_procs()
    children: dict[int, list[int]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p.pid)
    out, todo = [], [broker_pid(k)]
    while todo:
        for c in children.get(todo.pop(), []):
            todo.append(c)
            if procs[c].uid == uid:
                out.append(procs[c])
    return out


async def wait_no_confined(k: Kernel, within_s: float) -> list[HostProc]:
    """Poll until no confined program is left; what is left at the deadline."""
    deadline = time.monotonic() + within_s
    while True:
        left = await asyncio.to_thread(confined, k)
        if not left or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.05)


def kill_confined(k: Kernel) -> list[HostProc]:
    """SIGKILL every confined program this kernel's broker still has (only ours)."""
    left = confined(k)
    for p in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGKILL)
    return left


# -- sandbox folders: tmpfs mounts in the broker's mount namespace ----------------------
#
# The host (and this test process) sees only an empty <data_dir>/sandbox: each folder is
# mounted in the broker's private mount namespace. Root reads the broker's view through
# /proc/<broker>/root, and its mount table through /proc/<broker>/mountinfo.


def folder_path(k: Kernel, owner: str | int | None) -> Path:
    """Where a folder is mounted, in the broker's view (the host directory is empty)."""
    assert owner is not None, "the admin's folder is 'admin'"
    return k.sandbox.root / str(owner)


def broker_view(k: Kernel, owner: str | int | None) -> Path:
    """A folder's content as the broker sees it (root only: ptrace access to the broker)."""
    return Path(f"/proc/{broker_pid(k)}/root{folder_path(k, owner)}")


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def broker_mounts(k: Kernel) -> dict[str, str]:
    """The broker's mount table: mount point -> its mountinfo line."""
    out: dict[str, str] = {}
    for line in Path(f"/proc/{broker_pid(k)}/mountinfo").read_text().splitlines():
        out[_unescape(line.split()[4])] = line
    return out


def folder_mounted(k: Kernel, owner: str | int | None) -> bool:
    return str(folder_path(k, owner)) in broker_mounts(k)


def _dropped(k: Kernel, owner: str | int | None) -> bool:
    return not folder_mounted(k, owner) and not broker_view(k, owner).exists()


async def wait_dropped(k: Kernel, owner: str | int | None, within_s: float) -> bool:
    """Poll until the folder is no longer mounted in the broker's namespace, and its
    mount point is gone too (the broker removes it just after the unmount)."""
    deadline = time.monotonic() + within_s
    while not await asyncio.to_thread(_dropped, k, owner):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


@dataclass(frozen=True)
class FolderFs:
    """A folder's filesystem counters (statvfs of its tmpfs)."""

    size: int
    used: int
    files: int
    files_free: int


def folder_fs(k: Kernel, owner: str | int | None) -> FolderFs:
    st = os.statvfs(broker_view(k, owner))
    return FolderFs(
        st.f_blocks * st.f_frsize,
        (st.f_blocks - st.f_bfree) * st.f_frsize,
        st.f_files,
        st.f_ffree,
    )


#: ``stat -f`` inside: total blocks, free blocks, block size, total inodes, free inodes
STATFS_ARGS = ("-f", "-c", "%b %f %S %c %d", "/sandbox")


def parse_statfs(stdout: str) -> FolderFs:
    blocks, free, bsize, files, ffree = (int(x) for x in stdout.split())
    return FolderFs(blocks * bsize, (blocks - free) * bsize, files, ffree)


def running_calls(k: Kernel) -> int:
    """Confined calls in flight: the broker's supervisors whose program has started
    (dropped to the sandbox user); a pre-started slot's program is still root."""
    procs = host_procs()
    broker = broker_pid(k)
    supervisors = {p.pid for p in procs.values() if p.ppid == broker}
    return len({p.ppid for p in procs.values() if p.ppid in supervisors and p.uid == 65534})


# -- PID namespaces: where a confined program and everything it started live ------------

NS_GET_PARENT = 0xB702  # _IO(0xb7, 0x2): the parent of a PID namespace


def _ns_chain(pid: int) -> set[int]:
    """The PID namespace of a host process and every namespace above it (inode numbers)."""
    out: set[int] = set()
    fd = os.open(f"/proc/{pid}/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    try:
        while True:
            out.add(os.fstat(fd).st_ino)
            try:
                parent = fcntl.ioctl(fd, NS_GET_PARENT)
            except OSError:  # the host's: no parent we may see
                return out
            os.close(fd)
            fd = parent
    finally:
        os.close(fd)


def sandbox_namespaces(k: Kernel) -> set[int]:
    """The PID namespaces the broker's supervisors have made (``pid_for_children``):
    every confined program runs in one, from a slot prepared ahead of time or a new one.
    Taken before a call, it holds the namespace that call's program will run in."""
    out: set[int] = set()
    broker = broker_pid(k)
    for p in host_procs().values():
        if p.ppid == broker:
            with contextlib.suppress(OSError):
                out.add(os.stat(f"/proc/{p.pid}/ns/pid_for_children").st_ino)
    return out


def left_in(namespaces: set[int], uid: int = 65534) -> list[HostProc]:
    """Every live process on the whole host (not only under the broker) running as
    ``uid`` in one of ``namespaces`` or in a namespace nested in one of them."""
    out = []
    for p in host_procs().values():
        if p.uid != uid:
            continue
        try:
            chain = _ns_chain(p.pid)
        except OSError:
            continue  # it ended meanwhile
        if chain & namespaces:
            out.append(p)
    return out


def tagged(tag: str, uid: int = 65534) -> list[HostProc]:
    """Every live process on the host running as ``uid`` whose command line holds ``tag``."""
    out = []
    for p in host_procs().values():
        if p.uid != uid:
            continue
        with contextlib.suppress(OSError):
            if tag.encode() in Path(f"/proc/{p.pid}/cmdline").read_bytes():
                out.append(p)
    return out
