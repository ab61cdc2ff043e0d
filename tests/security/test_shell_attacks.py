"""Attacks on the sandbox that confines every program aios runs, through the shell tool.

A hostile aios process holds the shell tool (nothing else: it reads "public" and
writes nowhere) and the allow-list is widened far past the default, to shells,
perl and python3: the allow-list is policy, the sandbox is the protection, and it
must hold even against a program that can make any system call.

Canary secrets are planted where a confined program must not reach: the admin
token file, an LSFS file outside the process's folders (its on-disk file and its
blob), the database, another aios process's sandbox folder, /root, /etc/shadow
and the daemon's environment. Each test is one attack: it asserts a refusal (an
AiosError from the tool, or a non-zero exit / an error from inside the sandbox)
and that no secret appears in anything the call returned.

Each process's sandbox folder is a tmpfs of exactly its quota, mounted in the
broker's private mount namespace: the host's ``<data_dir>/sandbox/<pid>`` stays
empty, so the tests look into a folder through the shell (as its process) or, as
root, through the broker's view (``/proc/<broker>/root``) and mount table
(``/proc/<broker>/mountinfo``).

Where the sandbox has a hole, the test is ``xfail(strict=True)`` with the hole
named in its reason: it fails until the hole is fixed, then must be unmarked.

The sandbox's CPU limit (2 s) and the shell tool's timeout (6 s) are lowered
from their defaults (10 s, 10 s) so that the attacks that run into them finish
sooner; every other limit is the default.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import os
import resource
import signal
import socket
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from aios.errors import AiosError, BadRequest, Cancelled, DeadlineExceeded
from aios.fs.blobs import sha256
from aios.fs.embed import Embedder
from aios.kernel import Caller, Capabilities, Kernel
from aios.kernel.daemon import ensure_token
from aios.tools import ToolError
from tests.conftest import make_config
from tests.fakes import FakeCore
from tests.fs_helpers import S, idle
from tests.security.shell_helpers import (
    HOSTILE_CAPS,
    STATFS_ARGS,
    Outcome,
    broker_mounts,
    broker_pid,
    broker_view,
    confined,
    folder_fs,
    folder_mounted,
    folder_path,
    hostile,
    kill_confined,
    latency,
    left_in,
    parse_statfs,
    running_calls,
    sandbox_namespaces,
    shell,
    tagged,
    wait_dropped,
    wait_no_confined,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

TAG = uuid.uuid4().hex[:10]
SECRET_FS = f"CANARY-lsfs-{TAG} the kestrel launch codes"
SECRET_DB = f"CANARY-db-{TAG}"
SECRET_SB = f"CANARY-sandbox-{TAG}"
SECRET_ROOT = f"CANARY-root-{TAG}"
SECRET_ENV = f"CANARY-env-{TAG}"
ENV_NAME = "SHELL_ATTACK_CANARY"  # not AIOS_*: conftest clears those for each test

ALLOW = [
    *("echo", "date", "expr", "seq", "printf"),  # the default allow-list
    *("sh", "bash", "perl", "python3", "env"),  # interpreters: any system call
    *("cat", "dd", "ls", "stat", "ln", "sleep", "kill", "id", "hostname"),
    *("mount", "umount", "unshare", "su", "passwd"),  # setuid or namespace tools
]
CPU_S = 2
TIMEOUT_S = 6.0
MAX_OUTPUT = 65_536
MIB = 1024 * 1024
NOENT = "No such file or directory"
NOENT_SH = "No such file"  # dash says only this


# -- the world: one kernel, its secrets, two processes -----------------------------------


@dataclass
class World:
    k: Kernel
    base: Path
    data: Path
    token: str
    other_pid: int  # an aios process whose sandbox folder holds SECRET_SB
    targets: dict[str, list[str]] = field(default_factory=dict)  # secret -> paths to it
    secrets: list[str] = field(default_factory=list)

    def assert_no_leak(self, *outcomes: Outcome) -> None:
        for out in outcomes:
            for secret in self.secrets:
                assert secret not in out.text, f"leaked {secret[:24]!r}: {out.text[:400]}"

    @property
    def all_target_paths(self) -> list[str]:
        return [p for paths in self.targets.values() for p in paths]


def _shadow_line() -> str:
    try:
        lines = [ln for ln in Path("/etc/shadow").read_text().splitlines() if ":" in ln]
    except OSError:
        return ""
    return lines[0] if lines else ""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def w(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> AsyncIterator[World]:
    base = tmp_path_factory.mktemp("shell-attacks")
    data = base / "data"
    data.mkdir()
    root_canary = Path("/root") / f"aios-shell-attack-{TAG}.txt"
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("AIOS_"):
                mp.delenv(key)
        mp.setenv(ENV_NAME, SECRET_ENV)  # in the daemon's environment before it starts
        token = ensure_token(data)  # what `aios serve` writes: <data_dir>/token, 0600
        root_canary.write_text(SECRET_ROOT + "\n")
        cfg = make_config(
            base,
            llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
            fs={"watch": False},
            tools={
                "shell": {"allow": ALLOW, "timeout_s": TIMEOUT_S, "max_output_bytes": MAX_OUTPUT},
                "sandbox": {"cpu_s": CPU_S},
            },
        )
        try:
            async with Kernel(cfg, cores=[FakeCore()], embedder=embedder) as k:
                status = k.sandbox.status()
                assert status.confined, status.reason
                assert k.fs is not None
                await S(k, "fs.write", path="private/secret.txt", content=SECRET_FS)
                await idle(k)
                other = await k.spawn(  # its name lands in the database
                    "sleep", "600", name=SECRET_DB, capabilities=Capabilities(**HOSTILE_CAPS)
                )
                other_caller = Caller(pid=other.pid, caps=other.capabilities)
                planted = await shell(
                    k, other_caller, "sh", "-c", 'printf %s "$1" > /sandbox/secret', "sh", SECRET_SB
                )
                assert planted.exit_code == 0, planted.text
                other_secret = folder_path(k, other.pid) / "secret"  # the broker's path
                assert (broker_view(k, other.pid) / "secret").read_text() == SECRET_SB
                assert not other_secret.exists()  # the host's directory stays empty
                blob = k.fs.blobs.path(sha256(SECRET_FS.encode()))
                assert SECRET_FS in blob.read_text()
                db = data / "aios.db"
                db_files = [p for p in (db, data / "aios.db-wal") if p.exists()]
                assert any(SECRET_DB.encode() in p.read_bytes() for p in db_files)
                lsfs_file = k.fs.paths.root / "private" / "secret.txt"
                assert SECRET_FS in lsfs_file.read_text()
                world = World(k, base, data, token, other.pid)
                world.targets = {
                    "token": [
                        str(data / "token"),
                        "../token",  # the issue's reproduction
                        "../../token",  # the host layout: <data>/sandbox/<pid>
                        "/sandbox/../../token",
                        "/proc/self/cwd/../../token",
                    ],
                    "lsfs": [str(lsfs_file), os.path.relpath(lsfs_file, data / "sandbox" / "1")],
                    "db": [str(p) for p in db_files] + ["../../aios.db"],
                    "blob": [str(blob)],
                    "other-sandbox": [str(other_secret), f"../{other.pid}/secret"],
                    "root": [str(root_canary), "/root/" + root_canary.name],
                    "shadow": ["/etc/shadow", "../../../../../etc/shadow"],
                }
                world.secrets = [token, SECRET_FS, SECRET_DB, SECRET_SB, SECRET_ROOT, SECRET_ENV]
                if shadow := _shadow_line():
                    world.secrets.append(shadow)
                yield world
                kill_confined(k)
        finally:
            root_canary.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _no_program_outlives_a_test(w: World) -> Iterator[None]:
    """A safety net: whatever a test leaves running is killed before the next (the
    tests that check that nothing is left assert it themselves)."""
    yield
    if kill_confined(w.k):
        deadline = time.monotonic() + 5
        while confined(w.k) and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest_asyncio.fixture(loop_scope="module")
async def c(w: World) -> AsyncIterator[Caller]:
    """A fresh hostile process (so a fresh sandbox folder) for each test; it ends
    with the test (and its folder is dropped)."""
    caller = await hostile(w.k)
    yield caller
    w.k.kill(caller.pid or 0)


def seen_by_broker(w: World, path: str) -> Path:
    """A host path as the broker sees it: the host's files, and the folders' tmpfs."""
    return Path(f"/proc/{broker_pid(w.k)}/root{path}")


async def in_folder(w: World, caller: Caller, script: str, *args: str) -> Outcome:
    """A shell script run as ``caller``, in its own folder (how a test looks inside)."""
    return await shell(w.k, caller, "sh", "-c", script, "sh", *args)


# == reading secrets ====================================================================

READERS: dict[str, tuple[str, list[str]]] = {
    "cat": ("cat", ["{p}"]),
    "date-f": ("date", ["-f", "{p}"]),  # the default allow-list's file reader
    "dd": ("dd", ["if={p}", "status=none"]),
    "sh-redirect": ("sh", ["-c", 'while read -r l; do echo "$l"; done < "$1"', "sh", "{p}"]),
    "bash-slurp": ("bash", ["-c", 'x="$(< "$1")" && echo "$x"', "bash", "{p}"]),
    "perl-open": (
        "perl",
        ["-e", 'open my $f, "<", $ARGV[0] or die "open: $!\\n"; print <$f>', "{p}"],
    ),
    "python-open": ("python3", ["-c", "import sys; print(open(sys.argv[1], 'rb').read())", "{p}"]),
}


@pytest.mark.parametrize("reader", list(READERS))
async def test_read_every_host_secret(w: World, c: Caller, reader: str) -> None:
    """The token, LSFS file and blob, database, another process's sandbox file, /root,
    /etc/shadow: by absolute path and by ``..`` from /sandbox. None exists inside."""
    program, template = READERS[reader]
    for path in w.all_target_paths:
        out = await shell(w.k, c, program, *(a.replace("{p}", path) for a in template))
        w.assert_no_leak(out)
        assert out.refused, (path, out.text)
        assert NOENT_SH in out.stderr or "FileNotFoundError" in out.stderr, (path, out.text)


@pytest.mark.parametrize("path", ["../token", "TOKEN_ABS"])
async def test_issue_reproduction_date_f_token(w: World, path: str) -> None:
    """The report that started the sandbox: ``date -f ../token`` printed the token in
    its "invalid date" error. Capabilities exactly as in the issue."""
    caller = await hostile(w.k, {"tools": ["shell"], "fs_read": ["public/"], "fs_write": []})
    arg = str(w.data / "token") if path == "TOKEN_ABS" else path
    out = await shell(w.k, caller, "date", "-f", arg)
    w.assert_no_leak(out)
    assert w.token not in out.stderr and w.token not in out.stdout
    assert out.exit_code == 1 and NOENT in out.stderr, out.text


ORACLE_PATHS = {
    "data-dir": "{data}",
    "token": "{data}/token",
    "database": "{data}/aios.db",
    "blobs": "{data}/blobs",
    "other-sandbox": "{data}/sandbox/{other}/secret",
    "sandbox-root": "{data}/sandbox",
    "root-home": "/root",
    "shadow": "/etc/shadow",
    "passwd": "/etc/passwd",
    "host-proc": "/proc/1",
}


@pytest.mark.parametrize("name", list(ORACLE_PATHS))
async def test_existence_and_mtime_oracles(w: World, c: Caller, name: str) -> None:
    """``date -r FILE`` prints a file's mtime, ``stat``/``ls`` its metadata: for a host
    path that exists, the answer must be the same "No such file" as for one that does not."""
    path = ORACLE_PATHS[name].format(data=w.data, other=w.other_pid)
    assert seen_by_broker(w, path).exists()  # outside the sandbox, it does
    for program, args in (
        ("date", ["-r", path]),
        ("stat", [path]),
        ("ls", ["-la", path]),
        ("perl", ["-e", "print((stat $ARGV[0])[9] // qq(none: $!\\n))", path]),
    ):
        out = await shell(w.k, c, program, *args)
        w.assert_no_leak(out)
        assert NOENT in out.stderr or f"none: {NOENT}" in out.stdout, (program, out.text)
        assert "Permission denied" not in out.stderr  # "denied" would say it exists


async def test_list_the_host_around_the_sandbox(w: World, c: Caller) -> None:
    """``ls ..``, ``ls /``, ``ls /sandbox/..``, a glob over the other pids' folders."""
    outs = [
        await shell(w.k, c, "ls", "-la", ".."),
        await shell(w.k, c, "ls", "-la", "/"),
        await shell(w.k, c, "ls", "-la", "/sandbox/.."),
        await shell(w.k, c, "sh", "-c", "echo ../*/secret /*/*/secret"),
        await shell(w.k, c, "python3", "-c", "import os; print(os.listdir('/'))"),
    ]
    w.assert_no_leak(*outs)
    for out in outs[:3] + outs[4:]:
        assert out.refused and "Permission denied" in out.stderr, out.text
    assert str(w.other_pid) not in outs[3].stdout  # the glob matched nothing


