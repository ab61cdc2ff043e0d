"""Run an unmodified AIOS/Cerebrum agent folder as an aios process.

The folder (``agent.py``, ``config.json``, optional ``meta_requirements.txt``) is
checked here, its requirements get their own virtualenv (``agent_venv``), and the
agent runs confined in its own OS process (``isolated.run_confined``, the same
mechanism as isolated agents): the folder, the virtualenv's site-packages and the
shim read-only, no network, the daemon's API Unix socket its one way out. Its
``/query`` calls arrive there with this process's token, so they are this
process's syscalls: its capabilities, its accounting, its audit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aios.agents.agent_venv import AgentVenv, AgentVenvs, parse_requirements
from aios.errors import BadRequest

if TYPE_CHECKING:
    from aios.agents.context import ProcessContext
    from aios.kernel.kernel import Kernel

__all__ = [
    "CerebrumFolder",
    "Invocation",
    "agent_venvs",
    "invocation",
    "load_folder",
    "run_cerebrum",
]

log = logging.getLogger(__name__)

SHIM = Path(__file__).with_name("cerebrum_shim.py")
MAX_CONFIG_BYTES = 256 * 1024
MAX_REQUIREMENTS_BYTES = 64 * 1024
MAX_ENTRY_BYTES = 4 * 1024 * 1024
MAX_FOLDER_FILES = 2000
MAX_FOLDER_BYTES = 64 * 1024 * 1024
# A run lasts as long as its LLM calls: the CPU it burns itself is small
LIMITS = {"cpu_s": 300, "memory_bytes": 1024 * 1024 * 1024}


@dataclass(frozen=True)
class CerebrumFolder:
    folder: Path
    name: str
    entry: str
    config: dict[str, Any]
    requirements: list[str]


def _read(path: Path, limit: int, what: str, reader: tuple[int, int] | None = None) -> str:
    try:
        st = path.lstat()
    except OSError:
        raise BadRequest(f"the agent folder has no {what}") from None
    if stat.S_ISLNK(st.st_mode):  # it would be read here, as the daemon, from anywhere
        raise BadRequest(f"{what} in the agent folder is a symbolic link")
    if not stat.S_ISREG(st.st_mode):
        raise BadRequest(f"{what} in the agent folder is not a file")
    if st.st_size > limit:
        raise BadRequest(f"{what} is larger than {limit} bytes")
    _check_readable(st, what, reader, folder=False)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"{what} cannot be read as UTF-8 text: {exc}") from None


def _check_readable(
    st: os.stat_result, what: str, reader: tuple[int, int] | None, *, folder: bool
) -> None:
    """Confined programs run as another user: what they must read, they must be
    allowed to (said here, not as an ImportError from inside the sandbox)."""
    if reader is None:
        return
    uid, gid = reader
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    need = (stat.S_IROTH | (stat.S_IXOTH if folder else 0)) << shift
    if st.st_mode & need != need:
        raise BadRequest(
            f"{what} is not readable by confined programs (they run as uid {uid}): "
            "make the agent folder readable to them, e.g. chmod -R o+rX"
        )


def load_folder(folder: Path | str, reader: tuple[int, int] | None = None) -> CerebrumFolder:
    """Check a Cerebrum agent folder; every problem is a BadRequest saying which.
    ``reader``: the (uid, gid) confined programs run as, who must be able to read it."""
    path = Path(folder)
    if not path.is_absolute():
        raise BadRequest("a Cerebrum agent folder must be an absolute path")
    path = path.resolve()
    if not path.is_dir():
        raise BadRequest(f"{folder} is not a folder")
    _check_readable(path.stat(), "the agent folder", reader, folder=True)
    total = 0
    for count, f in enumerate(path.rglob("*"), 1):
        if count > MAX_FOLDER_FILES:
            raise BadRequest(f"the agent folder holds more than {MAX_FOLDER_FILES} files")
        if f.is_file() and not f.is_symlink():
            total += f.stat().st_size
    if total > MAX_FOLDER_BYTES:
        raise BadRequest(f"the agent folder is larger than {MAX_FOLDER_BYTES} bytes")
    try:
        config = json.loads(_read(path / "config.json", MAX_CONFIG_BYTES, "config.json", reader))
    except json.JSONDecodeError as exc:
        raise BadRequest(f"config.json is not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise BadRequest("config.json must hold a JSON object")
    build = config.get("build")
    build = build if isinstance(build, dict) else {}
    entry = build.get("entry", "agent.py")
    if not isinstance(entry, str) or "/" in entry or not entry.isprintable() or entry[:1] == ".":
        raise BadRequest("config.json's build.entry must be a file name in the agent folder")
    if not entry.endswith(".py"):
        raise BadRequest("config.json's build.entry must be a .py file")
    _read(path / entry, MAX_ENTRY_BYTES, entry, reader)
    if "tools" in config and not isinstance(config["tools"], list):
        raise BadRequest("config.json's tools must be a list")
    config.setdefault("tools", [])  # BaseAgent indexes it
    reqs_file = path / "meta_requirements.txt"
    reqs_text = (
        _read(reqs_file, MAX_REQUIREMENTS_BYTES, "meta_requirements.txt")
        if reqs_file.exists() or reqs_file.is_symlink()
        else ""
    )
    name = config.get("name")
    if not isinstance(name, str) or not name.strip():
        name = path.name
    name = "".join(c if c.isprintable() else "?" for c in name[:200])  # it is logged
    return CerebrumFolder(path, name, entry, config, parse_requirements(reqs_text))


def agent_venvs(kernel: Kernel) -> AgentVenvs:
    """The kernel's agent virtualenvs, made on first use (one per kernel, so
    concurrent runs with the same requirements share one build)."""
    venvs: AgentVenvs | None = kernel.__dict__.get("_agent_venvs")
    if venvs is None:
        cfg = kernel.config.agents
        venvs = AgentVenvs(
            cfg.cerebrum_venv_dir or kernel.config.data_dir / "agent-venvs",
            python=cfg.cerebrum_python,
            mode=cfg.cerebrum_venvs,
            timeout_s=cfg.cerebrum_venv_timeout_s,
        )
        kernel.__dict__["_agent_venvs"] = venvs
    return venvs


async def run_cerebrum(ctx: ProcessContext, folder: Path | str, task: str) -> Any:
    """Run the agent in ``folder`` on ``task`` as this process, confined; returns what
    its ``run()`` returned. A bad folder, a virtualenv that cannot be built or an
    agent that raises fails the process with the reason."""
    from aios.agents.isolated import run_confined  # the one way agents run confined

    kernel = ctx.kernel
    reader = (kernel.sandbox.uid, kernel.sandbox.gid)
    spec = await asyncio.to_thread(load_folder, folder, reader)  # it walks the folder
    venv = await agent_venvs(kernel).ensure(spec.requirements)
    log.info("process %d runs the Cerebrum agent %s from %s", ctx.pid, spec.name, spec.folder)
    run = invocation(spec, venv, task)
    return await run_confined(
        ctx,
        argv=run.argv,
        pythonpath=run.pythonpath,
        ro_paths=run.ro_paths,
        payload=run.payload,
        limits=dict(LIMITS),
    )


@dataclass(frozen=True)
class Invocation:
    """How the shim is started for one agent (the sandbox adds token and socket)."""

    argv: list[str]
    pythonpath: list[str]
    ro_paths: list[str]
    payload: dict[str, Any]


def invocation(spec: CerebrumFolder, venv: AgentVenv, task: str) -> Invocation:
    # URLs the agent's config names for the kernel also lead to this daemon
    urls = [
        v
        for k in ("aios_kernel_url", "base_url")
        if isinstance(v := spec.config.get(k), str) and v.startswith("http://")
    ]
    return Invocation(
        argv=[venv.python, "-s", "-B", str(SHIM)],
        pythonpath=[str(venv.site_packages)],
        ro_paths=[str(venv.site_packages), str(spec.folder), str(SHIM)],
        payload={
            "folder": str(spec.folder),
            "entry": spec.entry,
            "task": task,
            "config": spec.config,
            "base_urls": urls,
        },
    )
