"""The program an isolated agent runs as, inside the sandbox.

``python3 aios/agents/runner.py`` (or ``-m aios.agents.runner``): reads its
payload (JSON) on stdin: ``task``, ``entry`` ("module:attr"), ``folder`` (the
plugin's, put on sys.path), ``token`` and ``socket`` (the daemon's API socket),
``pid``; imports the entry, gives it a client context (aios/agents/client.py) and
runs it. Its one report is a line of JSON on the stdout it was started with,
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "Type: message"}``; the
agent's own prints go to stderr (fd 1 is the report's alone, so nothing the agent
prints can pass for a report). An agent killed by a signal is reported by the
runner's first process, the namespace's PID 1, as ``{"ok": false, "signal": N}``.

Imports no kernel (the sandbox gives it 512 MB).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import sys
import traceback
from typing import Any

__all__ = ["main"]

MAX_PAYLOAD = 8 * 1024 * 1024
MAX_ERROR_CHARS = 2000


def _load(entry: str) -> Any:
    module, _, attr = entry.partition(":")
    if not module or not attr:
        raise ValueError(f"the entry {entry!r} is not module:attr")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _runner(obj: Any) -> Any:
    """A callable ``(ctx, task)``, as the daemon adapts agents: an SDK ``Agent``
    (class or instance) runs ``run(task, ctx)``; another class or object with a
    ``run`` method ``run(ctx, task)``; a function ``fn(ctx, task)``."""
    from aios.agents.sdk import Agent

    if inspect.isclass(obj):
        inst: Any = obj()
        sdk = isinstance(inst, Agent)
        return (lambda ctx, task: inst.run(task, ctx)) if sdk else inst.run, inst.run
    if isinstance(obj, Agent):
        return (lambda ctx, task: obj.run(task, ctx)), obj.run
    if hasattr(obj, "run") and not inspect.isfunction(obj):
        return obj.run, obj.run
    if callable(obj):
        return obj, obj
    raise TypeError(f"{type(obj).__name__} is not an agent (an Agent subclass or a function)")


def _is_async(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004
    )


def run(payload: dict[str, Any]) -> Any:
    from aios.agents.client import AsyncContext, Context

    folder = payload.get("folder")
    if folder:
        sys.path.insert(0, str(folder))
    task = str(payload.get("task") or "")
    call, fn = _runner(_load(str(payload["entry"])))
    where: dict[str, Any] = {
        "socket": str(payload["socket"]),
        "token": str(payload["token"]),
        "pid": payload.get("pid"),
        "task": task,
    }
    if _is_async(fn):

        async def go() -> Any:
            async with AsyncContext(**where) as ctx:
                return await call(ctx, task)

        return asyncio.run(go())
    with Context(**where) as ctx:
        result = call(ctx, task)
        if inspect.isawaitable(result):
            raise TypeError("a plain run() returned an awaitable: make run async")
        return result


def _error(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, str) and hasattr(exc, "message"):  # an AiosError, as in process
        return f"{code}: {exc.message}"[:MAX_ERROR_CHARS]
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)[:100_000]  # as the daemon keeps a result JSON cannot carry
    return value


def _init(child: int, report: Any) -> int:
    """PID 1 of the sandbox's namespace: waits for the agent's process (reaping any
    orphan), and reports the signal that killed it. The agent cannot run as PID 1
    itself: the kernel spares PID 1 the signals it sends itself (``os.kill(os.getpid(),
    9)`` would do nothing)."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 1
        if pid == child:
            break
    if os.WIFSIGNALED(status):
        report.write(json.dumps({"ok": False, "signal": os.WTERMSIG(status)}) + "\n")
        report.flush()
        return 1
    return os.waitstatus_to_exitcode(status)


def main() -> int:
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the agent's prints (and any library's) go to stderr
    sys.stdout = sys.stderr
    if os.getpid() == 1 and (child := os.fork()):
        return _init(child, report)
    try:
        payload = json.loads(sys.stdin.buffer.read(MAX_PAYLOAD) or b"{}")
        line = json.dumps({"ok": True, "result": _jsonable(run(payload))})
        status = 0
    except BaseException as exc:  # every failure is reported, then exit 1
        traceback.print_exc()
        line = json.dumps({"ok": False, "error": _error(exc)})
        status = 1
    report.write(line + "\n")
    report.flush()
    return status


def _bootstrap() -> None:
    """Run as a script: make the package this file is in importable as ``aios``. In
    the sandbox only the package's own folder is mounted (and readable), not the
    folder holding it, which the import system would have to list."""
    try:
        import aios  # noqa: F401  (installed beside the daemon's packages)
    except ImportError:
        import importlib.util

        pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        spec = importlib.util.spec_from_file_location(
            "aios", os.path.join(pkg, "__init__.py"), submodule_search_locations=[pkg]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["aios"] = module
        spec.loader.exec_module(module)


if __name__ == "__main__":
    _bootstrap()
    sys.exit(main())
