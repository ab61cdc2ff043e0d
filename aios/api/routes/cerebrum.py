"""Compatibility with the AIOS kernel's ``POST /query``, as the Cerebrum agent SDK
speaks it, so unmodified Cerebrum agents run against aios.

Requests are ``{"agent_name", "query_type", "query_data"}``; answers are the
kernel's envelope ``{"response": {...}, "start_times", "end_times",
"waiting_times", "turnaround_times"}`` with the response shapes the SDK's agents
index into (``response_message``, ``tool_calls``, ``finished``, ``error``,
``status_code``). Failures of the request itself are reported in-band, as the AIOS
kernel does. Every action is a syscall of the authenticated caller; Cerebrum sends
no Authorization header, so its requests authenticate with HTTP Basic auth, which
``requests`` reads from ~/.netrc (see the README).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Depends

from aios.api.common import Api
from aios.api.routes.cerebrum_shapes import Query, envelope, failure, text_of, tool_name
from aios.errors import AiosError, BadRequest
from aios.kernel.caps import Caller

__all__ = ["router"]

MEMORY_ROOT = "memory"


class Cerebrum:
    def __init__(self, api: Api, caller: Caller) -> None:
        self.api, self.caller = api, caller

    async def call(self, syscall: str, /, **args: Any) -> Any:
        return await self.api.call(self.caller, syscall, args)

    # -- llm ---------------------------------------------------------------------

    def _chat_args(self, q: dict[str, Any]) -> dict[str, Any]:
        k = self.api.kernel
        args: dict[str, Any] = {
            "messages": [
                {
                    "role": m.get("role")
                    if m.get("role") in ("system", "user", "assistant", "tool")
                    else "user",
                    "content": text_of(m.get("content")),
                }
                for m in q.get("messages") or []
            ]
        }
        for llm in q.get("llms") or []:
            if isinstance(llm, dict) and llm.get("name") in k.models:
                args["model"] = llm["name"]
                break
        if "temperature" in q:
            args["temperature"] = max(0.0, min(2.0, float(q["temperature"])))
        limit = k.config.llm.max_tokens_limit
        if q.get("max_new_tokens"):
            args["max_tokens"] = max(1, min(int(q["max_new_tokens"]), limit))
        return args

    async def llm(self, q: dict[str, Any], t0: float) -> dict[str, Any]:
        action = q.get("action_type", "chat")
        args = self._chat_args(q)
        tools = q.get("tools") or []
        if action in ("chat_with_tool_call_output", "call_tool", "tool_use") and tools:
            calls, waited = await self._tool_calls(args, tools)
            if action == "chat_with_tool_call_output":
                return envelope(
                    {
                        "response_class": "llm",
                        "response_message": None,
                        "tool_calls": calls,
                        "finished": True,
                        "error": None,
                        "status_code": 200,
                    },
                    t0,
                    waited,
                )
            if not calls:
                return {
                    "response_class": "tool",
                    "response_message": "No tool was called by LLM",
                    "finished": False,
                    "error": None,
                    "status_code": 200,
                }
            return envelope(await self._run_tools(calls), t0, waited)
        if action == "operate_file":
            return envelope(await self._operate_file(args), t0)
        if action == "chat_with_json_output" or q.get("message_return_type") == "json":
            fmt = q.get("response_format") or {}
            schema = (fmt.get("json_schema") or {}).get("schema") if isinstance(fmt, dict) else None
            args["json_schema"] = schema if isinstance(schema, dict) else {"type": "object"}
        res = await self.call("llm.chat", **args)
        return envelope(
            {
                "response_class": "llm",
                "response_message": res.text,
                "tool_calls": None,
                "finished": True,
                "error": None,
                "status_code": 200,
            },
            t0,
            res.wait_s,
        )

    async def _tool_calls(
        self, args: dict[str, Any], tools: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], float]:
        """Grammar-constrained tool calls: the model can only name offered tools, with
        arguments that match their schemas."""
        options = []
        for tool in tools:
            name, params = tool_name(tool)
            if name:
                options.append(
                    {
                        "type": "object",
                        "properties": {"name": {"const": name}, "parameters": params},
                        "required": ["name", "parameters"],
                    }
                )
        if not options:
            raise BadRequest("tools must be OpenAI function schemas with names")
        schema = {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {"anyOf": options} if len(options) > 1 else options[0],
        }
        res = await self.call("llm.chat", **{**args, "json_schema": schema, "temperature": 0})
        calls = res.json_value if isinstance(res.json_value, list) else []
        return (
            [
                {
                    "name": c["name"],
                    "parameters": c.get("parameters") or {},
                    "id": "call_" + uuid.uuid4().hex[:12],
                }
                for c in calls
                if isinstance(c, dict) and "name" in c
            ],
            res.wait_s,
        )

    async def _run_tools(self, calls: list[dict[str, Any]]) -> dict[str, Any]:
        results = []
        for c in calls:
            res = await self.call("tool.call", name=c["name"], args=c.get("parameters") or {})
            results.append(res.result)
        message = results[0] if len(results) == 1 else results
        return {
            "response_class": "tool",
            "response_message": message
            if isinstance(message, str)
            else json.dumps(message, default=str),
            "finished": True,
            "error": None,
            "status_code": 200,
        }

    async def _operate_file(self, args: dict[str, Any]) -> dict[str, Any]:
        ops = {
            "create_file": {"file_path": {"type": "string"}},
            "create_dir": {"dir_path": {"type": "string"}},
            "write": {"file_path": {"type": "string"}, "content": {"type": "string"}},
            "retrieve": {"query_text": {"type": "string"}},
            "rollback": {"file_path": {"type": "string"}},
            "share": {"file_path": {"type": "string"}},
        }
        tools = [
            {"name": op, "parameters": {"type": "object", "properties": p, "required": list(p)}}
            for op, p in ops.items()
        ]
        system = {"role": "system", "content": "You are a parser for file system operations."}
        calls, _ = await self._tool_calls({**args, "messages": [system, *args["messages"]]}, tools)
        outcomes = [await self.storage_op(c["name"], c["parameters"]) for c in calls]
        message = "; ".join(str(o["response_message"] or o["error"]) for o in outcomes)
        return {
            "response_class": "llm",
            "response_message": message,
            "tool_calls": None,
            "finished": all(o["finished"] for o in outcomes),
            "error": None,
            "status_code": 200,
        }

    # -- storage -----------------------------------------------------------------

    async def storage_op(self, op: str, p: dict[str, Any]) -> dict[str, Any]:
        try:
            message = await self._storage(op, p)
        except AiosError as exc:
            return failure("storage", self.api.scrub(exc))
        return {
            "response_class": "storage",
            "response_message": message,
            "finished": True,
            "error": None,
            "status_code": 200,
        }

    async def _storage(self, op: str, p: dict[str, Any]) -> str:
        path = str(p.get("file_path") or p.get("dir_path") or "")
        if op == "mount":
            if self.api.kernel.fs is None:
                raise BadRequest("LSFS is disabled")
            # where the daemon keeps files is the admin's business, not an agent's
            where = f" at {self.api.kernel.fs.paths.root}" if self.caller.admin else ""
            return f"LSFS is mounted{where}"
        if op == "create_file":
            await self.call("fs.write", path=path, content="")
            return f"File has been created: {path}"
        if op == "create_dir":
            await self.call("fs.mkdir", path=path)
            return f"Directory has been created: {path}"
        if op in ("write", "write_file"):
            await self.call("fs.write", path=path, content=str(p.get("content", "")))
            return f"Content has been written to file: {path}"
        if op in ("read", "read_file"):
            return (await self.call("fs.read", path=path)).text or ""
        if op == "retrieve":
            n = int(p.get("n") or p.get("k") or 3)
            keywords = p.get("keywords")
            query = str(p.get("query_text") or " ".join(keywords or []))
            res = await self.call("fs.retrieve", query=query, top_k=max(1, min(n, 50)))
            return json.dumps(
                [
                    {"file_path": h["path"], "score": h["score"], "content": h["text"]}
                    for h in res.hits
                ]
            )
        if op == "rollback":
            if p.get("time"):
                await self.call("fs.rollback", path=path, at=float(p["time"]))
            else:
                await self.call("fs.rollback", path=path, n=int(p.get("n") or 1))
            return f"File {path} has been rolled back"
        if op == "share":
            link = await self.call("fs.link", path=path)
            return link.url
        if op == "list_dir":
            res = await self.call("fs.ls", path=path, recursive=bool(p.get("recursive")))
            return json.dumps([e.path for e in res.entries])
        if op in ("delete_file", "delete_dir"):
            await self.call("fs.delete", path=path, recursive=bool(p.get("recursive")))
            return f"Deleted: {path}"
        raise BadRequest(f"Operation type: {op} not supported")

    # -- tools -------------------------------------------------------------------

    async def tool(self, q: dict[str, Any], t0: float) -> dict[str, Any]:
        calls = q.get("tool_calls") or []
        if not calls:
            return envelope(
                {
                    "response_class": "tool",
                    "response_message": "There is no tool to call",
                    "finished": False,
                    "error": None,
                    "status_code": 200,
                },
                t0,
            )
        return envelope(await self._run_tools(calls), t0)

    # -- memory, kept as LSFS files so it is versioned and searchable ------------------

    async def memory(self, agent: str, q: dict[str, Any], t0: float) -> dict[str, Any]:
        op = q.get("operation_type") or q.get("action_type") or ""
        p = q.get("params") or {}
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
                await self._remember(folder, mid, p.get("content", ""), p.get("metadata"))
                out["memory_id"] = mid
            elif op == "get_memory":
                mid = str(p.get("memory_id", ""))
                data = json.loads((await self.call("fs.read", path=f"{folder}/{mid}.json")).text)
                out.update(memory_id=mid, content=data["content"], metadata=data["metadata"])
            elif op == "update_memory":
                mid = str(p.get("memory_id", ""))
                old = json.loads((await self.call("fs.read", path=f"{folder}/{mid}.json")).text)
                await self._remember(
                    folder,
                    mid,
                    p.get("content") or old["content"],
                    p.get("metadata") or old["metadata"],
                )
                out["memory_id"] = mid
            elif op == "remove_memory":
                mid = str(p.get("memory_id", ""))
                await self.call("fs.delete", path=f"{folder}/{mid}.json")
                out["memory_id"] = mid
            elif op in ("retrieve_memory", "retrieve_memory_raw"):
                res = await self.call(
                    "fs.retrieve",
                    query=str(p.get("content", "")),
                    top_k=max(1, min(int(p.get("k") or 5), 50)),
                    prefix=folder,
                )
                found = []
                for h in res.hits:
                    data = json.loads((await self.call("fs.read", path=h["path"])).text)
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
        except (ValueError, KeyError) as exc:  # a memory file that is not ours
            out.update(success=False, error=str(exc))
        return envelope(out, t0)

    async def _remember(self, folder: str, mid: str, content: Any, metadata: Any) -> None:
        body = {"content": text_of(content), "metadata": metadata or {}, "timestamp": time.time()}
        await self.call("fs.write", path=f"{folder}/{mid}.json", content=json.dumps(body))


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(tags=["cerebrum compatibility"])

    @r.post("/query")
    async def query(body: Query, caller: Caller = Depends(auth)) -> Any:
        """The AIOS kernel's query endpoint, for the Cerebrum SDK."""
        c = Cerebrum(api, caller)
        t0 = time.time()
        kind = body.query_type
        try:
            if kind == "llm":
                return await c.llm(body.query_data, t0)
            if kind == "storage":
                q = body.query_data
                return envelope(
                    await c.storage_op(str(q.get("operation_type", "")), q.get("params") or {}), t0
                )
            if kind == "tool":
                return await c.tool(body.query_data, t0)
            return await c.memory(body.agent_name, body.query_data, t0)
        except AiosError as exc:
            return envelope(failure("tool" if kind == "tool" else kind, api.scrub(exc)), t0)

    @r.get("/core/llms/list")
    async def llms(caller: Caller = Depends(auth)) -> Any:
        res = await api.call(caller, "llm.models", {})
        return {"status": "success", "llms": [{"name": m, "backend": "aios"} for m in res.models]}

    return r
