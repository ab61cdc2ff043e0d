"""``proc.log``: a process writes a line to its log.

The line becomes a "log" event on the process's event bus (its watchers see it
beside its state changes and tokens), a line in the daemon's log, and, as every
syscall is, an audit row. Bounded: a process cannot fill the daemon's log with one
call, and the API's rate limits bound how many it makes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.syscalls import Call

__all__ = ["LogArgs", "LogResult", "log"]

_log = logging.getLogger("aios.agent")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
MAX_MESSAGE_CHARS = 4000


class LogArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["debug", "info", "warning", "error"] = "info"
    message: str = Field(max_length=MAX_MESSAGE_CHARS)


class LogResult(BaseModel):
    logged: bool = True


async def log(k: Kernel, call: Call, args: LogArgs) -> LogResult:
    """Write a line to the calling process's log (an event for its watchers)."""
    pid = call.caller.pid
    # control characters would let a process forge lines of the daemon's log
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in args.message)
    _log.log(_LEVELS.get(args.level, logging.ERROR), "pid %s: %s", pid or "admin", text)
    k.events.publish(pid, "log", level=args.level, message=text)  # watchers print it
    return LogResult()