async def test_proc_environ_and_proc_self_tricks(w: World, c: Caller) -> None:
    """/proc/1/environ (the daemon's init? the sandbox's?), /proc/self/..., the daemon's
    own /proc entry, the broker's view of the folders (how the tests look into them):
    there is no /proc inside at all; nor the old root, /.old, detached before exec."""
    me = os.getpid()
    for path in (
        "/proc/1/environ",
        "/proc/self/environ",
        f"/proc/{me}/environ",
        f"/proc/{me}/cmdline",
        "/proc/self/root/etc/shadow",
        f"/proc/{me}/root{w.data}/token",
        "/proc/self/fd/../../1/environ",
        f"/proc/{broker_pid(w.k)}/root{w.data}/sandbox/{w.other_pid}/secret",
        "/proc/self/mountinfo",
        "/.old/etc/shadow",  # the old root, detached before the program runs
        f"/.old{w.data}/token",
        f"/.old{w.data}/sandbox/{w.other_pid}/secret",
    ):
        out = await shell(w.k, c, "cat", path)
        w.assert_no_leak(out)
        assert out.refused and NOENT in out.stderr, out.text


async def test_daemon_environment_does_not_reach_programs(w: World, c: Caller) -> None:
    """The daemon's environment holds a canary; ``env``, perl's %ENV and python's
    os.environ see only the sandbox's own five variables."""
    assert os.environ[ENV_NAME] == SECRET_ENV
    outs = [
        await shell(w.k, c, "env"),
        await shell(w.k, c, "perl", "-e", 'print "$_=$ENV{$_}\\n" for sort keys %ENV'),
        await shell(
            w.k, c, "python3", "-c", "import os; [print(f'{k}={v}') for k, v in os.environ.items()]"
        ),
    ]
    w.assert_no_leak(*outs)
    for out in outs:
        assert out.exit_code == 0, out.text
        names = {line.split("=", 1)[0] for line in out.stdout.splitlines()}
        assert names <= {"PATH", "LANG", "HOME", "TMPDIR", "PWD"}, names
        assert ENV_NAME not in out.stdout


async def test_other_process_sandbox_folder(w: World, c: Caller) -> None:
    """Another aios process's folder, by every route: its host path, ``..``, a glob,
    and with the other process's pid as this one's sandbox folder via ``cd``."""
    other = w.data / "sandbox" / str(w.other_pid)
    outs = [
        await shell(w.k, c, "cat", f"{other}/secret"),
        await shell(w.k, c, "cat", f"../{w.other_pid}/secret"),
        await shell(w.k, c, "sh", "-c", f"cd ../{w.other_pid} && cat secret"),
        await shell(w.k, c, "ls", "-la", str(other)),
        await shell(w.k, c, "perl", "-e", f"print for glob('../*/secret'), glob('{other}/*')"),
    ]
    w.assert_no_leak(*outs)
    for out in outs[:4]:
        assert out.refused, out.text
    for out in (outs[0], outs[1], outs[3]):
        assert NOENT in out.stderr, out.text
    assert "can't cd" in outs[2].stderr, outs[2].text
    assert outs[4].stdout == ""
    assert (broker_view(w.k, w.other_pid) / "secret").read_text() == SECRET_SB  # untouched


async def test_symlinks_inside_the_sandbox_point_nowhere(w: World, c: Caller) -> None:
    """Symlinks made inside /sandbox to host paths resolve inside the sandbox's own
    root, where those paths do not exist."""
    token = w.data / "token"
    out1 = await shell(
        w.k,
        c,
        "sh",
        "-c",
        f'ln -s "{token}" t && ln -s "../../token" rel && ln -s / r && ln -s '
        f'"{w.data}/sandbox/{w.other_pid}" o && cat t; cat rel; cat o/secret; ls r/',
    )
    out2 = await shell(
        w.k, c, "perl", "-e", 'print readlink("t"), "\\n"; open F, "<t" or die "$!\\n"'
    )
    w.assert_no_leak(out1, out2)
    assert out1.refused and out1.stderr.count(NOENT) >= 3, out1.text
    assert out2.refused and NOENT in out2.stderr, out2.text


