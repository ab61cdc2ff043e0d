"""The shell's connection to the daemon: ``ShellSession`` finds the daemon serving a
data directory (``AIOS_URL``/``AIOS_TOKEN``, else its Unix socket
``<data_dir>/run/api.sock``, else ``daemon.json``'s or the configured host and
port), starts ``aios serve`` in the background when none answers, and spawns the
shell's own process there: a ``session`` process whose token every call of the
shell is made with, built-ins and plans alike. Its approval rules follow the
shell's policy, so the kernel itself stops what needs a person; the admin token is
used only to spawn and end it and to answer approvals.

A client of the daemon's API only: it never imports ``aios.kernel``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from aios.agents.client import AsyncHttpTransport
from aios.config import Config
from aios.errors import AiosError, BadRequest, ConfigError, Unauthorized, Unavailable
from aios.shell.commands import HELP, USAGE, Command
from aios.shell.out import Out
from aios.shell.render import command_failed, show_result

__all__ = ["POLICY_RULES", "ShellSession", "find_daemon", "session_capabilities"]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 90.0  # how long a daemon started here may take to answer /v1/health
RUN_WAIT_S = 600.0  # how long ``run AGENT TASK`` waits for the agent in one-shot mode
SESSION_S = 7 * 86400  # a session process left behind (the shell was killed) ends then
LOG_CHARS = 4000  # one proc.log line

# the kernel's approval rules of the session process, per shell policy: what it stops
# until a person answers (the shell's dangerous patterns ask on top, whatever this is)
POLICY_RULES: dict[str, list[str]] = {
    "always": ["not_read_only", "open_world", "host"],
    "destructive": ["destructive", "host"],
    "never": [],
}
_SYSCALLS = [
    "llm.*", "tool.*", "compile", "fs.*", "proc.spawn", "proc.list", "proc.get", "proc.wait",
    "proc.kill", "proc.log", "proc.syscalls", "agent.list", "agent.info", "approval.request",
    "approval.release", "approval.list", "approval.get",
]  # fmt: skip


def session_capabilities(policy: str) -> dict[str, Any]:
    """What the shell's process may do: everything its person may, through the
    kernel's checks, with the policy's approval rules."""
    return {
        "syscalls": _SYSCALLS,
        "tools": ["*"],
        "fs_read": ["/"],
        "fs_write": ["/"],
        "proc_admin": True,  # ps and kill see every process, as the person does
        "approvals": POLICY_RULES[policy],
    }


def _host(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def find_daemon(config: Config) -> dict[str, str]:
    """Where the daemon serving ``config.data_dir`` should listen: ``{"socket": ...}``
    or ``{"url": ...}`` (nothing here says it answers)."""
    if url := os.environ.get("AIOS_URL"):
        return {"url": url.rstrip("/")}
    data_dir = Path(config.data_dir)
    sock = data_dir / "run" / "api.sock"
    if sock.exists() and len(os.fsencode(sock)) < 100:
        return {"socket": str(sock)}
    try:
        info = json.loads((data_dir / "daemon.json").read_text())
        host, port = str(info["host"]), int(info["port"])
    except (OSError, ValueError, KeyError, TypeError):
        host, port = config.host, config.port
    return {"url": f"http://{_host(host)}:{port}"}


def _token(config: Config) -> str:
    if token := os.environ.get("AIOS_TOKEN"):
        return token
    path = Path(config.data_dir) / "token"
    try:
        token = path.read_text().strip()
    except OSError:
        raise ConfigError(
            f"no admin token at {path}: start the daemon once ('aios serve')"
        ) from None
    if not token:
        raise ConfigError(f"the admin token file {path} is empty")
    return token


async def _healthy(where: dict[str, str]) -> bool:
    transport = httpx.AsyncHTTPTransport(uds=where["socket"]) if "socket" in where else None
    base = where.get("url", "http://aios")
    try:
        async with httpx.AsyncClient(base_url=base, transport=transport, timeout=2.0) as c:
            r = await c.get("/v1/health")
        return r.status_code == 200
    except httpx.HTTPError:
        return False


def _tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-n:].strip()
    except OSError:
        return ""


async def _start_daemon(
    config: Config, config_file: str | None, say: Callable[[str], None], timeout: float
) -> dict[str, str]:
    """``aios serve`` in the background on the same data directory, once it answers."""
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    logfile = data_dir / "serve.log"
    argv = [sys.executable, "-m", "aios", "serve", "--data-dir", str(data_dir)]
    argv += ["--config", config_file] if config_file else []
    say(f"no aios daemon answers for {data_dir}: starting 'aios serve' (log: {logfile})")
    with logfile.open("ab") as fh:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Unavailable(
                f"'aios serve' exited with status {proc.returncode}: {_tail(logfile)[-600:]}"
            )
        where = find_daemon(config)
        if await _healthy(where):
            say("the daemon is up")
            return where
        await asyncio.sleep(0.2)
    raise Unavailable(
        f"'aios serve' did not answer /v1/health within {timeout:.0f} s (pid {proc.pid}, "
        f"still running; log: {logfile})"
    )


# ---- the session ----------------------------------------------------------------------


class ShellSession:
    """One shell's process in the daemon; ``async with`` ends it. Build with ``connect``."""

    def __init__(
        self,
        admin: AsyncHttpTransport,
        calls: AsyncHttpTransport,
        pid: int,
        where: dict[str, str],
        data_dir: Path,
        policy: str,
    ) -> None:
        self._admin, self._calls = admin, calls
        self.pid, self.where, self.data_dir, self.policy = pid, where, data_dir, policy

    @classmethod
    async def connect(
        cls,
        config: Config,
        *,
        config_file: str | None = None,
        say: Callable[[str], None] | None = None,
        start: bool = True,
        timeout: float = START_TIMEOUT_S,
        policy: str = "destructive",
        name: str = "shell",
    ) -> ShellSession:
        """Connect to the daemon for ``config.data_dir`` (starting one if none answers,
        unless ``start`` is false or ``AIOS_URL`` names another) and spawn the shell's
        session process there."""
        if policy not in POLICY_RULES:
            raise BadRequest(f"unknown approval policy {policy[:40]!r}")
        say = say or log.info
        where = find_daemon(config)
        if not await _healthy(where):
            if not start or os.environ.get("AIOS_URL"):
                raise Unavailable(
                    f"no aios daemon answers at {where.get('socket') or where['url']}"
                )
            where = await _start_daemon(config, config_file, say, timeout)
        admin = AsyncHttpTransport(url=where.get("url"), socket=where.get("socket"),
                                   token=_token(config))  # fmt: skip
        try:
            spawn = {"agent": "session", "name": name, "task": str(SESSION_S),
                     "capabilities": session_capabilities(policy)}  # fmt: skip
            pid = int((await admin.syscall("proc.spawn", spawn))["pid"])
            try:
                token = str((await admin.syscall("proc.token", {"pid": pid}))["token"])
            except BaseException:
                with contextlib.suppress(AiosError):
                    await admin.syscall("proc.kill", {"pid": pid})
                raise
        except BaseException:
            await admin.aclose()
            raise
        calls = AsyncHttpTransport(url=where.get("url"), socket=where.get("socket"), token=token)
        log.info("aios shell: calls are made as process %d (%s)", pid, name)
        return cls(admin, calls, pid, where, Path(config.data_dir), policy)

    async def aclose(self) -> None:
        with contextlib.suppress(AiosError):
            await self._admin.syscall("proc.kill", {"pid": self.pid})
        await self._calls.aclose()
        await self._admin.aclose()

    async def __aenter__(self) -> ShellSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- calls ---------------------------------------------------------------------------

    def _ended(self) -> Unavailable:
        return Unavailable(
            f"this shell's session process {self.pid} has ended (killed, or the daemon "
            "restarted): start the shell again"
        )

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """One syscall as the session process; its result as a plain dict."""
        try:
            res = await self._calls.syscall(name, args)
        except Unauthorized:
            raise self._ended() from None
        return dict(res) if isinstance(res, dict) else {"result": res}

    async def stream(self, name: str, args: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """A streaming syscall as the session process: its events, the last a result.
        Closing the iterator early closes the request, and the daemon stops the call."""
        try:
            async for event in self._calls.stream(name, args):
                yield event
        except Unauthorized:
            raise self._ended() from None

    async def respond(self, approval: int, decision: str, note: str | None = None) -> None:
        """Answer an approval as the person at this shell (the admin token)."""
        args: dict[str, Any] = {"id": approval, "decision": decision}
        if note:
            args["note"] = note[:2000]
        await self._admin.syscall("approval.respond", args)

    async def log(self, kind: str, **data: Any) -> None:
        """One line of this shell's stored log (``aios shell --log``); never fails a line."""
        text = json.dumps({"kind": kind, **data}, default=str, ensure_ascii=False)
        if len(text) > LOG_CHARS:
            text = json.dumps({"kind": kind, "cut": True, "data": text[: LOG_CHARS - 200]})
        try:
            await self.call("proc.log", {"message": text})
        except AiosError as exc:
            log.warning("aios shell: could not log %s: %s", kind, exc.message)

    # -- what the shell shows -------------------------------------------------------------

    async def run_command(self, cmd: Command, out: Out) -> bool:
        """Run a built-in and show its reply; whether it failed (having run)."""
        if cmd.name == "help":
            if cmd.args:
                usage, desc = USAGE[cmd.args[0]]
                out.line(f"{usage:<22} {desc}")
            else:
                for text in HELP.split("\n"):
                    out.line(text)
            return False
        if cmd.name in ("exit", "quit"):
            return False
        if cmd.syscall is None:
            raise BadRequest(f"the built-in {cmd.name!r} has no syscall")
        res = await self.call(cmd.syscall, dict(cmd.syscall_args))
        if cmd.name == "run" and isinstance(res.get("pid"), int):
            res = await self.call("proc.wait", {"pid": res["pid"], "timeout": RUN_WAIT_S})
        show_result(cmd, res, out)
        return command_failed(cmd, res)

    async def tools(self) -> dict[str, dict[str, Any]]:
        """The tools this session may call (``tool.list``), by name."""
        res = await self.call("tool.list", {})
        tools = res.get("tools")
        if not isinstance(tools, list):
            raise AiosError("tool.list answered without a list of tools")
        return {
            t["name"]: t for t in tools if isinstance(t, dict) and isinstance(t.get("name"), str)
        }

    async def pending(self) -> list[dict[str, Any]]:
        """This session's approvals that wait for a person, oldest first."""
        res = await self.call("approval.list", {"pid": self.pid, "state": "pending"})
        items = [a for a in res.get("approvals") or [] if isinstance(a, dict)]
        return sorted(items, key=lambda a: a.get("id", 0))
