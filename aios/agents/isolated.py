"""Isolated agents: an agent process whose code runs in its own confined OS process.

The process stays an ordinary aios process (RUNNING while its program runs; killing
it kills the program, aios/kernel/procops.py releases its sandbox). Its program is
started through the one sandbox (aios/kernel/sandbox), with no network, and reaches
the daemon over the API's Unix socket (bind-mounted read-only into the sandbox)
with a token of this process: its syscalls take the ordinary path, checked against
the process's capabilities. The payload (task, entry, token) goes on stdin, never
argv or the environment. The program reports one line of JSON on stdout
(aios/agents/runner.py); a crash, a signal or a limit reached fails the process
with the reason, never the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import site
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aios
from aios.errors import AiosError, BadRequest, Unavailable
from aios.kernel.sandbox.process import ConfinedProcess, take

if TYPE_CHECKING:
    from aios.agents.context import ProcessContext
    from aios.agents.manifest import Plugin

__all__ = ["AgentCrashed", "AgentFailed", "run_confined", "run_isolated"]

log = logging.getLogger(__name__)

# An agent waits on a model for minutes: more CPU than a tool's 10 s, as much memory.
LIMITS = {"cpu_s": 600}
MAX_REPORT = 1 << 20  # the report line (the result is cut to 100 000 characters anyway)
MAX_STDERR = 64 * 1024  # the tail kept, for the reason of a crash
_SHOWN_STDERR = 1000
SOCKET_INSIDE = "/run/aios.sock"  # where the program finds the API's socket
# host paths that would collide with the sandbox's own folders are mounted elsewhere
_RESERVED = ("/tmp", "/sandbox", "/dev", "/proc", "/run", "/aios")
_ELSEWHERE = "/aios"
_PATH_KEYS = ("folder",)  # payload values that are host paths; the task is the user's text
MAX_DEPTH = 64  # JSON nested deeper than this the API could not encode again


class AgentFailed(AiosError):
    """The agent raised: the process ends FAILED with ``<type>: <message>``, the
    same text as when the agent runs in process."""

    code = "agent_failed"

    def __init__(self, error: str) -> None:
        head, sep, rest = error.partition(": ")
        simple = bool(sep and head) and " " not in head and len(head) <= 100
        super().__init__(rest if simple else error)
        if simple:
            self.code = head  # shown as "<code>: <message>", like an error in process


class AgentCrashed(AiosError):
    """The agent's program ended without a report: exit status, signal, limit."""

    code = "agent_crashed"


def _python() -> str:
    """A Python of the daemon's version that confined programs can execute (under
    /usr): the daemon's site-packages are built for that version."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for found in (shutil.which(name, path="/usr/local/bin:/usr/bin:/bin"), sys.executable):
        if found and os.path.realpath(found).startswith("/usr/"):
            return os.path.realpath(found)
    raise Unavailable(
        f"isolated agents need {name} under /usr (the daemon's own Python is outside "
        "the folders confined programs see)"
    )


def _site_packages() -> list[str]:
    """The daemon environment's package folders (the client needs httpx)."""
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    out: list[str] = []
    for d in dirs:
        real = os.path.realpath(d)
        if d in sys.path and os.path.isdir(real) and real not in out:
            out.append(real)
    return out


