"""Attacks by isolated agents (their own confined OS process, the API's Unix socket
their one way out) on the daemon and on what it promises. Real sandbox, real uvicorn
on the daemon's Unix socket, scripted LLM core."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import socket
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from aios.agents.agent_venv import AgentVenvs, VenvRefused, parse_requirements
from aios.agents.cerebrum_run import load_folder
from aios.agents.isolated import MAX_DEPTH, run_isolated
from aios.agents.manifest import Plugin
from aios.api.app import create_app
from aios.errors import BadRequest, ConfigError
from aios.kernel import Capabilities, Kernel, ProcessState
from aios.kernel.daemon import _bind_unix, api_socket_path
from aios.kernel.sandbox.process import SandboxUnavailable

ADMIN = "admin-token"

AGENTS = """
import os, sys, time


class Echo:
    def run(self, ctx, task):
        return task


class Surrogate:
    def run(self, ctx, task):
        return {"text": "a\\ud800b", "k\\udfff": 1}


class Deep:
    def run(self, ctx, task):
        value = []
        for _ in range(int(task)):
            value = [value]
        return value


class ReadsAbove:
    def run(self, ctx, task):
        # the runner put the (mounted) plugin folder first on sys.path
        return open(os.path.join(sys.path[0], "data", "secret.txt")).read()


def _linger():
    if os.fork() == 0:  # a double fork and a new session: an orphan, a daemon
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
    os.wait()


class Lingers:
    def run(self, ctx, task):
        _linger()
        time.sleep(float(task))
        return "returned"


class Grabs:
    def run(self, ctx, task):
        tried = {}
        for name, call in [
            ("wider_child", lambda: ctx.spawn("chat", "x", capabilities={"tools": ["*"]})),
            ("cerebrum", lambda: ctx.syscall("proc.spawn", cerebrum="/", task="x")),
            ("higher_priority", lambda: ctx.spawn("chat", "x", priority=5)),
            ("others_token", lambda: ctx.syscall("proc.token", pid=int(task))),
            ("admin_syscall", lambda: ctx.syscall("approval.respond", id=1, decision="approve")),
        ]:
            try:
                call()
                tried[name] = "granted"
            except Exception as exc:
                tried[name] = getattr(exc, "code", type(exc).__name__)
        return tried


class Floods:
    def run(self, ctx, task):
        chunk = b"x" * 65536
        for _ in range(int(task)):
            os.write(2, chunk)  # stderr: only a tail is kept
        for _ in range(40):
            os.write(3, chunk)  # the report channel itself: 2.5 MB, past its limit
        return "flooded"
"""


@pytest.fixture
async def served(k: Kernel) -> AsyncIterator[Kernel]:
    """The kernel, serving its API on the daemon's Unix socket (as ``aios serve``)."""
    usock = _bind_unix(k.config.data_dir)
    assert usock is not None
    k.api_socket = api_socket_path(k.config.data_dir)
    server = uvicorn.Server(
        uvicorn.Config(create_app(k, ADMIN), log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve(sockets=[usock]))
    while not server.started:
        await asyncio.sleep(0.01)
    yield k
    server.should_exit = True
    await task
    usock.close()


def _plugin(folder: Path, entry: str) -> Plugin:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "agents.py").exists():
        (folder / "agents.py").write_text(textwrap.dedent(AGENTS))
    return Plugin(name="t", manifest=None, folder=folder, source="folder", entry=entry)


async def _run(k: Kernel, plugin: Plugin, task: str = "", caps: Capabilities | None = None) -> Any:
    async def isolated(ctx: Any, task: str) -> Any:
        return await run_isolated(ctx, plugin, task)

    return await k.spawn(isolated, task, name=plugin.entry or "t", capabilities=caps)


async def _admin(k: Kernel, name: str, **args: Any) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(uds=str(k.api_socket))
    async with httpx.AsyncClient(transport=transport, base_url="http://aios") as c:
        return await c.post(
            "/v1/syscall",
            json={"name": name, "args": args},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )


async def test_a_result_the_api_cannot_encode_never_breaks_the_process_list(
    served: Kernel, tmp_path: Path
) -> None:
    """JSON's escapes carry lone surrogates and any depth; stored as they came, one
    agent's result made every proc.list and proc.get answer 500."""
    k = served
    folder = tmp_path / "plugin"
    surrogate = await _run(k, _plugin(folder, "agents:Surrogate"))
    deep = await _run(k, _plugin(folder, "agents:Deep"), "300")
    fine = await _run(k, _plugin(folder, "agents:Deep"), str(MAX_DEPTH - 4))
    infos = [await k.wait(p.pid, 30) for p in (surrogate, deep, fine)]
    listed = await _admin(k, "proc.list", states=None)
    assert listed.status_code == 200, listed.text
    for info in infos:
        got = await _admin(k, "proc.get", pid=info.pid)
        assert got.status_code == 200, got.text
    assert infos[0].state == ProcessState.EXITED
    assert infos[0].result == {"text": "a?b", "k?": 1}
    assert infos[1].state == ProcessState.FAILED
    assert (infos[1].error or "").startswith("bad_result: ")
    assert infos[2].state == ProcessState.EXITED, infos[2].error


