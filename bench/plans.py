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
from tests.plan_prompts import PROMPTS

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