async def test_hard_links_to_host_files(w: World, c: Caller) -> None:
    """A hard link needs the target visible and on the same mount: neither holds."""
    outs = [
        await shell(w.k, c, "ln", str(w.data / "token"), "h"),
        await shell(w.k, c, "ln", "/usr/bin/id", "h2"),  # visible, but another mount
        await shell(w.k, c, "python3", "-c", "import os; os.link('/etc/ld.so.cache', 'h3')"),
    ]
    w.assert_no_leak(*outs)
    assert outs[0].refused and NOENT in outs[0].stderr, outs[0].text
    assert outs[1].refused and "Invalid cross-device link" in outs[1].stderr, outs[1].text
    assert outs[2].refused and "cross-device" in outs[2].stderr, outs[2].text
    look = await shell(w.k, c, "ls", "-a")
    assert look.exit_code == 0 and look.stdout.split() == [".", ".."], look.text


async def test_inherited_file_descriptors(w: World, c: Caller) -> None:
    """Only stdin/stdout/stderr reach the program: no socket to the broker, no pipe,
    no database handle left open."""
    out = await shell(
        w.k,
        c,
        "python3",
        "-c",
        "import os\nfor fd in range(3, 4096):\n  try: os.fstat(fd); print('open', fd)\n"
        "  except OSError: pass\nprint('scanned')",
    )
    assert out.exit_code == 0 and out.stdout == "scanned\n", out.text


# == writing outside /sandbox ===========================================================

WRITE_PATHS = {
    "root": "/pwned",
    "usr": "/usr/pwned",
    "usr-bin": "/usr/bin/pwned",
    "etc": "/etc/pwned",
    "etc-ld-cache": "/etc/ld.so.cache",
    "dev": "/dev/pwned",
    "data-dir": "{data}/pwned",
    "other-sandbox": "{data}/sandbox/{other}/pwned",
    "root-home": "/root/pwned",
}


@pytest.mark.parametrize("name", list(WRITE_PATHS))
async def test_write_outside_the_sandbox(w: World, c: Caller, name: str) -> None:
    path = WRITE_PATHS[name].format(data=w.data, other=w.other_pid)

    def now() -> tuple[bytes | bool, bytes | bool]:  # on the host, and as the broker sees it
        views = (Path(path), seen_by_broker(w, path))
        return tuple(p.exists() and p.read_bytes() for p in views)  # type: ignore[return-value]

    before = now()
    outs = [
        await shell(w.k, c, "sh", "-c", 'echo pwned > "$1"', "sh", path),
        await shell(w.k, c, "dd", "if=/dev/zero", f"of={path}", "count=1", "status=none"),
        await shell(w.k, c, "perl", "-e", 'open F, ">", $ARGV[0] or die "open: $!\\n"', path),
    ]
    w.assert_no_leak(*outs)
    for out in outs:
        assert out.refused, out.text
        assert any(
            e in out.stderr
            for e in ("Read-only file system", "Permission denied", NOENT, "nonexistent")
        ), out.text
    assert now() == before  # nothing created or changed, on the host or in the folder


async def test_tmp_does_not_survive_between_calls(w: World, c: Caller) -> None:
    """/tmp is a fresh tmpfs per call: a file left there is gone at the next call (and
    never lands on the host's /tmp)."""
    name = f"left-{TAG}"
    first = await shell(w.k, c, "sh", "-c", f"echo {name} > /tmp/{name} && cat /tmp/{name}")
    assert first.exit_code == 0 and name in first.stdout, first.text
    second = await shell(w.k, c, "cat", f"/tmp/{name}")
    assert second.refused and NOENT in second.stderr, second.text
    assert not Path(f"/tmp/{name}").exists()


async def test_tmp_fill_is_bounded_by_its_size(w: World, c: Caller) -> None:
    out = await shell(
        w.k,
        c,
        "sh",
        "-c",
        "dd if=/dev/zero of=/tmp/a bs=1M count=10 status=none && "
        "dd if=/dev/zero of=/tmp/b bs=1M count=10 status=none",
    )
    assert out.refused and "No space left on device" in out.stderr, out.text


async def test_tmp_file_count_is_bounded(w: World, c: Caller) -> None:
    """/tmp's names are bounded too (one inode per 4 KiB of its size). Without that
    bound, 2 CPU seconds made 300,000 names there: kernel memory that neither its size
    nor RLIMIT_AS counts (about 1.5 million at the default 10 s, per call)."""
    out = await shell(
        w.k,
        c,
        "perl",
        "-e",
        'my $n = 0; for my $i (1..300000) { symlink "x", "/tmp/$i" or last; $n++ } '
        'print "$n $!\\n"',
    )
    assert out.exit_code == 0, out.text
    made, why = out.stdout.split(maxsplit=1)
    assert why.strip() == "No space left on device", out.text
    assert int(made) < w.k.config.tools.sandbox.tmp_bytes // 4096, out.text


async def test_extended_attributes_are_bounded(w: World, c: Caller) -> None:
    """Extended attributes hold data outside the folder's blocks: tmpfs bounds them by
    its inodes (about 1 KiB each), so they cannot carry more than that past the quota."""
    out = await shell(
        w.k,
        c,
        "python3",
        "-c",
        "import os\nopen('x', 'w').close()\nn = 0\ntry:\n  for i in range(100000):\n"
        "    os.setxattr('x', 'user.a%d' % i, b'a' * 4000); n += 1\n"
        "except OSError as e: print(n, e.errno)",
    )
    assert out.exit_code == 0, out.text
    n, err = (int(x) for x in out.stdout.split())
    assert err in (errno.ENOSPC, errno.EOPNOTSUPP), out.text  # EOPNOTSUPP: before Linux 6.6
    assert n * 4000 <= w.k.config.tools.sandbox.folder_files * 1024, out.text


async def test_file_size_limit(w: World, c: Caller) -> None:
    """One file past 16 MiB: the write past the limit fails (the writer is PID 1 of its
    namespace, so SIGXFSZ, not forced, is ignored and the write returns EFBIG)."""
    out = await shell(w.k, c, "dd", "if=/dev/zero", "of=big", "bs=1M", "count=20", "status=none")
    assert out.refused and "File too large" in out.stderr, out.text
    size = await shell(w.k, c, "stat", "-c", "%s", "big")
    assert size.exit_code == 0 and int(size.stdout) <= 16 * MIB, size.text


async def test_folder_is_a_tmpfs_of_the_quota_never_on_the_host(w: World, c: Caller) -> None:
    """What a program writes lands in its folder's tmpfs, mounted in the broker's
    namespace only (nosuid, nodev, noexec, exactly the quota's bytes and inodes): the
    host's directory for it stays empty and nothing reaches the data dir."""
    marker = f"on-the-host-{TAG}"
    # made by the program, never sent whole: the call's own arguments are audited
    script = 'printf "on-the-host-%s" "$1" > mark && mkdir sub && cat mark'
    out = await in_folder(w, c, script, TAG)
    assert out.exit_code == 0 and out.stdout == marker, out.text
    cfg = w.k.config.tools.sandbox
    line = broker_mounts(w.k)[str(folder_path(w.k, c.pid))]
    per_mount, _, fs = line.partition(" - ")
    assert fs.startswith("tmpfs "), line
    assert {"nosuid", "nodev", "noexec"} <= set(per_mount.split()[5].split(",")), line
    assert f"size={cfg.disk_quota_bytes // 1024}k" in fs, line
    assert f"nr_inodes={cfg.folder_files}" in fs, line
    fs_now = folder_fs(w.k, c.pid)
    assert fs_now.size == cfg.disk_quota_bytes and fs_now.files == cfg.folder_files, fs_now
    assert (broker_view(w.k, c.pid) / "mark").read_text() == marker
    host = folder_path(w.k, c.pid)
    assert not host.exists() or list(host.iterdir()) == []
    for dirpath, _, files in os.walk(w.data):
        for name in files:
            with contextlib.suppress(OSError):
                assert marker.encode() not in Path(dirpath, name).read_bytes(), (dirpath, name)