async def test_the_task_reaches_the_agent_as_it_was_given(served: Kernel, tmp_path: Path) -> None:
    """Host paths in the payload are shown as the program sees them; the task is the
    user's text, even when it names a host path that is mounted elsewhere inside."""
    folder = tmp_path / "plugin"
    task = f"{folder}/notes.txt and {folder}"
    proc = await _run(served, _plugin(folder, "agents:Echo"), str(folder / "notes.txt"))
    again = await _run(served, _plugin(folder, "agents:Echo"), task)
    first, second = await served.wait(proc.pid, 30), await served.wait(again.pid, 30)
    assert first.result == str(folder / "notes.txt"), first.error
    assert second.result == task


async def test_a_folder_holding_the_data_dir_is_never_mounted(
    served: Kernel, tmp_path: Path
) -> None:
    """A plugin folder that is a link to a parent of the data directory would show
    the program the admin token and every process's files (when the daemon is not
    root, programs run as its user and can read them)."""
    k = served
    data = Path(k.config.data_dir)
    assert data.parent == tmp_path
    (data / "secret.txt").write_text("the admin token")
    for path, mode in ((tmp_path, 0o755), (data, 0o755), (data / "secret.txt", 0o644)):
        os.chmod(path, mode)  # readable to the sandbox's user, as a daemon's own files are
    _plugin(tmp_path, "agents:ReadsAbove")  # the code beside the data directory
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "evil").symlink_to(tmp_path)
    plugin = Plugin(
        name="evil",
        manifest=None,
        folder=tmp_path / "plugins" / "evil",
        source="folder",
        entry="agents:ReadsAbove",
    )
    info = await k.wait((await _run(k, plugin)).pid, 30)
    assert info.state == ProcessState.FAILED and info.result is None
    assert "holds the daemon's data directory" in (info.error or "")
    assert str(tmp_path) not in (info.error or "")  # no server paths in errors
    assert proc_pid_has_no_token(k, info.pid) and not k.sandbox._running


def proc_pid_has_no_token(k: Kernel, pid: int) -> bool:
    return pid not in k.tokens._by_pid


def _pid_namespace_of(supervisor: int) -> str | None:
    """The pid namespace of a confined program (the supervisor's one child)."""
    try:
        kids = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        return os.readlink(f"/proc/{kids[0]}/ns/pid") if kids else None
    except OSError:
        return None


def _members(ns: str) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == ns:
                    out.append(int(entry))
            except OSError:
                continue
    return out


async def _namespace(k: Kernel, pid: int) -> str:
    for _ in range(1000):
        for p in list(k.sandbox._running.values()):
            ns = _pid_namespace_of(p.pid) if p.owner == str(pid) and p.pid else None
            if ns is not None and len(_members(ns)) >= 3:  # runner, agent, its orphan
                return ns
        await asyncio.sleep(0.01)
    raise AssertionError("the program never started its orphan")


async def _gone(ns: str) -> list[int]:
    for _ in range(300):
        if not (left := _members(ns)):
            return left
        await asyncio.sleep(0.01)
    return _members(ns)


async def test_no_orphan_outlives_its_aios_process(served: Kernel, tmp_path: Path) -> None:
    """Double fork, setsid: when the agent returns, or its process is killed, nothing
    it started keeps running on the host."""
    k = served
    folder = tmp_path / "plugin"
    killed = await _run(k, _plugin(folder, "agents:Lingers"), "60")
    ns_killed = await _namespace(k, killed.pid)
    returns = await _run(k, _plugin(folder, "agents:Lingers"), "1.5")
    ns_returns = await _namespace(k, returns.pid)
    k.kill(killed.pid)
    assert (await k.wait(killed.pid, 10)).state == ProcessState.KILLED
    done = await k.wait(returns.pid, 30)
    assert done.state == ProcessState.EXITED and done.result == "returned", done.error
    assert await _gone(ns_killed) == [] and await _gone(ns_returns) == []


