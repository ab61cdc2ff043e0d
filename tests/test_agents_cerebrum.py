"""Unmodified Cerebrum agents (tests/cerebrum_agents, written against the PyPI
``aios-agent-sdk``) run as aios processes: their own virtualenv, confined, their
``/query`` calls reaching the daemon over its Unix socket with their own token.

The shim tests below start it in the sandbox themselves, with host paths mounted
where they are; a program's /tmp is its own, so the session's virtualenvs and the
stand-in daemon socket lie in a folder under ~/.cache, removed at the end.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aios.agents.agent_venv import (
    SDK_REQUIREMENT,
    AgentVenv,
    AgentVenvs,
    VenvRefused,
    parse_requirements,
)
from aios.agents.cerebrum_run import invocation, load_folder
from aios.errors import BadRequest
from aios.kernel.sandbox import Sandbox
from tests.daemon_helpers import Daemon

AGENTS = Path(__file__).parent / "cerebrum_agents"
PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    """A folder outside /tmp that confined programs can be shown."""
    path = Path.home() / ".cache" / "aios-tests" / uuid.uuid4().hex[:12]
    path.mkdir(parents=True)
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def venv_builds(scratch: Path) -> dict[str, Any]:
    """The SDK's virtualenv, built once for the session by two concurrent runs."""
    venvs = AgentVenvs(scratch / "agent-venvs", python=PYTHON, timeout_s=240)
    builds = 0
    real = venvs._build

    async def counted(key: str, reqs: list[str]) -> AgentVenv:
        nonlocal builds
        builds += 1
        return await real(key, reqs)

    venvs._build = counted  # type: ignore[method-assign,assignment]

    async def both() -> list[AgentVenv]:
        reqs = parse_requirements("")
        return list(await asyncio.gather(venvs.ensure(reqs), venvs.ensure(reqs)))

    assert importlib.util.find_spec("cerebrum") is None  # the daemon's env has no SDK
    made = asyncio.run(both())
    return {"venvs": venvs, "venv": made[0], "both": made, "builds": builds}


@pytest.fixture
def venv(venv_builds: dict[str, Any]) -> AgentVenv:
    return venv_builds["venv"]  # type: ignore[no-any-return]


# -- the folder and its requirements ------------------------------------------------


def test_requirements_are_normalized_and_only_plain_names() -> None:
    reqs = parse_requirements("# tools\nrequests>=2  # http\n\nRequests>=2\narxiv==2.1.0\n")
    assert reqs == sorted(["aios-agent-sdk", "arxiv==2.1.0", "requests>=2"])
    assert parse_requirements("aios-agent-sdk==0.0.3") == ["aios-agent-sdk==0.0.3"]
    for hostile in (
        "--index-url http://evil.example/simple",
        "-e git+https://evil.example/x.git",
        "--no-binary=:all:",
        "pkg @ https://evil.example/pkg.whl",
        "not a requirement!",
    ):
        with pytest.raises(BadRequest):
            parse_requirements(hostile)


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "agent"
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({"config.json": "{}"}, "no agent.py"),
        ({"agent.py": ""}, "no config.json"),
        ({"agent.py": "", "config.json": "{not json"}, "not JSON"),
        ({"agent.py": "", "config.json": "[1]"}, "JSON object"),
        ({"agent.py": "", "config.json": '{"build": {"entry": "../x.py"}}'}, "build.entry"),
        ({"agent.py": "", "config.json": '{"tools": "arxiv"}'}, "tools must be a list"),
        ({"agent.py": "", "config.json": "{}", "meta_requirements.txt": "-e ."}, "options"),
        ({"agent.py": "x" * (4 * 1024 * 1024 + 1), "config.json": "{}"}, "larger than"),
    ],
)
def test_a_bad_folder_is_refused_saying_why(
    tmp_path: Path, files: dict[str, str], says: str
) -> None:
    with pytest.raises(BadRequest) as err:
        load_folder(_folder(tmp_path, files))
    assert says in err.value.message


