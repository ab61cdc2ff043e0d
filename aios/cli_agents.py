"""``aios agents ...``: list, info, run, new. Thin: parse, call the client, render."""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aios.errors import AiosError

__all__ = ["add_parser"]

CONSENT_SYSCALL = "agent.consent"  # aios.agents.consent (not imported: it loads the kernel)
_SHOWN_CAPS = (
    "tools",
    "fs_read",
    "fs_write",
    "syscalls",
    "approvals",
    "max_priority",
    "llm_tokens",
    "models",
    "proc_admin",
)


def _print(text: str) -> None:
    """Print what plugins wrote (names, descriptions, errors) with control
    characters made visible (``_visible``)."""
    print("\n".join(_visible(line) for line in text.split("\n")))


def _interactive() -> bool:
    return sys.stdin.isatty()


def cmd_list(args: argparse.Namespace, client: Any) -> int:
    agents = client.agents()
    if args.json:
        print(json.dumps(agents, indent=2))
        return 0
    print(f"{'NAME':<20} {'VERSION':<9} {'SOURCE':<14} {'CONSENT':<11} DESCRIPTION")
    for a in agents:
        flags = " [isolated]" if a["isolated"] else ""
        flags += f" [tools: {', '.join(a['tools'])}]" if a["tools"] else ""
        desc = (a["description"] or "").replace("\n", " ")
        desc = desc[:60] + ("..." if len(desc) > 60 else "")
        _print(
            f"{a['name'][:20]:<20} {a['version'][:9]:<9} {a['source'][:14]:<14} "
            f"{a['consent']:<11} {desc}{flags}"
        )
        if a["error"]:
            _print(f"{'':<20} ERROR: {a['error']}")
    broken = sum(1 for a in agents if a["error"])
    if broken:
        print(f"\n{broken} of {len(agents)} failed to load; the others work.", file=sys.stderr)
    return 0


def _caps_lines(caps: dict[str, Any], indent: str = "  ") -> list[str]:
    out = []
    for key in _SHOWN_CAPS:
        if key not in caps:
            continue
        value = caps[key]
        if isinstance(value, list):
            value = ", ".join(value) if value else "(none)"
        elif value is None:
            value = "no limit"
        out.append(f"{indent}{key + ':':<14} {value}")
    return out


def cmd_approve(args: argparse.Namespace, client: Any) -> int:
    """Consent ahead of a first run (a plugin that only provides tools has none)."""
    a = client.agent(args.name)
    if a["consent"] not in ("approved", "not needed"):
        print(f"plugin {a['name']} {a['version']} asks for:")
        _print("\n".join(_caps_lines(a.get("capabilities") or {}, "  ")))
        if not a["isolated"]:
            print("  (its code runs in the daemon's process: unconfined)")
    a = client.syscall("agent.approve", name=args.name)
    return cmd_info_of(a, args)


def cmd_info(args: argparse.Namespace, client: Any) -> int:
    return cmd_info_of(client.agent(args.name), args)


def cmd_info_of(a: dict[str, Any], args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(a, indent=2))
        return 0
    _print(f"{a['name']} {a['version']}".rstrip())
    if a["description"]:
        _print(f"  {a['description']}")
    _print(f"  source:        {a['source']}" + (f" ({a['folder']})" if a.get("folder") else ""))
    _print(f"  entry:         {a.get('entry') or '-'}")
    print(f"  isolated:      {'yes' if a['isolated'] else 'no'}")
    consent = a["consent"]
    if a.get("approved_version"):
        consent += f" (version {a['approved_version']})"
    print(f"  consent:       {consent}")
    if a["tools"]:
        _print(f"  provides:      {', '.join(a['tools'])}")
    if a.get("capabilities"):
        print("  capabilities:")
        _print("\n".join(_caps_lines(a["capabilities"], "    ")))
    if a["error"]:
        _print(f"  ERROR: {a['error']}")
        return 1
    return 0


def cmd_new(args: argparse.Namespace, client: Any) -> int:
    from aios.agents.scaffold import scaffold

    dest = Path(args.dir) if args.dir else Path("plugins") / args.name
    files = scaffold(args.name, dest)
    for f in files:
        print(f"wrote {f}")
    print(
        f"\nnext: edit {files[1]}, then `pytest {dest}`; aios finds it in ./plugins of the "
        "repository, <data dir>/plugins or agents.plugin_dirs"
    )
    return 0


def _visible(text: str) -> str:
    """``text`` with its control and format characters escaped: what a plugin or a
    process wrote cannot move the cursor, hide or reorder what the person reads."""
    return "".join(
        c.encode("unicode_escape").decode() if unicodedata.category(c) in ("Cc", "Cf") else c
        for c in text
    )


def _describe(a: dict[str, Any]) -> list[str]:
    """What a person is asked (each line printable, none written by the asker
    looking like one of ours)."""
    return [_visible(line) for line in _question(a)]


