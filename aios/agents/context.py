"""What an agent process sees of the kernel: its context.

Every method is a syscall made as this process, so permissions, scheduling and
accounting apply. ``ProcessContext`` is the in-process transport; an HTTP
transport with the same surface comes with the SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel

from aios.kernel.caps import Caller

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import Process, ProcessInfo

__all__ = ["ProcessContext", "SyncProcessContext"]

T = TypeVar("T")


def _messages(messages: str | list[dict[str, Any]], system: str | None) -> list[dict[str, Any]]:
    msgs = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
    if system is not None:
        msgs = [{"role": "system", "content": system}, *msgs]
    return msgs


class ProcessContext:
    def __init__(self, kernel: Kernel, proc: Process) -> None:
        self._kernel = kernel
        self._proc = proc
        self.caller = Caller(pid=proc.pid, caps=proc.capabilities, owner=proc.owner)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def task(self) -> str:
        return self._proc.task

    async def syscall(self, syscall: str, /, **args: Any) -> BaseModel:
        return await self._kernel.syscall(self.caller, syscall, args)

    async def tool(self, name: str, /, **args: Any) -> Any:
        """Call a tool (a tool.call syscall); returns what the tool returned."""
        res = await self.syscall("tool.call", name=name, args=args)
        return res.result  # type: ignore[attr-defined]

    async def compile(self, query: str, **params: Any) -> BaseModel:
        """Answer ``query`` with a parallel plan of tool calls (the compile syscall)."""
        return await self.syscall("compile", query=query, **params)

    async def chat(
        self, messages: str | list[dict[str, Any]], *, system: str | None = None, **params: Any
    ) -> str:
        """Ask the LLM; returns the text. ``params`` are llm.chat's (max_tokens, ...)."""
        res = await self.syscall("llm.chat", messages=_messages(messages, system), **params)
        return res.text  # type: ignore[attr-defined,no-any-return]

    async def chat_stream(
        self, messages: str | list[dict[str, Any]], *, system: str | None = None, **params: Any
    ) -> AsyncIterator[str]:
        args = {"messages": _messages(messages, system), **params, "stream": True}
        async for event in self._kernel.syscall_stream(self.caller, "llm.chat", args):
            if event["type"] == "token":
                yield event["text"]

    async def spawn(self, agent: str, task: str = "", **kw: Any) -> ProcessInfo:
        return await self.syscall("proc.spawn", agent=agent, task=task, **kw)  # type: ignore[return-value]

    async def wait(self, pid: int, timeout: float | None = None) -> ProcessInfo:
        res = await self.syscall("proc.wait", pid=pid, timeout=timeout)
        return res.process  # type: ignore[attr-defined,no-any-return]

    @asynccontextmanager
    async def waiting(self, what: str = "io") -> AsyncIterator[None]:
        """Mark this process WAITING (on a tool, a file, a person) while inside."""
        async with self._kernel.io_wait(self._proc, what):
            yield


class SyncProcessContext:
    """The same surface for agents written as plain functions (run in a thread)."""

    def __init__(
        self,
        ctx: ProcessContext,
        loop: asyncio.AbstractEventLoop,
        blocked: Callable[[Coroutine[Any, Any, Any]], Coroutine[Any, Any, Any]] | None = None,
    ) -> None:
        self._ctx = ctx
        self._loop = loop
        self._blocked = blocked  # gives the agent's thread slot back while it waits
        self.pid = ctx.pid
        self.task = ctx.task

    def _run(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        coro = factory() if self._blocked is None else self._blocked(factory())
        return cast(T, asyncio.run_coroutine_threadsafe(coro, self._loop).result())

    def syscall(self, syscall: str, /, **args: Any) -> BaseModel:
        return self._run(lambda: self._ctx.syscall(syscall, **args))

    def tool(self, name: str, /, **args: Any) -> Any:
        return self._run(lambda: self._ctx.tool(name, **args))

    def chat(self, messages: str | list[dict[str, Any]], **params: Any) -> str:
        return self._run(lambda: self._ctx.chat(messages, **params))

    def spawn(self, agent: str, task: str = "", **kw: Any) -> ProcessInfo:
        return self._run(lambda: self._ctx.spawn(agent, task, **kw))

    def wait(self, pid: int, timeout: float | None = None) -> ProcessInfo:
        return self._run(lambda: self._ctx.wait(pid, timeout))
