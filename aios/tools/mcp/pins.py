"""Pinned MCP tool definitions: what a person (or the admin's config) approved.

Each tool of each MCP server is pinned by a digest of its definition (name,
description, input schema, annotations). A later listing with another digest
disables the tool until a person approves the new definition ("rug pull"
defence). A row with an empty tool name marks a server as listed once: tools it
shows after that first listing are new and need approval too.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Float, MetaData, String, Table, delete, select
from sqlalchemy.engine import Engine

__all__ = ["Pin", "PinStore", "digest"]

_meta = MetaData()
_pins = Table(
    "mcp_tool_pins",
    _meta,
    Column("server", String(64), primary_key=True),
    Column("tool", String(200), primary_key=True),  # "" marks the server as listed
    Column("digest", String(64), nullable=False),
    Column("definition", JSON, nullable=True),
    Column("denied_digest", String(64), nullable=True),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", Float, nullable=False),
)


def digest(definition: dict[str, Any]) -> str:
    """A stable hash of a definition (keys sorted, no whitespace)."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Pin:
    tool: str
    digest: str
    definition: dict[str, Any] | None
    denied_digest: str | None
    approved_by: str | None


class PinStore:
    """Blocking: call it off the event loop (``asyncio.to_thread``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        _meta.create_all(engine)

    def load(self, server: str) -> tuple[bool, dict[str, Pin]]:
        """Whether the server was listed before, and its pins by tool name."""
        with self.engine.connect() as c:
            rows = c.execute(select(_pins).where(_pins.c.server == server)).mappings().all()
        pins = {
            r["tool"]: Pin(
                r["tool"], r["digest"], r["definition"], r["denied_digest"], r["approved_by"]
            )
            for r in rows
        }
        listed = pins.pop("", None) is not None
        return listed, pins

    def pin(
        self,
        server: str,
        pins: dict[str, tuple[str, dict[str, Any]]],
        *,
        by: str,
        mark_listed: bool = False,
    ) -> None:
        """Pin ``tool -> (digest, definition)`` as approved ``by`` someone."""
        now = time.time()
        rows = [
            {"tool": t, "digest": d, "definition": dfn, "denied_digest": None}
            for t, (d, dfn) in pins.items()
        ]
        if mark_listed:
            rows.append({"tool": "", "digest": "", "definition": None, "denied_digest": None})
        if not rows:
            return
        with self.engine.begin() as c:
            for row in rows:
                c.execute(
                    delete(_pins).where(_pins.c.server == server, _pins.c.tool == row["tool"])
                )
                c.execute(
                    _pins.insert().values(server=server, approved_by=by, approved_at=now, **row)
                )

    def deny(self, server: str, tool: str, denied: str) -> None:
        """Remember a denied definition, so the same one is not asked about again."""
        where = (_pins.c.server == server, _pins.c.tool == tool)
        with self.engine.begin() as c:
            if c.execute(_pins.update().where(*where).values(denied_digest=denied)).rowcount:
                return
            c.execute(  # a new tool, never approved: a pin no definition matches
                _pins.insert().values(
                    server=server,
                    tool=tool,
                    digest="",
                    definition=None,
                    denied_digest=denied,
                    approved_by=None,
                    approved_at=time.time(),
                )
            )