def _under(path: str, folders: list[str] | tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _placements(paths: list[str], visible: list[str]) -> list[tuple[str, str]]:
    """(host, inside) for each folder to mount: the outermost ones, where they are on
    the host unless that collides with the sandbox's own folders (then under
    /aios); none for what confined programs see anyway (/usr...)."""
    out: list[tuple[str, str]] = []
    for i, p in enumerate(sorted({os.path.normpath(p) for p in paths}, key=len)):
        if _under(p, visible) or _under(p, [h for h, _ in out]):
            continue
        out.append((p, f"{_ELSEWHERE}/{i}" if _under(p, _RESERVED) else p))
    return out


def _inside(value: str, mounts: list[tuple[str, str]]) -> str:
    """A host path as the program sees it (other values unchanged)."""
    for host, inside in mounts:
        if _under(value, [host]):
            return inside + value[len(host) :]
    return value


def _translate(value: Any, mounts: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        return _inside(value, mounts)
    if isinstance(value, list):
        return [_inside(v, mounts) if isinstance(v, str) else v for v in value]
    return value


async def run_isolated(ctx: ProcessContext, plugin: Plugin, task: str) -> Any:
    """Run a folder plugin's agent confined, as the process ``ctx`` is; returns what
    its ``run(task, ctx)`` returned."""
    folder = plugin.folder
    entry = plugin.entry or (plugin.manifest.entry if plugin.manifest is not None else None)
    if folder is None or not entry:
        raise BadRequest(f"plugin {plugin.name!r} is not a folder plugin with an entry")
    package = Path(aios.__file__).resolve().parent
    sites = _site_packages()
    plugin_dir = str(Path(folder).resolve())
    return await run_confined(
        ctx,
        argv=[_python(), "-s", "-P", "-B", str(package / "agents" / "runner.py")],
        pythonpath=sites,
        ro_paths=[str(package), *sites, plugin_dir],
        payload={"task": task, "entry": entry, "folder": plugin_dir, "pid": ctx.pid},
    )


async def run_confined(
    ctx: ProcessContext,
    *,
    argv: list[str],
    pythonpath: list[str],
    ro_paths: list[str],
    payload: dict[str, Any],
    limits: dict[str, int] | None = None,
) -> Any:
    """Run ``argv`` confined as this process's program, with a token of the process
    and the API's socket (added to ``payload`` as "token" and "socket", given on
    stdin as JSON; its "folder", a host path, as the program sees it); returns the
    result it reports. Raises AgentFailed (it reported an error) or AgentCrashed (no
    report: exit status, signal, limit)."""
    kernel, pid = ctx.kernel, ctx.pid
    sock = kernel.api_socket
    if sock is None:
        raise Unavailable("the API's Unix socket is off (api.unix_socket): isolated agents need it")
    mounts = _placements(ro_paths, ["/usr", *kernel.sandbox.cfg.ro_paths])
    payload = {k: _translate(v, mounts) if k in _PATH_KEYS else v for k, v in payload.items()}
    token = kernel.tokens.issue(pid)
    body = json.dumps({**payload, "token": token, "socket": SOCKET_INSIDE}).encode()
    env = {
        "PYTHONPATH": os.pathsep.join(_inside(p, mounts) for p in pythonpath),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    program: ConfinedProcess | None = None
    try:
        program = await kernel.sandbox.spawn(
            [argv[0], *(_inside(a, mounts) for a in argv[1:])],
            owner=str(pid),
            env=env,
            stdin=True,
            ro_paths=[*mounts, (str(sock), SOCKET_INSIDE)],
            limits={**LIMITS, **(limits or {})},
        )
        log.info("process %d runs its program confined (sandbox pid %d)", pid, program.pid)
        out, err, _ = await asyncio.gather(
            take(program.stdout, MAX_REPORT, program),
            _tail(program.stderr, MAX_STDERR),
            _feed(program, body),
        )
        ended = await program.wait()
    finally:
        if program is not None:
            program.kill()  # a no-op once it has exited; a cancel (kill of the process)
            program.close_pipes()
        if kernel.tokens.pid_of(token) == pid:
            kernel.tokens.revoke(pid)  # its program is gone; the process ends now
    if err:
        log.debug("process %d's program wrote to stderr: %s", pid, err[-2000:])
    report = _report(out)
    if report is not None and report.get("ok") is True and ended.returncode == 0:
        return report.get("result")
    if report is not None and report.get("ok") is False and ended.returncode in (0, 1):
        if isinstance(sig := report.get("signal"), int):  # the agent's process, killed
            raise AgentCrashed(_crash(None, sig, err, limits or {}))
        raise AgentFailed(_error_text(report.get("error")))
    raise AgentCrashed(_crash(ended.code, ended.signal, err, limits or {}))


async def _feed(program: ConfinedProcess, body: bytes) -> None:
    stdin = program.stdin
    if stdin is None:
        return
    # a program that ends without reading its input is reported by how it ended
    with contextlib.suppress(ConnectionError, OSError):
        stdin.write(body)
        await stdin.drain()
    stdin.close()


async def _tail(stream: asyncio.StreamReader, limit: int) -> bytes:
    """Read to the end, keeping the last ``limit`` bytes (never blocks the writer)."""
    buf = b""
    while chunk := await stream.read(65536):
        buf = (buf + chunk)[-limit:]
    return buf


def _report(out: bytes) -> dict[str, Any] | None:
    lines = out.decode(errors="replace").strip().splitlines()
    if not lines:
        return None
    try:
        report = json.loads(lines[-1])
    except (ValueError, RecursionError):  # the program's output is untrusted
        return None
    if not isinstance(report, dict) or "ok" not in report:
        return None
    try:
        return {k: _clean(v, 0) for k, v in report.items()}
    except ValueError:
        error = f"bad_result: the agent's result is nested deeper than {MAX_DEPTH} levels"
        return {"ok": False, "error": error}


def _clean(value: Any, depth: int) -> Any:
    """The report as JSON the daemon can store and serve: JSON's escapes carry lone
    surrogates, which no UTF-8 response can (every listing of processes would fail)."""
    if depth > MAX_DEPTH:
        raise ValueError("too deep")
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode()
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {_clean(k, depth): _clean(v, depth + 1) for k, v in value.items()}
    return value


def _error_text(error: Any) -> str:
    if isinstance(error, dict):  # {"type", "message"}
        error = f"{error.get('type') or 'Error'}: {error.get('message') or ''}"
    return _printable(str(error or "the agent failed")[:2000])


def _printable(text: str) -> str:
    """No control characters from the program (the text reaches terminals)."""
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in text)


def _crash(code: int | None, sig: int | None, stderr: bytes, limits: dict[str, int]) -> str:
    if sig is not None:
        name = _signal_name(sig)
        why = f"was killed by {name}"
        if sig == signal.SIGXCPU:
            why += f" (it used its {limits.get('cpu_s', LIMITS['cpu_s'])} CPU seconds)"
        elif sig == signal.SIGKILL:
            why += " (killed, or out of memory)"
    else:
        why = f"exited with status {code} without reporting a result"
    last = _printable(stderr.decode(errors="replace").strip()[-_SHOWN_STDERR:])
    return f"the agent's program {why}" + (f"; its stderr ends: {last}" if last else "")


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"
