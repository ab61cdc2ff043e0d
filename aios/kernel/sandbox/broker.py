"""The sandbox broker: a small single-threaded process that starts confined programs.

The daemon is large and multi-threaded, so it never forks a confined program itself
(forking it copies a big address space, and Python code after a fork of a threaded
process can deadlock). It starts this broker once, with ``python -I -S``, so the
broker imports only the standard library and this folder, and talks to it over a
SOCK_SEQPACKET socket: JSON messages, with the program's stdio passed as file
descriptors.

For each program the broker forks a supervisor. The supervisor enters new
namespaces, waits for the broker to write its user namespace's id maps, then forks
the program's process (PID 1 of the new PID namespace), which confines itself
(``confine.exec_confined``) and executes the program. The supervisor waits and exits
as the program did. Killing the supervisor kills the program (parent-death signal)
and with it everything it started (its PID namespace ends); so does the broker's or
the daemon's death.

Messages in: ``{"op": "spawn", "id", "spec"}`` + fds [stdin, stdout, stderr],
``kill`` (id), ``warm`` (a template to prepare roots for), ``folder`` (id, owner,
bytes, files, uid, gid), ``drop`` (owner). Out: ``hello``, ``started`` (id, pid),
``folder`` (id, path), ``failed`` (id, error), ``exit`` (id, code, signal, cpu_s,
max_rss_kb).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import confine  # after the path: the broker never imports the aios package
import landlock

_SETUP_TIMEOUT_S = 10.0
_libc = ctypes.CDLL(None, use_errno=True)


def _send(sock: socket.socket, msg: dict) -> None:
    sock.sendall(json.dumps(msg).encode())


def _program(tpl: dict, ctl: socket.socket, info_w: int, alive_r: int) -> None:
    """The program's process: the root ahead of time, then the call's spec and stdio
    from the broker, then confinement and exec. Never returns."""
    try:
        confine.start_program(alive_r)
        confine.prepare_root(tpl)
        data, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 3)
        if not data or len(fds) != 3:
            os._exit(0)  # the broker let this slot go unused
        spec = json.loads(data)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, info_w)  # leaves only stdio and the CLOEXEC report pipe
        os.closerange(info_w + 1, 1 << 16)
        confine.finish_root(spec["sandbox_dir"])
        confine.exec_confined(spec)
    except BaseException as exc:  # report any reason, then die
        os.write(info_w, f"{type(exc).__name__}: {exc}".encode()[:2000])
    os._exit(126)


def _supervise(
    tpl: dict, ctl: socket.socket, info_w: int, go_r: int, broker: int, no_network: int
) -> None:
    """The supervisor child: never returns. It is what kills the program: SIGTERM
    (from the broker, or as its parent-death signal when the broker ends) makes it
    SIGKILL the program's process, PID 1 of its namespace, and so every process
    in it. (The program's own parent-death signal cannot be relied on: a change of
    user clears it, and the program may clear it itself.)"""
    child: dict[str, int | bool] = {"pid": 0, "doomed": False}

    def kill_program(*_: object) -> None:
        child["doomed"] = True
        if child["pid"]:  # not reaped yet (see WNOWAIT below): still ours to kill
            os.kill(int(child["pid"]), signal.SIGKILL)

    try:
        signal.signal(signal.SIGTERM, kill_program)
        _libc.prctl(confine.PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != broker:
            os._exit(125)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if os.geteuid() == 0:
            os.setgroups([])  # root's groups would follow the program
        confine.enter_namespaces(None if tpl["network"] else no_network)
        os.write(info_w, b"U")
        if os.read(go_r, 1) != b"G":
            os._exit(125)
        alive_r, alive_w = os.pipe2(os.O_CLOEXEC)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.close(alive_w)
            _program(tpl, ctl, info_w, alive_r)
        child["pid"] = pid
        if child["doomed"]:
            os.kill(pid, signal.SIGKILL)
        os.close(alive_r)
        os.close(info_w)
        ctl.close()
        # wait without reaping, so a SIGTERM meanwhile can never hit a reused pid
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        child["pid"] = 0
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):  # die the same way, so the broker sees the signal
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # but dump no core of ours
            sig = os.WTERMSIG(status)
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)
    except BaseException as exc:
        try:
            os.write(info_w, f"supervisor: {type(exc).__name__}: {exc}".encode()[:2000])
        finally:
            os._exit(126)


class _Slot:
    """A supervisor with its namespaces made and its program's root being built,
    waiting for a call."""

    def __init__(self, pid: int, ctl: socket.socket, info_r: int) -> None:
        self.pid, self.ctl, self.info_r = pid, ctl, info_r
        self.reaped = False  # it died while waiting (and its pid is no longer ours)


def _template_key(spec: dict) -> str:
    keys = ("ro", "network", "uid", "gid", "tmp_bytes")
    return json.dumps([spec.get(k) for k in keys])


def _wait_readable(fds: list[int], timeout_s: float | None) -> list[int]:
    """The fds ready to read. poll, not select: the socket inherited from the daemon
    keeps its number, which can be past select's 1024."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    timeout = None if timeout_s is None else int(timeout_s * 1000)
    return [fd for fd, _ in poller.poll(timeout)]