async def test_a_full_folder_refuses_writes_inside_the_call(w: World, c: Caller) -> None:
    """Past the folder's quota (64 MiB) a write fails at once with ENOSPC, inside the
    call; the next call still runs and cannot write either; space freed is usable."""
    quota = w.k.config.tools.sandbox.disk_quota_bytes
    fill = await in_folder(
        w, c, "for i in 1 2 3 4 5; do dd if=/dev/zero of=f$i bs=1M count=16 status=none; done"
    )
    assert fill.result is not None, fill.text
    assert "No space left on device" in fill.stderr, fill.text
    full = folder_fs(w.k, c.pid)
    assert quota - MIB <= full.used <= quota, full
    nxt = await shell(w.k, c, "echo", "still here")
    assert nxt.exit_code == 0 and nxt.stdout == "still here\n", nxt.text
    more = await shell(w.k, c, "dd", "if=/dev/zero", "of=g", "bs=64k", "count=32", "status=none")
    assert more.refused and "No space left on device" in more.stderr, more.text
    inside = await shell(w.k, c, "stat", *STATFS_ARGS)
    assert inside.exit_code == 0, inside.text
    seen = parse_statfs(inside.stdout)  # the program sees the same bound
    assert seen.size == quota and seen.used <= quota, seen
    freed = await shell(
        w.k,
        c,
        "perl",
        "-e",
        'unlink "f1", "g" or die "unlink: $!\\n"; open F, ">", "g" or die "$!\\n"; '
        'print F "x" x 65536; close F or die "close: $!\\n"; print "ok\\n"',
    )
    assert freed.exit_code == 0 and freed.stdout == "ok\n", freed.text
    assert folder_fs(w.k, c.pid).used <= quota


async def test_one_call_cannot_write_past_the_disk_quota(w: World, c: Caller) -> None:
    """Six 16 MiB files (each within the file-size limit) in one call: the fifth write
    stops at the quota with ENOSPC; the folder never holds more than the quota."""
    out = await in_folder(
        w, c, "for i in 1 2 3 4 5 6; do dd if=/dev/zero of=f$i bs=1M count=16 status=none; done"
    )
    assert out.result is not None, out.text
    assert "No space left on device" in out.stderr, out.text
    quota = w.k.config.tools.sandbox.disk_quota_bytes
    used = folder_fs(w.k, c.pid).used
    assert used <= quota, f"one call wrote {used / MIB:.0f} MiB past a {quota / MIB:.0f} MiB quota"
    sizes = await in_folder(w, c, "stat -c %s f*")
    assert sizes.exit_code == 0, sizes.text
    assert sum(int(n) for n in sizes.stdout.split()) <= quota, sizes.stdout


async def test_concurrent_calls_share_one_quota(w: World, c: Caller) -> None:
    """Four calls of the same process writing at once fill one folder, not four."""
    outs = await asyncio.gather(
        *(
            in_folder(
                w,
                c,
                f"for i in 1 2 3; do dd if=/dev/zero of=c{n}-$i bs=1M count=16 "
                "status=none || exit 1; done",
            )
            for n in range(4)
        )
    )
    assert any("No space left on device" in out.stderr for out in outs), [o.text for o in outs]
    assert folder_fs(w.k, c.pid).used <= w.k.config.tools.sandbox.disk_quota_bytes


MANY_NAMES = (  # names cost (almost) no blocks; each costs an inode, hard links too
    'my ($s, $h, $d) = (0, 0, 0); for my $i (1..20000) { symlink "x", "s$i" or last; $s++ } '
    'my $full = "$!"; unlink map { "s$_" } 1..50; open F, ">", "file" or die "open: $!\\n"; '
    'close F; for my $i (1..20000) { link "file", "h$i" or last; $h++ } '
    'for my $i (1..20000) { mkdir "d$i" or last; $d++ } '
    'print "$s $h $d $full\\n"'
)


async def test_file_count_is_bounded_by_the_folder_inodes(w: World, c: Caller) -> None:
    """Symlinks, hard links and folders past the folder's 10,000 inodes fail with
    ENOSPC inside the call; the next call still runs."""
    files = w.k.config.tools.sandbox.folder_files
    out = await shell(w.k, c, "perl", "-e", MANY_NAMES)
    assert out.exit_code == 0, out.text
    symlinks, hard_links, folders, why = out.stdout.split(maxsplit=3)
    assert why.strip() == "No space left on device", out.text
    assert int(symlinks) < files and int(hard_links) <= 50 and int(folders) == 0, out.text
    fs = folder_fs(w.k, c.pid)
    assert fs.files == files and fs.files_free == 0, fs
    nxt = await shell(w.k, c, "echo", "hi")
    assert nxt.exit_code == 0 and nxt.stdout == "hi\n", nxt.text


async def test_deep_folder_is_dropped_when_the_process_ends(w: World, c: Caller) -> None:
    """A folder tree 5,000 levels deep (far past any recursion limit): dropping the
    folder is one unmount, so it goes with its process all the same."""
    out = await shell(
        w.k,
        c,
        "perl",
        "-e",
        'for (1..5000) { mkdir "d" or die "$!\\n"; chdir "d" or die "$!\\n" } print "deep\\n"',
    )
    assert out.exit_code == 0 and out.stdout == "deep\n", out.text
    nxt = await shell(w.k, c, "echo", "hi")  # no walk of the tree before a call
    assert nxt.exit_code == 0 and nxt.stdout == "hi\n", nxt.text
    assert folder_mounted(w.k, c.pid)
    w.k.kill(c.pid or 0)
    assert await wait_dropped(w.k, c.pid or 0, 5), "the deep folder survived its process"
    assert not folder_path(w.k, c.pid).exists()  # on the host, and in the broker's root
    assert not broker_view(w.k, c.pid).exists()


async def test_symlinks_are_not_followed_when_the_folder_is_dropped(w: World, c: Caller) -> None:
    """The daemon drops an ended process's folder; symlinks in it to host files and
    folders must go with it, never be followed."""
    outside = w.base / f"outside-{TAG}"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep me")
    out = await shell(
        w.k,
        c,
        "sh",
        "-c",
        f'ln -s "{outside}" d && ln -s "{outside}/keep.txt" f && ln -s "{w.data}" data && '
        f'ln -s / r && mkdir sub && ln -s "{outside}" sub/d2 && ln -s ../.. sub/up',
    )
    assert out.exit_code == 0, out.text
    w.k.kill(c.pid or 0)
    assert await wait_dropped(w.k, c.pid or 0, 10)
    assert (outside / "keep.txt").read_text() == "keep me"
    assert (w.data / "token").read_text().strip() == w.token
    assert (broker_view(w.k, w.other_pid) / "secret").read_text() == SECRET_SB
    assert folder_mounted(w.k, w.other_pid)


# == privileges =========================================================================


async def test_set_the_clock(w: World, c: Caller) -> None:
    before = time.time()
    out = await shell(w.k, c, "date", "-s", "2001-01-01")
    assert out.refused and "Operation not permitted" in out.stderr, out.text
    assert abs(time.time() - before) < 60


@pytest.mark.parametrize(
    "argv",
    [
        ["su", "-c", "id"],
        ["su", "root", "-c", "cat /etc/shadow"],
        ["passwd", "-d", "root"],
        ["mount", "-t", "proc", "proc", "/tmp"],
        ["umount", "-l", "/usr"],
    ],
    ids=["su", "su-root-shadow", "passwd", "mount-setuid", "umount-setuid"],
)
async def test_setuid_binaries_gain_nothing(w: World, c: Caller, argv: list[str]) -> None:
    """nosuid mounts and no_new_privs: a setuid-root program runs as the sandbox user."""
    out = await shell(w.k, c, *argv)
    w.assert_no_leak(out)
    assert out.refused, out.text
    assert "uid=0" not in out.stdout


async def test_mount_in_a_new_user_namespace(w: World, c: Caller) -> None:
    """``unshare -rm mount ...`` and the raw calls: a new user namespace gives
    capabilities over nothing, and Landlock forbids mount outright."""
    outs = [
        await shell(w.k, c, "unshare", "-rm", "mount", "-t", "tmpfs", "none", "/tmp"),
        await shell(w.k, c, "unshare", "-rm", "sh", "-c", "mount -o remount,exec /sandbox"),
    ]
    raw = await shell(
        w.k,
        c,
        "python3",
        "-c",
        "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\n"
        "assert l.unshare(0x10000000 | 0x20000) == 0\n"
        "for args in ((b'none', b'/tmp', b'tmpfs', 0, None),"
        " (None, b'/sandbox', None, 32 | 4096, None), (b'proc', b'/tmp', b'proc', 0, None)):\n"
        "  print(l.mount(*args), ctypes.get_errno())\n"
        "print(l.umount2(b'/usr', 2), ctypes.get_errno())",
    )
    for out in outs:
        assert out.refused, out.text
    assert raw.exit_code == 0, raw.text
    assert all(line.startswith("-1 ") for line in raw.stdout.splitlines()), raw.text


