"""Hostile JSON schemas (and grammars) get a 400, never a RecursionError, a hang, a
blow-up or a crash: the same limits at every entry point (aios/tools/schema_limits.py).

Entry points: compile's external ``tools``, llm.chat's ``json_schema`` and ``grammar``,
OpenAI ``tools`` and ``response_format`` on /v1/chat/completions."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from aios.api.routes.llm import OAIRequest, chat_args
from aios.api.routes.oai_tools import ToolCalling
from aios.errors import BadRequest
from aios.kernel import ADMIN, Kernel
from aios.kernel.compiler.grammar import plan_grammar
from aios.kernel.compiler.plan import Task
from aios.kernel.compiler.validate import validate_plan
from aios.kernel.sysllm import ChatArgs
from aios.tools.registry import ToolRegistry, external_spec
from aios.tools.schema_limits import LIMITS, check_schema
from tests.api_helpers import h
from tests.conftest import make_config
from tests.daemon_helpers import Daemon
from tests.fakes import FakeCore

Schema = dict[str, Any]


def deep(n: int) -> Schema:
    s: Schema = {"type": "string"}
    for _ in range(n):
        s = {"type": "object", "properties": {"a": s}}
    return s


def doubling(levels: int = 16) -> Schema:
    """a -> [b, b], b -> [c, c], ...: 2**levels nodes once inlined."""
    defs: Schema = {
        f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(levels)
    }
    defs[f"d{levels}"] = {"type": "string"}
    return {"type": "object", "properties": {"x": {"$ref": "#/$defs/d0"}}, "$defs": defs}


def wide(levels: int = 6) -> Schema:
    """Each level refers to the next eight times: 8**levels."""
    defs: Schema = {
        f"d{i}": {
            "type": "object",
            "properties": {k: {"$ref": f"#/$defs/d{i + 1}"} for k in "abcdefgh"},
        }
        for i in range(levels)
    }
    defs[f"d{levels}"] = {"type": "integer"}
    return {"type": "object", "properties": {"x": {"$ref": "#/$defs/d0"}}, "$defs": defs}


def obj(**props: Schema) -> Schema:
    return {"type": "object", "properties": props}


BOMBS: dict[str, Callable[[], Schema]] = {
    "deep_10000": lambda: deep(10_000),
    "doubling_refs": doubling,
    "wide_refs": wide,
    "ref_cycle": lambda: {
        **obj(x={"$ref": "#/$defs/a"}),
        "$defs": {"a": obj(b={"$ref": "#/$defs/b"}), "b": {"anyOf": [{"$ref": "#/$defs/a"}]}},
    },
    "self_ref": lambda: obj(x={"$ref": "#/$defs/a"}) | {"$defs": {"a": {"$ref": "#/$defs/a"}}},
    "root_ref": lambda: obj(x={"$ref": "#"}),
    "remote_ref": lambda: obj(x={"$ref": "https://example.invalid/schema.json"}),
    "file_ref": lambda: obj(x={"$ref": "file:///etc/passwd"}),
    "missing_ref": lambda: obj(x={"$ref": "#/$defs/nope"}),
    "ref_not_a_string": lambda: obj(x={"$ref": 5}),
    "ref_null": lambda: obj(x={"$ref": None}),
    "ref_a_list": lambda: obj(x={"$ref": ["#/$defs/a"]}) | {"$defs": {"a": {}}},
    "defs_not_an_object": lambda: obj(x={"$ref": "#/$defs/a"}) | {"$defs": [1]},
    "recursive_object": lambda: {
        **obj(x={"$ref": "#/$defs/node"}),
        "$defs": {"node": obj(child={"$ref": "#/$defs/node"})},
    },
    "properties_100k": lambda: obj(**{f"p{i}": {"type": "string"} for i in range(100_000)}),
    "enum_1m": lambda: obj(x={"enum": list(range(1_000_000))}),
    "default_1m": lambda: obj(x={"type": "array", "default": [0] * 1_000_000}),
    "text_2m": lambda: obj(x={"type": "string", "description": "x" * 2_000_000}),
    "max_length_1e9": lambda: obj(x={"type": "string", "maxLength": 10**9}),
    "min_items_1e9": lambda: obj(x={"type": "array", "minItems": 10**9}),
    "pattern_repeat": lambda: obj(x={"type": "string", "pattern": "^a{1,1000000}$"}),
    "pattern_groups": lambda: obj(x={"type": "string", "pattern": "^" + "(" * 30 + ")" * 30 + "$"}),
    "pattern_long": lambda: obj(x={"type": "string", "pattern": "a" * 10_000}),
    "pattern_invalid": lambda: obj(x={"type": "string", "pattern": "(("}),
    "bad_type": lambda: obj(x={"type": "strng"}),
    "bool_schema": lambda: obj(x=True),  # type: ignore[arg-type]
    "dynamic_ref": lambda: obj(x={"$dynamicRef": "#meta"}),
}
KERNEL_BOMBS = [b for b in BOMBS if b != "deep_10000"] + ["deep_300"]
BOMBS_ALL = {**BOMBS, "deep_300": lambda: deep(300)}


def refused(fn: Callable[[], Any]) -> BadRequest:
    t0 = time.monotonic()
    with pytest.raises(BadRequest) as info:
        fn()
    assert time.monotonic() - t0 < 5, "the check itself must be cheap"
    return info.value


# -- each entry point, every bomb -------------------------------------------------------


@pytest.mark.parametrize("bomb", BOMBS)
def test_the_checker_refuses(bomb: str) -> None:
    err = refused(lambda: check_schema(BOMBS[bomb](), "json_schema"))
    assert err.status == 400 and err.message.startswith("json_schema: ")


@pytest.mark.parametrize("bomb", BOMBS)
def test_compile_external_tools_refuse(bomb: str) -> None:
    refused(lambda: external_spec({"name": "f", "parameters": BOMBS[bomb]()}))


@pytest.mark.parametrize("bomb", BOMBS)
def test_openai_tools_refuse(bomb: str) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": BOMBS[bomb]()}}]
    err = refused(lambda: ToolCalling(tools, "auto", None))
    assert "tools[0].function.parameters" in err.message


@pytest.mark.parametrize("bomb", BOMBS)
def test_openai_response_format_refuses(bomb: str) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "r", "schema": BOMBS[bomb]()}}
    req = OAIRequest(model="m", messages=[{"role": "user", "content": "x"}], response_format=fmt)
    err = refused(lambda: chat_args(req))
    assert "response_format" in err.message


@pytest.mark.parametrize("bomb", BOMBS)
def test_llm_chat_arguments_refuse(bomb: str) -> None:
    args = {"messages": [{"role": "user", "content": "x"}], "json_schema": BOMBS[bomb]()}
    refused(lambda: ChatArgs.model_validate(args))


@pytest.fixture
async def k(tmp_path: Path) -> AsyncIterator[Kernel]:
    cfg = make_config(
        tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]}, fs={"enabled": False}
    )
    async with Kernel(cfg, cores=[FakeCore()]) as kernel:
        yield kernel


async def _chat(k: Kernel, **args: Any) -> Any:
    msgs = [{"role": "user", "content": "x"}]
    return await k.syscall(ADMIN, "llm.chat", {"messages": msgs, "max_tokens": 2, **args})


async def test_kernel_syscalls_refuse_every_bomb_and_keep_working(k: Kernel) -> None:
    for bomb in KERNEL_BOMBS:
        with pytest.raises(BadRequest):
            await _chat(k, json_schema=BOMBS_ALL[bomb]())
        tool = {"type": "function", "function": {"name": "f", "parameters": BOMBS_ALL[bomb]()}}
        with pytest.raises(BadRequest):
            await k.syscall(ADMIN, "compile", {"query": "q", "tools": [tool], "dry_run": True})
    assert (await _chat(k, json_schema=doubling(3))).text  # within the limits: fine


async def test_kernel_refuses_a_10000_deep_schema(k: Kernel) -> None:
    with pytest.raises(BadRequest):
        await _chat(k, json_schema=deep(10_000))


async def test_grammar_nesting_that_would_overflow_llama_cpp_is_refused(k: Kernel) -> None:
    # 40,000 nested groups segfault llama.cpp's recursive GBNF parser (checked by hand)
    grammar = "root ::= " + "(" * 40_000 + '"a"' + ")" * 40_000
    with pytest.raises(BadRequest):
        await _chat(k, grammar=grammar[:100_000])
    with pytest.raises(BadRequest, match="nested"):
        await _chat(k, grammar="root ::= " + "(" * 2000 + '"a"' + ")" * 2000)
    ok = 'root ::= "(((" [(] x # (((\nx ::= ("a" | "b")'
    assert (await _chat(k, grammar=ok)).text


# -- what the schemas feed: grammars, validation -------------------------------------------


def test_plan_grammar_is_bounded_however_many_tools() -> None:
    params = obj(**{f"p{i}": {"type": "string", "maxLength": 100} for i in range(100)})
    tools = [external_spec({"name": f"t{i}", "parameters": params}) for i in range(64)]
    err = refused(lambda: plan_grammar(tools, max_tasks=12))
    assert "plan grammar" in err.message


def test_property_names_cannot_inject_grammar() -> None:
    bad = obj(**{'a" | [^\\x00]* | "': {"type": "string"}})
    with pytest.raises(BadRequest, match="identifiers"):
        external_spec({"name": "f", "parameters": bad})


@pytest.mark.timeout(20)
def test_caller_regexes_are_not_backtracked_during_plan_validation() -> None:
    tool = external_spec(
        {"name": "f", "parameters": obj(x={"type": "string", "pattern": "^(a+)+$"})}
    )
    t0 = time.monotonic()
    issues = validate_plan([Task(1, "f", {"x": "a" * 40 + "!"})], {"f": tool})
    assert time.monotonic() - t0 < 1 and issues == []


# -- what must keep working -------------------------------------------------------------------


class Address(BaseModel):
    title: str  # a field named like the keyword that is dropped
    city: str


class Order(BaseModel):
    ship_to: Address
    bill_to: Address | None = None


class Node(BaseModel):
    name: str
    children: list[Node] = []


def test_registered_tools_have_their_refs_inlined_and_recursive_ones_are_refused() -> None:
    reg = ToolRegistry(threads=1)
    try:

        def order(o: Order) -> str:
            """Place an order."""
            return "ok"

        params = reg.register(order).parameters
        assert "$ref" not in repr(params) and "$defs" not in params
        ship = params["properties"]["o"]["properties"]["ship_to"]
        assert set(ship["properties"]) == {"title", "city"}

        def tree(root: Node) -> str:
            """A tree."""
            return "ok"

        with pytest.raises(BadRequest, match="cycle"):
            reg.register(tree)
    finally:
        reg.close()


def test_openai_tools_with_defs_are_inlined_into_one_valid_schema() -> None:
    params = {
        "type": "object",
        "properties": {"o": {"$ref": "#/$defs/A"}},
        "$defs": {"A": obj(city={"type": "string"})},
    }
    calling = ToolCalling(
        [{"type": "function", "function": {"name": "f", "parameters": params}}], "auto", None
    )
    schema = calling.schema()
    check_schema(schema)
    assert "$ref" not in repr(schema)


def test_limits_allow_ordinary_schemas() -> None:
    ordinary = obj(
        city={"type": "string", "maxLength": LIMITS.max_repeat, "pattern": "^[A-Z][a-z]+$"},
        days={"type": "integer", "minimum": 1, "maximum": 14},
        units={"enum": ["metric", "imperial"]},
        tags={"type": "array", "items": {"type": "string"}, "maxItems": 10},
        extra={"type": "object", "additionalProperties": False},
    )
    check_schema(deep(20))
    check_schema(ordinary)
    external_spec({"name": "weather", "parameters": ordinary})


# -- over HTTP, on a real daemon (no model: its core is a remote one that is not there) --------


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    core = {"kind": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1"}
    cores = json.dumps([{**core, "connect_timeout_s": 0.5}])
    env = {"AIOS_LLM__CORES": cores, "AIOS_FS__ENABLED": "false"}
    daemon = Daemon(tmp_path_factory.mktemp("schema-bombs") / "data", env=env).start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


def _deep_json(n: int) -> str:
    """deep(n) as JSON text (json.dumps itself cannot write 10,000 levels)."""
    return '{"type": "object", "properties": {"a": ' * n + '{"type": "string"}' + "}}" * n


@pytest.mark.slow
def test_chat_completions_answers_every_bomb_with_400(d: Daemon) -> None:
    msgs = json.dumps([{"role": "user", "content": "x"}])
    with httpx.Client(base_url=d.url, headers=h(d.token), timeout=60) as c:
        for bomb, make in BOMBS.items():
            schema = _deep_json(10_000) if bomb == "deep_10000" else json.dumps(make())
            tool = f'{{"type": "function", "function": {{"name": "f", "parameters": {schema}}}}}'
            fmt = f'{{"type": "json_schema", "json_schema": {{"name": "r", "schema": {schema}}}}}'
            for extra in (f'"tools": [{tool}]', f'"response_format": {fmt}'):
                body = f'{{"model": "m", "messages": {msgs}, {extra}}}'
                r = c.post(
                    "/v1/chat/completions",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                assert r.status_code == 400, (bomb, r.status_code, r.text[:300])
        r = c.post("/v1/llm/chat", json={"messages": json.loads(msgs), "json_schema": doubling()})
        assert r.status_code == 400 and "json_schema" in r.json()["error"]["message"]
        tool_obj = {"type": "function", "function": {"name": "f", "parameters": wide()}}
        r = c.post(
            "/v1/syscall",
            json={"name": "compile", "args": {"query": "q", "tools": [tool_obj], "dry_run": True}},
        )
        assert r.status_code == 400, r.text[:300]
        assert c.get("/v1/health").status_code == 200
    assert d.proc is not None and d.proc.poll() is None  # still up
    assert "Traceback" not in d.output(), d.output()[-3000:]