def _read_all(fd: int, deadline_s: float) -> bytes:
    out = b""
    while True:
        ready = _wait_readable([fd], deadline_s)
        if not ready:
            raise TimeoutError("setup took too long")
        chunk = os.read(fd, 4096)
        if not chunk:
            return out
        out += chunk


class Broker:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.by_pid: dict[int, int] = {}  # supervisor pid -> request id
        self.by_id: dict[int, int] = {}
        self.warm: dict[str, _Slot | None] = {}  # template key -> a ready slot
        self.root = ""  # where the sandbox folders are mounted
        self.no_network = -1  # the one empty network namespace programs without one join
        self.idle: dict[int, _Slot] = {}  # supervisor pid -> its slot, while unused

    def _slot(self, tpl: dict) -> _Slot:
        """Fork a supervisor for ``tpl`` and map its ids; its program process then
        builds its root while the broker goes on."""
        info_r, info_w = os.pipe2(os.O_CLOEXEC)
        go_r, go_w = os.pipe2(os.O_CLOEXEC)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        me = os.getpid()
        pid = os.fork()
        if pid == 0:
            self.sock.close()
            ours.close()
            os.close(info_r)
            os.close(go_w)
            _supervise(tpl, theirs, info_w, go_r, me, self.no_network)
        theirs.close()
        os.close(info_w)
        os.close(go_r)
        try:
            ready = _wait_readable([info_r], _SETUP_TIMEOUT_S)
            first = os.read(info_r, 1) if ready else b""
            if first != b"U":
                raise RuntimeError((first + _read_all(info_r, 1.0)).decode(errors="replace"))
            self._map_ids(pid, int(tpl["uid"]), int(tpl["gid"]))
            os.write(go_w, b"G")
        except Exception:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(info_r)
            ours.close()
            raise
        finally:
            os.close(go_w)
        return _Slot(pid, ours, info_r)

    def warm_up(self, tpl: dict) -> None:
        key = _template_key(tpl)
        if self.warm.get(key) is None:
            try:
                slot = self.warm[key] = self._slot(tpl)
                self.idle[slot.pid] = slot
            except Exception:  # the next spawn goes the slow way and says why
                self.warm[key] = None

    def spawn(self, rid: int, spec: dict, fds: list[int]) -> None:
        key = _template_key(spec)
        slot = self.warm.get(key)
        if slot is not None:
            self.warm[key] = None  # taken: replaced below, after the reply
            self.idle.pop(slot.pid, None)
        try:
            if slot is None:
                slot = self._slot(spec)
            with contextlib.suppress(OSError):  # a dead slot: its report says why
                socket.send_fds(slot.ctl, [json.dumps(spec).encode()], fds)
            error = _read_all(slot.info_r, _SETUP_TIMEOUT_S)
            if error:
                raise RuntimeError(error.decode(errors="replace"))
        except Exception as exc:  # any failure: the program never runs
            if slot is not None and not slot.reaped:
                os.kill(slot.pid, signal.SIGKILL)
                os.waitpid(slot.pid, 0)
            _send(self.sock, {"op": "failed", "id": rid, "error": str(exc) or type(exc).__name__})
            return
        finally:
            for fd in fds:
                os.close(fd)
            if slot is not None:
                slot.ctl.close()
                os.close(slot.info_r)
        self.by_pid[slot.pid] = rid
        self.by_id[rid] = slot.pid
        _send(self.sock, {"op": "started", "id": rid, "pid": slot.pid})
        if key in self.warm:
            self.warm_up(spec)

    @staticmethod
    def _map_ids(pid: int, uid: int, gid: int) -> None:
        """The program's ids, the same inside and out: the daemon's own, or, when the
        daemon is root, the sandbox user's. Root is mapped too (the setup runs as it,
        with capabilities in the new namespaces only, and ends by leaving it)."""
        root = os.geteuid() == 0
        with open(f"/proc/{pid}/setgroups", "w") as f:
            f.write("deny")
        with open(f"/proc/{pid}/uid_map", "w") as f:
            f.write(f"0 0 1\n{uid} {uid} 1" if root and uid != 0 else f"{uid} {uid} 1")
        with open(f"/proc/{pid}/gid_map", "w") as f:
            f.write(f"0 0 1\n{gid} {gid} 1" if root and gid != 0 else f"{gid} {gid} 1")

    def kill(self, rid: int) -> None:
        pid = self.by_id.get(rid)
        if pid is not None:  # not reaped yet, so the pid is still ours
            os.kill(pid, signal.SIGTERM)  # its supervisor kills the program

    def reap(self) -> None:
        while True:
            try:
                pid, status, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.idle:  # a waiting slot failed; the next spawn reports why
                self.idle.pop(pid).reaped = True
                continue
            rid = self.by_pid.pop(pid, None)
            if rid is None:
                continue  # an orphan of an ended namespace, adopted by us
            self.by_id.pop(rid, None)
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            _send(
                self.sock,
                {
                    "op": "exit",
                    "id": rid,
                    "code": code,
                    "signal": sig,
                    "cpu_s": round(ru.ru_utime + ru.ru_stime, 6),
                    "max_rss_kb": ru.ru_maxrss,
                },
            )

    def folder(self, rid: int, msg: dict) -> None:
        """A process's sandbox folder: a tmpfs of its own, of exactly its quota (in
        bytes and files), in the broker's mount namespace only, so nothing of it
        reaches the disk or the host, and dropping it is one unmount."""
        path = os.path.join(self.root, msg["owner"])
        try:
            if not os.path.ismount(path):
                os.makedirs(path, mode=0o700, exist_ok=True)
                opts = (
                    f"size={max(4096, int(msg['bytes']))},nr_inodes={int(msg['files'])},"
                    f"mode=0700,uid={int(msg['uid'])},gid={int(msg['gid'])}"
                )
                flags = confine.MS_NOSUID | confine.MS_NODEV | confine.MS_NOEXEC
                confine.mount("tmpfs", path, "tmpfs", flags, opts)
        except Exception as exc:
            _send(self.sock, {"op": "failed", "id": rid, "error": f"sandbox folder: {exc}"})
            return
        _send(self.sock, {"op": "folder", "id": rid, "path": path})

    def drop(self, owner: str) -> None:
        path = os.path.join(self.root, owner)
        if os.path.ismount(path):
            _libc.umount2(path.encode(), confine.MNT_DETACH)
        with contextlib.suppress(OSError):
            os.rmdir(path)

    def private_mounts(self, root: str) -> None:
        """The broker's own mount namespace (and, unprivileged, user namespace), with
        a small tmpfs over the sandbox root: every folder mounted there dies with the
        broker, and none is visible outside."""
        if os.geteuid() == 0:
            confine.unshare(confine.CLONE_NEWNS)
        else:
            uid, gid = os.geteuid(), os.getegid()
            confine.unshare(confine.CLONE_NEWUSER | confine.CLONE_NEWNS)
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"{gid} {gid} 1")
        confine.mount(None, "/", None, confine.MS_REC | confine.MS_PRIVATE)
        os.makedirs(root, mode=0o700, exist_ok=True)
        flags = confine.MS_NOSUID | confine.MS_NODEV | confine.MS_NOEXEC
        confine.mount("tmpfs", root, "tmpfs", flags, "size=1m,mode=0711")
        # shared: folders mounted here later reach the roots prepared ahead of time
        confine.mount(None, root, None, confine.MS_SHARED)
        self.root = root
        self.no_network = confine.empty_network()

    def serve(self, root: str) -> None:
        wake_r, wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        _libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us
        hello = {"op": "hello", "landlock_abi": landlock.abi(), "euid": os.geteuid()}
        try:
            self.private_mounts(root)
        except Exception as exc:  # the daemon reports it; every spawn will refuse
            hello["error"] = f"private mounts: {exc}"
        _send(self.sock, hello)
        while True:
            ready = _wait_readable([self.sock.fileno(), wake_r], None)
            if wake_r in ready:
                while True:
                    try:
                        if not os.read(wake_r, 256):
                            break
                    except BlockingIOError:
                        break
                self.reap()
            if self.sock.fileno() in ready:
                data, fds, _, _ = socket.recv_fds(self.sock, 1 << 20, 3)
                if not data:
                    return  # the daemon is gone: our exit kills every supervisor
                msg = json.loads(data)
                if msg["op"] == "spawn" and len(fds) == 3:
                    self.spawn(int(msg["id"]), msg["spec"], fds)
                    continue
                if msg["op"] == "warm":
                    self.warm_up(msg["spec"])
                elif msg["op"] == "folder":
                    self.folder(int(msg["id"]), msg)
                elif msg["op"] == "drop":
                    self.drop(str(msg["owner"]))
                elif msg["op"] == "kill":
                    self.kill(int(msg["id"]))
                for fd in fds:
                    os.close(fd)


def main() -> None:
    # Supervisors hold a parent-death signal: when the broker ends, they all do.
    Broker(socket.socket(fileno=int(sys.argv[1]))).serve(sys.argv[2])


if __name__ == "__main__":
    main()
