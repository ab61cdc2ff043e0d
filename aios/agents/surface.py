"""The agent surface (``ctx``), written once over a transport.

A transport makes syscalls: ``syscall(name, args) -> dict`` and ``stream(name,
args)`` (events, the last ``{"type": "result"}``). It is either async (its methods
are coroutines / an async iterator) or sync (plain calls / an iterator), and the
surface follows it: over an async transport every method returns an awaitable,
over a sync one it blocks and returns the value. The same ``Surface`` serves the
in-process context (aios/agents/context.py) and the HTTP client
(aios/agents/client.py), so an agent sees the same names and the same JSON shapes
wherever it runs.

Imports nothing of the kernel: isolated agents import this in their sandbox.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

from aios.errors import AiosError, BadRequest

__all__ = ["AsyncTransport", "Result", "Surface", "SyncTransport"]

MAX_LOG_CHARS = 4000  # what proc.log accepts; longer messages are cut


class AsyncTransport(Protocol):
    async def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]: ...
    def stream(self, name: str, args: dict[str, Any]) -> AsyncIterator[dict[str, Any]]: ...


class SyncTransport(Protocol):
    def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]: ...
    def stream(self, name: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]: ...


class Result(dict[str, Any]):
    """A syscall's result: a JSON object whose keys also read as attributes
    (``res.pid``, ``res.entries[0].path``). Keys named like dict methods (``items``,
    ``values``...) read only as ``res["items"]``."""

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return _wrap(self[key])
        except KeyError:
            raise AttributeError(key) from None


def _wrap(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, Result):
        return Result(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _same(res: dict[str, Any]) -> Any:
    return Result(res)


def _messages(messages: str | list[dict[str, Any]], system: str | None) -> list[dict[str, Any]]:
    msgs = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
    if system is not None:
        msgs = [{"role": "system", "content": system}, *msgs]
    return msgs


def _given(**args: Any) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


class Surface:
    """``ctx``: every method is one syscall made as this process."""

    def __init__(self, transport: Any, pid: int | None = None, task: str = "") -> None:
        self._transport = transport
        self._async = inspect.iscoroutinefunction(transport.syscall)
        self._pid = pid
        self._task = task
        self.llm = _Llm(self)
        self.fs = _Fs(self)
        self.tools = _Tools(self)
        self.log = _Log(self)

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def task(self) -> str:
        return self._task

    # -- the one place that calls the transport ------------------------------------------

    def _call(
        self,
        name: str,
        args: dict[str, Any],
        then: Callable[[dict[str, Any]], Any] = _same,
        catch: Callable[[AiosError], Any] | None = None,
    ) -> Any:
        """``then(result)``; an AiosError goes to ``catch`` if given. Awaitable over an
        async transport, the value itself over a sync one."""
        t = self._transport
        if self._async:

            async def later() -> Any:
                try:
                    res = await t.syscall(name, args)
                except AiosError as exc:
                    if catch is None:
                        raise
                    return catch(exc)
                return then(res)

            return later()
        try:
            res = t.syscall(name, args)
        except AiosError as exc:
            if catch is None:
                raise
            return catch(exc)
        return then(res)

    def _stream(
        self, name: str, args: dict[str, Any], pick: Callable[[dict[str, Any]], Any]
    ) -> Any:
        """The events of a streamed syscall, each through ``pick`` (None: skipped)."""
        events = self._transport.stream(name, args)
        if self._async:

            async def agen() -> AsyncIterator[Any]:
                try:
                    async for event in events:
                        if (v := pick(event)) is not None:
                            yield v
                finally:
                    close = getattr(events, "aclose", None)
                    if close is not None:
                        await close()

            return agen()

        def gen() -> Iterator[Any]:
            try:
                for event in events:
                    if (v := pick(event)) is not None:
                        yield v
            finally:
                close = getattr(events, "close", None)
                if close is not None:
                    close()

        return gen()

    # -- the surface ---------------------------------------------------------------------

    def syscall(self, name: str, /, **args: Any) -> Any:
        """Any syscall by name; its result as a JSON object (a ``Result``)."""
        return self._call(name, args)

    def compile(self, query: str, **params: Any) -> Any:
        """Answer ``query`` with a parallel plan of tool calls (the compile syscall)."""
        return self._call("compile", {"query": query, **params})

    def spawn(
        self,
        agent: str,
        task: str = "",
        *,
        capabilities: Any = None,
        priority: int | None = None,
        name: str | None = None,
        **kw: Any,
    ) -> Any:
        """A child process (never with more than this one may do); its info."""
        args = _given(capabilities=capabilities, priority=priority, name=name, **kw)
        return self._call("proc.spawn", {"agent": agent, "task": task, **args})

    def wait(self, pid: int, timeout: float | None = None) -> Any:
        """Wait for a process to end (or the timeout); its info."""
        return self._call("proc.wait", {"pid": pid, "timeout": timeout}, _process)

    def approve(self, summary: str, *, details: Any = None, **kw: Any) -> Any:
        """Ask a person (approval.request): True if approved, False if denied or
        timed out. The process waits meanwhile, holding no LLM core."""
        args = {"summary": summary, **_given(details=details, **kw)}
        return self._call("approval.request", args, _approved, _denied)

    # the names ProcessContext had before the surface (kept: agents use them)
    def chat(
        self, messages: str | list[dict[str, Any]], *, system: str | None = None, **params: Any
    ) -> Any:
        return self.llm.chat(messages, system=system, **params)

    def tool(self, name: str, /, **args: Any) -> Any:
        return self.tools.call(name, **args)


def _process(res: dict[str, Any]) -> Any:
    return Result(res["process"])


def _approved(res: dict[str, Any]) -> bool:
    return res.get("state") == "approved"


def _denied(exc: AiosError) -> bool:
    if exc.code == "approval_denied":
        return False
    raise exc


def _text(res: dict[str, Any]) -> str:
    return str(res["text"])


def _token(event: dict[str, Any]) -> str | None:
    return str(event["text"]) if event.get("type") == "token" else None


class _Part:
    def __init__(self, ctx: Surface) -> None:
        self._ctx = ctx


class _Llm(_Part):
    def chat(
        self, messages: str | list[dict[str, Any]], *, system: str | None = None, **params: Any
    ) -> Any:
        """Ask the LLM; its text. ``params`` are llm.chat's (max_tokens, temperature...)."""
        args = {**params, "messages": _messages(messages, system)}
        return self._ctx._call("llm.chat", args, _text)

    def stream(
        self, messages: str | list[dict[str, Any]], *, system: str | None = None, **params: Any
    ) -> Any:
        """The answer as it is generated: an (async) iterator of text pieces."""
        args = {**params, "messages": _messages(messages, system), "stream": True}
        return self._ctx._stream("llm.chat", args, _token)

    def models(self) -> Any:
        return self._ctx._call("llm.models", {})


