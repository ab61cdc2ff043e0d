"""What a confined program's process does to itself before it executes the program.

Runs in a child of the sandbox broker (single-threaded, so forking is safe), never
in the daemon. Stdlib only. The order matters:

1. new user, mount, PID, IPC and (unless the network is granted) network
   namespaces; the broker writes the user namespace's id maps;
2. a new root on a tmpfs holding only read-only system folders, a few device
   nodes, the sandbox folder (read-write, no exec) and a small /tmp; pivot_root
   and detach the old root, so nothing else on the host can even be stat-ed;
3. resource limits; the unprivileged user; no capabilities, no_new_privs;
4. Landlock over the new root (defence in depth: the same folders, by access);
5. exec, with a clean environment and only fds 0-2.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import signal
import stat
from typing import Any

import landlock as _ll  # the broker puts this folder on sys.path: no aios import here

__all__ = ["enter_namespaces", "exec_confined", "finish_root", "prepare_root", "start_program"]

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS = 0x00020000, 0x08000000, 0x04000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_SLAVE, MS_SHARED = 1 << 19, 1 << 20
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
NEW_ROOT = "/tmp"  # a tmpfs is mounted over it in the new mount namespace only
SANDBOX, DEVICES, _OLD = "/sandbox", ("null", "zero", "urandom"), "/.old"
_TOP_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}.get(platform.machine(), 155)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong]
_libc.mount.argtypes += [ctypes.c_char_p]


class SetupError(Exception):
    """A confinement step failed: the program must not run."""


def _ok(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _ok(_libc.unshare(flags), "unshare")


def mount(src: str | None, dst: str, fstype: str | None, flags: int, data: str = "") -> None:
    _ok(
        _libc.mount(
            src.encode() if src else None,
            dst.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {dst}",
    )


def enter_namespaces(no_network_fd: int | None) -> None:
    """Step 1, in the supervisor child: the caller forks the program after this.
    Without the network, join the broker's one empty network namespace (made once:
    a namespace per program would cost more, and under churn their asynchronous
    teardown in the kernel stalls every new one for seconds)."""
    if no_network_fd is not None:
        _ok(_libc.setns(no_network_fd, CLONE_NEWNET), "join the empty network namespace")
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    _ok(_libc.unshare(flags), "unshare")


def empty_network() -> int:
    """An fd of a new network namespace with nothing in it (its loopback is down and
    no one in it may bring it up). Made by a short-lived child, so the caller keeps
    its own."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _ok(_libc.unshare(CLONE_NEWNET), "unshare the network")
            os.write(w, b"k")
            signal.pause()  # until killed, once the parent holds the namespace
        finally:
            os._exit(0)
    os.close(w)
    try:
        if os.read(r, 1) != b"k":
            raise SetupError("could not make an empty network namespace")
        return os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(r)
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def _locked_flags(fd: int) -> int:
    """Flags the host mount has that a remount inside a user namespace must keep."""
    f = os.fstatvfs(fd).f_flag
    out = 0
    for st_bit, ms_bit in (
        (os.ST_NOSUID, MS_NOSUID),
        (os.ST_NODEV, MS_NODEV),
        (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME),
        (os.ST_NODIRATIME, MS_NODIRATIME),
        (getattr(os, "ST_RELATIME", 4096), MS_RELATIME),
    ):
        if f & st_bit:
            out |= ms_bit
    return out


class _Source:
    """A host path opened before the new root hides it (it may lie under /tmp)."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.link = os.readlink(host) if os.path.islink(host) else None
        self.fd = -1 if self.link is not None else os.open(host, os.O_PATH | os.O_CLOEXEC)
        self.is_dir = self.link is None and stat.S_ISDIR(os.fstat(self.fd).st_mode)

    def place(self, dst: str, *, writable: bool = False, noexec: bool = False) -> None:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if self.link is not None:  # e.g. /etc/localtime -> /usr/share/zoneinfo/...
            os.symlink(self.link, dst)
            return
        if self.is_dir:
            os.makedirs(dst, exist_ok=True)
        else:
            open(dst, "a").close()  # a mount point for a file
        mount(f"/proc/self/fd/{self.fd}", dst, None, MS_BIND | MS_REC)
        if stat.S_ISCHR(os.fstat(self.fd).st_mode):  # a device node: its mount is nosuid
            os.close(self.fd)
            return
        flags = MS_BIND | MS_REMOUNT | MS_NOSUID | _locked_flags(self.fd)
        if not writable:
            flags |= MS_RDONLY
        if noexec:
            flags |= MS_NOEXEC
        mount(None, dst, None, flags)
        os.close(self.fd)


def read_only(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(host path, path inside) of each read-only entry: a path is seen where it is
    on the host; a [host, inside] pair elsewhere (a host path under /tmp would
    collide with the program's own /tmp)."""
    out = [(e, e) if isinstance(e, str) else (str(e[0]), str(e[1])) for e in spec["ro"]]
    for _, inside in out:  # a mount over the new root, or outside it, is no confinement
        if (
            not inside.startswith("/")
            or inside in ("/", "/tmp", SANDBOX, _OLD)
            or os.path.normpath(inside) != inside
        ):
            raise SetupError(f"{inside!r} is not a place inside the sandbox")
    return out


def _sources(spec: dict[str, Any]) -> list[tuple[_Source, str, bool]]:
    """(source, path inside, writable) for the system part of the new root."""
    out: list[tuple[_Source, str, bool]] = []
    tops = [("/" + n, "/" + n) for n in _TOP_LINKS]
    for host, inside in tops + read_only(spec):
        if os.path.lexists(host):  # merged-/usr systems link /bin etc.; others have folders
            out.append((_Source(host), inside, False))
    for dev in DEVICES:
        if os.path.exists(f"/dev/{dev}"):
            out.append((_Source(f"/dev/{dev}"), f"/dev/{dev}", True))
    return out


