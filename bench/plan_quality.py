"""plan_quality: are the planner's calls right, against what a user would run instead?

The cases (bench/plan_cases/) are questions over real public APIs with the calls
that answer them, in four categories: one call with one function offered, one
call chosen among several functions, several independent calls, and chains where
a call needs an earlier one's result. Three contenders, one real ``aios serve``
with the bundled model, temperature 0, the same httpx client timing each from
the client side:

- planner: ``/v1/compile`` as a dry run with the case's functions as the caller's
  schemas (no replanning).
- forced function calling: ``/v1/chat/completions`` with the functions as
  ``tools`` and ``tool_choice: required``; then, as a user's function-calling
  loop would, the calls' results (the case's canned ones) are fed back and it is
  asked again with ``tool_choice: auto`` until it answers in words or has made as
  many calls as the case expects (an oracle stop the planner does not get: it
  can only help this baseline).
- plain prompting: ``/v1/chat/completions`` without tools, asked for a JSON list of
  calls, the first JSON list in its reply parsed.

Scored call by call (bench/plan_score.py). Latency: the planner's compile against
the forced path's first call (what the planner replaces), and the whole loop.
Subsets for quick measurement: PLAN_QUALITY_CATEGORIES=single,chain,
PLAN_QUALITY_LIMIT=N (cases per category), PLAN_QUALITY_CONTENDERS=planner,forced;
other cases: PLAN_QUALITY_CASES=a.module.with.CASES.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import percentile, record, report, start_daemon
from bench.plan_cases import CATEGORIES, Case, all_cases
from bench.plan_score import Made, score

log = logging.getLogger(__name__)

CONTENDERS = ("planner", "forced", "plain")
# a JSON call is 30 to 60 tokens; the planner has 384 (its default)
MAX_TOKENS = int(os.environ.get("PLAN_QUALITY_MAX_TOKENS", "256"))
PLAIN_PROMPT = (
    "You can call these functions:\n{functions}\n"
    "Reply with only a JSON list of the calls that answer the request: "
    '[{{"name": "...", "arguments": {{...}}}}]'
)


def _made(value: Any) -> Any:
    """A compile task's argument, its references as Made (task ids are 1-based)."""
    if isinstance(value, dict):
        if set(value) == {"$ref", "path"} and isinstance(value["$ref"], int):
            return Made(value["$ref"] - 1, tuple(value["path"]))
        return {k: _made(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_made(v) for v in value]
    return value


class Runner:
    def __init__(self, client: httpx.AsyncClient, model: str) -> None:
        self.client, self.model = client, model

    async def _post(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        t0 = time.perf_counter()
        r = await self.client.post(path, json=body)
        dt = time.perf_counter() - t0
        if r.status_code != 200:
            return {"http_error": r.status_code, "body": r.text[:300]}, dt
        return r.json(), dt

    async def planner(self, case: Case) -> dict[str, Any]:
        tools = [{"type": "function", "function": f} for f in case.functions]
        body, dt = await self._post(
            "/v1/compile",
            {"query": case.question, "tools": tools, "dry_run": True, "max_replans": 0},
        )
        tasks = body.get("tasks") or []
        plans = body.get("plans") or [{}]
        valid = body.get("status") == "planned" and bool(tasks) and "error" not in plans[-1]
        calls = [(t["tool"], _made(t["args"])) for t in tasks]
        text = plans[-1].get("text") if plans else body.get("body")
        return {"calls": calls, "valid": valid, "latency_s": dt, "text": text}

    async def forced(self, case: Case) -> dict[str, Any]:
        tools = [{"type": "function", "function": f} for f in case.functions]
        messages: list[dict[str, Any]] = [{"role": "user", "content": case.question}]
        unused = list(case.expected)
        calls: list[tuple[str, Any]] = []
        first = total = 0.0
        for turn in range(len(case.expected)):
            body, dt = await self._post(
                "/v1/chat/completions",
                {
                    "model": self.model,
                    "messages": messages,
                    "tools": tools,
                    "tool_choice": "required" if turn == 0 else "auto",
                    "temperature": 0,
                    "max_tokens": MAX_TOKENS,
                },
            )
            first, total = first or dt, total + dt
            msg = (body.get("choices") or [{}])[0].get("message") or {}
            made = msg.get("tool_calls") or []
            if not made:
                break
            messages.append(msg)
            for tc in made:
                fn = tc["function"]
                try:
                    args = json.loads(fn["arguments"])
                except ValueError:
                    args = fn["arguments"]
                calls.append((fn["name"], args))
                fed = next((c for c in unused if c.name == fn["name"]), None)
                if fed is not None:
                    unused.remove(fed)
                result = fed.result if fed is not None and fed.result is not None else "done"
                messages.append(
                    {"role": "tool", "tool_call_id": tc["id"], "content": json.dumps(result)}
                )
            if len(calls) >= len(case.expected):
                break
        return {"calls": calls, "latency_s": first, "loop_s": total, "turns": turn + 1}

    async def plain(self, case: Case) -> dict[str, Any]:
        system = PLAIN_PROMPT.format(functions=json.dumps(case.functions))
        body, dt = await self._post(
            "/v1/chat/completions",
            {
                "model": self.model,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": case.question},
                ],
                "temperature": 0,
                "max_tokens": MAX_TOKENS,
            },
        )
        text = ((body.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
        return {"calls": _json_calls(text), "latency_s": dt, "text": text}


def _json_calls(text: str) -> list[tuple[str, Any]]:
    """The calls in the first JSON list of ``text`` that parses ([] if none)."""
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch != "[":
            continue
        try:
            value, _ = decoder.raw_decode(text[i:])
        except ValueError:
            continue
        if isinstance(value, list):
            return [
                (str(c.get("name")), c.get("arguments") or {}) for c in value if isinstance(c, dict)
            ]
    return []


def _selected() -> tuple[list[Case], list[str]]:
    cats = os.environ.get("PLAN_QUALITY_CATEGORIES", ",".join(CATEGORIES)).split(",")
    limit = int(os.environ.get("PLAN_QUALITY_LIMIT", "0")) or None
    who = os.environ.get("PLAN_QUALITY_CONTENDERS", ",".join(CONTENDERS)).split(",")
    source = os.environ.get("PLAN_QUALITY_CASES")
    pool = importlib.import_module(source).CASES if source else all_cases(tuple(cats))
    cases = [c for cat in cats for c in [x for x in pool if x.category == cat][:limit]]
    return cases, [w for w in CONTENDERS if w in who]


async def _measure(port: int, token: str, cases: list[Case], who: list[str]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=600
    ) as client:
        model = (await client.get("/v1/models")).json()["data"][0]["id"]
        runner = Runner(client, model)
        out: dict[str, Any] = {"model": model, "cases": []}
        for case in cases:
            row: dict[str, Any] = {"id": case.id, "category": case.category}
            for name in who:
                got = await getattr(runner, name)(case)
                got["right"], got["why"] = score(case, got["calls"])
                got["calls"] = [[n, _shown(a)] for n, a in got["calls"]]
                row[name] = got
            out["cases"].append(row)
            log.warning(
                "%s: %s",
                case.id,
                " ".join(f"{n}={'ok' if row[n]['right'] else 'no'}" for n in who),
            )
        return out


def _shown(value: Any) -> Any:
    if isinstance(value, Made):
        return {"$ref": value.call + 1, "path": list(value.path)}
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


def _summary(out: dict[str, Any], who: list[str]) -> list[Any]:
    rows = out["cases"]
    records = []
    right = {}
    for cat in CATEGORIES:
        sub = [r for r in rows if r["category"] == cat]
        if not sub:
            continue
        for name in who:
            right[(cat, name)] = sum(r[name]["right"] for r in sub)
        if "planner" in who and "forced" in who:
            p, f = right[(cat, "planner")], right[(cat, "forced")]
            goal, met = (
                ("≥ 1.0x forced", p >= f)
                if cat in ("single", "choice")
                else (
                    "≥ 1.3x forced",
                    p >= 1.3 * f and p > 0,
                )
            )
            plain = f", plain prompting {right[(cat, 'plain')]}" if "plain" in who else ""
            records.append(
                record(
                    f"{cat}: right answers, planner vs forced",
                    p,
                    f,
                    goal=goal,
                    met=met,
                    note=f"of {len(sub)}{plain}",
                )
            )
    if "planner" in who:
        valid = sum(r["planner"]["valid"] for r in rows)
        records.append(
            record(
                "valid plans",
                valid / len(rows),
                None,
                goal="100%",
                met=valid == len(rows),
                note=f"{valid}/{len(rows)}",
            )
        )
    if "planner" in who and "forced" in who:
        p50 = percentile([r["planner"]["latency_s"] for r in rows], 0.5)
        f50 = percentile([r["forced"]["latency_s"] for r in rows], 0.5)
        loop50 = percentile([r["forced"]["loop_s"] for r in rows], 0.5)
        records.append(
            record(
                "planning latency p50, planner vs forced first call",
                p50,
                f50,
                goal="≤ 1.3x",
                met=p50 <= 1.3 * f50,
                unit="s",
                note=f"forced loop p50 {loop50:.2f} s; client wall time",
            )
        )
    return records


def main() -> None:
    cases, who = _selected()
    tmp = Path(tempfile.mkdtemp(prefix="aios-bench-plan-quality-"))
    d = start_daemon(tmp / "data", env={"AIOS_API__PROCESS_RATE_PER_S": "0"})
    try:
        out = asyncio.run(_measure(d.port, d.token, cases, who))
    except Exception:
        log.error("daemon log tail:\n%s", d.output()[-3000:])
        raise
    finally:
        d.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    report("plan_quality", _summary(out, who), out)


if __name__ == "__main__":
    main()