def _question(a: dict[str, Any]) -> list[str]:
    if a["syscall"] == CONSENT_SYSCALL:
        d = a["args"] if isinstance(a["args"], dict) else {}
        head = f"{a['summary']}"
        lines = [head]
        if d.get("description"):
            desc = str(d["description"]).replace("\r", " ").replace("\n", " ")
            lines.append(f"  {desc}")  # one line: its own "it asks for:" stays on it
        lines.append(f"  from: {d.get('source', '?')}")
        if d.get("isolated"):
            lines.append("  runs: isolated, in its own confined OS process")
        else:
            lines.append(
                "  runs: in-process: its code runs inside the daemon, unconfined; the "
                "capabilities below bind its syscalls, not its Python code (--isolated confines it)"
            )
        lines.append("  it asks for:")
        lines += _caps_lines(d.get("capabilities") or {}, "    ")
        for m in d.get("mcp_servers") or []:
            command = " ".join(str(c) for c in m.get("command") or [])[:200]
            lines.append(f"  it brings the MCP server {m.get('name')}: {command}")
        if d.get("new"):
            lines.append(f"  new since version {d.get('approved_before')}: {', '.join(d['new'])}")
        return lines
    args = json.dumps(a["args"], default=str)
    return [
        f"process {a['pid']} ({a['process']}) asks: {a['summary']}",
        f"  {args[:500]}" + ("..." if len(args) > 500 else ""),
    ]


def _answer(a: dict[str, Any], yes: bool, ask: Callable[[str], str]) -> str | None:
    """'approve', 'deny', or None when nobody at this terminal can answer."""
    for line in _describe(a):
        print(line, file=sys.stderr)
    if yes and a["syscall"] == CONSENT_SYSCALL:
        print("  approved (--yes)", file=sys.stderr)
        return "approve"
    if not _interactive():
        print(
            f"  waiting: answer with `aios approvals approve {a['id']}` (or deny)",
            file=sys.stderr,
        )
        return None
    prompt = "Allow it to run? [y/N] " if a["syscall"] == CONSENT_SYSCALL else "Approve? [y/N] "
    try:
        reply = ask(prompt)
    except EOFError:
        reply = ""
    return "approve" if reply.strip().lower() in ("y", "yes") else "deny"


def cmd_run(args: argparse.Namespace, client: Any) -> int:
    if args.cerebrum:
        folder = str(Path(args.cerebrum).expanduser().resolve())
        task = args.task if args.task is not None else (args.name or "")
        info = client.syscall("proc.spawn", cerebrum=folder, task=task, priority=args.priority)
    else:
        if not args.name:
            raise AiosError("aios agents run needs an agent's name (or --cerebrum PATH)")
        res = client.run_agent(
            args.name, args.task or "", isolated=args.isolated or None, priority=args.priority
        )
        info = res["process"]
    pid = info["pid"]
    print(f"started pid {pid} ({info['name']})", file=sys.stderr)
    seen: set[int] = set()
    deadline = time.monotonic() + args.timeout
    while True:
        res = client.syscall("proc.wait", pid=pid, timeout=0.3)
        if res["done"]:
            break
        pending = client.syscall("approval.list", pid=pid, state="pending")["approvals"]
        for a in reversed(pending):  # oldest first
            if a["id"] in seen:
                continue
            seen.add(a["id"])
            decision = _answer(a, args.yes, input)
            if decision is not None:
                client.syscall("approval.respond", id=a["id"], decision=decision)
        if time.monotonic() > deadline:
            print(
                f"pid {pid} still {res['process']['state']} after {args.timeout}s", file=sys.stderr
            )
            return 1
    proc = res["process"]
    if proc["state"] != "EXITED":
        print(_visible(f"pid {pid} {proc['state']}: {proc['error']}"), file=sys.stderr)
        return 1
    out = proc["result"]  # an agent's words: no terminal escapes reach the screen
    _print(out if isinstance(out, str) else json.dumps(out, indent=2))
    return 0


def add_parser(
    sub: Any, common: argparse.ArgumentParser, run: Callable[..., int]
) -> argparse.ArgumentParser:
    """``aios agents``; ``run(fn, args)`` calls ``fn(args, client)`` with a client."""
    p = sub.add_parser("agents", help="agent plugins: list, info, approve, run, new")
    asub = p.add_subparsers(dest="agents_command", required=True)

    def with_client(fn: Callable[[argparse.Namespace, Any], int]) -> Callable[..., int]:
        return lambda args: run(fn, args)

    ls = asub.add_parser("list", parents=[common], help="installed agents (and failed ones)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=with_client(cmd_list))

    inf = asub.add_parser("info", parents=[common], help="one agent: manifest, capabilities")
    inf.add_argument("name")
    inf.add_argument("--json", action="store_true")
    inf.set_defaults(func=with_client(cmd_info))

    ap = asub.add_parser(
        "approve", parents=[common], help="consent to a plugin now (its tools start)"
    )
    ap.add_argument("name")
    ap.add_argument("--json", action="store_true")
    ap.set_defaults(func=with_client(cmd_approve))

    r = asub.add_parser(
        "run",
        parents=[common],
        help="run an agent and wait; a plugin's first run asks you to approve it",
    )
    r.add_argument("name", nargs="?", help="the agent (not with --cerebrum)")
    r.add_argument("task", nargs="?")
    r.add_argument("--isolated", action="store_true", help="in its own confined OS process")
    r.add_argument("--cerebrum", metavar="PATH", help="an AIOS/Cerebrum agent folder")
    r.add_argument("--yes", action="store_true", help="approve the plugin's consent question")
    r.add_argument("--priority", type=int)
    r.add_argument("--timeout", type=float, default=600)
    r.set_defaults(func=with_client(cmd_run))

    n = asub.add_parser("new", parents=[common], help="write a new plugin with a passing test")
    n.add_argument("name")
    n.add_argument("--dir", help="where (default ./plugins/NAME)")
    n.set_defaults(func=lambda args: cmd_new(args, None))
    return p
