"""plans: plan validity with and without the grammar, same prompts, same model.

31 varied requests over four tools. With the grammar, the planner's output is
decoded under the plan grammar (compile's dry run); without it, the same prompt
is decoded freely and the text is parsed and validated the same way. A plan is
valid if it parses, ends in join(), and passes validation (known tools, arguments
matching the schemas, references only to earlier tasks).
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.tools import tool

from aios.kernel import ADMIN, Kernel
from aios.kernel.compiler.plan import PlanSyntaxError, parse_plan
from aios.kernel.compiler.prompts import examples_for, planner_messages
from aios.kernel.compiler.validate import validate_plan
from bench.common import bench_config, record, report

PROMPTS = [
    "What is 17 * 23 + 4?",
    "What is the weather in Paris, London and Rome?",
    "What time is it in Tokyo?",
    "Search for the tallest building in the world.",
    "How much is 2 to the power 16?",
    "Compare the weather in Cairo and Oslo.",
    "Who wrote Hamlet?",
    "What is the square root of 1764?",
    "Find news about electric cars and the weather in Berlin.",
    "What time is it in New York and in Sydney?",
    "Add 1234 and 5678, then divide by 2.",
    "Is it warmer in Madrid or in Lisbon?",
    "Search for the population of Canada.",
    "What is 15 percent of 240?",
    "Find a recipe for pancakes.",
    "What is the weather in Mumbai, Delhi, Chennai and Kolkata?",
    "How many seconds are in a day?",
    "Search for the capital of Australia.",
    "What is the current time in UTC?",
    "What is 99 squared minus 1?",
    "Look up the height of Mount Everest and the weather in Kathmandu.",
    "What is the distance from the Earth to the Moon?",
    "Compute (3 + 5) * (7 - 2).",
    "What is the weather like in Reykjavik today?",
    "Search for the best programming language.",
    "What time is it in London, Paris and Moscow?",
    "Convert 100 Fahrenheit to Celsius.",
    "Find the weather in Toronto and search for hockey scores.",
    "What is 1000 divided by 8?",
    "Search for the author of War and Peace.",
    "What is the weather in Nairobi and what time is it there?",
]
TOOLS = ["weather", "search", "calculator", "current_time"]


@tool
def weather(city: str) -> dict[str, Any]:
    """Current weather in a city: temperature in Celsius and a summary."""
    return {"city": city}


@tool
def search(query: str) -> str:
    """Search the web; returns a short text."""
    return query


async def _run() -> dict[str, Any]:
    cfg = bench_config(llm={"cores": [{"kind": "llamacpp", "n_ctx": 2048, "n_seq": 4}]})
    out: dict[str, Any] = {"grammar": [], "free": []}
    async with Kernel(cfg) as k:
        k.tools.register(weather)
        k.tools.register(search)
        specs = [k.tools.get(n) for n in TOOLS]
        by_name = {s.name: s for s in specs}
        for prompt in PROMPTS:
            res: Any = await k.syscall(
                ADMIN, "compile", {"query": prompt, "tools": TOOLS, "dry_run": True}
            )
            ok = res.status == "planned" and bool(res.tasks) and "error" not in res.plans[0]
            out["grammar"].append({"prompt": prompt, "valid": ok, "text": res.plans[0]["text"]})
            msgs = planner_messages(
                prompt, specs, examples_for(specs, []), first_id=1, prior=[], feedback=None
            )
            free: Any = await k.syscall(
                ADMIN,
                "llm.chat",
                {
                    "messages": msgs,
                    "max_tokens": k.config.compiler.planner_max_tokens,
                    "temperature": 0,
                },
            )
            try:
                tasks, ended = parse_plan(free.text)
                why = None if ended else "no join()"
                if ended and not tasks:
                    why = "no tasks"
                if why is None:
                    issues = validate_plan(tasks, by_name)
                    why = issues[0].message if issues else None
            except PlanSyntaxError as exc:
                why = exc.message
            out["free"].append(
                {"prompt": prompt, "valid": why is None, "why": why, "text": free.text}
            )
    return out


def main() -> None:
    out = asyncio.run(_run())
    n = len(PROMPTS)
    g = sum(x["valid"] for x in out["grammar"])
    f = sum(x["valid"] for x in out["free"])
    report(
        "plans",
        [
            record(
                "valid plans with the grammar",
                g / n,
                f / n,
                goal="all valid",
                met=g == n,
                note=f"{g}/{n} with the grammar, {f}/{n} without, same prompts and model",
            ),
        ],
        out,
    )


if __name__ == "__main__":
    main()
