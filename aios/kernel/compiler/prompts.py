"""What the planner and the joiner are told.

Plans are short on purpose: every planned token is on the critical path, so the
format is one compact call per line and the examples are few and terse. Small
models imitate examples closely, so the built-in ones are only shown when every
tool they use is available, and callers can pass their own.
"""

from __future__ import annotations

import json
from typing import Any

from aios.kernel.compiler.executor import TaskRun, TaskStatus
from aios.tools.registry import ToolSpec

__all__ = ["Example", "joiner_messages", "observation", "planner_messages"]

Example = tuple[str, str]  # (question, plan text ending in join())

BUILTIN_EXAMPLES: list[tuple[set[str], Example]] = [
    (
        {"calculator"},
        (
            "What is 8% of 250, and the square root of 81?",
            '1. calculator(expression="8 / 100 * 250")\n'
            '2. calculator(expression="sqrt(81)")\njoin()',
        ),
    ),
    (
        {"calculator", "fs_write"},
        (
            "Add 40 and 2, then save it in sum.txt",
            '1. calculator(expression="40 + 2")\n2. fs_write(path="sum.txt", content=$1)\njoin()',
        ),
    ),
    (
        {"current_time"},
        (
            "What time is it in Tokyo and in Lima?",
            '1. current_time(timezone="Asia/Tokyo")\n'
            '2. current_time(timezone="America/Lima")\njoin()',
        ),
    ),
    (
        {"shell"},
        ("Say ready with echo", '1. shell(program="echo", args=["ready"])\njoin()'),
    ),
]

PLANNER_SYSTEM = """\
You are a planner. Write the tool calls that answer the question, one per line, \
numbered, then join(). Use only these tools, and write each needed call once. \
Arguments are name=value with JSON values. $N is the result of call N: use it when \
a call needs an earlier result. Calls that do not need each other run in parallel.
Tools:
{tools}"""

JOINER_SYSTEM = """\
You check tool results against a question. Reply in JSON. If the results answer \
the question, finish with a short answer built from them. If not, replan with \
feedback saying what to do differently."""


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "|".join(json.dumps(v) for v in schema["enum"])
    t = schema.get("type")
    if t == "array":
        items = schema.get("items")
        return f"list[{_type(items if isinstance(items, dict) else {})}]"
    if isinstance(t, list):
        return "|".join(t)
    return str(t or "any")


def signature(spec: ToolSpec) -> str:
    props = spec.parameters.get("properties", {})
    required = set(spec.parameters.get("required", []))
    parts = []
    for name, sub in props.items():
        part = f"{name}: {_type(sub)}"
        if name not in required and "default" in sub:
            part += f" = {json.dumps(sub['default'])}"
        elif name not in required:
            part += " (optional)"
        parts.append(part)
    desc = " ".join(spec.description.split())[:300]
    return f"- {spec.name}({', '.join(parts)}): {desc}"


def examples_for(tools: list[ToolSpec], extra: list[Example]) -> list[Example]:
    names = {t.name for t in tools}
    return list(extra) + [ex for need, ex in BUILTIN_EXAMPLES if need <= names]


def observation(run: TaskRun, limit: int = 300) -> str:
    if run.status == TaskStatus.OK:
        try:
            text = json.dumps(run.result, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            text = f"<{type(run.result).__name__}>"  # repr() could recurse as deep
        return text if len(text) <= limit else text[:limit] + "..."
    err = run.error or {}
    return f"ERROR ({err.get('code', run.status.value)}): {err.get('message', '')}"[:limit]


def history(runs: list[TaskRun]) -> str:
    return "\n".join(f"{r.task.render()} -> {observation(r)}" for r in runs)


def planner_messages(
    query: str,
    tools: list[ToolSpec],
    examples: list[Example],
    *,
    first_id: int,
    prior: list[TaskRun],
    feedback: str | None,
) -> list[dict[str, str]]:
    msgs = [
        {
            "role": "system",
            "content": PLANNER_SYSTEM.format(tools="\n".join(signature(t) for t in tools)),
        }
    ]
    for question, plan in examples:
        msgs.append({"role": "user", "content": question})
        msgs.append({"role": "assistant", "content": plan})
    if not prior and feedback is None:
        msgs.append({"role": "user", "content": query})
        return msgs
    text = query
    if prior:
        text += "\nCalls so far and their results:\n" + history(prior)
    if feedback:
        text += f"\nFeedback: {feedback}"
    text += f"\nWrite the next calls, numbered from {first_id}."
    msgs.append({"role": "user", "content": text})
    return msgs


# Joiner examples: the decision format, one replan for a failure, two finishes.
JOINER_EXAMPLES: list[tuple[str, str]] = [
    (
        "Question: Is it warmer in Oslo or in Rome?\nResults:\n"
        '1. weather(city="Oslo") -> ERROR (tool_error): timeout\n'
        '2. weather(city="Rome") -> {"temp": 21}',
        '{"thought": "The weather in Oslo is missing.", "action": "replan", '
        '"feedback": "Get the weather in Oslo again."}',
    ),
    (
        "Question: Which is bigger, the population of Peru or of Chile?\nResults:\n"
        '1. search(query="population of Peru") -> "34 million"\n'
        '2. search(query="population of Chile") -> "19 million"',
        '{"thought": "Both populations are known.", "action": "finish", '
        '"answer": "Peru (34 million) has more people than Chile (19 million)."}',
    ),
    (
        'Question: What is 3 + 4 times 2?\nResults:\n1. calculator(expression="3 + 4 * 2") -> 11',
        '{"thought": "The calculator gave 11.", "action": "finish", '
        '"answer": "3 + 4 times 2 is 11."}',
    ),
]


def joiner_messages(query: str, runs: list[TaskRun]) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": JOINER_SYSTEM}]
    for question, decision in JOINER_EXAMPLES:
        msgs += [{"role": "user", "content": question}, {"role": "assistant", "content": decision}]
    msgs.append({"role": "user", "content": f"Question: {query}\nResults:\n{history(runs)}"})
    return msgs
