"""A built-in's reply as the shell shows it: ``show_result`` writes it to an ``Out``
(tables for ps, history, agents, tools and approvals; lines for the rest), and
``command_failed`` tells a reply that ran but failed. Replies are untrusted: every
shown string passes ``safe_text``.
"""

from __future__ import annotations

import json
import time
from typing import Any, NamedTuple

from aios.shell.commands import Command
from aios.shell.out import Out
from aios.shell.plans import safe_text

__all__ = ["command_failed", "format_result", "show_result"]

_CUT = 80


class _Table(NamedTuple):
    header: list[str]
    rows: list[list[str]]


def show_result(cmd: Command, res: Any, out: Out) -> None:
    """Write a built-in's reply (``res``: the syscall's ``result``) to ``out``."""
    shown = format_result(cmd, res)
    if isinstance(shown, _Table):
        out.table(shown.header, shown.rows)
    else:
        for text in shown:
            out.line(text)


def _s(v: Any, cut: int | None = None) -> str:
    text = " ".join(str("" if v is None else v).split())
    if cut and len(text) > cut:
        text = text[: cut - 1] + "…"
    return safe_text(text)


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


def format_result(cmd: Command, res: Any) -> list[str] | _Table:
    """A built-in's reply as text lines (``res``: the syscall's ``result``)."""
    res = res if isinstance(res, dict) else {}
    name = cmd.name
    if name == "ps":
        rows = [
            [_s(p.get("pid")), _s(p.get("state")), _s(p.get("name"), 20),
             _when(p.get("started_at")), _s(p.get("task"), 50)]
            for p in _dicts(res.get("processes"))
        ]  # fmt: skip
        return _Table(["PID", "STATE", "NAME", "STARTED", "TASK"], rows)
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
        return _Table(["VERSION", "AT", "OP", "AUTHOR", "SIZE"], rows)
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
        return _Table(["NAME", "VERSION", "CONSENT", "DESCRIPTION"], rows)
    if name == "tools":
        rows = [
            [_s(t.get("name"), 32), _risk(t.get("risk")), _s(t.get("description"), 60)]
            for t in _dicts(res.get("tools"))
        ]  # fmt: skip
        return _Table(["NAME", "RISK", "DESCRIPTION"], rows)
    if name == "approvals":
        rows = [
            [_s(a.get("id")), _s(a.get("state")), _s(a.get("pid")), _s(a.get("process"), 16),
             _s(a.get("tool") or a.get("syscall"), 24), _s(a.get("summary"), 60),
             _s(_calls(a.get("calls")), 80)]
            for a in _dicts(res.get("approvals"))
        ]  # fmt: skip
        return _Table(["ID", "STATE", "PID", "PROCESS", "CALL", "SUMMARY", "RUNS"], rows)
    if name == "run":
        return _process_lines(res.get("process") if "process" in res else res)
    if name == "!":
        return _bang_lines(res.get("result"))
    return _text_lines(json.dumps(res, indent=2, default=str)[:20_000])


def _calls(calls: Any) -> str:
    """What approving lets run unasked: ``fs_delete {"path": "a.md"}; ...`` (a
    reference shown as ``{$N...}``: whatever step N returns)."""
    out = []
    for c in _dicts(calls):
        args = json.dumps(c.get("args"), default=str).replace('{"$ref": ', "{$")
        out.append(f"{c.get('tool') or c.get('syscall')} {args}")
    return "; ".join(out) or "-"


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
