"""The shell's connection to the daemon: ``ShellSession`` finds the daemon serving a
data directory (``AIOS_URL``/``AIOS_TOKEN``, else its Unix socket
``<data_dir>/run/api.sock``, else ``daemon.json``'s or the configured host and
port), starts ``aios serve`` in the background when none answers, and runs the
shell's built-ins (``aios.shell.commands.Command``) and plans through
``aios.agents.client.AsyncContext``, turning replies into plain text lines.

A client of the daemon's API only: it never imports ``aios.kernel``. Replies are
untrusted: every shown string passes ``safe_text``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from aios.agents.client import AsyncContext
from aios.config import Config
from aios.errors import AiosError, BadRequest, ConfigError, Unavailable
from aios.shell.commands import HELP, USAGE, Command
from aios.shell.plans import safe_text

__all__ = ["ShellSession", "find_daemon", "format_result"]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 90.0  # how long a daemon started here may take to answer /v1/health
RUN_WAIT_S = 600.0  # how long ``run AGENT TASK`` waits for the agent in one-shot mode
_CUT = 80


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


# ---- rendering replies ----------------------------------------------------------------


def _s(v: Any, cut: int | None = None) -> str:
    text = " ".join(str("" if v is None else v).split())
    if cut and len(text) > cut:
        text = text[: cut - 1] + "…"
    return safe_text(text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned columns, the last one left ragged."""
    if not rows:
        return ["  ".join(header), "(none)"]
    cols = [header, *rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header) - 1)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
        for r in cols
    ]


def _text_lines(text: str) -> list[str]:
    return [safe_text(line.expandtabs(8)) for line in text.split("\n")]


def _when(ts: Any) -> str:
    if not isinstance(ts, int | float):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _name_in(folder: str, entry: dict[str, Any]) -> str:
    path = str(entry.get("path", ""))
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    name = path[len(prefix) :] if path.startswith(prefix) else path
    return _s(name) + ("/" if entry.get("kind") == "dir" else "")


def _dicts(v: Any) -> list[dict[str, Any]]:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def format_result(cmd: Command, res: Any) -> list[str]:
    """A built-in's reply as text lines (``res``: the syscall's ``result``)."""
    res = res if isinstance(res, dict) else {}
    name = cmd.name
    if name == "ps":
        rows = [
            [_s(p.get("pid")), _s(p.get("state")), _s(p.get("name"), 20),
             _when(p.get("started_at")), _s(p.get("task"), 50)]
            for p in _dicts(res.get("processes"))
        ]  # fmt: skip
        return _table(["PID", "STATE", "NAME", "STARTED", "TASK"], rows)
    if name == "ls":
        entries = _dicts(res.get("entries"))
        return [_name_in(str(cmd.syscall_args.get("path", "")), e) for e in entries] or ["(empty)"]
    if name == "cat":
        if isinstance(res.get("text"), str):
            return _text_lines(res["text"])
        size = (res.get("info") or {}).get("size", "?")
        return [f"(not text: {_s(size)} bytes)"]
    if name == "find":
        out = [
            f"{h.get('score', 0):.3f}  {_s(h.get('path'))}:{_s(h.get('line', 1))}  "
            f"{_s(h.get('text'), _CUT)}"
            for h in _dicts(res.get("hits"))
            if isinstance(h.get("score"), int | float)
        ]
        if res.get("pending"):
            out.append(f"({_s(res['pending'])} of your writes are not indexed yet)")
        return out or ["no matches"]
    if name == "history":
        rows = [
            [f"v{_s(v.get('version'))}", _when(v.get("at")), _s(v.get("op")),
             _s(v.get("author"), 20), f"{_s(v.get('size'))} B"]
            for v in _dicts(res.get("versions"))
        ]  # fmt: skip
        return _table(["VERSION", "AT", "OP", "AUTHOR", "SIZE"], rows)
    if name == "diff":
        return _text_lines(str(res.get("diff") or "")) if res.get("diff") else ["(no changes)"]
    if name == "rollback":
        return [f"{_s(res.get('path'))}: restored as version {_s(res.get('version'))}"]
    if name == "kill":
        return [f"{_s(res.get('pid', cmd.syscall_args.get('pid')))}: {_s(res.get('state'))}"]
    if name == "agents":
        rows = [
            [_s(a.get("name"), 24), _s(a.get("version"), 10), _s(a.get("consent")),
             _s(f"ERROR: {a['error']}" if a.get("error") else a.get("description"), 60)]
            for a in _dicts(res.get("agents"))
        ]  # fmt: skip
        return _table(["NAME", "VERSION", "CONSENT", "DESCRIPTION"], rows)
    if name == "tools":
        rows = [
            [_s(t.get("name"), 32), _risk(t.get("risk")), _s(t.get("description"), 60)]
            for t in _dicts(res.get("tools"))
        ]  # fmt: skip
        return _table(["NAME", "RISK", "DESCRIPTION"], rows)
    if name == "approvals":
        rows = [
            [_s(a.get("id")), _s(a.get("state")), _s(a.get("pid")), _s(a.get("process"), 16),
             _s(a.get("tool") or a.get("syscall"), 24), _s(a.get("summary"), 60)]
            for a in _dicts(res.get("approvals"))
        ]  # fmt: skip
        return _table(["ID", "STATE", "PID", "PROCESS", "CALL", "SUMMARY"], rows)
    if name == "run":
        return _process_lines(res.get("process") if "process" in res else res)
    if name == "!":
        return _bang_lines(res.get("result"))
    return _text_lines(json.dumps(res, indent=2, default=str)[:20_000])