async def test_an_isolated_agent_gets_nothing_its_process_was_not_granted(
    served: Kernel, tmp_path: Path
) -> None:
    k = served
    other = await k.spawn("sleep", "30", name="bystander")
    try:
        proc = await _run(k, _plugin(tmp_path / "plugin", "agents:Grabs"), str(other.pid))
        info = await k.wait(proc.pid, 30)
    finally:
        k.kill(other.pid)
    assert info.state == ProcessState.EXITED, info.error
    assert all(v == "permission_denied" for v in info.result.values()), info.result
    listed = (await _admin(k, "proc.list", states=None)).json()["result"]["processes"]
    assert not [p for p in listed if p["parent"] == proc.pid]  # no child was made


async def test_stdout_and_stderr_floods_are_bounded(served: Kernel, tmp_path: Path) -> None:
    k = served
    proc = await _run(k, _plugin(tmp_path / "plugin", "agents:Floods"), "160")  # 10 MB
    info = await k.wait(proc.pid, 30)
    assert info.state == ProcessState.FAILED and "SIGKILL" in (info.error or ""), info.error
    assert len(info.error or "") < 2000
    again = await k.wait((await _run(k, _plugin(tmp_path / "plugin", "agents:Echo"), "ok")).pid, 30)
    assert again.result == "ok", again.error


