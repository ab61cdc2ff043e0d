"""Plans in the shell: what each step of a compiled plan does, when to ask first,
the preview, the editable text and the undo line.

A plan comes from ``compile`` with ``dry_run=true`` (tasks ``{"id", "tool", "args",
"deps", "text"}``, references ``{"$ref": N, "path": [...]}``) and from the model, so
it is untrusted: bad input raises ``BadRequest``, and nothing it holds reaches the
terminal unescaped. The shell is a client of the daemon: this module never imports
``aios.kernel``; the edited plan is read by the small parser here (the plan language
``N. tool(arg=value, ...)`` ending in ``join()``, values JSON or ``$N`` references),
not by the kernel's.
"""

from __future__ import annotations

import itertools
import json
import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeGuard

from aios.errors import BadRequest
from aios.shell.plan_commands import command_danger
from aios.shell.plan_syntax import MAX_DEPTH, NAME, PlanLine, parse_lines, safe_text

__all__ = [
    "DESTRUCTIVE",
    "POLICIES",
    "Policy",
    "Step",
    "classify",
    "classify_plan",
    "dangers",
    "edit_text",
    "is_destructive",
    "needs_approval",
    "parse_edited",
    "render",
    "safe_text",
    "undo_hint",
]

Policy = Literal["always", "destructive", "never"]
POLICIES: tuple[str, ...] = ("always", "destructive", "never")
EFFECTS = ("write", "delete", "move", "rollback", "command", "network", "unknown")
DESTRUCTIVE = frozenset({"delete", "move", "rollback", "command", "unknown"})
_LABEL = MappingProxyType(
    {"write": "writes", "delete": "deletes", "move": "moves", "rollback": "rolls back",
     "command": "runs commands", "network": "uses the network", "unknown": "unknown tool"}
)  # fmt: skip
_RO: frozenset[str] = frozenset()
_KNOWN = MappingProxyType(
    {
        **dict.fromkeys(
            ("fs_read fs_search fs_ls fs.read fs.ls fs.stat fs.history fs.diff fs.retrieve "
             "fs.summarize proc.list proc.get agent.list agent.info approval.list tool.list "
             "llm.chat compile calculator current_time").split(), _RO),
        **dict.fromkeys("fs_write fs.write fs.create fs.append fs.mkdir".split(),
                        frozenset({"write"})),
        **dict.fromkeys("fs_delete fs.delete proc.kill".split(), frozenset({"delete"})),
        **dict.fromkeys("fs_mv fs.mv".split(), frozenset({"move"})),
        **dict.fromkeys("fs_rollback fs.rollback".split(), frozenset({"rollback"})),
        **dict.fromkeys("shell proc.spawn".split(), frozenset({"command"})),
        "http_get": frozenset({"network"}),
    }
)  # fmt: skip
_FILE_TOOLS = frozenset("fs_write fs.write fs.create fs.append fs_rollback fs.rollback".split())
_PATH_KEYS = ("path", "paths", "src", "source", "from", "file", "files", "folder", "dir")
_MAX_STEPS, _CUT, _OFF = 64, 60, (False, None, 0, "", "false", "no")


@dataclass(frozen=True)
class Step:
    """One classified step; ``args`` as the daemon sent them (references as dicts)."""

    id: int
    tool: str
    args: dict[str, Any] = field(hash=False)
    deps: tuple[int, ...] = ()
    effects: frozenset[str] = frozenset()


def _is_int(v: Any) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _ref(v: Any) -> tuple[int, list[str | int]] | None:
    """A reference's task and path; None for a plain value; BadRequest if malformed."""
    if not isinstance(v, dict) or "$ref" not in v:
        return None
    path = v.get("path", [])
    if set(v) - {"$ref", "path"} or not _is_int(v["$ref"]) or not isinstance(path, list):
        raise BadRequest(f"malformed reference {safe_text(str(v)[:80])}")
    if not all(_is_int(p) or (isinstance(p, str) and p and p[0] != "_") for p in path):
        raise BadRequest(f"malformed reference path {safe_text(str(path)[:80])}")
    return v["$ref"], path


