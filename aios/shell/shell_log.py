"""``aios shell --log``: what the shell stored, read back from the daemon.

Each shell session is a ``session`` process named ``shell``; each of its inputs,
plans, approvals and outcomes is a ``proc.log`` line (JSON with a ``kind``), kept
whole in that process's audit rows. This reads the newest sessions' lines back
through ``proc.list`` and ``proc.syscalls``. Everything read is untrusted and shown
through ``safe_text``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aios.shell.out import Out
from aios.shell.plans import safe_text
from aios.shell.session import ShellSession

__all__ = ["entries", "show_log"]

_ROWS = 100_000  # of one session's syscalls


def _parse(row: dict[str, Any]) -> dict[str, Any] | None:
    args = row.get("args")
    msg = args.get("message") if isinstance(args, dict) else None
    if row.get("name") != "proc.log" or row.get("status") != "ok" or not isinstance(msg, str):
        return None
    try:
        data = json.loads(msg)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        return None
    return {**data, "pid": row.get("pid"), "at": row.get("finished_at")}


async def entries(session: ShellSession, sessions: int = 10) -> list[dict[str, Any]]:
    """The log lines of the newest ``sessions`` shell sessions, oldest first."""
    res = await session.call("proc.list", {"limit": 10_000})
    procs = [
        p for p in res.get("processes") or []
        if isinstance(p, dict) and p.get("agent") == "session" and p.get("name") == "shell"
        and p.get("parent") is None  # spawned by the admin: a child could only pose as one
        and isinstance(p.get("pid"), int) and p["pid"] != session.pid
    ]  # fmt: skip
    procs.sort(key=lambda p: p["pid"])
    out: list[dict[str, Any]] = []
    for p in procs[-sessions:]:
        rows = await session.call("proc.syscalls", {"pid": p["pid"], "limit": _ROWS})
        out += [e for r in rows.get("syscalls") or [] if isinstance(r, dict) and (e := _parse(r))]
    return out


def _summary(e: dict[str, Any]) -> str:
    kind = e.get("kind")
    if kind == "input":
        return str(e.get("text", ""))
    if kind == "plan":
        reasons = e.get("reasons") or []
        ask = f" (asks: {'; '.join(map(str, reasons))})" if reasons else ""
        return str(e.get("plan", "")).replace("\n", " | ") + ask
    if kind == "approval":
        by = " by the daemon's policy" if e.get("asked_by") == "daemon" else ""
        return f"{e.get('decision')}{by}" + (f": {e['why']}" if e.get("why") else "")
    if kind == "outcome":
        parts = [str(e.get("status") or ("failed" if e.get("failed") else "ok"))]
        for key in ("command", "error", "answer", "undo"):
            if e.get(key):
                parts.append(f"{key}: {e[key]}")
        if e.get("files"):
            parts.append("files: " + ", ".join(map(str, e["files"])))
        return "; ".join(parts)
    return json.dumps({k: v for k, v in e.items() if k not in ("pid", "at")}, default=str)


def show_log(items: list[dict[str, Any]], out: Out, cut: int = 160) -> None:
    rows = []
    for e in items:
        at = e.get("at")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at else "-"
        text = " ".join(_summary(e).split())
        text = text if len(text) <= cut else text[: cut - 1] + "…"
        rows.append([when, safe_text(str(e.get("pid"))), safe_text(str(e.get("kind"))),
                     safe_text(text)])  # fmt: skip
    out.table(["AT", "SESSION", "KIND", "WHAT"], rows)
