"""The agent surface over HTTP, for agents in their own OS process.

``AsyncContext`` (awaitables) and ``Context`` (blocking) offer the same ``ctx`` as
an agent inside the daemon gets (aios/agents/surface.py), each call a
``POST /v1/syscall`` with a process token, over TCP (``url``) or the daemon's
Unix socket (``socket``; what isolated agents use, having no network)::

    with Context(socket="/path/run/api.sock", token=token) as ctx:
        ctx.fs.write("~/notes.txt", ctx.llm.chat("Three facts about owls"))

Errors come back as the aios error classes (``PermissionDenied``, ``NotFound``...)
with the server's message. Imports neither the kernel nor the models: it runs in a
sandbox of 512 MB.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from aios.agents.surface import Surface
from aios.errors import AiosError, BadRequest, PermissionDenied, Unavailable

__all__ = ["AsyncContext", "AsyncHttpTransport", "Context", "HttpTransport"]

_UDS_BASE = "http://aios"  # the host part is not used on a Unix socket
# connecting is quick or broken; a syscall may wait minutes (a model, a person)
_TIMEOUT = httpx.Timeout(None, connect=10.0)


def _target(url: str | None, socket: str | None) -> tuple[str, dict[str, Any]]:
    if (url is None) == (socket is None):
        raise BadRequest("give the daemon's url or its Unix socket, not both or neither")
    if url is not None:
        return url.rstrip("/"), {}
    return _UDS_BASE, {"uds": socket}


def _body(name: str, args: dict[str, Any]) -> bytes:
    try:
        return json.dumps({"name": name, "args": args}, default=_jsonable).encode()
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"the arguments of {name} are not JSON: {exc}") from None


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # a pydantic model (Capabilities...)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _error(status: int, content: bytes) -> AiosError:
    """The server's error as its aios class."""
    try:
        data = json.loads(content)["error"]
        if not isinstance(data, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        err = AiosError(f"HTTP {status}: {content[:200].decode(errors='replace')}")
        err.status = status
        return err
    return _from_dict(data, status)


def _from_dict(data: dict[str, Any], status: int | None = None) -> AiosError:
    err = AiosError.from_dict(data)
    if type(err) is AiosError and err.code == "approval_denied":
        # its class lives in the kernel, which this module does not import
        denied = PermissionDenied(err.message, **err.details)
        denied.code = err.code
        err = denied
    if status is not None:
        err.status = status
    return err


def _sse_event(line: str) -> dict[str, Any] | None:
    if not line.startswith("data:"):
        return None  # blank separators, comments (keep-alives)
    event: dict[str, Any] = json.loads(line[5:].strip())
    if event.get("type") == "error":
        raise _from_dict(event.get("error") or {})
    return event


def _unreachable(where: str, exc: Exception) -> Unavailable:
    return Unavailable(f"cannot reach the aios daemon at {where}: {exc}")


class AsyncHttpTransport:
    def __init__(
        self,
        *,
        url: str | None = None,
        socket: str | None = None,
        token: str,
        transport: httpx.AsyncBaseTransport | None = None,  # e.g. an app in process
    ) -> None:
        base, opts = _target(url, socket)
        self._where = socket or base
        self._client = httpx.AsyncClient(
            base_url=base,
            transport=transport or httpx.AsyncHTTPTransport(**opts),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=_TIMEOUT,
        )

    async def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            r = await self._client.post("/v1/syscall", content=_body(name, args))
        except httpx.TransportError as exc:
            raise _unreachable(self._where, exc) from None
        if r.status_code >= 400:
            raise _error(r.status_code, r.content)
        result: dict[str, Any] = r.json()["result"]
        return result

    async def stream(self, name: str, args: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        body = _body(name, {**args, "stream": True})
        try:
            async with self._client.stream("POST", "/v1/syscall", content=body) as r:
                if r.status_code >= 400:
                    raise _error(r.status_code, await r.aread())
                async for line in r.aiter_lines():
                    if (event := _sse_event(line)) is not None:
                        yield event
        except httpx.TransportError as exc:
            raise _unreachable(self._where, exc) from None

    async def aclose(self) -> None:
        await self._client.aclose()


class HttpTransport:
    def __init__(self, *, url: str | None = None, socket: str | None = None, token: str) -> None:
        base, opts = _target(url, socket)
        self._where = socket or base
        self._client = httpx.Client(
            base_url=base,
            transport=httpx.HTTPTransport(**opts),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=_TIMEOUT,
        )

    def syscall(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            r = self._client.post("/v1/syscall", content=_body(name, args))
        except httpx.TransportError as exc:
            raise _unreachable(self._where, exc) from None
        if r.status_code >= 400:
            raise _error(r.status_code, r.content)
        result: dict[str, Any] = r.json()["result"]
        return result

    def stream(self, name: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
        body = _body(name, {**args, "stream": True})
        try:
            with self._client.stream("POST", "/v1/syscall", content=body) as r:
                if r.status_code >= 400:
                    raise _error(r.status_code, r.read())
                for line in r.iter_lines():
                    if (event := _sse_event(line)) is not None:
                        yield event
        except httpx.TransportError as exc:
            raise _unreachable(self._where, exc) from None

    def close(self) -> None:
        self._client.close()


class AsyncContext(Surface):
    """``ctx`` over HTTP, every method awaitable. ``async with`` closes it."""

    def __init__(
        self,
        url: str | None = None,
        *,
        socket: str | None = None,
        token: str,
        pid: int | None = None,
        task: str = "",
    ) -> None:
        self._http = AsyncHttpTransport(url=url, socket=socket, token=token)
        super().__init__(self._http, pid, task)

    async def aclose(self) -> None:
        await self.log.flush()
        await self._http.aclose()

    async def __aenter__(self) -> AsyncContext:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Context(Surface):
    """``ctx`` over HTTP, every method blocking. ``with`` closes it."""

    def __init__(
        self,
        url: str | None = None,
        *,
        socket: str | None = None,
        token: str,
        pid: int | None = None,
        task: str = "",
    ) -> None:
        self._http = HttpTransport(url=url, socket=socket, token=token)
        super().__init__(self._http, pid, task)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