def prepare_root(spec: dict[str, Any]) -> None:
    """Step 2, all but the sandbox folder: a new root on a tmpfs, entered with
    pivot_root; the old root stays reachable at /.old until ``finish_root``. Done
    ahead of time in a pre-started process, so it is off the call's path."""
    sources = _sources(spec)
    _ok(_libc.sethostname(b"sandbox", 7), "sethostname")  # not the host's name
    # slave: nothing we mount goes back out, but the folders the broker mounts later
    # (its sandbox root is shared) still appear under /.old, for finish_root
    mount(None, "/", None, MS_REC | MS_SLAVE)
    mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    root = NEW_ROOT
    # its own /tmp first: a host path shown under /tmp (a checkout or a data dir
    # there) is then mounted inside it, read-only, where the program expects it
    size = max(4096, int(spec["tmp_bytes"]))
    files = size // 4096  # its inodes too: names cost memory that its size does not count
    os.makedirs(f"{root}/tmp")
    opts = f"size={size},nr_inodes={files},mode=1777"
    mount("tmpfs", f"{root}/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts)
    for src, inside, writable in sources:
        src.place(root + inside, writable=writable, noexec=writable)
    os.makedirs(root + SANDBOX)
    os.makedirs(root + _OLD)
    os.chdir(root)
    _ok(_libc.syscall(_PIVOT_ROOT, b".", _OLD[1:].encode()), "pivot_root")
    os.chdir("/")


def finish_root(sandbox_dir: str) -> None:
    """Step 2, the rest: the sandbox folder (a real path, no symlinks: the daemon
    resolved it), then the old root detached for good and the new one read-only."""
    src = _OLD + sandbox_dir
    if not stat.S_ISDIR(os.lstat(src).st_mode):
        raise SetupError("the sandbox folder is not a folder")
    mount(src, SANDBOX, None, MS_BIND)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC
    mount(None, SANDBOX, None, flags | _locked_flags_path(SANDBOX))
    _ok(_libc.umount2(_OLD.encode(), MNT_DETACH), "detach the old root")
    os.rmdir(_OLD)
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _locked_flags_path(path: str) -> int:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        return _locked_flags(fd)
    finally:
        os.close(fd)


def _limits(lim: dict[str, int]) -> None:
    """Step 3a. The hard limit equals the soft one: the program cannot raise them."""
    cpu = int(lim["cpu_s"])
    for res, value in (
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_AS, int(lim["memory_bytes"])),
        (resource.RLIMIT_FSIZE, int(lim["file_bytes"])),
        (resource.RLIMIT_NOFILE, int(lim["open_files"])),
        (resource.RLIMIT_NPROC, int(lim["processes"])),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_MEMLOCK, 0),
    ):
        resource.setrlimit(res, (value, value))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("eff", ctypes.c_uint32), ("perm", ctypes.c_uint32), ("inh", ctypes.c_uint32)]


def _drop_privileges(uid: int, gid: int) -> None:
    """Step 3b: an empty bounding set (while CAP_SETPCAP is still held), the
    unprivileged user, no capabilities, no_new_privs."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            if ctypes.get_errno() == errno.EINVAL:
                break  # past the last capability this kernel knows
            raise SetupError(f"dropping capability {cap}: {os.strerror(ctypes.get_errno())}")
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    data = (_CapData * 2)()
    _ok(_libc.capset(ctypes.byref(_CapHeader(0x20080522, 0)), data), "capset")
    _ok(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    # a change of user clears the parent-death signal: set it again (a backup only,
    # the program may clear it; the supervisor's kill is what counts)
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


def _landlock(spec: dict[str, Any]) -> None:
    """Step 4."""
    rx = _ll.FS_READ | _ll.EXECUTE
    rules: list[tuple[str, int]] = [("/usr", rx)]
    rules += [("/" + n, rx) for n in _TOP_LINKS if os.path.isdir("/" + n)]
    rules += [(p, rx if p.startswith("/usr") else _ll.FS_READ) for _, p in read_only(spec)]
    dev = _ll.READ_FILE | _ll.WRITE_FILE | _ll.TRUNCATE
    rules += [(f"/dev/{d}", dev) for d in DEVICES]
    rules += [(SANDBOX, _ll.FS_READ | _ll.FS_WRITE), ("/tmp", _ll.FS_READ | _ll.FS_WRITE)]
    _ll.restrict(rules, deny_tcp=not spec["network"])


def start_program(parent_alive_fd: int) -> None:
    """First thing in the program's process (PID 1 of its namespace)."""
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # the supervisor dies: so does the program
    os.set_blocking(parent_alive_fd, False)
    try:
        if os.read(parent_alive_fd, 1) == b"":
            raise SetupError("the supervisor ended during setup")
    except BlockingIOError:
        pass  # still alive: from now on its death kills us
    os.close(parent_alive_fd)


def exec_confined(spec: dict[str, Any]) -> None:
    """Steps 3-5, once the root is finished. Returns only by raising."""
    _limits(spec["limits"])
    _drop_privileges(int(spec["uid"]), int(spec["gid"]))
    _landlock(spec)
    os.chdir(SANDBOX)
    os.umask(0o077)
    path = spec["path"]
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise SetupError(f"{path} is not a regular file")
    os.execve(path, spec["argv"], spec["env"])
