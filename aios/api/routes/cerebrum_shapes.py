"""The wire shapes of the AIOS kernel's /query contract, as Cerebrum agents expect
them: the request, the timing envelope, in-band failures."""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aios.errors import AiosError

__all__ = ["Query", "envelope", "failure", "text_of", "tool_name"]


class Query(BaseModel):
    model_config = ConfigDict(extra="allow")
    agent_name: str = Field(default="cerebrum", max_length=200)
    query_type: Literal["llm", "storage", "tool", "memory"]
    query_data: dict[str, Any] = Field(default_factory=dict)


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
