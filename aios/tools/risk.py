"""Risk hints of tools and syscalls, named after MCP's tool annotations
(readOnlyHint, destructiveHint, openWorldHint), plus ``host``: the call runs
programs or uses the network, so the least-privilege default (``@local``) does not
reach it. The approval policy matches on these (aios/kernel/approvals.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["DESTRUCTIVE", "READ_ONLY", "UNKNOWN", "WRITES", "Risk"]


class Risk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    read_only: bool = False
    destructive: bool = False
    open_world: bool = False
    host: bool = False

    def hints(self) -> list[str]:
        """The names the approval policy matches (``not_read_only`` for writers)."""
        out = [n for n in ("read_only", "destructive", "open_world", "host") if getattr(self, n)]
        return out if self.read_only else [*out, "not_read_only"]


READ_ONLY = Risk(read_only=True)
WRITES = Risk()  # changes state, additively or reversibly (LSFS keeps every version)
DESTRUCTIVE = Risk(destructive=True)
# A tool registered without hints may do anything (MCP's defaults for unannotated tools).
UNKNOWN = Risk(destructive=True, open_world=True, host=True)