def test_a_relative_or_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="absolute"):
        load_folder("tests/cerebrum_agents/summarizer")
    with pytest.raises(BadRequest, match="not a folder"):
        load_folder(tmp_path / "nothing")


def test_a_folder_that_would_leak_or_that_confined_programs_cannot_read_is_refused(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"name": "host secret"}')
    folder = _folder(tmp_path, {"agent.py": ""})
    (folder / "config.json").symlink_to(secret)  # read by the daemon, as the daemon
    with pytest.raises(BadRequest, match="symbolic link"):
        load_folder(folder)
    (folder / "config.json").unlink()
    (folder / "config.json").write_text("{}")
    (folder / "agent.py").chmod(0o600)
    with pytest.raises(BadRequest, match="not readable by confined programs"):
        load_folder(folder, reader=(65534, 65534))
    (folder / "agent.py").chmod(0o644)
    folder.chmod(0o700)
    with pytest.raises(BadRequest, match="the agent folder is not readable"):
        load_folder(folder, reader=(65534, 65534))
    folder.chmod(0o755)
    assert load_folder(folder, reader=(65534, 65534)).name == "agent"


def test_the_test_agents_load_as_aios_would() -> None:
    spec = load_folder(AGENTS / "summarizer")
    assert (spec.name, spec.entry) == ("summarizer", "agent.py")
    assert spec.requirements == [SDK_REQUIREMENT]
    bad = load_folder(AGENTS / "bad_requirement")
    assert "requests==0.0.1" in bad.requirements


# -- virtualenvs -----------------------------------------------------------------------


@pytest.mark.slow
def test_one_build_serves_concurrent_runs_and_is_reused(venv_builds: dict[str, Any]) -> None:
    venv, venvs = venv_builds["venv"], venv_builds["venvs"]
    assert venv_builds["builds"] == 1 and venv_builds["both"][1] == venv
    assert (venv.site_packages / "cerebrum" / "agents" / "base.py").is_file()
    assert venvs.existing(venv.requirements) == venv  # complete: its marker is there
    assert [p.name for p in venvs.root.iterdir()] == [venv.path.name]  # no scratch left
    assert importlib.util.find_spec("cerebrum") is None  # nothing went into our env


async def test_refuse_mode_says_how_to_build_it_by_hand(scratch: Path) -> None:
    venvs = AgentVenvs(scratch / "refused", python=PYTHON, mode="refuse")
    with pytest.raises(VenvRefused) as err:
        await venvs.ensure(parse_requirements(""))
    msg = err.value.message
    assert "cerebrum_venvs" in msg and "--only-binary=:all:" in msg and "-m venv" in msg
    assert not (scratch / "refused").exists()
    # what the message says to do is a virtualenv it then uses
    where = venvs.root / venvs.key(parse_requirements(""))
    site = where / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    assert venvs.existing(parse_requirements("")) is None  # not marked complete
    (where / ".aios-complete").touch()
    found = await venvs.ensure(parse_requirements(""))
    assert (found.path, found.site_packages) == (where, site)


# -- the shim, confined, against a recording stand-in for the daemon's socket ---------


@pytest.fixture
async def fake_daemon(scratch: Path) -> AsyncIterator[dict[str, Any]]:
    """A Unix socket answering /query in the AIOS envelope, recording each request."""
    seen: list[dict[str, Any]] = []
    sock = scratch / f"api-{uuid.uuid4().hex[:6]}.sock"

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while head := await r.readuntil(b"\r\n\r\n"):
            lines = head.decode().split("\r\n")
            hdr = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
            body = await r.readexactly(int(hdr.get("content-length") or 0))
            seen.append({"line": lines[0], "auth": hdr.get("authorization"), "body": body})
            reply = {"response": {"response_message": "A short summary.", "finished": True}}
            data = json.dumps(reply).encode()
            w.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
            w.write(b"content-length: %d\r\n\r\n%s" % (len(data), data))
            await w.drain()
            if r.at_eof():
                break
        w.close()

    server = await asyncio.start_unix_server(handle, str(sock))
    sock.chmod(0o777)  # confined programs run as another user
    yield {"socket": sock, "seen": seen}
    server.close()


