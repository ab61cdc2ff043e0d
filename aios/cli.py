"""The ``aios`` command: parse arguments, call the daemon, render the result."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import Any

from aios.config import Config, load_config
from aios.errors import AiosError

__all__ = ["main"]


def _config(args: argparse.Namespace) -> Config:
    return load_config(
        args.config,
        data_dir=args.data_dir,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        log_level=getattr(args, "log_level", None),
        model_path=getattr(args, "model_path", None),
        scheduler={"policy": args.policy} if getattr(args, "policy", None) else None,
    )


def _client(args: argparse.Namespace) -> Any:
    from aios.client import Client

    return Client.from_config(_config(args))


def _with_client(fn: Any, args: argparse.Namespace) -> int:
    with _client(args) as client:
        return int(fn(args, client))


def cmd_serve(args: argparse.Namespace) -> int:
    from aios.kernel.daemon import run_or_explain

    cfg = _config(args)
    logging.basicConfig(
        level=cfg.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return run_or_explain(cfg)


def cmd_config_show(args: argparse.Namespace) -> int:
    print(json.dumps(_config(args).show(), indent=2))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from aios.kernel.daemon import read_token

    print(read_token(_config(args).data_dir))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"messages": [{"role": "user", "content": args.message}]}
    if args.system:
        params["messages"].insert(0, {"role": "system", "content": args.system})
    for key in ("model", "max_tokens", "temperature"):
        if getattr(args, key) is not None:
            params[key] = getattr(args, key)
    with _client(args) as client:
        if args.no_stream:
            print(client.syscall("llm.chat", **params)["text"])
            return 0
        for event in client.stream("llm.chat", **params):
            if event["type"] == "token":
                sys.stdout.write(event["text"])
                sys.stdout.flush()
        sys.stdout.write("\n")
    return 0


def _fmt_time(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "-"


def cmd_ps(args: argparse.Namespace) -> int:
    states = None if args.all else ["NEW", "READY", "RUNNING", "WAITING", "SUSPENDED"]
    with _client(args) as client:
        procs = client.syscall("proc.list", states=states, limit=args.limit)["processes"]
    if args.json:
        print(json.dumps(procs, indent=2))
        return 0
    print(f"{'PID':>6} {'STATE':<10} {'PRI':>4} {'STARTED':>8} {'TOKENS':>7} {'NAME':<16} TASK")
    for p in procs:
        task = (p["task"] or "").replace("\n", " ")
        task = task[:40] + ("..." if len(task) > 40 else "")
        tokens = p["prompt_tokens"] + p["completion_tokens"]
        print(
            f"{p['pid']:>6} {p['state']:<10} {p['priority']:>4} "
            f"{_fmt_time(p['started_at']):>8} {tokens:>7} {p['name'][:16]:<16} {task}"
        )
        if p["state"] == "FAILED" and p["error"]:
            print(f"{'':>6} {p['error']}")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    with _client(args) as client:
        for pid in args.pids:
            info = client.syscall("proc.kill", pid=pid)
            print(f"{pid}: {info['state']}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``aios run NAME TASK``: ``aios agents run`` (a plugin's consent asked here too)."""
    from aios import cli_agents

    args.name, args.isolated, args.cerebrum, args.yes = args.agent, False, None, False
    return _with_client(cli_agents.cmd_run, args)


def cmd_mcp(args: argparse.Namespace) -> int:
    from aios.mcpserver.stdio import main as mcp_main

    approve = args.approve if args.approve is not None else ["destructive"]
    caps: dict[str, Any] = {"approvals": [r for r in approve if r != "none"]}
    for key in ("fs_read", "fs_write", "tools"):
        if getattr(args, key):
            caps[key] = getattr(args, key)
    return mcp_main(_config(args), admin=args.admin, capabilities=caps)


def cmd_doctor(args: argparse.Namespace) -> int:
    from aios.doctor import run_checks

    checks = run_checks(_config(args))
    for c in checks:
        print(f"{'ok ' if c.ok else 'NO '} {c.name:<14} {c.detail}")
    return 0 if all(c.ok for c in checks) else 1