class _Fs(_Part):
    def call(self, verb: str, /, **args: Any) -> Any:
        """Any ``fs.<verb>`` syscall."""
        return self._ctx._call(f"fs.{verb}", args)

    def read(self, path: str, *, version: int | None = None) -> Any:
        """A text file's content."""
        return self._ctx._call("fs.read", {"path": path, **_given(version=version)}, _file_text)

    def write(self, path: str, content: str) -> Any:
        return self.call("write", path=path, content=content)

    def ls(self, path: str = "", *, recursive: bool = False) -> Any:
        return self.call("ls", path=path, recursive=recursive)

    def mkdir(self, path: str) -> Any:
        return self.call("mkdir", path=path)

    def mv(self, src: str, dst: str) -> Any:
        return self.call("mv", src=src, dst=dst)

    def retrieve(self, query: str, **params: Any) -> Any:
        return self.call("retrieve", query=query, **params)

    def group_by(self, **params: Any) -> Any:
        return self.call("group_by", **params)

    def history(self, path: str) -> Any:
        return self.call("history", path=path)

    def rollback(self, path: str, n: int | None = None, *, at: float | None = None) -> Any:
        """Restore the version ``n`` back (or current at the time ``at``)."""
        return self.call("rollback", path=path, **_given(n=n, at=at))


def _file_text(res: dict[str, Any]) -> str:
    if res.get("text") is None:
        raise BadRequest("the file is not UTF-8 text: read it with fs.call('read', path=...)")
    return str(res["text"])


class _Tools(_Part):
    def call(self, name: str, /, **args: Any) -> Any:
        """Call a tool (a tool.call syscall); what the tool returned."""
        return self._ctx._call("tool.call", {"name": name, "args": args}, _tool_result)

    def list(self) -> Any:
        return self._ctx._call("tool.list", {}, _tools)


def _tool_result(res: dict[str, Any]) -> Any:
    return _wrap(res["result"])


def _tools(res: dict[str, Any]) -> Any:
    return _wrap(res["tools"])


class _Log(_Part):
    """``ctx.log.info("...")``: a ``logging`` line here, and a ``proc.log`` syscall (an
    event for the process's watchers, and an audit row). Over an async transport the
    syscall is started at once and its task returned: await it to be sure it was
    recorded (a log made just before the agent returns may otherwise be lost)."""

    def __init__(self, ctx: Surface) -> None:
        super().__init__(ctx)
        self._logger = logging.getLogger("aios.agent" + (f".{ctx.pid}" if ctx.pid else ""))
        self._pending: set[asyncio.Task[Any]] = set()

    def _emit(self, level: str, msg: str, args: tuple[Any, ...]) -> Any:
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(str(a) for a in (msg, *args))
        text = text[:MAX_LOG_CHARS]
        self._logger.log(logging.getLevelName(level.upper()), "%s", text)
        res = self._ctx._call("proc.log", {"level": level, "message": text}, _none, _unlogged)
        if inspect.iscoroutine(res):
            task = asyncio.ensure_future(res)
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return task
        return None

    async def flush(self) -> None:
        """Wait for the log calls still in flight (async transports)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def debug(self, msg: str, *args: Any) -> Any:
        return self._emit("debug", msg, args)

    def info(self, msg: str, *args: Any) -> Any:
        return self._emit("info", msg, args)

    def warning(self, msg: str, *args: Any) -> Any:
        return self._emit("warning", msg, args)

    def error(self, msg: str, *args: Any) -> Any:
        return self._emit("error", msg, args)


def _none(res: dict[str, Any]) -> None:
    return None


def _unlogged(exc: AiosError) -> None:
    # a log line that could not be recorded must not fail the agent
    logging.getLogger(__name__).debug("proc.log refused: %s", exc.message)