async def _run_shim(
    sandbox: Sandbox, venv: AgentVenv, agent: str, task: str, sock: Path
) -> dict[str, Any]:
    """What run_confined does with the invocation: the shim, confined, fed its payload."""
    run = invocation(load_folder(AGENTS / agent), venv, task)
    proc = await sandbox.spawn(
        run.argv,
        owner="41",
        stdin=True,
        env={"PYTHONPATH": ":".join(run.pythonpath)},
        ro_paths=[*run.ro_paths, str(sock)],
        limits={"cpu_s": 60},
    )
    payload = run.payload | {"token": "aios_p_test41", "socket": str(sock)}
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(payload).encode())
    await proc.stdin.drain()
    proc.stdin.close()
    async with asyncio.timeout(60):
        out, err = await asyncio.gather(proc.stdout.read(), proc.stderr.read())
        ex = await proc.wait()
    report = json.loads(out.decode().strip().splitlines()[-1])
    return {"exit": ex.returncode, "report": report, "stderr": err.decode(errors="replace")}


@pytest.mark.slow
async def test_the_sdks_requests_reach_the_daemon_socket_with_the_process_token(
    sandbox: Sandbox, venv: AgentVenv, fake_daemon: dict[str, Any]
) -> None:
    res = await _run_shim(sandbox, venv, "summarizer", "Cats sleep a lot.", fake_daemon["socket"])
    assert res["exit"] == 0, res["stderr"]
    assert res["report"] == {
        "ok": True,
        "result": {"agent_name": "summarizer", "result": "A short summary.", "rounds": 1},
    }
    (req,) = fake_daemon["seen"]
    assert req["line"] == "POST /query HTTP/1.1" and req["auth"] == "Bearer aios_p_test41"
    body = json.loads(req["body"])
    assert body["query_type"] == "llm" and body["agent_name"] == "summarizer"
    assert "Cats sleep a lot." in body["query_data"]["messages"][-1]["content"]


@pytest.mark.slow
async def test_a_confined_agent_reaches_no_network_and_no_host_file(
    sandbox: Sandbox, venv: AgentVenv, fake_daemon: dict[str, Any], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    res = await _run_shim(sandbox, venv, "net_probe", str(secret), fake_daemon["socket"])
    assert res["exit"] == 0, res["stderr"]
    outcomes = res["report"]["result"]
    assert set(outcomes) == {"tcp", "dns", "http", "passwd", "root_home", "task_path"}
    assert all(v.startswith("failed:") for v in outcomes.values()), outcomes
    assert fake_daemon["seen"] == []  # its request to the internet was not routed here


@pytest.mark.slow
async def test_an_agent_that_raises_is_reported_as_its_error(
    sandbox: Sandbox, venv: AgentVenv, fake_daemon: dict[str, Any]
) -> None:
    res = await _run_shim(sandbox, venv, "bad_requirement", "", fake_daemon["socket"])
    assert res["exit"] == 1
    assert res["report"]["ok"] is False
    assert res["report"]["error"]["type"] == "ModuleNotFoundError"
    assert "aios_no_such_package" in res["report"]["error"]["message"]


# -- end to end: a real daemon, the real model, the real sandbox -----------------------


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory, venv_builds: dict[str, Any]) -> Iterator[Daemon]:
    """A daemon that reuses the session's virtualenvs."""
    env = {"AIOS_AGENTS__CEREBRUM_VENV_DIR": str(venv_builds["venvs"].root)}
    daemon = Daemon(tmp_path_factory.mktemp("cerebrum") / "data", env=env).start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


def _run(d: Daemon, folder: Path, task: str, **kw: Any) -> dict[str, Any]:
    r = d.syscall("proc.spawn", cerebrum=str(folder), task=task, **kw)
    assert r.status_code == 200, r.text
    pid = r.json()["result"]["pid"]
    r = d.syscall("proc.wait", pid=pid, timeout=90)
    assert r.status_code == 200, r.text
    return r.json()["result"]["process"]  # type: ignore[no-any-return]