def _shown(text: Any, cut: int) -> str:
    """Text from a process, as a terminal can show it: no escapes, cut to ``cut``."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return out[:cut] + ("..." if len(out) > cut else "")


def _print_approval(a: dict[str, Any]) -> None:
    what = _shown(a["tool"] or a["syscall"], 40)
    args = _shown(json.dumps(a["args"], default=str), 200)
    hints = ",".join(k for k, v in a["risk"].items() if v) or "-"
    print(
        f"{a['id']:>5} {a['state']:<9} {a['pid']:>6} {_shown(a['process'], 14):<14} "
        f"{what:<16} {hints:<22} {args}"
    )
    if a.get("summary") and a["summary"] != what:
        print(f"{'':>6}summary: {_shown(a['summary'], 200)}")
    for c in a.get("calls") or []:  # what approving it lets run unasked, once each
        shown = json.dumps(c.get("args"), default=str).replace('{"$ref": ', "{$")
        print(f"{'':>6}runs: {_shown(c.get('tool') or c.get('syscall'), 40)} {_shown(shown, 200)}")


def cmd_approvals(args: argparse.Namespace) -> int:
    with _client(args) as client:
        if args.action in ("approve", "deny", "always"):
            if args.id is None:
                raise AiosError(f"aios approvals {args.action} needs an approval id")
            a = client.syscall("approval.respond", id=args.id, decision=args.action, note=args.note)
            print(f"approval {a['id']}: {a['state']}" + (" (always)" if a["always"] else ""))
            return 0
        state = None if args.all else "pending"
        items = client.syscall("approval.list", state=state, limit=args.limit)["approvals"]
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    print(f"{'ID':>5} {'STATE':<9} {'PID':>6} {'PROCESS':<14} {'CALL':<16} {'RISK':<22} ARGS")
    for a in items:
        _print_approval(a)
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from aios.shell.oneshot import main as shell_main

    return shell_main(args, _config(args))


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML config file (default: <data dir>/config.toml)")
    common.add_argument("--data-dir", help="data directory (default: ~/.local/share/aios)")

    p = argparse.ArgumentParser(prog="aios", description="An agent operating system daemon.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", parents=[common], help="run the daemon in the foreground")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--model-path", help="GGUF file for the local core")
    s.add_argument("--policy", choices=["fifo", "rr", "priority"])
    s.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    s.set_defaults(func=cmd_serve)

    c = sub.add_parser("config", help="configuration")
    csub = c.add_subparsers(dest="config_command", required=True)
    cs = csub.add_parser("show", parents=[common], help="print the effective configuration")
    cs.set_defaults(func=cmd_config_show)

    t = sub.add_parser("token", parents=[common], help="print the admin token")
    t.set_defaults(func=cmd_token)

    ch = sub.add_parser("chat", parents=[common], help="ask the LLM through the daemon")
    ch.add_argument("message")
    ch.add_argument("--system")
    ch.add_argument("--model")
    ch.add_argument("--max-tokens", type=int)
    ch.add_argument("--temperature", type=float)
    ch.add_argument("--no-stream", action="store_true")
    ch.set_defaults(func=cmd_chat)

    ps = sub.add_parser("ps", parents=[common], help="list processes")
    ps.add_argument("-a", "--all", action="store_true", help="include ended processes")
    ps.add_argument("-n", "--limit", type=int, default=50)
    ps.add_argument("--json", action="store_true")
    ps.set_defaults(func=cmd_ps)

    k = sub.add_parser("kill", parents=[common], help="kill processes")
    k.add_argument("pids", type=int, nargs="+")
    k.set_defaults(func=cmd_kill)

    r = sub.add_parser("run", parents=[common], help="run an installed agent and wait")
    r.add_argument("agent")
    r.add_argument("task")
    r.add_argument("--priority", type=int, default=0)
    r.add_argument("--timeout", type=float, default=600)
    r.set_defaults(func=cmd_run)

    ap = sub.add_parser(
        "approvals", parents=[common], help="calls waiting for a person: list, approve, deny"
    )
    ap.add_argument(
        "action", nargs="?", default="list", choices=["list", "approve", "deny", "always"]
    )
    ap.add_argument("id", nargs="?", type=int)
    ap.add_argument("--note", help="why (kept in the audit log)")
    ap.add_argument("-a", "--all", action="store_true", help="include decided ones")
    ap.add_argument("-n", "--limit", type=int, default=50)
    ap.add_argument("--json", action="store_true")
    ap.set_defaults(func=cmd_approvals)

    d = sub.add_parser("doctor", parents=[common], help="check this machine and the daemon")
    d.set_defaults(func=cmd_doctor)

    from aios.cli_agents import add_parser as add_agents

    add_agents(sub, common, _with_client)

    sh = sub.add_parser(
        "shell",
        parents=[common],
        help="the natural-language shell (a REPL on a terminal; -c for one line)",
    )
    sh.add_argument("-c", dest="line", metavar="TEXT", help="run one line ('-': lines from stdin)")
    sh.add_argument("--yes", action="store_true", help="approve what asks first (non-interactive)")
    sh.add_argument(
        "--policy",
        dest="approval",
        choices=["always", "destructive", "never"],
        default="destructive",
        help="which plans ask first (dangerous patterns always ask)",
    )
    sh.add_argument("--keep-going", action="store_true", help="stdin lines: go on after a failure")
    sh.add_argument("--log", action="store_true", help="show the stored inputs, plans, outcomes")
    sh.add_argument(
        "--sessions", type=int, default=10, metavar="N", help="--log: the newest N sessions"
    )
    sh.set_defaults(func=cmd_shell)

    m = sub.add_parser("mcp", parents=[common], help="serve MCP on stdio (tools: the daemon's)")
    m.add_argument(
        "--admin",
        action="store_true",
        help="act as the admin (every file and tool, no approvals); default: a session "
        "process with the capabilities below (AIOS_TOKEN: that token's)",
    )
    m.add_argument("--fs-read", action="append", metavar="FOLDER", help="LSFS folder it may read")
    m.add_argument("--fs-write", action="append", metavar="FOLDER", help="... and write")
    m.add_argument("--tools", action="append", metavar="NAME", help="a tool or pattern it may use")
    m.add_argument(
        "--approve",
        action="append",
        default=None,
        metavar="RULE",
        help="calls that wait for a person (default: destructive; none: no rule)",
    )
    m.set_defaults(func=cmd_mcp)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AiosError as exc:
        print(f"aios: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aios ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
