"""Virtualenvs for Cerebrum agents: ``<data_dir>/agent-venvs/<key>/``.

An agent's requirements are never installed into the daemon's environment. Each
set of requirements (``aios-agent-sdk`` plus the agent's ``meta_requirements.txt``)
gets its own virtualenv, made once with the system interpreter and reused. Only
wheels are installed: an sdist's ``setup.py`` would run unconfined on the host at
install time, while a wheel's code runs only when the agent runs, confined. Only
plain requirements (a name, extras, versions, markers) are accepted: an option
line (``--index-url``, ``-e``, ``--no-binary``) or a URL would undo that.

A virtualenv is built in a scratch folder, its marker written last, then renamed
into place: a folder under its key is complete, and a half-built one is never used.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shlex
import shutil
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from aios.errors import AiosError, BadRequest, DeadlineExceeded

__all__ = [
    "SDK_REQUIREMENT",
    "AgentVenv",
    "AgentVenvs",
    "VenvFailed",
    "VenvRefused",
    "parse_requirements",
]

log = logging.getLogger(__name__)

SDK_REQUIREMENT = "aios-agent-sdk"
MARKER = ".aios-complete"  # written last; its JSON is informative only
MAX_REQUIREMENTS = 64
_TAIL_LINES = 15


class VenvFailed(AiosError):
    """The agent's virtualenv could not be built (pip failed, or no network)."""

    code = "venv_failed"
    status = 424


class VenvRefused(AiosError):
    """The virtualenv is not built and the configuration says not to build it."""

    code = "venv_refused"
    status = 409


def parse_requirements(text: str) -> list[str]:
    """The normalized requirement lines of a ``meta_requirements.txt``: sorted,
    without duplicates, with the SDK added. Refuses options, URLs and paths."""
    out: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if len(line) > 200:
            raise BadRequest(f"meta_requirements.txt line {n} is too long")
        if line.startswith("-"):
            raise BadRequest(
                f"meta_requirements.txt line {n}: pip options ({line.split()[0]}) are not "
                "allowed, only requirements (name, extras, versions, markers)"
            )
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise BadRequest(f"meta_requirements.txt line {n}: not a requirement: {exc}") from None
        if req.url:
            raise BadRequest(
                f"meta_requirements.txt line {n}: direct URLs are not allowed ({req.name})"
            )
        req.name = canonicalize_name(req.name)  # "Requests" and "requests" are one
        out[str(req)] = str(req)
        if len(out) > MAX_REQUIREMENTS:
            raise BadRequest(f"meta_requirements.txt has more than {MAX_REQUIREMENTS} requirements")
    names = {canonicalize_name(Requirement(r).name) for r in out}
    if canonicalize_name(SDK_REQUIREMENT) not in names:
        out[SDK_REQUIREMENT] = SDK_REQUIREMENT
    return sorted(out)


@dataclass(frozen=True)
class AgentVenv:
    path: Path
    python: str  # the interpreter it was made with (and runs its agents)
    site_packages: Path
    requirements: list[str]