def _syscalls(d: Daemon, pid: int) -> list[dict[str, Any]]:
    return d.syscall("proc.syscalls", pid=pid).json()["result"]["syscalls"]  # type: ignore[no-any-return]


@pytest.mark.model
@pytest.mark.slow
def test_a_cerebrum_agent_runs_as_its_own_process_on_the_real_model(d: Daemon) -> None:
    task = "The Moon orbits the Earth about once every 27 days and causes the tides."
    info = _run(d, AGENTS / "summarizer", task)
    assert info["state"] == "EXITED", info["error"]
    result = info["result"]
    assert result["agent_name"] == "summarizer" and result["rounds"] == 1
    assert isinstance(result["result"], str) and result["result"].strip()
    calls = _syscalls(d, info["pid"])
    chats = [c for c in calls if c["name"] == "llm.chat"]
    assert chats and all(c["pid"] == info["pid"] for c in chats)  # its own, not admin's
    assert all(c["status"] == "ok" for c in chats), chats
    assert importlib.util.find_spec("cerebrum") is None


@pytest.mark.slow
def test_a_cerebrum_agents_files_are_its_capabilities(d: Daemon) -> None:
    caps = {"fs_read": ["notes"], "fs_write": ["notes"]}
    info = _run(d, AGENTS / "note_taker", "notes: Penguins live in Antarctica.", capabilities=caps)
    assert info["state"] == "EXITED", info["error"]
    res = info["result"]
    assert res["finished"] and res["errors"] == [], res
    assert res["content"] == "Penguins live in Antarctica."
    assert "notes/note.txt" in res["listing"]
    names = {c["name"] for c in _syscalls(d, info["pid"])}
    assert {"fs.mkdir", "fs.write", "fs.ls", "fs.read"} <= names
    # outside its capabilities: refused in-band, as the AIOS kernel reports failures
    info = _run(d, AGENTS / "note_taker", "elsewhere: x", capabilities=caps)
    assert info["state"] == "EXITED" and not info["result"]["finished"], info
    assert info["result"]["errors"], info


@pytest.mark.slow
def test_a_bad_requirement_fails_the_process_clearly(d: Daemon) -> None:
    info = _run(d, AGENTS / "bad_requirement", "anything")
    assert info["state"] == "FAILED", info
    error = info["error"]
    assert error.startswith("venv_failed: installing the agent's requirements"), error
    assert "only wheels" in error and "unconfined" in error  # why sdists are refused
    assert "requests==0.0.1" in error and "No matching distribution" in error
    venvs = Path(d.env["AIOS_AGENTS__CEREBRUM_VENV_DIR"])
    assert not [p for p in venvs.iterdir() if p.name.startswith(".build-")]  # none half-made
    assert importlib.util.find_spec("cerebrum") is None  # nothing in the daemon's env
    assert importlib.util.find_spec("aios_no_such_package") is None


@pytest.mark.slow
def test_a_cerebrum_agent_is_confined_in_the_daemon(d: Daemon) -> None:
    info = _run(d, AGENTS / "net_probe", str(d.data_dir / "token"))
    assert info["state"] == "EXITED", info["error"]
    assert all(v.startswith("failed:") for v in info["result"].values()), info["result"]


def test_a_bad_cerebrum_folder_fails_saying_why(d: Daemon, tmp_path: Path) -> None:
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "agent.py").write_text("")
    (folder / "config.json").write_text("{broken")
    info = _run(d, folder, "x")
    assert info["state"] == "FAILED" and "config.json is not JSON" in info["error"], info


@pytest.mark.slow
async def test_a_newer_style_agent_is_found_by_its_folder_name(
    sandbox: Sandbox, venv: AgentVenv, fake_daemon: dict[str, Any]
) -> None:
    res = await _run_shim(sandbox, venv, "task_echo", "three little words", fake_daemon["socket"])
    assert res["report"] == {
        "ok": True,
        "result": {"agent_name": "task_echo", "task": "three little words", "words": 3},
    }, res["stderr"]