async def test_chroot_escape(w: World, c: Caller) -> None:
    """The classic chroot break-out (in a new user namespace, where chroot is allowed)
    climbs only to the sandbox's own root."""
    out = await shell(
        w.k,
        c,
        "python3",
        "-c",
        "import ctypes, os\nl = ctypes.CDLL(None, use_errno=True)\n"
        "assert l.unshare(0x10000000) == 0\nos.makedirs('/sandbox/jail', exist_ok=True)\n"
        "assert l.chroot(b'/sandbox/jail') == 0\nfor _ in range(64): os.chdir('..')\n"
        "assert l.chroot(b'.') == 0\n"
        f"for p in ('/etc/shadow', '{w.data}/token', '/root'):\n"
        "  print(p, os.path.exists(p))\nprint(open('/etc/shadow').read())",
    )
    w.assert_no_leak(out)
    assert out.refused and "FileNotFoundError" in out.stderr, out.text
    assert "True" not in out.stdout


CAPGET = (
    "import ctypes, os\nl = ctypes.CDLL(None, use_errno=True)\n"
    "hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)\ndata = (ctypes.c_uint32 * 6)()\n"
    "assert l.capget(hdr, data) == 0\n"
    "print('eff', data[0] | data[3], 'prm', data[1] | data[4], 'inh', data[2] | data[5])\n"
    "print('amb', [cap for cap in range(41) if l.prctl(47, 1, cap, 0, 0) == 1])\n"
    "print('bounding', [cap for cap in range(41) if l.prctl(23, cap, 0, 0, 0) == 1])\n"
)


async def test_no_capabilities_and_no_way_back_to_root(w: World, c: Caller) -> None:
    out = await shell(
        w.k,
        c,
        "python3",
        "-c",
        CAPGET + "print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())\n"
        "print('nnp', l.prctl(39, 0, 0, 0, 0))\n"
        "for f in (os.setuid, os.seteuid, os.setgid):\n"
        "  try: f(0); print('became root')\n  except PermissionError: print('denied')",
    )
    assert out.exit_code == 0, out.text
    lines = out.stdout.splitlines()
    assert lines[0] == "eff 0 prm 0 inh 0" and lines[1] == "amb []", lines
    assert lines[3] in ("65534 65534 65534 []", "65534 65534 65534 [65534]"), lines
    assert lines[4] == "nnp 1", lines
    assert lines[5:] == ["denied"] * 3


CAPBSET_PY = (  # PR_CAPBSET_READ for every capability the kernel knows (EINVAL past it)
    "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\nknown, held = 0, []\n"
    "for cap in range(64):\n  r = l.prctl(23, cap, 0, 0, 0)\n  if r < 0: break\n"
    "  known += 1\n  held += [cap] if r == 1 else []\nprint('known', known, 'bounding', held)"
)
CAPBSET_PERL = (  # the same with a raw syscall (prctl is 157 on x86_64, 167 on arm64)
    'my $nr = (POSIX::uname())[4] eq "aarch64" ? 167 : 157; my ($known, @held) = (0); '
    "for my $cap (0..63) { my $r = syscall($nr, 23, $cap, 0, 0, 0); last if $r < 0; "
    '$known++; push @held, $cap if $r == 1 } print "known $known bounding [@held]\\n"'
)


def _cap_last_cap() -> int:
    return int(Path("/proc/sys/kernel/cap_last_cap").read_text())


async def test_capability_bounding_set_is_empty(w: World, c: Caller) -> None:
    """Dropped while CAP_SETPCAP was still held (before the change of user): every
    capability the kernel knows reads as not in the bounding set."""
    known = _cap_last_cap() + 1
    py = await shell(w.k, c, "python3", "-c", CAPBSET_PY)
    assert py.exit_code == 0, py.text
    assert py.stdout == f"known {known} bounding []\n", py.stdout
    pl = await shell(w.k, c, "perl", "-MPOSIX", "-e", CAPBSET_PERL)
    assert pl.exit_code == 0, pl.text
    assert pl.stdout == f"known {known} bounding []\n", pl.stdout


async def test_capabilities_and_limits_seen_from_the_host(w: World, c: Caller) -> None:
    """The running program's /proc/<pid>/status on the host (there is no /proc
    inside): no capability in any set, no_new_privs, the sandbox user, and its
    limits as configured."""
    task = asyncio.create_task(shell(w.k, c, "sleep", "3"))
    try:
        found = []
        for _ in range(150):
            found = [p for p in await asyncio.to_thread(confined, w.k) if p.name == "sleep"]
            if found:
                break
            await asyncio.sleep(0.02)
        assert found, "the program did not start"
        pid = found[0].pid
        status = dict(
            line.split(":\t", 1)
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if ":\t" in line
        )
        limits = Path(f"/proc/{pid}/limits").read_text()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[key], 16) == 0, (key, status[key])
    assert status["NoNewPrivs"].strip() == "1"
    assert status["Uid"].split() == ["65534"] * 4 and status["Gid"].split() == ["65534"] * 4
    assert status["Groups"].strip() in ("", "65534"), status["Groups"]
    cfg = w.k.config.tools.sandbox
    rows = {" ".join(ln.split()[:-3]): ln.split()[-3:-1] for ln in limits.splitlines()[1:]}
    assert rows["Max cpu time"] == [str(CPU_S)] * 2, rows
    assert rows["Max address space"] == [str(cfg.memory_bytes)] * 2, rows
    assert rows["Max processes"] == [str(cfg.processes)] * 2, rows
    assert rows["Max open files"] == [str(cfg.open_files)] * 2, rows


async def test_set_the_hostname(w: World, c: Caller) -> None:
    """No capability to set it; in a new user and UTS namespace a program may name
    its own, which reaches neither the host nor the sandbox's next call."""
    before = socket.gethostname()
    out = await shell(w.k, c, "hostname", f"pwned-{TAG}")
    assert out.refused, out.text
    assert "Operation not permitted" in out.stderr or "must be root" in out.stderr, out.text
    nested = await shell(w.k, c, "unshare", "-ru", "sh", "-c", f"hostname pwned-{TAG}; hostname")
    assert socket.gethostname() == before, nested.text
    after = await shell(w.k, c, "hostname")
    assert after.stdout == "sandbox\n", after.text


async def test_hostname_inside_is_not_the_hosts(w: World, c: Caller) -> None:
    """A UTS namespace of its own: the host's name does not reach the program."""
    outs = [
        await shell(w.k, c, "hostname"),
        await shell(w.k, c, "python3", "-c", "import os, socket; print(socket.gethostname())"),
        await shell(w.k, c, "perl", "-MPOSIX", "-e", 'print((POSIX::uname())[1], "\\n")'),
    ]
    for out in outs:
        assert out.exit_code == 0 and out.stdout == "sandbox\n", out.text
        if socket.gethostname() != "sandbox":
            assert socket.gethostname() not in out.stdout


async def test_execute_from_the_writable_folders(w: World, c: Caller) -> None:
    """/sandbox and /tmp are noexec (and Landlock grants no EXECUTE there): a copied
    binary does not run, directly or through the dynamic loader."""
    out = await shell(
        w.k,
        c,
        "sh",
        "-c",
        "cp /usr/bin/id ./myid && chmod 755 ./myid && cp /usr/bin/id /tmp/myid && "
        "chmod 755 /tmp/myid; ./myid; /tmp/myid; /lib64/ld-linux-x86-64.so.2 ./myid",
    )
    assert out.refused, out.text
    assert "uid=" not in out.stdout
    assert out.stderr.count("Permission denied") >= 2 and "failed to map" in out.stderr


async def test_ld_preload_through_args(w: World, c: Caller) -> None:
    """The tool has no env parameter; ``env LD_PRELOAD=...`` through the args can name
    a library, but one written to /sandbox cannot be mapped executable."""
    out = await shell(
        w.k,
        c,
        "sh",
        "-c",
        "cp /usr/lib/x86_64-linux-gnu/libc.so.6 ./evil.so 2>/dev/null || "
        "cp /usr/lib/*/libc.so.6 ./evil.so; env LD_PRELOAD=/sandbox/evil.so id",
    )
    assert "cannot be preloaded" in out.stderr, out.text


