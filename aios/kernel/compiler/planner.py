"""The planner: asks the LLM for a plan and yields each task as soon as it is complete.

On a core that takes grammars (llama.cpp, local or a llama.cpp server) the plan is
decoded under ``plan_grammar`` and streamed: each finished line is parsed,
checked and handed to the executor while the rest is still being generated. A
core without grammars gets a JSON-schema response format instead; that plan is
validated as a whole and, if invalid, asked for again with the errors shown (a
bounded number of times).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Protocol

from aios.kernel.compiler.anchors import Anchors
from aios.kernel.compiler.executor import TaskRun, TaskStatus
from aios.kernel.compiler.grammar import plan_grammar
from aios.kernel.compiler.plan import JOIN, PlanSyntaxError, Ref, Task, parse_line
from aios.kernel.compiler.prompts import Example, planner_messages
from aios.kernel.compiler.validate import PlanInvalid, PlanIssue, check_task, validate_plan
from aios.tools.registry import ToolSpec

__all__ = ["LLM", "Planner"]

log = logging.getLogger(__name__)


class LLM(Protocol):
    def stream(self, messages: list[dict[str, str]], **params: Any) -> AsyncIterator[str]: ...

    async def chat(self, messages: list[dict[str, str]], **params: Any) -> Any: ...


class Planner:
    def __init__(
        self,
        llm: LLM,
        tools: list[ToolSpec],
        *,
        grammar: bool,
        max_tasks: int,
        max_tokens: int,
        examples: list[Example],
        json_retries: int = 2,
        anchored: bool = False,
    ) -> None:
        self.llm = llm
        self.tools = tools
        self.by_name = {t.name: t for t in tools}
        self.grammar = grammar
        self.max_tasks = max_tasks
        self.max_tokens = max_tokens
        self.examples = examples
        self.json_retries = json_retries
        self.anchored = anchored  # arguments from the question's words and numbers
        self.text = ""  # the raw text of the last plan, for results and debugging
        self.lead: str | None = None  # the first task's tool, if chosen before planning
        self.known_paths: frozenset[str] | None = None  # the question's words that are paths

    async def plan(
        self, query: str, *, first_id: int, prior: dict[int, TaskRun], feedback: str | None = None
    ) -> AsyncGenerator[Task, None]:
        history = [prior[i] for i in sorted(prior)]
        messages = planner_messages(
            query, self.tools, self.examples, first_id=first_id, prior=history, feedback=feedback
        )
        usable = [i for i, r in prior.items() if r.status == TaskStatus.OK]
        if self.grammar:
            async for task in self._stream(messages, query, first_id, usable, set(prior)):
                yield task
        else:
            for task in await self._json(messages, first_id, usable, set(prior)):
                yield task

    async def _stream(
        self,
        messages: list[dict[str, str]],
        query: str,
        first_id: int,
        usable: list[int],
        known: set[int],
    ) -> AsyncGenerator[Task, None]:
        grammar = plan_grammar(
            self.tools,
            first_id=first_id,
            max_tasks=self.max_tasks,
            earlier_ids=usable,
            anchors=Anchors(query, self.known_paths) if self.anchored else None,
            lead=self.lead if not usable else None,
        )
        self.text = ""
        buf = ""
        defined = set(known)
        stream = self.llm.stream(
            messages, grammar=grammar, max_tokens=self.max_tokens, temperature=0
        )
        try:
            async for piece in stream:
                self.text += piece
                buf += piece
                while "\n" in buf:
                    line, buf = buf.split("\n", 1)
                    if not line.strip():
                        continue
                    task = self._task(line, defined)
                    if task is None:
                        return
                    defined.add(task.id)
                    yield task
            if buf.strip():  # the token budget ran out inside a line: drop that line
                log.info("planner: plan cut short by max_tokens; dropped %r", buf[:80])
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    def _task(self, line: str, defined: set[int]) -> Task | None:
        try:
            task = parse_line(line)
        except PlanSyntaxError as exc:
            if line.strip().startswith(JOIN[:-2]):
                return None
            raise PlanInvalid([PlanIssue("syntax", None, exc.message)]) from None
        if task is None:
            return None
        issues = check_task(task, self.by_name, defined)
        if issues:
            raise PlanInvalid(issues)
        return task

    async def _json(
        self, messages: list[dict[str, str]], first_id: int, usable: list[int], known: set[int]
    ) -> list[Task]:
        schema = _json_plan_schema(self.tools, self.max_tasks)
        msgs = [*messages]
        msgs[0] = {
            **msgs[0],
            "content": msgs[0]["content"]
            + (
                '\nReply in JSON: {"tasks": [{"tool": name, "args": {...}}, ...]}; task '
                f'numbers start at {first_id}; refer to results as {{"$ref": N}}.'
            ),
        }
        last: PlanInvalid | None = None
        for _ in range(self.json_retries + 1):
            res = await self.llm.chat(
                msgs, json_schema=schema, max_tokens=self.max_tokens, temperature=0
            )
            self.text = res.text
            try:
                tasks = _tasks_from_json(res.text, first_id)
                issues = validate_plan(tasks, self.by_name, earlier=usable)
                if not issues:
                    return tasks
                last = PlanInvalid(issues)
            except PlanInvalid as exc:
                last = exc
            log.info("planner: invalid JSON plan, asking again: %s", last.message)
            msgs = [
                *msgs,
                {"role": "assistant", "content": res.text},
                {
                    "role": "user",
                    "content": f"That plan is invalid: {last.message}. Write a corrected plan.",
                },
            ]
        assert last is not None
        raise last


def _ref_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "$ref": {"type": "integer"},
            "path": {"type": "array", "items": {"type": ["string", "integer"]}},
        },
        "required": ["$ref"],
    }


def _json_plan_schema(tools: list[ToolSpec], max_tasks: int) -> dict[str, Any]:
    items = []
    for t in tools:
        props = {
            k: {"anyOf": [v, _ref_schema()]} for k, v in t.parameters.get("properties", {}).items()
        }
        items.append(
            {
                "type": "object",
                "properties": {
                    "tool": {"const": t.name},
                    "args": {
                        "type": "object",
                        "properties": props,
                        "required": t.parameters.get("required", []),
                    },
                },
                "required": ["tool", "args"],
            }
        )
    return {
        "type": "object",
        "properties": {
            "tasks": {"type": "array", "maxItems": max_tasks, "items": {"anyOf": items}}
        },
        "required": ["tasks"],
    }


_MAX_DEPTH = 20  # as the plan language's parser: deeper values are not arguments


def _refs_in(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise ValueError("values nested too deeply")
    if isinstance(value, dict):
        if set(value) <= {"$ref", "path"} and isinstance(value.get("$ref"), int):
            path = value.get("path") or []
            if not isinstance(path, list):
                raise TypeError("a reference's path must be a list")
            return Ref(value["$ref"], tuple(path))  # its steps are checked by validation
        return {k: _refs_in(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_refs_in(v, depth + 1) for v in value]
    return value


def _tasks_from_json(text: str, first_id: int) -> list[Task]:
    try:
        data = json.loads(text)
        raw = data["tasks"]
        if not isinstance(raw, list):
            raise TypeError("tasks is not a list")
        return [
            Task(first_id + i, str(t["tool"]), _refs_in(dict(t.get("args") or {})))
            for i, t in enumerate(raw)
        ]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        # RecursionError: json.loads of a deeply nested reply
        raise PlanInvalid([PlanIssue("syntax", None, f"not a JSON plan: {exc}")]) from None