def _refs(v: Any, depth: int = 0) -> set[int]:
    """The tasks ``v`` refers to; checks it is JSON-like and not nested too deeply."""
    if depth > MAX_DEPTH:
        raise BadRequest("a step's arguments are nested too deeply")
    if (r := _ref(v)) is not None:
        return {r[0]}
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v):
            raise BadRequest("argument names must be strings")
        return {t for x in v.values() for t in _refs(x, depth + 1)}
    if isinstance(v, list):
        return {t for x in v for t in _refs(x, depth + 1)}
    if v is None or isinstance(v, (str, bool, int)) or (isinstance(v, float) and math.isfinite(v)):
        return set()
    raise BadRequest(f"a step's argument is not JSON: {type(v).__name__}")


def _hint_effects(entry: Any) -> set[str]:
    """Effects from a ``tool.list`` entry's risk hints; none readable: may do anything."""
    risk = entry.get("risk") if isinstance(entry, dict) else None
    if isinstance(risk, list):  # the Risk.hints() form
        risk = {h: True for h in risk if isinstance(h, str) and h != "not_read_only"}
        risk.setdefault("read_only", False)
    keys = ("read_only", "destructive", "open_world", "host")
    if (
        not isinstance(risk, dict)
        or not set(risk) & set(keys)
        or not all(isinstance(risk.get(k, False), bool) for k in keys)
    ):
        return {"command", "network"}  # no hints: may do anything (MCP's default)
    ro, de, ow, host = (risk.get(k, False) for k in keys)
    out = set()
    if de or not ro:
        out.add("command" if host else "delete" if de else "write")
    if ow:
        out.add("network")
    return out


def classify(task: dict[str, Any], tools: Mapping[str, Any]) -> Step:
    """One task of a compile dry run as a Step; effects from the tool's risk hints and
    the tools known here; a tool neither lists nor knows: effect ``unknown``."""
    if not isinstance(task, dict):
        raise BadRequest("a plan step must be an object")
    sid, tool, args, deps = (task.get(k) for k in ("id", "tool", "args", "deps"))
    if not _is_int(sid) or not 1 <= sid <= 10**6:
        raise BadRequest(f"a plan step has a bad id: {safe_text(repr(sid)[:40])}")
    if not isinstance(tool, str) or not 0 < len(tool) <= 200:
        raise BadRequest(f"step {sid}: the tool must be a name")
    args = {} if args is None else args
    if not isinstance(args, dict):
        raise BadRequest(f"step {sid}: arguments must be an object")
    if deps is not None and (not isinstance(deps, list) or not all(map(_is_int, deps))):
        raise BadRequest(f"step {sid}: deps must be a list of step numbers")
    all_deps: set[int] = set(deps or ()) | _refs(args)
    if bad := [d for d in all_deps if not 1 <= d < sid]:
        raise BadRequest(f"step {sid} reads step {min(bad)}, which does not come before it")
    entry = tools.get(tool) if isinstance(tools, Mapping) else None
    if entry is None and tool not in _KNOWN:
        effects = frozenset({"unknown"})
    else:
        effects = _KNOWN.get(tool, _RO) | (_hint_effects(entry) if entry is not None else set())
    return Step(sid, tool, args, tuple(sorted(all_deps)), frozenset(effects))


def classify_plan(tasks: Any, tools: Mapping[str, Any]) -> list[Step]:
    """All tasks of a dry run (``result.tasks``); ids must be unique and increasing."""
    if not isinstance(tasks, list) or len(tasks) > _MAX_STEPS:
        raise BadRequest(f"a plan must be a list of at most {_MAX_STEPS} steps")
    steps = [classify(t, tools) for t in tasks]
    if any(a.id >= b.id for a, b in itertools.pairwise(steps)):
        raise BadRequest("plan steps must be numbered in increasing order")
    return steps


def is_destructive(step: Step) -> bool:
    """Changes something that LSFS versions cannot bring back (writes are versioned;
    a write that also goes to the open world is not)."""
    return bool(step.effects & DESTRUCTIVE) or {"write", "network"} <= step.effects


def _paths(args: dict[str, Any]) -> list[str | None]:
    """The paths a step names (None: a reference, known only when it runs)."""
    out: list[str | None] = []
    for key in _PATH_KEYS:
        vals = args.get(key)
        for v in vals if isinstance(vals, list) else [] if vals is None else [vals]:
            out.append(v if isinstance(v, str) else None)
    return out


def _folderish(p: str) -> bool:
    t = p.strip()
    if t in ("", ".", "..", "/", "~", "~/") or t.endswith(("/", "/.", "/..", "\\")):
        return True
    last = t.rsplit("/", 1)[-1]
    return any(c in t for c in "*?[") or "." not in last[1:]  # no extension: a folder?


