"""LLM: the kernel's chat (JSON or SSE), and the OpenAI-compatible surface
(/v1/chat/completions, /v1/models) so OpenAI clients and LangChain work unchanged."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from aios.api.common import Api, first_event, sse_response
from aios.api.routes.oai_tools import ToolCalling, render_message
from aios.errors import AiosError, BadRequest
from aios.kernel.caps import Caller
from aios.kernel.sysllm import ChatArgs, ChatResult
from aios.tools.schema_limits import check_schema

__all__ = ["router"]


class OAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class OAIRequest(BaseModel):
    """The subset of OpenAI's chat completion request that maps onto llm.chat;
    other fields OpenAI clients send are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[OAIMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1, le=2**31)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=2**31)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    stop: str | list[str] | None = None
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    n: int | None = Field(default=None, ge=1, le=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = Field(default=None, max_length=128)
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    parts = [p.get("text", "") for p in content if p.get("type") == "text"]
    if len(parts) != len(content):
        raise BadRequest("only text content parts are supported")
    return "".join(parts)


def chat_args(req: OAIRequest) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": req.model,
        "messages": [render_message(m.model_dump(), _text(m.content)) for m in req.messages],
    }
    max_tokens = req.max_completion_tokens or req.max_tokens
    if max_tokens:
        args["max_tokens"] = max_tokens
    for key in ("temperature", "top_p", "seed"):
        if getattr(req, key) is not None:
            args[key] = getattr(req, key)
    if req.stop:
        args["stop"] = [req.stop] if isinstance(req.stop, str) else req.stop
    fmt = req.response_format or {}
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise BadRequest("response_format.json_schema.schema must be an object")
        check_schema(schema, "response_format.json_schema.schema")
        args["json_schema"] = schema
    elif fmt.get("type") == "json_object":
        args["json_schema"] = {"type": "object"}
    return args


def tool_calling(req: OAIRequest, args: dict[str, Any]) -> ToolCalling | None:
    """Set up function calling in ``args`` when the request offers tools."""
    if not req.tools or req.tool_choice == "none":
        return None
    if req.response_format:
        raise BadRequest("tools and response_format cannot be combined")
    calling = ToolCalling(req.tools, req.tool_choice, req.parallel_tool_calls)
    msgs = args["messages"]
    if msgs[0]["role"] == "system":
        msgs[0] = {"role": "system", "content": msgs[0]["content"] + "\n\n" + calling.prompt()}
    else:
        msgs.insert(0, {"role": "system", "content": calling.prompt()})
    args["json_schema"] = calling.schema()
    check_schema(args["json_schema"], "tools")  # all of them together, as llm.chat will
    return calling


def _completion(
    res: ChatResult,
    model: str,
    cid: str,
    message: dict[str, Any] | None = None,
    finish: str | None = None,
) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message or {"role": "assistant", "content": res.text},
                "finish_reason": finish or res.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": res.prompt_tokens,
            "completion_tokens": res.completion_tokens,
            "total_tokens": res.prompt_tokens + res.completion_tokens,
        },
    }


def router(api: Api, auth: Any) -> APIRouter:
    r = APIRouter(tags=["llm"])

    @r.post("/v1/llm/chat", response_model=ChatResult)
    async def chat(body: ChatArgs, caller: Caller = Depends(auth)) -> Any:
        """A scheduled chat completion; with ``stream: true``, Server-Sent Events of
        ``{"type": "token"}`` then ``{"type": "result"}``."""
        if body.stream:
            return await sse_response(api.stream(caller, "llm.chat", body))
        return await api.call(caller, "llm.chat", body)

    @r.get("/v1/models")
    async def models(caller: Caller = Depends(auth)) -> dict[str, Any]:
        res = await api.call(caller, "llm.models", {})
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "aios"} for m in res.models
            ],
        }

    @r.post("/v1/chat/completions")
    async def completions(body: OAIRequest, caller: Caller = Depends(auth)) -> Any:
        """OpenAI-compatible chat completions (plain and streamed)."""
        args = chat_args(body)
        calling = tool_calling(body, args)
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        if calling is not None:  # the whole answer is needed to know what it is
            res = await api.call(caller, "llm.chat", args)
            done = _completion(res, body.model, cid, *calling.message(res.json_value, res.text))
            if not body.stream:
                return done
            usage = bool((body.stream_options or {}).get("include_usage"))
            return StreamingResponse(
                _replay(done, usage),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache"},
            )
        if not body.stream:
            res = await api.call(caller, "llm.chat", args)
            return _completion(res, body.model, cid)
        usage = bool((body.stream_options or {}).get("include_usage"))
        events = api.stream(caller, "llm.chat", {**args, "stream": True})
        first = await first_event(events)
        return StreamingResponse(
            _oai_stream(first, events, body.model, cid, usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )

    return r


async def _oai_stream(
    first: dict[str, Any] | None, events: Any, model: str, cid: str, usage: bool
) -> AsyncIterator[bytes]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        return f"data: {json.dumps(body)}\n\n".encode()

    try:
        yield chunk({"role": "assistant", "content": ""})
        pending = [first] if first is not None else []
        async for event in _chain(pending, events):
            if event["type"] == "token":
                yield chunk({"content": event["text"]})
            elif event["type"] == "result":
                res = event["result"]
                yield chunk({}, res["finish_reason"])
                if usage:
                    u = {
                        "prompt_tokens": res["prompt_tokens"],
                        "completion_tokens": res["completion_tokens"],
                        "total_tokens": res["prompt_tokens"] + res["completion_tokens"],
                    }
                    body = {
                        "id": cid,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": u,
                    }
                    yield f"data: {json.dumps(body)}\n\n".encode()
        yield b"data: [DONE]\n\n"
    except AiosError as exc:
        yield f"data: {json.dumps({'error': exc.to_dict()})}\n\n".encode()
    finally:
        await events.aclose()


async def _replay(done: dict[str, Any], usage: bool) -> AsyncIterator[bytes]:
    """A finished completion as the chunks a streaming client expects."""
    choice = done["choices"][0]
    message = choice["message"]
    head = {k: done[k] for k in ("id", "model", "created")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        c = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return f"data: {json.dumps(head | {'choices': [c]})}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        calls = [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]
        yield chunk({"tool_calls": calls})
    else:
        yield chunk({"content": message["content"]})
    yield chunk({}, choice["finish_reason"])
    if usage:
        yield f"data: {json.dumps(head | {'choices': [], 'usage': done['usage']})}\n\n".encode()
    yield b"data: [DONE]\n\n"


async def _chain(first: list[dict[str, Any]], events: Any) -> AsyncIterator[dict[str, Any]]:
    for e in first:
        yield e
    async for e in events:
        yield e
