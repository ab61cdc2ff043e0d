"""What an agent process sees of the kernel inside the daemon: its context.

Every method is a syscall made as this process, so permissions, scheduling and
accounting apply. The methods are the agent surface (aios/agents/surface.py) over
an in-process transport: ``ProcessContext`` for ``async`` agents (awaitables), and
``SyncProcessContext`` for plain functions run in a worker thread (blocking; each
call gives the thread's slot back while it waits). The HTTP client
(aios/agents/client.py) offers the same surface to agents in other OS processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aios.agents.surface import Surface
from aios.kernel.caps import Caller

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import Process

__all__ = ["ProcessContext", "SyncProcessContext"]

T = TypeVar("T")
Blocked = Callable[[Coroutine[Any, Any, Any]], Coroutine[Any, Any, Any]]


class _KernelTransport:
    """Syscalls straight into the kernel, as the process; results as JSON objects,
    the shape the HTTP API returns."""

    def __init__(self, kernel: Kernel, caller: Caller) -> None:
        self._kernel = kernel
        self._caller = caller

    async def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        res = await self._kernel.syscall(self._caller, name, args)
        return res.model_dump(mode="json")

    async def stream(self, name: str, args: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        events = self._kernel.syscall_stream(self._caller, name, args)
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()


class ProcessContext(Surface):
    def __init__(self, kernel: Kernel, proc: Process) -> None:
        self._kernel = kernel
        self._proc = proc
        self.caller = Caller(pid=proc.pid, caps=proc.capabilities, owner=proc.owner)
        super().__init__(_KernelTransport(kernel, self.caller), proc.pid, proc.task)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def kernel(self) -> Kernel:
        """The daemon's kernel (for code that runs this process's program, such as
        aios/agents/isolated.py; agents use the surface)."""
        return self._kernel

    @property
    def process(self) -> Process:
        return self._proc

    def chat_stream(
        self, messages: str | list[dict[str, Any]], *, system: str | None = None, **params: Any
    ) -> AsyncIterator[str]:
        return cast(AsyncIterator[str], self.llm.stream(messages, system=system, **params))

    @asynccontextmanager
    async def waiting(self, what: str = "io") -> AsyncIterator[None]:
        """Mark this process WAITING (on a tool, a file, a person) while inside."""
        async with self._kernel.io_wait(self._proc, what):
            yield


class _LoopBridge:
    """A sync transport for an agent's thread: each call runs on the kernel's loop,
    with the thread's slot given back (``blocked``) while it waits."""

    def __init__(
        self, inner: _KernelTransport, loop: asyncio.AbstractEventLoop, blocked: Blocked | None
    ) -> None:
        self._inner = inner
        self._loop = loop
        self._blocked = blocked

    def _run(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        coro = factory() if self._blocked is None else self._blocked(factory())
        return cast(T, asyncio.run_coroutine_threadsafe(coro, self._loop).result())

    def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return self._run(lambda: self._inner.syscall(name, args))

    def stream(self, name: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
        events = self._inner.stream(name, args)

        async def step() -> tuple[bool, dict[str, Any] | None]:
            try:
                return True, await events.__anext__()
            except StopAsyncIteration:
                return False, None

        async def close() -> None:
            await cast(Any, events).aclose()

        try:
            while True:
                more, event = self._run(step)
                if not more:
                    return
                assert event is not None
                yield event
        finally:
            self._run(close)


class SyncProcessContext(Surface):
    """The same surface for agents written as plain functions (run in a thread)."""

    def __init__(
        self,
        ctx: ProcessContext,
        loop: asyncio.AbstractEventLoop,
        blocked: Blocked | None = None,
    ) -> None:
        self._ctx = ctx
        inner = cast(_KernelTransport, ctx._transport)
        super().__init__(_LoopBridge(inner, loop, blocked), ctx.pid, ctx.task)
