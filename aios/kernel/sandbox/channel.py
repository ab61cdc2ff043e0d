"""The broker process and the socket to it: requests that get a reply (a spawn, a
folder), and what comes unasked (a program's exit). SOCK_SEQPACKET, JSON messages,
file descriptors as SCM_RIGHTS."""

from __future__ import annotations

import array
import asyncio
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aios.kernel.sandbox.process import SandboxUnavailable

__all__ = ["BrokerChannel"]

log = logging.getLogger(__name__)

_BROKER = Path(__file__).with_name("broker.py")
_REPLIES = ("started", "folder")


class BrokerChannel:
    def __init__(
        self, on_event: Callable[[dict[str, Any]], None], on_gone: Callable[[], None]
    ) -> None:
        self._on_event = on_event
        self._on_gone = on_gone
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._next = 0
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._hello: asyncio.Future[dict[str, Any]] | None = None

    @property
    def alive(self) -> bool:
        return self._sock is not None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self, root: Path, path_env: str) -> dict[str, Any]:
        """Start the broker (``python -I -S``: the standard library only) and return
        its hello."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_BROKER), str(theirs.fileno()), str(root)],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env={"PATH": path_env, "LANG": "C.UTF-8"},
                start_new_session=True,  # a Ctrl-C for the daemon is not for the broker
            )
        finally:
            theirs.close()
        ours.setblocking(False)
        self._sock = ours
        loop = asyncio.get_running_loop()
        self._hello = loop.create_future()
        loop.add_reader(ours.fileno(), self._on_readable)
        try:
            async with asyncio.timeout(30):
                return await self._hello
        except TimeoutError:
            raise SandboxUnavailable("the sandbox broker did not start") from None

    async def close(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()  # the broker sees EOF and ends; its supervisors with it
            self._sock = None
        if self._proc is not None:
            try:
                await asyncio.to_thread(self._proc.wait, 5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
        self._fail_replies("the sandbox is closed")

    # -- requests -------------------------------------------------------------------

    def expect(self) -> tuple[int, asyncio.Future[dict[str, Any]]]:
        """A new request id and the future its reply (or refusal) will settle."""
        self._next += 1
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[self._next] = fut
        return self._next, fut

    def forget(self, rid: int) -> None:
        self._replies.pop(rid, None)

    def send(self, msg: dict[str, Any], fds: Sequence[int] = ()) -> None:
        if self._sock is None:
            raise SandboxUnavailable("the sandbox broker is not running")
        data = json.dumps(msg).encode()
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        try:
            self._sock.sendmsg([data], anc)
        except (BlockingIOError, BrokenPipeError, ConnectionError) as exc:
            raise SandboxUnavailable(f"the sandbox broker cannot be reached: {exc}") from None

    async def ask(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Send a request and wait for its reply."""
        rid, fut = self.expect()
        try:
            self.send({**msg, "id": rid})
            async with asyncio.timeout(30):  # not wait_for: on 3.11 it can swallow a cancel
                return await fut
        finally:
            self.forget(rid)

    # -- what comes back ------------------------------------------------------------

    def _on_readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._gone()
                return
            self._dispatch(json.loads(data))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        op, rid = msg.get("op"), int(msg.get("id") or 0)
        if op == "hello":
            if self._hello is not None and not self._hello.done():
                self._hello.set_result(msg)
            return
        fut = self._replies.pop(rid, None) if op in (*_REPLIES, "failed") else None
        if fut is not None and not fut.done():
            if op == "failed":
                error = msg.get("error")
                fut.set_exception(SandboxUnavailable(f"the program could not be confined: {error}"))
            else:
                fut.set_result(msg)
        if op not in _REPLIES:
            self._on_event(msg)  # an exit; a failure of a spawn given up

    def _gone(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        log.error("sandbox: the broker ended; confined tools are unavailable until restart")
        self._fail_replies("the sandbox broker ended")
        self._on_gone()

    def _fail_replies(self, why: str) -> None:
        for fut in self._replies.values():
            if not fut.done():
                fut.set_exception(SandboxUnavailable(why))
        self._replies.clear()
