"""Cerebrum's memory queries (``query_type: memory``), kept as LSFS files under
``memory/<agent>/`` so each memory is versioned, searchable and permission-checked
like any other file."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from aios.api.common import Api
from aios.api.routes.cerebrum_shapes import MemoryData, envelope, text_of
from aios.errors import AiosError, BadRequest
from aios.kernel.caps import Caller

__all__ = ["MEMORY_ROOT", "CerebrumMemory"]

MEMORY_ROOT = "memory"


class CerebrumMemory:
    def __init__(self, api: Api, caller: Caller) -> None:
        self.api, self.caller = api, caller

    async def call(self, syscall: str, /, **args: Any) -> Any:
        return await self.api.call(self.caller, syscall, args)

    async def run(self, agent: str, q: MemoryData, t0: float) -> dict[str, Any]:
        op = q.operation_type or q.action_type or ""
        p = q.params
        folder = f"{MEMORY_ROOT}/{''.join(c for c in agent if c.isalnum() or c in '-_') or 'agent'}"
        out: dict[str, Any] = {
            "response_class": "memory",
            "memory_id": None,
            "content": None,
            "metadata": None,
            "search_results": None,
            "success": True,
            "error": None,
        }
        try:
            if op in ("add_memory", "add_agentic_memory"):
                mid = uuid.uuid4().hex
                await self._remember(folder, mid, p.content, p.metadata)
                out["memory_id"] = mid
            elif op == "get_memory":
                mid = p.memory_id or ""
                data = await self._recall(f"{folder}/{mid}.json")
                out.update(memory_id=mid, content=data["content"], metadata=data["metadata"])
            elif op == "update_memory":
                mid = p.memory_id or ""
                old = await self._recall(f"{folder}/{mid}.json")
                await self._remember(
                    folder, mid, p.content or old["content"], p.metadata or old["metadata"]
                )
                out["memory_id"] = mid
            elif op == "remove_memory":
                mid = p.memory_id or ""
                await self.call("fs.delete", path=f"{folder}/{mid}.json")
                out["memory_id"] = mid
            elif op in ("retrieve_memory", "retrieve_memory_raw"):
                res = await self.call(
                    "fs.retrieve",
                    query=text_of(p.content),
                    top_k=max(1, min(p.k or 5, 50)),
                    prefix=folder,
                )
                found = []
                for h in res.hits:
                    data = await self._recall(h["path"])
                    found.append(
                        {
                            "memory_id": h["path"].rsplit("/", 1)[-1][:-5],
                            "content": data["content"],
                            **(data["metadata"] or {}),
                        }
                    )
                out["search_results"] = found
            else:
                raise BadRequest(f"memory operation {op!r} is not supported")
        except AiosError as exc:
            out.update(success=False, error=self.api.scrub(exc).message)
        return envelope(out, t0)

    async def _recall(self, path: str) -> dict[str, Any]:
        """A memory file, checked: anyone with fs access may have written that path."""
        text = (await self.call("fs.read", path=path)).text
        try:  # up to a file's size: off the loop; nesting past the parser's depth too
            data = await asyncio.to_thread(json.loads, text or "")
        except (ValueError, RecursionError):
            data = None
        if not (
            isinstance(data, dict)
            and "content" in data
            and isinstance(data.get("metadata"), dict | None)
        ):
            raise BadRequest(f"{path} is not a memory")
        return data

    async def _remember(self, folder: str, mid: str, content: Any, metadata: Any) -> None:
        body = {"content": text_of(content), "metadata": metadata or {}, "timestamp": time.time()}
        await self.call("fs.write", path=f"{folder}/{mid}.json", content=json.dumps(body))