async def test_proc_log_control_characters_reach_no_watcher(served: Kernel) -> None:
    """A watcher (``aios`` rendering a process's events) must not get a process's
    terminal escapes or carriage returns that overwrite a line."""
    k = served
    hold = asyncio.Event()

    async def agent(ctx: Any, task: str) -> None:
        await hold.wait()

    proc = await k.spawn(agent, "", name="logger")
    token = k.tokens.issue(proc.pid)
    q = k.events.subscribe(proc.pid)
    transport = httpx.AsyncHTTPTransport(uds=str(k.api_socket))
    async with httpx.AsyncClient(transport=transport, base_url="http://aios") as c:
        r = await c.post(
            "/v1/syscall",
            json={"name": "proc.log", "args": {"message": "ok\x1b[2J\rfake\x07\u202e"}},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.status_code == 200, r.text
    event = await asyncio.wait_for(q.get(), 5)
    while event["type"] != "log":
        event = await asyncio.wait_for(q.get(), 5)
    hold.set()
    await k.wait(proc.pid, 5)
    assert event["message"].startswith("ok") and "fake" in event["message"]
    assert all(c.isprintable() for c in event["message"]), event["message"]


@pytest.mark.parametrize(
    "line",
    [
        "--index-url http://evil.example/simple",
        "-e .",
        "-r /etc/passwd",
        "--no-binary=:all: requests",
        "  -i http://evil.example",
        "evil @ https://evil.example/evil-1.0.tar.gz",
        "evil @ file:///tmp/evil",
        "./evil",
        "/tmp/evil.tar.gz",
        "requests --install-option=--prefix=/",
        "requests; --pre",
    ],
)
def test_requirements_that_could_run_code_on_the_host_are_refused(line: str) -> None:
    with pytest.raises(BadRequest):
        parse_requirements(f"requests\n{line}\n")


def test_plain_requirements_cannot_turn_into_paths_or_options() -> None:
    """Names are canonicalised: nothing pip is given starts with "-" or names a file."""
    reqs = parse_requirements("Evil.Tar.Gz>=1\nsetup.py\nfoo[bar]==1; python_version>'3'\n")
    assert all(not r.startswith("-") and "/" not in r and ".py" not in r for r in reqs)
    assert "evil-tar-gz>=1" in reqs and "setup-py" in reqs


def _as_sandbox_user(pid: int, uid: int, gid: int) -> list[str]:
    """What a host process running as the sandbox's user reaches of a program."""
    r, w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        try:
            os.close(r)
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            reached = []
            for what in ("mem", "fd/0", "environ"):
                try:  # opening is where access is checked (reading a pipe could block)
                    os.close(os.open(f"/proc/{pid}/{what}", os.O_RDONLY | os.O_NONBLOCK))
                    reached.append(what)
                except OSError:
                    pass
            try:
                os.listdir(f"/proc/{pid}/root/run")
                reached.append("root")
            except OSError:
                pass
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(f"/proc/{pid}/root/run/aios.sock")
                reached.append("socket")
            except OSError:
                pass
            os.write(w, ",".join(reached).encode())
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(child, 0)
    with os.fdopen(r, "rb") as f:
        return [x for x in f.read().decode().split(",") if x]


@pytest.mark.skipif(os.geteuid() != 0, reason="programs run as the daemon's own user")
async def test_a_host_user_sharing_the_sandbox_uid_cannot_reach_the_program(
    served: Kernel, tmp_path: Path
) -> None:
    """The daemon's socket is in a 0700 folder; a program's stdin (its token), memory
    and mounted socket are not reachable through /proc by another host process that
    runs as the sandbox's uid (nobody, shared with other services)."""
    k = served
    assert (api_socket_path(k.config.data_dir).parent.stat().st_mode & 0o777) == 0o700
    proc = await _run(k, _plugin(tmp_path / "plugin", "agents:Lingers"), "60")
    try:
        ns = await _namespace(k, proc.pid)
        members = _members(ns)
        reached = {p: _as_sandbox_user(p, k.sandbox.uid, k.sandbox.gid) for p in members}
    finally:
        k.kill(proc.pid)
    await k.wait(proc.pid, 10)
    assert all(v == [] for v in reached.values()), reached


async def test_no_program_is_shown_a_parent_of_the_data_dir(sandbox: Any, tmp_path: Path) -> None:
    """The one check, in the sandbox: "/" or "~" in a (plugin's) MCP server's
    ro_paths, or a link to them, never reaches a program."""
    data = tmp_path  # the sandbox root's parent: the data directory
    (tmp_path / "link").symlink_to("/")
    for shown in (["/"], [str(data)], [str(tmp_path / "link")], [(str(data), "/elsewhere")]):
        with pytest.raises(BadRequest, match="data directory"):
            await sandbox.spawn(["/usr/bin/true"], owner="x", ro_paths=shown)
    inside = data / "agent-venvs"
    inside.mkdir()
    proc = await sandbox.spawn(["/usr/bin/true"], owner="x", ro_paths=[(str(inside), "/venvs")])
    assert (await proc.wait()).returncode == 0
    proc.close_pipes()


def test_the_api_socket_is_never_bound_outside_the_data_dir(tmp_path: Path) -> None:
    """A ``run`` link planted in the data directory would move the 0666 socket (and
    the chmod of its folder) elsewhere; a folder in the socket's place is a clear
    error, not a traceback."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    data = tmp_path / "data"
    data.mkdir()
    (data / "run").symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="symbolic link"):
        _bind_unix(data)
    assert not (elsewhere / "api.sock").exists()
    assert elsewhere.stat().st_mode & 0o777 == 0o755
    (data / "run").unlink()
    (data / "run" / "api.sock").mkdir(parents=True)
    with pytest.raises(ConfigError, match="cannot listen"):
        _bind_unix(data)


@pytest.mark.parametrize("inside", ["/", "relative", "/aios/../tmp", "/a/./b"])
async def test_a_mount_never_lands_over_or_outside_the_new_root(
    sandbox: Any, tmp_path: Path, inside: str
) -> None:
    shown = tmp_path / "shown"
    shown.mkdir()
    with pytest.raises(SandboxUnavailable, match="not a place inside"):
        await sandbox.spawn(["/usr/bin/true"], owner="x", ro_paths=[(str(shown), inside)])
    res = await sandbox.run(["/usr/bin/true"], owner="x", timeout_s=10)
    assert res["exit_code"] == 0  # the sandbox is fine


async def test_the_build_command_a_refusal_suggests_runs_nothing_else(tmp_path: Path) -> None:
    """A marker's string may hold quotes and ";": the command the admin is told to
    paste must keep each requirement one word."""
    hostile = "requests; platform_release == \"x'; touch /tmp/pwned; echo '\""
    reqs = parse_requirements(hostile)
    venvs = AgentVenvs(tmp_path / "venvs", python="/usr/bin/python3", mode="refuse")
    with pytest.raises(VenvRefused) as err:
        await venvs.ensure(reqs)
    command = err.value.message.split("then run the agent again: ", 1)[1]
    words = shlex.split(command)
    assert "touch" in words and words[words.index("touch") + 1].endswith(".aios-complete")
    assert words.count("touch") == 1 and all(r in words for r in reqs)


@pytest.mark.parametrize("entry", ["agent\x00.py", "agent\x1b[2J.py", "..py", "\n.py"])
def test_a_cerebrum_entry_is_a_plain_file_name(tmp_path: Path, entry: str) -> None:
    """Not a NUL (a ValueError, not the BadRequest that says why), nor escapes that
    its error messages would carry to the admin's terminal."""
    (tmp_path / "agent.py").write_text("")
    (tmp_path / "config.json").write_text(json.dumps({"build": {"entry": entry}}))
    with pytest.raises(BadRequest, match=r"build\.entry"):
        load_folder(tmp_path)


def test_a_cerebrum_agent_name_cannot_forge_daemon_log_lines(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text("")
    name = "ok\n2026-01-01 00:00:00 INFO aios.kernel: admin token rotated\x1b[2J"
    (tmp_path / "config.json").write_text(json.dumps({"name": name}))
    assert load_folder(tmp_path).name.isprintable()