def _recursive(v: Any, depth: int = 0) -> bool:
    if isinstance(v, dict) and depth < MAX_DEPTH:
        for k, x in v.items():
            if k.lower() in ("recursive", "r", "recurse") and x not in _OFF:
                return True
            if _recursive(x, depth + 1):
                return True
    return isinstance(v, list) and depth < MAX_DEPTH and any(_recursive(x, depth + 1) for x in v)


def dangers(steps: Sequence[Step]) -> list[str]:
    """The dangerous patterns in a plan: these always ask, whatever the policy."""
    out: list[str] = []
    rolled: set[str] = set()
    unnamed = 0
    for s in steps:
        tool = safe_text(s.tool[:60])
        if "unknown" in s.effects:
            out.append(f"step {s.id} calls {tool!r}, a tool the shell does not know")
        if s.effects - {"network"} and _recursive(s.args):
            out.append(f"step {s.id} ({tool}) is recursive")
        for eff, verb in (("delete", "deletes"), ("move", "moves")):
            if eff not in s.effects:
                continue
            paths = _paths(s.args)
            if not paths:
                out.append(f"step {s.id} {verb} something it does not name")
            for p in paths:
                if p is None:
                    out.append(f"step {s.id} {verb} a path known only when it runs")
                elif _folderish(p):
                    out.append(f"step {s.id} {verb} a folder ({safe_text(p[:_CUT])!r})")
        if "rollback" in s.effects:
            paths = _paths(s.args) or [None]
            unnamed += sum(p is None for p in paths)
            rolled |= {p for p in paths if p is not None}
            if any(p is not None and _folderish(p) for p in paths):
                out.append(f"step {s.id} rolls back a folder")
        if "command" in s.effects and (why := command_danger(s.args)):
            out.append(f"step {s.id} runs a command that {safe_text(why[:120])}")
    if len(rolled) + unnamed > 3:
        out.append(f"the plan rolls back {len(rolled) + unnamed} files (more than 3)")
    return out


def needs_approval(steps: Sequence[Step], policy: str = "destructive") -> list[str]:
    """Why the plan must be confirmed first; empty: run it at once."""
    if policy not in POLICIES:
        raise BadRequest(
            f"unknown approval policy {safe_text(str(policy)[:40])!r}", allowed=POLICIES
        )
    reasons = dangers(steps)
    if policy == "always" and steps:
        reasons.append("the policy asks before every plan")
    elif policy == "destructive":
        for s in steps:
            if is_destructive(s):
                what = ", ".join(_LABEL[e] for e in EFFECTS if e in s.effects)
                reasons.append(f"step {s.id} ({safe_text(s.tool[:60])}) {what}")
    return list(dict.fromkeys(reasons))


