"""The wire shapes of the AIOS kernel's /query contract, as Cerebrum agents expect
them: the request, the timing envelope, in-band failures."""

from __future__ import annotations

import json
import time
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aios.errors import AiosError, BadRequest

__all__ = [
    "LLMData",
    "MemoryData",
    "MemoryParams",
    "Query",
    "StorageData",
    "StorageParams",
    "ToolData",
    "envelope",
    "failure",
    "parse",
    "text_of",
    "tool_name",
]

M = TypeVar("M", bound=BaseModel)


class Query(BaseModel):
    model_config = ConfigDict(extra="allow")
    agent_name: str = Field(default="cerebrum", max_length=200)
    query_type: Literal["llm", "storage", "tool", "memory"]
    query_data: dict[str, Any] = Field(default_factory=dict)


# What each query type's ``query_data`` may hold, as the Cerebrum SDK sends it: typed
# where aios reads a field (a wrong type is a 422, as the AIOS kernel's own pydantic
# models answer it), open to the fields aios does not read.
class _Data(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class Message(_Data):
    role: str = Field(default="user", max_length=100)
    content: Any = None  # text, a list of parts, or other JSON (sent as its text)


class LLMData(_Data):
    action_type: str = Field(default="chat", max_length=100)
    messages: list[Message] = Field(default_factory=list, max_length=1000)
    tools: list[dict[str, Any]] | None = Field(default=None, max_length=64)
    llms: list[Any] | None = Field(default=None, max_length=64)
    temperature: float | None = None  # clamped to what llm.chat takes
    max_new_tokens: int | None = None  # clamped to the configured limit; 0: the default
    message_return_type: str | None = Field(default=None, max_length=100)
    response_format: dict[str, Any] | None = None


class ToolCall(_Data):
    name: str = Field(min_length=1, max_length=200)
    parameters: dict[str, Any] | None = None


class ToolData(_Data):
    tool_calls: list[ToolCall] | None = Field(default=None, max_length=64)


class StorageParams(_Data):
    file_path: str | None = None
    dir_path: str | None = None
    content: Any = ""
    query_text: str | None = None
    keywords: list[str] | None = Field(default=None, max_length=1000)
    n: int | None = None  # results to retrieve, or versions to roll back
    k: int | None = None
    time: float | None = None  # roll back to the version current at this time
    recursive: bool | None = None


class StorageData(_Data):
    operation_type: str = Field(default="", max_length=100)
    params: StorageParams = Field(default_factory=StorageParams)


class MemoryParams(_Data):
    memory_id: str | None = Field(default=None, max_length=200)
    content: Any = None
    metadata: dict[str, Any] | None = None
    k: int | None = None


class MemoryData(_Data):
    operation_type: str | None = Field(default=None, max_length=100)
    action_type: str | None = Field(default=None, max_length=100)
    params: MemoryParams = Field(default_factory=MemoryParams)


def parse(model: type[M], data: dict[str, Any]) -> M:
    """``query_data`` as ``model``, or a 422 in the one error shape that says which
    field was wrong (the request itself is bad: nothing was done)."""
    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        errors = json.loads(exc.json(include_url=False, include_input=False))
        for e in errors:
            e["loc"] = ["body", "query_data", *e.get("loc", [])]
        err = BadRequest("invalid query_data", errors=errors)
        err.status = 422
        raise err from None


def envelope(response: dict[str, Any], t0: float, waited: float = 0.0) -> dict[str, Any]:
    t1 = time.time()
    return {
        "response": response,
        "start_times": [t0 + waited],
        "end_times": [t1],
        "waiting_times": [waited],
        "turnaround_times": [t1 - t0],
    }


def failure(kind: str, exc: AiosError) -> dict[str, Any]:
    base = {
        "response_class": kind,
        "response_message": None,
        "finished": False,
        "error": exc.message,
        "status_code": exc.status,
    }
    if kind == "llm":
        base["tool_calls"] = None
    return base


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else json.dumps(content)


def tool_name(tool: Any) -> tuple[str, dict[str, Any]]:
    """The name and parameter schema of a tool given as an OpenAI function schema."""
    fn = tool.get("function", tool) if isinstance(tool, dict) else None
    if not isinstance(fn, dict):
        return "", {"type": "object"}
    params = fn.get("parameters")
    return str(fn.get("name", "")), params if isinstance(params, dict) else {"type": "object"}
