"""Runs one unmodified Cerebrum agent inside the sandbox (the agent venv's Python).

Stdlib and ``requests`` only: it runs from its own file, with the agent's
virtualenv on the path and nothing of aios. It reads its payload (JSON) on stdin,
makes every ``requests`` call to the AIOS kernel URLs the Cerebrum SDK targets
(``http://localhost:8000`` and the configured ones) go over the daemon's Unix
socket with the process's token, loads ``agent.py`` from the agent's folder as the
AIOS agent manager does (the class named in ``config.json``'s ``build.module``, or
the folder's name in CamelCase), constructs it and calls ``run()``. What ``run()``
returns, or the error, is the one JSON line it writes on its real stdout; the
agent's own prints go to stderr.

The agent's files are not modified; the patch is installed before they are imported.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import socket
import sys
import traceback
from typing import Any

DEFAULT_BASE_URLS = ("http://localhost:8000", "http://127.0.0.1:8000")


def _route_requests(socket_path: str, token: str, base_urls: list[str]) -> None:
    """Mount an adapter on every new ``requests.Session`` for the kernel's URLs:
    its connections are AF_UNIX to the daemon, with the process's bearer token
    (replacing any the agent sets: it speaks as its own process, nothing else)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection
    from urllib3.connectionpool import HTTPConnectionPool

    class UnixConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            timeout = self.timeout if isinstance(self.timeout, (int, float)) else None
            sock.settimeout(timeout)
            try:
                sock.connect(socket_path)
            except OSError:
                sock.close()
                raise
            return sock

    class UnixPool(HTTPConnectionPool):
        ConnectionCls = UnixConnection

    class DaemonAdapter(HTTPAdapter):
        def __init__(self) -> None:
            super().__init__()
            self._pool = UnixPool("localhost", 8000, maxsize=4)

        def get_connection_with_tls_context(self, request: Any, *a: Any, **kw: Any) -> Any:
            return self._pool

        def get_connection(self, url: Any, proxies: Any = None) -> Any:  # requests < 2.32
            return self._pool

        def request_url(self, request: Any, proxies: Any) -> str:
            return str(request.path_url)  # never a proxy's absolute form

        def add_headers(self, request: Any, **kwargs: Any) -> None:
            request.headers["Authorization"] = f"Bearer {token}"

        def close(self) -> None:
            pass  # shared by every session (requests.post closes its own): kept open

    adapter = DaemonAdapter()  # one pool for all sessions: connections are reused
    prefixes = []
    for url in base_urls:
        u = url.rstrip("/")
        if u.startswith("http://"):
            prefixes.append(u + "/")
    original = requests.Session.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.trust_env = False  # no proxy variables, no ~/.netrc: the token is the auth
        for prefix in prefixes:
            self.mount(prefix, adapter)

    requests.Session.__init__ = init  # type: ignore[method-assign]


def _snake_to_camel(name: str) -> str:
    return "".join(part.title() for part in name.replace("-", "_").split("_"))


def _agent_class(module: Any, config: dict[str, Any], folder: str) -> type:
    """The class AIOS would run: ``build.module``, else the folder's (or config
    name's) CamelCase, else the one class defined in agent.py with a run()."""
    build = config.get("build")
    build = build if isinstance(build, dict) else {}
    names = [build.get("module")]
    names += [_snake_to_camel(os.path.basename(folder.rstrip("/")))]
    names += [_snake_to_camel(str(config.get("name", "")).split("/")[-1])]
    for name in names:
        obj = getattr(module, name, None) if isinstance(name, str) and name else None
        if inspect.isclass(obj):
            return obj
    mine = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and callable(getattr(obj, "run", None))
    ]
    if len(mine) == 1:
        return mine[0]
    raise LookupError(
        "agent.py has no agent class to run: name it in config.json's build.module "
        f"(tried {', '.join(n for n in names if isinstance(n, str) and n)})"
    )


def _positional(fn: Any, skip: int) -> tuple[int, bool]:
    """How many positional parameters ``fn`` takes (past ``skip``), and *args."""
    try:
        params = list(inspect.signature(fn).parameters.values())[skip:]
    except (TypeError, ValueError):
        return 0, True
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    n = sum(1 for p in params if p.kind in kinds)
    return n, any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)


def run_agent(folder: str, entry: str, task: str, config: dict[str, Any]) -> Any:
    """Load and run the agent the way AIOS does: ``Agent(agent_name, task_input,
    config)`` then ``run()``; newer Cerebrum agents (``Agent(agent_name)`` then
    ``run(task_input)``) too."""
    sys.path.insert(0, folder)  # its helper modules import as they do under AIOS
    spec = importlib.util.spec_from_file_location("agent", os.path.join(folder, entry))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {entry}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent"] = module
    spec.loader.exec_module(module)
    klass = _agent_class(module, config, folder)
    name = str(config.get("name") or os.path.basename(folder))
    n_init, var_init = _positional(klass, 0)
    if n_init >= 3 or var_init:
        agent = klass(name, task, config)
        n_run, var_run = _positional(agent.run, 0)
        return agent.run(task) if n_run >= 1 and not var_run else agent.run()
    agent = klass(name) if n_init >= 1 else klass()
    n_run, var_run = _positional(agent.run, 0)
    return agent.run(task) if n_run >= 1 or var_run else agent.run()


def _jsonable(value: Any) -> Any:
    """The result as JSON: pydantic models dumped, anything else by its text."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    return json.loads(json.dumps(value, default=str))


def main() -> int:
    # fd 1 is the report channel; the agent's (and the SDK's) prints go to stderr
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        payload = json.loads(sys.stdin.read() or "{}")
        urls = list(DEFAULT_BASE_URLS) + [str(u) for u in payload.get("base_urls") or []]
        _route_requests(str(payload["socket"]), str(payload["token"]), urls)
        result = run_agent(
            str(payload["folder"]),
            str(payload.get("entry") or "agent.py"),
            str(payload.get("task") or ""),
            dict(payload.get("config") or {}),
        )
        line = json.dumps({"ok": True, "result": _jsonable(result)})
    except BaseException as exc:  # every failure is reported, then exit 1
        traceback.print_exc()
        err = {"type": type(exc).__name__, "message": str(exc)[:2000]}
        report.write(json.dumps({"ok": False, "error": err}) + "\n")
        report.flush()
        return 1
    report.write(line + "\n")
    report.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
