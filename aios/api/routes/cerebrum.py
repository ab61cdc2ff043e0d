"""Compatibility with the AIOS kernel's ``POST /query``, as the Cerebrum agent SDK
speaks it, so unmodified Cerebrum agents run against aios.

Requests are ``{"agent_name", "query_type", "query_data"}``; answers are the
kernel's envelope ``{"response": {...}, "start_times", "end_times",
"waiting_times", "turnaround_times"}`` with the response shapes the SDK's agents
index into (``response_message``, ``tool_calls``, ``finished``, ``error``,
``status_code``). Every action is answered inside the envelope, its failures
in-band (a refused path, a tool's error), as the AIOS kernel does; a ``query_data``
whose fields have the wrong types is a 422 in the one error shape, as the AIOS
kernel's own request models answer it (nothing was done). Every action is a syscall
of the authenticated caller; Cerebrum sends no Authorization header, so its requests
authenticate with HTTP Basic auth, which ``requests`` reads from ~/.netrc (see the
README).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError

from aios.api.common import Api
from aios.api.routes.cerebrum_memory import CerebrumMemory
from aios.api.routes.cerebrum_shapes import (
    LLMData,
    MemoryData,
    Query,
    StorageData,
    StorageParams,
    ToolCall,
    ToolData,
    envelope,
    failure,
    parse,
    text_of,
    tool_name,
)
from aios.errors import AiosError, BadRequest
from aios.kernel.caps import Caller

__all__ = ["router"]


class Cerebrum:
    def __init__(self, api: Api, caller: Caller) -> None:
        self.api, self.caller = api, caller

    async def call(self, syscall: str, /, **args: Any) -> Any:
        return await self.api.call(self.caller, syscall, args)

    # -- llm ---------------------------------------------------------------------

    def _chat_args(self, q: LLMData) -> dict[str, Any]:
        k = self.api.kernel
        args: dict[str, Any] = {
            "messages": [
                {
                    "role": m.role if m.role in ("system", "user", "assistant", "tool") else "user",
                    "content": text_of(m.content),
                }
                for m in q.messages
            ]
        }
        for llm in q.llms or []:
            if isinstance(llm, dict) and llm.get("name") in k.models:
                args["model"] = llm["name"]
                break
        if q.temperature is not None:
            args["temperature"] = max(0.0, min(2.0, q.temperature))
        limit = k.config.llm.max_tokens_limit
        if q.max_new_tokens:
            args["max_tokens"] = max(1, min(q.max_new_tokens, limit))
        return args

    async def llm(self, q: LLMData, t0: float) -> dict[str, Any]:
        action = q.action_type
        args = self._chat_args(q)
        tools = q.tools or []
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
            if not calls:  # the grammar asks for one: only a cut-off answer has none
                return envelope(
                    {
                        "response_class": "tool",
                        "response_message": "No tool was called by LLM",
                        "finished": False,
                        "error": "the model's tool call was cut off: raise max_new_tokens",
                        "status_code": 200,
                    },
                    t0,
                    waited,
                )
            return envelope(await self._run_tools(calls), t0, waited)
        if action == "operate_file":
            return envelope(await self._operate_file(args), t0)
        if action == "chat_with_json_output" or q.message_return_type == "json":
            fmt = (q.response_format or {}).get("json_schema")
            schema = fmt.get("schema") if isinstance(fmt, dict) else None
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
        """Run the calls in order; the first that fails answers for all, in-band, as
        the AIOS kernel reports a tool's failure."""
        results = []
        for c in calls:
            try:
                res = await self.call("tool.call", name=c["name"], args=c.get("parameters") or {})
            except AiosError as exc:
                exc.message = f"tool {str(c['name'])[:80]}: {exc.message}"
                return failure("tool", self.api.scrub(exc))
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
        outcomes = [await self._parsed_op(c["name"], c["parameters"]) for c in calls]
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

    async def _parsed_op(self, op: str, params: Any) -> dict[str, Any]:
        try:  # the grammar gives each operation string fields: this only guards
            p = StorageParams.model_validate(params)
        except ValidationError:
            return failure("storage", BadRequest(f"unusable parameters for {op}"))
        return await self.storage_op(op, p)

    async def storage_op(self, op: str, p: StorageParams) -> dict[str, Any]:
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

    async def _storage(self, op: str, p: StorageParams) -> str:
        path = p.file_path or p.dir_path or ""
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
            await self.call("fs.write", path=path, content=text_of(p.content))
            return f"Content has been written to file: {path}"
        if op in ("read", "read_file"):
            return (await self.call("fs.read", path=path)).text or ""
        if op == "retrieve":
            n = p.n or p.k or 3
            query = p.query_text or " ".join(p.keywords or [])
            res = await self.call("fs.retrieve", query=query, top_k=max(1, min(n, 50)))
            return json.dumps(
                [
                    {"file_path": h["path"], "score": h["score"], "content": h["text"]}
                    for h in res.hits
                ]
            )
        if op == "rollback":
            if p.time:
                await self.call("fs.rollback", path=path, at=p.time)
            else:
                await self.call("fs.rollback", path=path, n=p.n or 1)
            return f"File {path} has been rolled back"
        if op == "share":
            link = await self.call("fs.link", path=path)
            return link.url
        if op == "list_dir":
            res = await self.call("fs.ls", path=path, recursive=bool(p.recursive))
            return json.dumps([e.path for e in res.entries])
        if op in ("delete_file", "delete_dir"):
            await self.call("fs.delete", path=path, recursive=bool(p.recursive))
            return f"Deleted: {path}"
        raise BadRequest(f"Operation type: {op} not supported")

    # -- tools -------------------------------------------------------------------

    async def tool(self, q: ToolData, t0: float) -> dict[str, Any]:
        calls = [_plain_call(c) for c in q.tool_calls or []]
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


def _plain_call(c: ToolCall) -> dict[str, Any]:
    return {"name": c.name, "parameters": c.parameters or {}}


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
                return await c.llm(parse(LLMData, body.query_data), t0)
            if kind == "storage":
                q = parse(StorageData, body.query_data)
                return envelope(await c.storage_op(q.operation_type, q.params), t0)
            if kind == "tool":
                return await c.tool(parse(ToolData, body.query_data), t0)
            memory = CerebrumMemory(api, caller)
            return await memory.run(body.agent_name, parse(MemoryData, body.query_data), t0)
        except AiosError as exc:
            if exc.status == 422:  # the request itself: nothing was done
                raise
            return envelope(failure(kind, api.scrub(exc)), t0)

    @r.get("/core/llms/list")
    async def llms(caller: Caller = Depends(auth)) -> Any:
        res = await api.call(caller, "llm.models", {})
        return {"status": "success", "llms": [{"name": m, "backend": "aios"} for m in res.models]}

    return r