def _risk(risk: Any) -> str:
    if isinstance(risk, dict):
        return ",".join(k for k, v in risk.items() if v is True) or "-"
    return "unknown"


def _process_lines(p: Any) -> list[str]:
    if not isinstance(p, dict):
        return ["(no process information)"]
    head = f"process {_s(p.get('pid'))} ({_s(p.get('agent'))}): {_s(p.get('state'))}"
    out = [head]
    if p.get("error"):
        out.append(f"error: {_s(p['error'], 500)}")
    result = p.get("result")
    if isinstance(result, str):
        out += _text_lines(result)
    elif result is not None:
        out += _text_lines(json.dumps(result, indent=2, default=str)[:20_000])
    return out


def _bang_lines(r: Any) -> list[str]:
    if not isinstance(r, dict):
        return _text_lines(str(r))
    out: list[str] = []
    for key in ("stdout", "stderr"):
        if isinstance(r.get(key), str) and r[key]:
            out += _text_lines(r[key].rstrip("\n"))
    code = r.get("exit_code", r.get("returncode"))
    if code not in (0, None):
        out.append(f"(exit status {_s(code)})")
    return out


def command_failed(cmd: Command, res: Any) -> bool:
    """A reply that ran but failed: a program's nonzero exit, an agent that failed."""
    res = res if isinstance(res, dict) else {}
    if cmd.name == "!":
        r = res.get("result")
        return isinstance(r, dict) and r.get("exit_code", r.get("returncode")) not in (0, None)
    if cmd.name == "run":
        p = res.get("process") if "process" in res else res
        return isinstance(p, dict) and p.get("state") == "FAILED"
    return False


# ---- the session ----------------------------------------------------------------------


class ShellSession:
    """One shell's link to the daemon; ``async with`` closes it. Build with ``connect``."""

    def __init__(self, ctx: AsyncContext, where: dict[str, str]) -> None:
        self.ctx = ctx
        self.where = where

    @classmethod
    async def connect(
        cls,
        config: Config,
        *,
        config_file: str | None = None,
        say: Callable[[str], None] | None = None,
        start: bool = True,
        timeout: float = START_TIMEOUT_S,
    ) -> ShellSession:
        """Connect to the daemon for ``config.data_dir``, starting one if none answers
        (unless ``start`` is false or ``AIOS_URL`` names another)."""
        say = say or log.info
        where = find_daemon(config)
        if not await _healthy(where):
            if not start or os.environ.get("AIOS_URL"):
                raise Unavailable(
                    f"no aios daemon answers at {where.get('socket') or where['url']}"
                )
            where = await _start_daemon(config, config_file, say, timeout)
        ctx = AsyncContext(where.get("url"), socket=where.get("socket"), token=_token(config))
        return cls(ctx, where)

    async def aclose(self) -> None:
        await self.ctx.aclose()

    async def __aenter__(self) -> ShellSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """One syscall; its result as a plain dict (errors: the aios error classes)."""
        res = await self.ctx.syscall(name, **args)
        return dict(res) if isinstance(res, dict) else {"result": res}

    async def run_command(self, cmd: Command) -> tuple[list[str], bool]:
        """Run a built-in: its text lines, and whether it failed (having run)."""
        if cmd.name == "help":
            if cmd.args:
                usage, desc = USAGE[cmd.args[0]]
                return [f"{usage:<22} {desc}"], False
            return HELP.split("\n"), False
        if cmd.name in ("exit", "quit"):
            return [], False
        if cmd.syscall is None:
            raise BadRequest(f"the built-in {cmd.name!r} has no syscall")
        res = await self.call(cmd.syscall, dict(cmd.syscall_args))
        if cmd.name == "run" and isinstance(res.get("pid"), int):
            res = await self.call("proc.wait", {"pid": res["pid"], "timeout": RUN_WAIT_S})
        return format_result(cmd, res), command_failed(cmd, res)

    async def tools(self) -> dict[str, dict[str, Any]]:
        """The tools this session may call (``tool.list``), by name."""
        res = await self.call("tool.list", {})
        tools = res.get("tools")
        if not isinstance(tools, list):
            raise AiosError("tool.list answered without a list of tools")
        return {
            t["name"]: t for t in tools if isinstance(t, dict) and isinstance(t.get("name"), str)
        }

    async def plan(self, query: str, tools: list[Any] | None = None) -> dict[str, Any]:
        """A dry run of ``compile``: the plan, nothing run."""
        args: dict[str, Any] = {"query": query, "dry_run": True}
        if tools is not None:
            args["tools"] = tools
        return await self.call("compile", args)

    async def run_plan(
        self, query: str, plan: str, tools: list[Any] | None = None
    ) -> dict[str, Any]:
        """Run a shown (approved) plan as compile's only round."""
        args: dict[str, Any] = {"query": query, "plan": plan, "max_replans": 0}
        if tools is not None:
            args["tools"] = tools
        return await self.call("compile", args)