def _value(v: Any, depth: int = 0) -> str:
    """``v`` in the plan language, every string JSON-escaped and made harmless."""
    if depth > MAX_DEPTH:
        return "…"
    if (r := _ref(v)) is not None:
        return f"${r[0]}" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" if NAME.fullmatch(p) else f"[{_value(p)}]"
            for p in r[1]
        )
    if isinstance(v, list):
        return "[" + ", ".join(_value(x, depth + 1) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_value(k)}: {_value(x, depth + 1)}" for k, x in v.items()) + "}"
    try:
        return safe_text(json.dumps(v, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        return safe_text(json.dumps(str(v)))


def _key(k: str) -> str:
    return k if NAME.fullmatch(k) else _value(k)


def _call(s: Step, cut: int | None) -> str:
    parts = []
    for k, v in s.args.items():
        text = _value(v)
        if cut and len(text) > cut:
            text = text[: cut - 2] + '…"' if text.startswith('"') else text[: cut - 1] + "…"
        parts.append(f"{_key(k)}={text}")
    return f"{s.id}. {safe_text(s.tool)}({', '.join(parts)})"


def _tags(s: Step) -> str:
    return ", ".join(_LABEL[e] for e in EFFECTS if e in s.effects)


def render(steps: Sequence[Step]) -> list[str]:
    """The numbered preview: one line per step, long values cut, effects in brackets."""
    return [_call(s, _CUT) + (f" [{t}]" if (t := _tags(s)) else "") for s in steps]


_HEADER = (
    "# One call per line: N. tool(arg=value, ...); values are JSON or references $N, $N.field.\n"
    "# Lines starting with # are ignored; delete every step to cancel.\n"
)


def edit_text(steps: Sequence[Step]) -> str:
    """The whole plan (nothing cut) as editable text, ending in ``join()``."""
    lines = [_call(s, None) + (f"  # {t}" if (t := _tags(s)) else "") for s in steps]
    return _HEADER + "\n".join([*lines, "join()"]) + "\n"


def _renumber(v: Any, ids: dict[int, int], line: PlanLine) -> Any:
    if isinstance(v, dict) and "$ref" in v and set(v) == {"$ref", "path"}:
        if v["$ref"] not in ids:
            raise line.fail(f"${v['$ref']} names no step on an earlier line")
        return {"$ref": ids[v["$ref"]], "path": v["path"]}
    if isinstance(v, dict):
        return {k: _renumber(x, ids, line) for k, x in v.items()}
    return [_renumber(x, ids, line) for x in v] if isinstance(v, list) else v


def _check_args(tool: str, args: dict[str, Any], entry: Any, line: PlanLine) -> None:
    schema = entry.get("parameters") if isinstance(entry, dict) else None
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(schema, dict) or not isinstance(props, dict) or not props:
        return
    if extra := [k for k in args if k not in props]:
        have = ", ".join(sorted(props))[:200]
        raise line.fail(f"{tool} has no argument {safe_text(extra[0][:40])!r} (it has: {have})")
    required = schema.get("required")
    required = required if isinstance(required, list) else []
    if missing := [r for r in required if isinstance(r, str) and r not in args]:
        raise line.fail(f"{tool} needs argument {safe_text(missing[0][:40])!r}")


def parse_edited(text: str, tools: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An edited plan (aios/shell/plan_syntax.py) back as tasks in the shape compile's
    dry run gives, renumbered 1..n with references following; tools must be listed
    (or known syscalls) and take the arguments given. ``[]``: every step was deleted."""
    tools = tools if isinstance(tools, Mapping) else {}
    tasks: list[dict[str, Any]] = []
    ids: dict[int, int] = {}
    for line, sid, tool, args in parse_lines(text):
        if ids and sid <= max(ids):
            raise line.fail(f"step {sid} must be numbered above step {max(ids)}")
        if tool not in tools and tool not in _KNOWN:
            raise line.fail(f"unknown tool {tool!r}")
        if len(tasks) >= _MAX_STEPS:
            raise line.fail(f"a plan has at most {_MAX_STEPS} steps")
        _check_args(tool, args, tools.get(tool), line)
        args = _renumber(args, ids, line)
        ids[sid] = len(tasks) + 1
        step = Step(ids[sid], tool, args, tuple(sorted(_refs(args))))
        tasks.append({"id": step.id, "tool": tool, "args": args, "deps": list(step.deps),
                      "text": _call(step, None)})  # fmt: skip
    return tasks


def _result_of(results: Any, i: int, step: Step) -> Any:
    if isinstance(results, Mapping):
        return results.get(step.id, results.get(str(step.id)))
    if isinstance(results, Sequence) and not isinstance(results, str) and i < len(results):
        return results[i]
    return None


def undo_hint(steps: Sequence[Step], results: Any) -> str | None:
    """The one line that undoes the files a run wrote (``rollback PATH N``, N versions
    back), from the versions in the results (``{"path", "version"}``; by step id or in
    step order) or, without them, the number of writes; None if there is none."""
    seen: dict[str, list[int | None]] = {}
    for i, s in enumerate(steps):
        res = _result_of(results, i, s)
        if not {"write", "rollback"} & s.effects or res is None or isinstance(res, BaseException):
            continue
        res = res if isinstance(res, dict) else {}
        version = res.get("version") if _is_int(res.get("version")) else None
        if "error" in res or (version is None and s.tool not in _FILE_TOOLS):
            continue
        path = res.get("path") if isinstance(res.get("path"), str) else s.args.get("path")
        if isinstance(path, str) and path:
            seen.setdefault(path, []).append(version)
    cmds, new = [], []
    for path, versions in seen.items():
        known = [v for v in versions if v is not None]
        first = min(known) if known else None
        n = max(known) - first + 1 if first is not None else len(versions)
        if first == 1:  # the run created it: no version before to go back to
            new.append(safe_text(path))
            continue
        cmds.append(f"rollback {safe_text(shlex.quote(path))} {n}")
    if not cmds:
        return None
    return "; ".join(cmds) + (f" (new, nothing before them: {', '.join(new)})" if new else "")