@pytest.mark.parametrize(
    "extra",
    [
        {"env": {"LD_PRELOAD": "/sandbox/evil.so", ENV_NAME: "injected"}},
        {"cwd": "/"},
        {"network": True},
        {"stdin": "injected"},
        {"timeout_s": 3600},
    ],
    ids=["env", "cwd", "network", "stdin", "timeout_s"],
)
async def test_unknown_shell_arguments_are_refused(
    w: World, c: Caller, extra: dict[str, object]
) -> None:
    """A key next to program/args (an ``env``, a ``cwd``, the network...) is refused
    before anything runs: ShellArgs forbids extra keys."""
    out = await shell(w.k, c, "env", **extra)
    assert isinstance(out.error, BadRequest), out.text
    assert "schema" in str(out.error), out.text
    assert out.error.details.get("errors") == ["Extra inputs are not permitted"], out.error.details
    assert "injected" not in out.text and "PATH=" not in out.text


# == processes and signals ==============================================================


async def test_kill_pid_1(w: World, c: Caller) -> None:
    """PID 1 inside is the program's own namespace init: the host's init and the
    daemon are out of reach, and the kill does nothing."""
    out = await shell(w.k, c, "sh", "-c", "kill -9 1; echo survived; kill -9 -1; echo rc=$?")
    assert out.stdout.startswith("survived\n") and "rc=1" in out.stdout, out.text
    assert "No such process" in out.stderr
    assert (await shell(w.k, c, "echo", "ok")).stdout == "ok\n"


async def test_signal_the_daemon_and_the_broker(w: World, c: Caller) -> None:
    broker = w.k.sandbox.broker_pid
    assert broker is not None
    for pid in (os.getpid(), broker, os.getppid()):
        for argv in (["kill", "-9", str(pid)], ["perl", "-e", f"kill(9, {pid}) or die qq($!\\n)"]):
            out = await shell(w.k, c, *argv)
            assert out.refused and "No such process" in out.stderr, out.text
    assert w.k.sandbox.broker_alive
    assert (await shell(w.k, c, "echo", "ok")).stdout == "ok\n"


async def test_ptrace_the_daemon(w: World, c: Caller) -> None:
    """PTRACE_ATTACH and process_vm_readv on the daemon's pid: not in this namespace."""
    me = os.getpid()
    out = await shell(
        w.k,
        c,
        "python3",
        "-c",
        "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\n"
        f"print(l.ptrace(16, {me}, 0, 0), ctypes.get_errno())\n"
        f"print(l.ptrace(16, 0, 0, 0), ctypes.get_errno())\n"
        "buf = ctypes.create_string_buffer(64)\n"
        "class iov(ctypes.Structure): _fields_ = [('b', ctypes.c_void_p), ('n', ctypes.c_size_t)]\n"
        "a = iov(ctypes.cast(buf, ctypes.c_void_p), 64)\n"
        f"print(l.process_vm_readv({me}, ctypes.byref(a), 1, ctypes.byref(a), 1, 0), "
        "ctypes.get_errno())",
    )
    assert out.exit_code == 0, out.text
    assert out.stdout.splitlines() == [f"-1 {errno.ESRCH}"] * 3, out.text


async def test_signal_another_sandbox_program(w: World, c: Caller) -> None:
    """Another aios process's program runs concurrently; this one knows its host pid
    (here, from us) and signals it: it lives in another PID namespace, out of reach."""
    victim = await hostile(w.k)
    task = asyncio.create_task(shell(w.k, victim, "sleep", "3"))
    try:
        host_pid = None
        for _ in range(100):
            found = [p for p in await asyncio.to_thread(confined, w.k) if p.name == "sleep"]
            if found:
                host_pid = found[0].pid
                break
            await asyncio.sleep(0.02)
        assert host_pid is not None
        outs = [
            await shell(w.k, c, "kill", "-9", str(host_pid)),
            await shell(w.k, c, "perl", "-e", f"kill(9, {host_pid}) or die qq($!\\n)"),
            await shell(w.k, c, "kill", "-s", "STOP", str(host_pid)),
        ]
        for out in outs:
            assert out.refused and "No such process" in out.stderr, out.text
        await shell(w.k, c, "kill", "-9", "-1")  # everyone it may signal: its own namespace
        done = await task
        assert done.exit_code == 0, done.text  # the victim slept to its end
    finally:
        task.cancel()


async def test_background_program_does_not_survive_the_call(w: World, c: Caller) -> None:
    """Its PID 1 exits: the namespace ends, and every process left in it with it."""
    before = await asyncio.to_thread(sandbox_namespaces, w.k)
    out = await shell(
        w.k, c, "sh", "-c", f"sleep 100 & sleep 100 & perl -e 'sleep 100' {TAG} & echo started"
    )
    assert out.exit_code == 0 and out.stdout == "started\n", out.text
    assert out.seconds < 3
    assert await wait_no_confined(w.k, 2) == []
    assert await asyncio.to_thread(left_in, before, w.k.sandbox.uid) == []
    assert await asyncio.to_thread(tagged, TAG, w.k.sandbox.uid) == []


async def test_fork_bomb_is_bounded(w: World, c: Caller) -> None:
    """Forks stop at the 32-process limit; the call ends; the daemon stays responsive;
    nothing is left running afterwards."""
    task = asyncio.create_task(
        shell(
            w.k,
            c,
            "perl",
            "-e",
            "$n = 0; while (1) { $p = fork; last unless defined $p; "
            'if (!$p) { sleep 60; exit } $n++ } print "forked $n\\n"; sleep 1',
        )
    )
    lat = []
    while not task.done():
        lat.append(await latency(w.k))
        await asyncio.sleep(0.05)
    out = await task
    assert out.exit_code == 0, out.text
    forked = int(out.stdout.split()[1])
    assert forked < 32, out.text
    assert max(lat) < 1.0, lat
    assert await wait_no_confined(w.k, 3) == []


# == memory, CPU, output ================================================================


async def test_memory_bomb_date_f_dev_zero(w: World, c: Caller) -> None:
    """An endless line: date's buffer grows to the address-space limit and stops."""
    out = await shell(w.k, c, "date", "-f", "/dev/zero")
    assert out.result is not None, out.text
    assert out.stdout == ""
    assert out.result["max_rss_kb"] * 1024 <= w.k.config.tools.sandbox.memory_bytes


@pytest.mark.parametrize(
    "argv",
    [
        ["perl", "-e", "$x = 'a' x 1e6; $x .= $x while 1"],
        ["python3", "-c", "x = bytearray(2**30)"],
        ["sh", "-c", "x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done"],
    ],
    ids=["perl-string", "python-bytearray", "sh-variable"],
)
async def test_memory_bomb_hits_the_address_space_limit(
    w: World, c: Caller, argv: list[str]
) -> None:
    out = await shell(w.k, c, *argv)
    assert out.refused, out.text
    if out.result is not None:
        assert out.result["max_rss_kb"] * 1024 <= w.k.config.tools.sandbox.memory_bytes


@pytest.mark.xfail(
    strict=True,
    reason="HOLE (not fixed): memory_bytes is RLIMIT_AS, per process, not per sandbox tree: "
    "no cgroup bounds a call's processes together, so with 32 processes one call may hold "
    "32 x 512 MiB = 16 GiB at once (x 4 concurrent calls)",
)
async def test_memory_limit_bounds_the_whole_sandbox(w: World, c: Caller) -> None:
    n, each = 3, 200  # 600 MiB of strings (about 1.2 GB resident) against a 512 MiB limit
    script = (
        f"my $n = {n}; my @kids; pipe(my $r, my $w) or die; pipe(my $r2, my $w2) or die;\n"
        'for (1..$n) { my $p = fork; die "fork: $!" unless defined $p;\n'
        f"  if (!$p) {{ close $r; close $w2; my $x = 'a' x ({each}*1024*1024); "
        "syswrite $w, 'k'; sysread $r2, my $b, 1; exit 0 }\n  push @kids, $p }\n"
        "close $w; close $r2; my $got = 0;\n"
        "while ($got < $n) { my $c = sysread $r, my $buf, 16; last unless $c; $got += $c }\n"
        'print "$got\\n"; close $w2; waitpid $_, 0 for @kids;'
    )
    out = await shell(w.k, c, "perl", "-e", script)
    assert out.exit_code == 0, out.text
    resident = int(out.stdout.strip()) * each * MIB  # held at the same moment
    limit = w.k.config.tools.sandbox.memory_bytes
    assert resident <= limit, f"one sandbox held {resident / MIB:.0f} MiB at once"


