"""OpenAI function calling for /v1/chat/completions.

The offered tools become a JSON schema the answer must follow (decoded under a
grammar on llama.cpp cores), so a call always names an offered function, with
arguments that match its parameters. ``tool_choice`` decides the shape: ``auto``
lets the model answer in words or call tools, ``required`` makes it call one or
more, a named function makes it call that one, ``none`` leaves the tools out.
Earlier assistant tool calls and tool results in the conversation are rendered as
text, the only thing a chat template is sure to take.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aios.errors import BadRequest
from aios.tools.schema_limits import check_schema, inline_refs

__all__ = ["ToolCalling", "render_message"]

MAX_CALLS = 4
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what OpenAI accepts as a function name


def render_message(m: dict[str, Any], text: str) -> dict[str, str]:
    """One OpenAI message as llm.chat takes it (role and text)."""
    role = "system" if m["role"] == "developer" else m["role"]
    calls = m.get("tool_calls")
    if role == "assistant" and isinstance(calls, list) and calls:
        fns = [
            c["function"]
            for c in calls
            if isinstance(c, dict) and isinstance(c.get("function"), dict)
        ]
        made = [{"name": f.get("name"), "arguments": _args(f.get("arguments"))} for f in fns]
        text = json.dumps({"tool_calls": made}, default=str)
    return {"role": role, "content": text}


def _args(raw: Any) -> Any:
    try:
        return json.loads(raw) if isinstance(raw, str) else raw
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return raw


class ToolCalling:
    """The tools and tool_choice of one request: the schema, a prompt, the parse."""

    def __init__(self, tools: list[dict[str, Any]], choice: Any, parallel: bool | None) -> None:
        self.functions: dict[str, dict[str, Any]] = {}
        for i, t in enumerate(tools):
            fn = t.get("function")
            if t.get("type", "function") != "function" or not isinstance(fn, dict):
                raise BadRequest("tools must be {'type': 'function', 'function': {...}}")
            name = fn.get("name")
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise BadRequest(
                    f"tools[{i}]: a function needs a name of 1 to 64 letters, digits, _ or -"
                )
            params = fn.get("parameters") or {"type": "object", "properties": {}}
            if not isinstance(params, dict):
                raise BadRequest(f"tool {name!r}: parameters must be a JSON schema object")
            check_schema(params, f"tools[{i}].function.parameters")
            about = fn.get("description")
            self.functions[name] = {
                "description": about if isinstance(about, str) else "",
                # inlined: each tool's $defs would not be at the root of the answer's schema
                "params": inline_refs(params),
            }
        self.allow_text = choice in (None, "auto")
        self.only: str | None = None
        if isinstance(choice, dict):
            fn = choice.get("function")
            self.only = fn.get("name") if isinstance(fn, dict) else None
            if self.only not in self.functions:
                raise BadRequest(f"tool_choice names {self.only!r}, which is not in tools")
        elif choice not in (None, "auto", "required"):
            raise BadRequest("tool_choice must be none, auto, required or a named function")
        self.max_calls = 1 if parallel is False or self.only else MAX_CALLS

    def prompt(self) -> str:
        lines = ["You can call these functions:"]
        for name, f in self.functions.items():
            props = f["params"].get("properties")
            props = [str(p) for p in props] if isinstance(props, dict) else []
            lines.append(f"- {name}({', '.join(props)}): {f['description']}".rstrip(": "))
        if self.allow_text:
            lines.append(
                'Answer with {"answer": "..."} or call functions with {"tool_calls": [...]}.'
            )
        else:
            lines.append('Call functions with {"tool_calls": [{"name": ..., "arguments": {...}}]}.')
        return "\n".join(lines)

    def schema(self) -> dict[str, Any]:
        names = [self.only] if self.only else list(self.functions)
        options = [
            {
                "type": "object",
                "properties": {
                    "name": {"const": n},
                    "arguments": self.functions[n]["params"],
                },
                "required": ["name", "arguments"],
            }
            for n in names
        ]
        calls = {
            "type": "object",
            "properties": {
                "tool_calls": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": self.max_calls,
                    "items": options[0] if len(options) == 1 else {"anyOf": options},
                }
            },
            "required": ["tool_calls"],
        }
        if not self.allow_text:
            return calls
        answer = {
            "type": "object",
            "properties": {"answer": {"type": "string"}},
            "required": ["answer"],
        }
        return {"anyOf": [answer, calls]}

    def message(self, value: Any, text: str) -> tuple[dict[str, Any], str | None]:
        """The assistant message, and the finish reason it implies (None: the model's)."""
        if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
            calls = [
                {
                    "id": "call_" + uuid.uuid4().hex[:24],
                    "type": "function",
                    "function": {
                        "name": c["name"],
                        "arguments": json.dumps(c.get("arguments") or {}),
                    },
                }
                for c in value["tool_calls"]
                if isinstance(c, dict) and c.get("name") in self.functions
            ]
            if calls:
                return {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
        if isinstance(value, dict) and isinstance(value.get("answer"), str):
            text = value["answer"]
        return {"role": "assistant", "content": text}, None