class AgentVenvs:
    """The daemon's agent virtualenvs. One per kernel: it knows which builds are
    under way, so concurrent runs with the same requirements wait for one build."""

    def __init__(
        self,
        root: Path,
        *,
        python: str,
        mode: str = "build",
        timeout_s: float = 300.0,
    ) -> None:
        self.root = root
        self.python = python
        self.mode = mode
        self.timeout_s = timeout_s
        self._builds: dict[str, asyncio.Task[AgentVenv]] = {}

    def key(self, requirements: list[str]) -> str:
        """The folder name: the requirements and the interpreter they are built for."""
        # its real file: a python3 link moved to a new version gets new virtualenvs
        python = os.path.realpath(self.python)
        text = "\n".join([f"python={python}", *requirements])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def existing(self, requirements: list[str]) -> AgentVenv | None:
        """A complete virtualenv for these requirements (its marker is there)."""
        path = self.root / self.key(requirements)
        if not (path / MARKER).is_file():
            return None
        sites = sorted(path.glob("lib/python*/site-packages"))
        if len(sites) != 1:
            return None
        return AgentVenv(path, self.python, sites[0], requirements)

    async def ensure(self, requirements: list[str]) -> AgentVenv:
        """The virtualenv for ``requirements``: an existing one, or one built now."""
        found = self.existing(requirements)
        if found is not None:
            return found
        key = self.key(requirements)
        if self.mode != "build":
            where = self.root / key
            raise VenvRefused(
                "this agent's virtualenv is not built and agents.cerebrum_venvs is "
                f'"refuse". Build it by hand (wheels only), then run the agent again: '
                # quoted for a shell: a marker's string may hold quotes and ";"
                f"{shlex.quote(self.python)} -m venv {shlex.quote(str(where))} && "
                f"{shlex.quote(str(where / 'bin' / 'pip'))} install --only-binary=:all: "
                + " ".join(shlex.quote(r) for r in requirements)
                + f" && touch {shlex.quote(str(where / MARKER))}",
                requirements=requirements,
            )
        task = self._builds.get(key)
        if task is None:
            task = asyncio.ensure_future(self._build(key, requirements))
            self._builds[key] = task
            task.add_done_callback(lambda _t: self._builds.pop(key, None))
        # shielded: one waiter cancelled (its process killed) must not stop the
        # build the others wait for
        return await asyncio.shield(task)

    async def _build(self, key: str, requirements: list[str]) -> AgentVenv:
        self.root.mkdir(parents=True, exist_ok=True)
        scratch = self.root / f".build-{key}-{uuid.uuid4().hex[:8]}"
        final = self.root / key
        t0 = time.monotonic()
        log.info("building an agent virtualenv %s for %s", key, requirements)
        try:
            async with asyncio.timeout(self.timeout_s):
                await _run([self.python, "-m", "venv", str(scratch)], "making the virtualenv")
                await _run(
                    [
                        str(scratch / "bin" / "python"),
                        "-m",
                        "pip",
                        "install",
                        "--no-input",
                        "--disable-pip-version-check",
                        "--only-binary=:all:",
                        *requirements,
                    ],
                    "installing the agent's requirements (only wheels are installed: an "
                    "sdist's setup.py would run unconfined on this host)",
                )
            sites = sorted(scratch.glob("lib/python*/site-packages"))
            if len(sites) != 1:
                raise VenvFailed("the new virtualenv has no single site-packages folder")
            meta = {
                "python": self.python,
                "requirements": requirements,
                "site_packages": str(sites[0].relative_to(scratch)),
                "built_at": time.time(),
            }
            (scratch / MARKER).write_text(json.dumps(meta))  # last: it means complete
            if final.exists():  # a stale one without its marker, or another daemon's
                shutil.rmtree(final, ignore_errors=True)
            os.rename(scratch, final)
        except TimeoutError:
            raise DeadlineExceeded(
                f"building the agent's virtualenv took more than {self.timeout_s:g}s "
                "(agents.cerebrum_venv_timeout_s)"
            ) from None
        finally:
            if scratch.exists():
                await asyncio.to_thread(shutil.rmtree, scratch, True)
        log.info("agent virtualenv %s built in %.1fs", key, time.monotonic() - t0)
        venv = self.existing(requirements)
        if venv is None:
            raise VenvFailed("the new virtualenv is incomplete")
        return venv


def _env() -> dict[str, str]:
    """The daemon's environment without what points at its own Python."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PIP_USER"}
    return {k: v for k, v in os.environ.items() if k not in drop} | {"PYTHONNOUSERSITE": "1"}


async def _run(argv: list[str], what: str) -> None:
    """Run a build step off the event loop; its last lines go into the error."""
    try:
        proc = await asyncio.create_subprocess_exec(
            # umask 022: confined programs (another user) read what it installs (uvloop
            # has no umask argument)
            "/bin/sh",
            "-c",
            'umask 022 && exec "$0" "$@"',
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=_env(),
            start_new_session=True,  # its own group: a timeout kills pip's children too
        )
    except OSError as exc:
        raise VenvFailed(f"{what}: cannot run {argv[0]}: {exc.strerror}") from None
    try:
        out, _ = await proc.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            await asyncio.shield(proc.wait())
        raise
    text = out.decode(errors="replace")
    log.debug("%s: %s", what, text[-4000:])
    if proc.returncode != 0:
        lines = [ln for ln in text.strip().splitlines() if "━" not in ln]  # no progress bars
        tail = "\n".join(lines[-_TAIL_LINES:])
        raise VenvFailed(f"{what} failed (exit {proc.returncode}):\n{tail}")
