"""Anchored plan grammars: arguments from the question's words, numbers and dates;
the stop rules for plans that have stopped adding anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
from langchain_core.tools import tool

from aios.kernel import ADMIN, Kernel
from aios.kernel.compiler.anchors import Anchors, string_kind
from aios.kernel.compiler.grammar import plan_grammar
from aios.tools.registry import external_spec
from aios.tools.risk import READ_ONLY
from tests.fakes import finish
from tests.security.test_anchor_attacks import _check_gbnf
from tests.test_compiler import compile_, compiler_kernel

WEATHER = {
    "name": "weather",
    "description": "Current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "city name"},
            "units": {"type": "string", "enum": ["standard", "metric", "imperial"]},
            "days": {"type": "integer"},
            "hours": {"type": "array", "items": {"type": "string", "enum": ["temp", "rain"]}},
        },
        "required": ["q"],
    },
}
FORECAST = {
    "name": "forecast",
    "description": "Forecast at coordinates.",
    "parameters": {
        "type": "object",
        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
        "required": ["lat", "lon"],
    },
}


def test_tokens_keep_the_questions_own_separators() -> None:
    a = Anchors('Issues in microsoft/vscode, for "Munich, DE" on 3 March 2020 or July 20, 1995?')
    assert "microsoft" in a.tokens and "vscode" in a.tokens
    i = a.tokens.index("microsoft")
    assert a.seps[i] == "/"
    assert a.tokens[-1] == "1995"  # the ? is not part of it
    assert a.dates == ["2020-03-03", "1995-07-20"]
    assert 2020 in a.numbers and 3 in a.numbers


def test_numbers_with_thousands_and_signs() -> None:
    assert Anchors("send 1,200 at -110.59 then 7").numbers == [1200, -110.59, 7]


def test_string_kinds() -> None:
    assert string_kind("q", {"type": "string"}) == "span"
    assert string_kind("expression", {"type": "string"}) == "written"
    assert string_kind("start_date", {"type": "string"}) == "date"
    assert string_kind("when", {"type": "string", "format": "date"}) == "date"
    assert string_kind("x", {"type": "string", "pattern": "^a+$"}) == "written"


def test_an_enum_takes_the_values_the_question_names() -> None:
    a = Anchors("weather in Oslo, metric please")
    assert a.enum_values(WEATHER["parameters"]["properties"]["units"]) == ["metric"]
    assert Anchors("weather in Oslo").enum_values(WEATHER["parameters"]["properties"]["units"]) == [
        "standard",
        "metric",
        "imperial",
    ]


def test_optional_arguments_need_a_mention() -> None:
    props = WEATHER["parameters"]["properties"]
    a = Anchors("weather in Oslo")
    assert not a.mentions("units", props["units"])  # names none of its values
    assert not a.mentions("days", props["days"])  # no number in the question
    b = Anchors("weather in Oslo for 3 days in imperial units, with rain")
    assert b.mentions("units", props["units"]) and b.mentions("days", props["days"])
    assert b.mentions("hours", props["hours"])


def _grammar(query: str, *fns: dict[str, Any], tasks: int = 3) -> str:
    text = plan_grammar([external_spec(f) for f in fns], max_tasks=tasks, anchors=Anchors(query))
    _check_gbnf(text)  # as llama.cpp's parser would (LlamaGrammar defers it to sampling)
    return text


def test_an_anchored_grammar_parses_and_ties_values_to_the_question() -> None:
    g = _grammar("weather in Oslo and in Rome", WEATHER, FORECAST)
    assert 'qw-2 ::= "Oslo"' in g and '"Rome"' in g
    assert "units=" not in g and "days=" not in g  # optional, and never mentioned
    assert (
        'call-weather-l1 ::= "weather(" "q=" weather-q-q ")"' in g and "weather-q-q ::= qspan" in g
    )
    assert "call-forecast-l1" not in g  # its numbers can only come from an earlier call
    # no number in the question: forecast's lat can only be an earlier result
    assert "forecast-lat-l2-r" not in g and 'call-forecast-l2 ::= "forecast(" "lat=" ref-l2' in g


def test_without_anchors_the_grammar_is_as_before() -> None:
    text = plan_grammar([external_spec(WEATHER)], max_tasks=2)
    assert "qspan" not in text and "units=" in text


def test_a_question_with_quotes_and_backslashes_makes_a_valid_grammar() -> None:
    _grammar('find "a\\b" and \u201cc\u201d, then 5 \\" ok', WEATHER, FORECAST)


# -- stop rules, on a scripted LLM ------------------------------------------------


async def _plan(tmp_path: Path, text: str, query: str = "q") -> Any:
    k, _core, _probe = await compiler_kernel(tmp_path, [text], [finish("done")])

    @tool
    def lookup(name: str, mode: Literal["fast", "slow"] = "fast") -> dict[str, Any]:
        """Look a name up."""
        return {"name": name, "lat": 1.5}

    k.tools.register(lookup, risk=READ_ONLY)
    try:
        return await compile_(k, query, tools=["fetch", "lookup"], dry_run=True)
    finally:
        await k.close()


async def test_a_call_that_adds_nothing_new_ends_the_plan(tmp_path: Path) -> None:
    res = await _plan(tmp_path, '1. fetch(city="Oslo")\n2. lookup(name="Oslo")\njoin()')
    assert [t["tool"] for t in res.tasks] == ["fetch"]
    assert "repeat" in res.plans[0]["note"]


async def test_a_call_with_new_values_or_a_reference_goes_on(tmp_path: Path) -> None:
    res = await _plan(
        tmp_path, '1. lookup(name="Oslo")\n2. fetch(city="Rome")\n3. fetch(city=$1.name)\njoin()'
    )
    assert [t["tool"] for t in res.tasks] == ["lookup", "fetch", "fetch"]


async def test_walking_through_a_choice_ends_the_plan(tmp_path: Path) -> None:
    res = await _plan(
        tmp_path, '1. lookup(name="Oslo", mode="fast")\n2. lookup(name="Oslo", mode="slow")\njoin()'
    )
    assert len(res.tasks) == 1


async def test_a_call_fed_only_by_its_own_kind_ends_the_plan(tmp_path: Path) -> None:
    res = await _plan(
        tmp_path, '1. fetch(city="Oslo")\n2. fetch(city=$1)\n3. fetch(city=$2)\njoin()'
    )
    assert len(res.tasks) == 1


async def test_a_whole_result_given_to_a_scalar_reads_its_field(tmp_path: Path) -> None:
    k, _core, probe = await compiler_kernel(
        tmp_path, ['1. lookup(name="Oslo")\n2. fetch(city=$1)\njoin()'], [finish("done")]
    )

    @tool
    def lookup(name: str) -> dict[str, Any]:
        """Look a name up."""
        return {"city": name.upper(), "lat": 1.5}

    k.tools.register(lookup, risk=READ_ONLY)
    try:
        res = await compile_(k, "q", tools=["fetch", "lookup"])
    finally:
        await k.close()
    assert res.status == "ok", res.error
    assert [c[1] for c in probe.calls if c[0] == "fetch"] == ["OSLO"]


# -- the real model: what the grammar guarantees ------------------------------------


@pytest.mark.model
async def test_real_model_plans_take_their_values_from_the_question(kernel: Kernel) -> None:
    from bench.plan_cases import all_cases

    cases = [c for c in all_cases() if c.category in ("single", "parallel")][::8][:8]
    assert len(cases) >= 6
    for case in cases:
        res: Any = await kernel.syscall(
            ADMIN,
            "compile",
            {"query": case.question, "tools": case.functions, "dry_run": True},
        )
        assert res.status == "planned" and res.tasks, (case.id, res.error)
        a = Anchors(case.question)
        fns = {f["name"]: f["parameters"] for f in case.functions}
        for task in res.tasks:
            params = fns[task["tool"]]
            props, required = params.get("properties", {}), params.get("required", [])
            for key, value in task["args"].items():
                sub = props[key]
                if key not in required:
                    assert a.mentions(key, sub), (case.id, key)
                _check_value(case, a, key, sub, value)


def _check_value(case: Any, a: Anchors, key: str, sub: dict[str, Any], value: Any) -> None:
    if isinstance(value, dict) and "$ref" in value:
        return
    if "enum" in sub:
        assert value in a.enum_values(sub), (case.id, key, value)
    elif sub.get("type") == "string" and string_kind(key, sub) == "span":
        assert value in case.question, (case.id, key, value)
    elif sub.get("type") == "string" and string_kind(key, sub) == "date" and a.dates:
        assert value in a.dates, (case.id, key, value)
    elif sub.get("type") in ("integer", "number"):
        assert value in a.numbers or value == sub.get("default"), (case.id, key, value)
    elif sub.get("type") == "array" and isinstance(value, list):
        for item in value:
            _check_value(case, a, key, sub.get("items") or {}, item)


def test_a_hostile_question_keeps_the_grammar_small_and_valid() -> None:
    # ten thousand characters: one huge "word", thousands of dates, numbers and ids
    query = (
        "x" * 5000
        + " "
        + " ".join(f"{d} March 2020 ID-{d}" for d in range(1, 29)) * 20
        + ' \\ " \u0000 \u202e'
    )[:10_000]
    a = Anchors(query)
    assert all(len(t) <= 120 for t in a.tokens) and len(a.tokens) <= 64
    assert len(a.dates) <= 16 and len(a.numbers) <= 24
    text = _grammar(query, WEATHER, FORECAST, tasks=12)
    assert len(text) < 200_000