async def test_cpu_burn_is_killed_by_the_cpu_limit(w: World, c: Caller) -> None:
    out = await shell(w.k, c, "perl", "-e", "1 while 1")
    if out.result is not None:
        # soft = hard limit: the kernel sends SIGKILL at the limit, and the call says so
        assert out.exit_code == -signal.SIGKILL, out.text
        assert out.result["cpu_s"] <= CPU_S + 0.5
    else:  # a machine so loaded that the wall-clock timeout came first
        assert isinstance(out.error, DeadlineExceeded), out.text
    assert await wait_no_confined(w.k, CPU_S * 3) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["sh", "-c", "while :; do :; done"],
        ["python3", "-c", "while True: pass"],
    ],
    ids=["sh", "python3"],
)
async def test_a_cpu_limited_program_reports_its_signal(
    w: World, c: Caller, argv: list[str]
) -> None:
    """A program killed at its CPU limit is reported as killed by SIGKILL (exit code
    -9, as subprocess spells it), not as a sandbox failure (126). A call that the
    wall-clock timeout ends first (a loaded machine) is tried again, twice at most."""
    for _ in range(3):
        out = await shell(w.k, c, *argv)
        if out.error is None:
            break
        assert isinstance(out.error, DeadlineExceeded), out.text
    assert out.result is not None, out.text
    assert out.exit_code == -signal.SIGKILL, out.text
    assert CPU_S - 0.5 <= out.result["cpu_s"] <= CPU_S + 0.5, out.text


CRASHES = {
    "python-null": ["python3", "-c", "import ctypes; ctypes.string_at(0)"],
    "perl-null": ["perl", "-e", 'print unpack("p", pack("J", 8))'],
}


@pytest.mark.parametrize("case", list(CRASHES))
async def test_a_crashing_program_dumps_no_core_on_the_host(w: World, c: Caller, case: str) -> None:
    """Under a daemon allowed to dump cores (``ulimit -c unlimited``), a program that
    crashes (SIGSEGV, which even a namespace's PID 1 cannot ignore) is reported with its
    signal, and no core lands anywhere: not the program's (RLIMIT_CORE 0), and not its
    supervisor's, which re-raises the signal on itself to report it (a core of a fork of
    the broker, written as root into the daemon's working directory, past every quota)."""
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if pattern.startswith("|") or "/" in pattern:
        pytest.skip(f"cores go to {pattern!r}, not to the dumping process's directory")
    prefix = pattern.split("%")[0] or "core"
    broker = broker_pid(w.k)
    cwd = Path(os.readlink(f"/proc/{broker}/cwd"))
    before = {p.name for p in cwd.iterdir() if p.name.startswith(prefix)}
    old = resource.prlimit(broker, resource.RLIMIT_CORE)
    unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    resource.prlimit(broker, resource.RLIMIT_CORE, unlimited)
    try:
        for _ in range(2):  # use up the slot forked ahead of time with the old limit
            assert (await shell(w.k, c, "echo", "x")).exit_code == 0
        out = await shell(w.k, c, *CRASHES[case])
    finally:
        resource.prlimit(broker, resource.RLIMIT_CORE, old)
        new = [p for p in cwd.iterdir() if p.name.startswith(prefix) and p.name not in before]
        for p in new:
            p.unlink()
    assert out.exit_code == -signal.SIGSEGV, out.text
    assert new == [], f"a core was dumped on the host: {new}"
    inside = await shell(w.k, c, "ls", "-a")
    assert inside.stdout.split() == [".", ".."], inside.text


async def test_a_timeout_is_the_sandboxs_deadline_with_its_message(w: World, c: Caller) -> None:
    """Past the shell tool's timeout the program is killed and the call raises the
    sandbox's DeadlineExceeded, its message intact (not rewritten by the tool registry)."""
    out = await shell(w.k, c, "sleep", "30")
    assert isinstance(out.error, DeadlineExceeded), out.text
    assert str(out.error) == f"sleep did not finish within {TIMEOUT_S:g}s (killed)", out.text
    assert out.error.details.get("timeout_s") == TIMEOUT_S, out.error.details
    assert TIMEOUT_S - 0.5 <= out.seconds < TIMEOUT_S + 3, out.seconds
    assert await wait_no_confined(w.k, 1) == []


async def test_output_flood_is_bounded(w: World, c: Caller) -> None:
    """``seq inf`` (the default allow-list): the daemon never holds more than the output
    limit, and past it the program is killed and the call ends at once with what it read."""
    out = await shell(w.k, c, "seq", "inf")
    assert out.result is not None and out.result["truncated"], out.text[:300]
    assert out.exit_code == -signal.SIGKILL, out.text[:300]
    assert len(out.stdout.encode()) <= MAX_OUTPUT and len(out.text) < 2 * MAX_OUTPUT
    assert out.seconds < TIMEOUT_S - 1
    assert await wait_no_confined(w.k, 2) == []


KILLED = {  # what each tries: to outlive the kill of its call
    "timeout": ["perl", "-e", "sleep 30", TAG],
    "output-limit": ["perl", "-e", 'print "x" x 65536 while 1; sleep 30', TAG],
    "ignores-signals": [
        "perl",
        "-MPOSIX",
        "-e",  # clears its parent-death signal, ignores what can be ignored, daemonizes
        '$SIG{$_} = "IGNORE" for qw(TERM HUP INT QUIT PIPE USR1 USR2); '
        "syscall(157, 1, 0, 0, 0, 0); close STDOUT; close STDERR; "
        "if (fork) { sleep 30 } else { POSIX::setsid(); exit if fork; "
        "syscall(157, 1, 0, 0, 0, 0); sleep 30 }",
        TAG,
    ],
    "nested-pid-namespace": [  # its own user and PID namespaces, a PID 1 of its own below
        "python3",
        "-c",
        "import ctypes, os, time\nl = ctypes.CDLL(None, use_errno=True)\n"
        "assert l.unshare(0x10000000 | 0x20000000) == 0, ctypes.get_errno()\n"
        "if os.fork() == 0:\n  os.setsid()\n  os.fork()\n"
        "time.sleep(30)",
        TAG,
    ],
}


@pytest.mark.parametrize("case", list(KILLED))
async def test_a_killed_program_does_not_survive(w: World, c: Caller, case: str) -> None:
    """Killed at the timeout or past the output limit, a program is gone with every
    process it started: none is left on the whole host (scanned in /proc: none in its
    PID namespace or one nested in it, none with its tag), and the call ends when
    the kill does."""
    argv = KILLED[case]
    before = await asyncio.to_thread(sandbox_namespaces, w.k)  # holds this call's
    out = await shell(w.k, c, *argv)
    if case == "output-limit":  # past the output limit the call ends at once
        assert out.result is not None and out.result["truncated"], out.text[:200]
        assert out.exit_code == -signal.SIGKILL and out.seconds < TIMEOUT_S - 1, out.text[:200]
    else:
        assert isinstance(out.error, DeadlineExceeded), out.text
        assert f"within {TIMEOUT_S:g}s (killed)" in str(out.error), out.text
        assert out.seconds < TIMEOUT_S + 3
    assert await wait_no_confined(w.k, 1) == [], "still running under the broker"
    uid = w.k.sandbox.uid
    assert await asyncio.to_thread(left_in, before, uid) == [], "still in its namespace"
    assert await asyncio.to_thread(tagged, TAG, uid) == [], "still running on the host"


async def test_killing_the_aios_process_stops_its_program(w: World, c: Caller) -> None:
    """An aios process ends while its program writes files: the in-flight call (made
    from outside the process's own task, as over HTTP) ends with Cancelled at once, its
    program is killed, and once it has exited the folder is dropped."""
    before = await asyncio.to_thread(sandbox_namespaces, w.k)
    task = asyncio.create_task(
        shell(
            w.k,
            c,
            "perl",
            "-e",
            '$i = 0; while (1) { open F, ">", "f" . $i++; close F; '
            "select(undef, undef, undef, 0.001) if $i > 2000 }",
            TAG,
        )
    )
    try:
        for _ in range(150):
            if await asyncio.to_thread(confined, w.k):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        assert folder_mounted(w.k, c.pid or 0)
        w.k.kill(c.pid or 0)
        out = await asyncio.wait_for(task, 3)
        assert isinstance(out.error, Cancelled), out.text
        assert out.seconds < TIMEOUT_S - 1, out.seconds
        left = await wait_no_confined(w.k, 1.5)
        assert left == [], f"the killed process's program still runs: {left}"
        uid = w.k.sandbox.uid
        assert await asyncio.to_thread(left_in, before, uid) == []
        assert await asyncio.to_thread(tagged, TAG, uid) == []
        assert await wait_dropped(w.k, c.pid or 0, 3), "the killed process's folder survived"
        again = await shell(w.k, c, "echo", "hi")
        assert again.error is not None, again.text
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_killing_the_aios_process_as_its_call_starts(w: World) -> None:
    """Processes end while their first call is still being set up, at every step of it
    (checking its caps, making its folder, starting its program): the call ends at
    once, and afterwards no program runs and no folder stays. A sweep: the kill comes
    after 0..59 turns of the event loop, then after 1..40 ms."""
    waits: list[tuple[str, float]] = [("turns", n) for n in range(60)]
    waits += [("ms", ms) for ms in (1, 2, 3, 5, 8, 13, 20, 40)]
    pids, slow = [], []
    for kind, n in waits:
        caller = await hostile(w.k)
        pids.append(caller.pid or 0)
        task = asyncio.create_task(shell(w.k, caller, "perl", "-e", "sleep 30", TAG))
        if kind == "turns":
            for _ in range(int(n)):
                await asyncio.sleep(0)
        else:
            await asyncio.sleep(n / 1000)
        w.k.kill(caller.pid or 0)
        done, _ = await asyncio.wait([task], timeout=3)
        if not done:  # the kill did not end the call
            slow.append((kind, n))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert slow == [], f"calls that ran on after their process ended: {slow}"
    uid = w.k.sandbox.uid
    left = await wait_no_confined(w.k, 2)
    assert left == [], f"programs left running: {left}"
    assert await asyncio.to_thread(tagged, TAG, uid) == []
    await asyncio.sleep(0.5)
    mounted = [pid for pid in pids if await asyncio.to_thread(folder_mounted, w.k, pid)]
    assert mounted == [], f"folders left mounted: {mounted}"
    assert not any(folder_path(w.k, pid).exists() for pid in pids)


async def test_concurrent_cpu_burners_are_bounded_and_the_daemon_responsive(
    w: World, c: Caller
) -> None:
    """8 calls of ``seq inf`` at once: at most ``concurrency`` run, the others wait;
    a trivial syscall stays fast meanwhile; all end, none is left."""
    limit = w.k.config.tools.sandbox.concurrency
    tasks = [
        asyncio.create_task(shell(w.k, c, "sh", "-c", "seq inf > /dev/null")) for _ in range(8)
    ]
    most, lat = 0, []
    while not all(t.done() for t in tasks):
        most = max(most, await asyncio.to_thread(running_calls, w.k))
        lat.append(await latency(w.k))
        await asyncio.sleep(0.05)
    outs = [await t for t in tasks]
    for out in outs:
        assert out.refused, out.text  # SIGXCPU, or the timeout on a loaded machine
    assert 1 <= most <= limit, most
    assert max(lat) < 1.0, (statistics.median(lat), max(lat))
    assert await wait_no_confined(w.k, CPU_S * 3) == []


# == the network ========================================================================


@pytest.fixture
def tcp_listener() -> Iterator[socket.socket]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    s.setblocking(False)
    yield s
    s.close()


def nothing_accepted(s: socket.socket) -> bool:
    try:
        conn, _ = s.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


async def test_tcp_to_a_local_listener(w: World, c: Caller, tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    outs = [
        await shell(
            w.k,
            c,
            "python3",
            "-c",
            f"import socket; socket.create_connection(('127.0.0.1', {port}))",
        ),
        await shell(
            w.k,
            c,
            "perl",
            "-MIO::Socket::INET",
            "-e",
            f"IO::Socket::INET->new('127.0.0.1:{port}') or die qq(no: $!\\n)",
        ),
        await shell(
            w.k, c, "python3", "-c", f"import socket; socket.create_connection(('::1', {port}))"
        ),
    ]
    for out in outs:
        assert out.refused, out.text
    assert nothing_accepted(tcp_listener)


async def test_dev_tcp(w: World, c: Caller, tcp_listener: socket.socket) -> None:
    port = tcp_listener.getsockname()[1]
    outs = [
        await shell(w.k, c, "bash", "-c", f"echo hi > /dev/tcp/127.0.0.1/{port}"),
        await shell(w.k, c, "cat", f"/dev/tcp/127.0.0.1/{port}"),
    ]
    for out in outs:
        assert out.refused, out.text
    assert nothing_accepted(tcp_listener)


async def test_udp_to_a_local_socket(w: World, c: Caller) -> None:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    try:
        port = sink.getsockname()[1]
        out = await shell(
            w.k,
            c,
            "python3",
            "-c",
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"s.sendto(b'leak', ('127.0.0.1', {port}))",
        )
        assert out.refused and "Network is unreachable" in out.stderr, out.text
        with pytest.raises(BlockingIOError):
            sink.recv(64)
    finally:
        sink.close()


async def test_abstract_unix_socket_the_daemon_listens_on(w: World, c: Caller) -> None:
    name = f"\0aios-shell-attack-{TAG}"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(name)
    srv.listen()
    srv.setblocking(False)
    try:
        out = await shell(
            w.k,
            c,
            "python3",
            "-c",
            "import socket; s = socket.socket(socket.AF_UNIX); "
            f"s.connect({name!r}); s.sendall(b'leak')",
        )
        assert out.refused and "ConnectionRefusedError" in out.stderr, out.text
        assert nothing_accepted(srv)
    finally:
        srv.close()


async def test_unix_socket_in_the_data_dir(w: World, c: Caller) -> None:
    path = w.data / f"attack-{TAG}.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen()
    srv.setblocking(False)
    try:
        out = await shell(
            w.k,
            c,
            "python3",
            "-c",
            f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({str(path)!r})",
        )
        assert out.refused and "FileNotFoundError" in out.stderr, out.text
        assert nothing_accepted(srv)
    finally:
        srv.close()
        path.unlink(missing_ok=True)


async def test_raw_and_netlink_sockets(w: World, c: Caller) -> None:
    out = await shell(
        w.k,
        c,
        "python3",
        "-c",
        "import socket\nfor args in ((socket.AF_INET, socket.SOCK_RAW, 1), "
        "(socket.AF_PACKET, socket.SOCK_RAW, 0)):\n"
        "  try: socket.socket(*args); print('opened', args)\n"
        "  except PermissionError: print('denied')",
    )
    assert out.exit_code == 0 and out.stdout == "denied\ndenied\n", out.text


async def test_sysv_shared_memory_of_the_host(w: World, c: Caller) -> None:
    """A SysV segment made on the host (mode 0666, holding a secret) is in another IPC
    namespace: neither its key nor its id reaches it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    key = 0x5A000000 | (int(TAG[:6], 16) & 0xFFFFFF)
    shmid = libc.shmget(key, 4096, 0o1000 | 0o666)  # IPC_CREAT
    assert shmid >= 0, os.strerror(ctypes.get_errno())
    try:
        addr = libc.shmat(shmid, None, 0)
        ctypes.memmove(addr, SECRET_ROOT.encode(), len(SECRET_ROOT))
        libc.shmdt(ctypes.c_void_p(addr))
        out = await shell(
            w.k,
            c,
            "perl",
            "-e",
            f"my $id = shmget({key}, 0, 0); print defined $id ? qq(key ok\\n) : qq(key: $!\\n);"
            f"my $b; print shmread({shmid}, $b, 0, 64) ? qq($b\\n) : qq(id: $!\\n);",
        )
        w.assert_no_leak(out)
        assert out.stdout.startswith(f"key: {NOENT}\nid: "), out.text
    finally:
        libc.shmctl(shmid, 0, None)  # IPC_RMID


# == arguments and program names ========================================================


@pytest.mark.parametrize(
    "args,error",
    [
        (["x"] * 10_000, BadRequest),
        (["a" * 1_000_000], ToolError),
        (["a\x00b"], ToolError),
        (["x"] * 257, BadRequest),
    ],
    ids=["10000-args", "1MB-arg", "nul-byte", "257-args"],
)
async def test_argument_bombs(w: World, c: Caller, args: list[str], error: type) -> None:
    out = await shell(w.k, c, "echo", *args)
    assert isinstance(out.error, error), out.text[:300]
    assert out.seconds < 2


@pytest.mark.parametrize(
    "program",
    [
        "/bin/sh",
        "/usr/bin/sh",
        "../../bin/sh",
        "./sh",
        "sh/",
        " sh",
        "sh\x00",
        "SH",
        "sh -c id",
        "/usr/bin/../bin/sh",
        "x" * 101,
        "",
    ],
)
async def test_program_names_with_paths_are_not_allowed(w: World, c: Caller, program: str) -> None:
    out = await shell(w.k, c, program, "-c", "id")
    assert isinstance(out.error, AiosError), out.text
    assert "uid=" not in out.text
