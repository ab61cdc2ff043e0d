"""Bad input through real HTTP (uvicorn on loopback, a scripted core, real LSFS): each
input an attack on a running daemon once answered with a 500 is now a 400 or 422 in
the one error shape, and the connection it came on serves the next request (a 500
used to close it). Also: a streamed oversized body is a 413, an error that says when
to come back sets Retry-After, and a bug is a 500 that keeps the connection too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from aios.errors import Unavailable
from aios.fs.embed import Embedder
from aios.kernel import Kernel
from aios.kernel.syscalls import Syscall
from tests.live_app import LiveApp

S = '"\\ud800"'  # a lone surrogate, as a JSON escape
MSG = '[{"role": "user", "content": "hi"}]'
LONG = "a" * 300  # one path segment: past NAME_MAX


class _Nothing(BaseModel):
    pass


async def _unavailable(k: Kernel, call: Any, args: _Nothing) -> _Nothing:
    raise Unavailable("the queue is full", retry_after_s=2.5)


def _setup(app: FastAPI, k: Kernel) -> None:
    k.syscalls.register(Syscall("test.unavailable", _Nothing, _Nothing, _unavailable))

    @app.get("/test/bug")
    async def bug() -> None:
        raise RuntimeError("a bug, not the caller's fault")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[LiveApp]:
    with LiveApp(tmp_path_factory.mktemp("bad-input"), embedder, setup=_setup) as a:
        yield a


@pytest.fixture
def client(app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, headers=app.headers, timeout=60) as c:
        yield c


def local_port(r: httpx.Response) -> int:
    """The client's port of the connection ``r`` came on."""
    return int(r.extensions["network_stream"].get_extra_info("client_addr")[1])


def assert_error_shape(r: httpx.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert "Traceback" not in r.text
    return body["error"]  # type: ignore[no-any-return]


def assert_connection_kept(client: httpx.Client, bad: httpx.Response) -> None:
    assert bad.headers.get("connection", "").lower() != "close", bad.headers
    after = client.get("/v1/health")
    assert after.status_code == 200 and local_port(after) == local_port(bad)


def _query(query_type: str, data: str) -> str:
    return f'{{"query_type": "{query_type}", "query_data": {data}}}'


def _tool(params: str) -> str:
    fn = f'{{"name": "t", "description": "d", "parameters": {params}}}'
    return f'{{"query": "q", "dry_run": true, "tools": [{{"type": "function", "function": {fn}}}]}}'


def _obj(x: str, defs: str = "{}") -> str:
    return f'{{"type": "object", "properties": {{"x": {x}}}, "$defs": {defs}}}'


BAD: list[tuple[str, str, str]] = [
    # lone surrogates, in every kind of string field
    ("surrogate-path", "/v1/fs/write", f'{{"path": {S}, "content": "x"}}'),
    ("surrogate-content", "/v1/fs/write", f'{{"path": "a.txt", "content": {S}}}'),
    ("surrogate-syscall-path", "/v1/syscall", f'{{"name": "fs.write", "args": {{"path": {S}}}}}'),
    (
        "surrogate-syscall-content",
        "/v1/syscall",
        f'{{"name": "fs.write", "args": {{"path": "a.txt", "content": {S}}}}}',
    ),
    ("surrogate-task", "/v1/processes", f'{{"agent": "sleep", "task": {S}}}'),
    ("surrogate-agent", "/v1/processes", f'{{"agent": {S}}}'),
    ("surrogate-name", "/v1/syscall", f'{{"name": {S}, "args": {{}}}}'),
    ("surrogate-key", "/v1/syscall", f'{{"name": "fs.read", "args": {{{S}: 1}}}}'),
    ("surrogate-query", "/v1/fs/retrieve", f'{{"query": {S}}}'),
    ("surrogate-message", "/v1/llm/chat", f'{{"messages": [{{"role": "user", "content": {S}}}]}}'),
    (
        "surrogate-openai",
        "/v1/chat/completions",
        f'{{"model": "fake", "messages": [{{"role": "user", "content": {S}}}]}}',
    ),
    ("surrogate-compile", "/v1/compile", f'{{"query": {S}}}'),
    ("surrogate-cerebrum", "/query", _query("llm", f'{{"messages": [{{"content": {S}}}]}}')),
    ("surrogate-low-half", "/v1/fs/write", '{"path": "a.txt", "content": "\\udc00"}'),
    ("surrogate-pair-reversed", "/v1/fs/write", '{"path": "a.txt", "content": "\\udc00\\ud800"}'),
    # numbers JSON does not have
    ("nan-timeout", "/v1/syscall", '{"name": "proc.wait", "args": {"pid": 1, "timeout": NaN}}'),
    (
        "inf-timeout",
        "/v1/syscall",
        '{"name": "proc.wait", "args": {"pid": 1, "timeout": Infinity}}',
    ),
    ("nan-temperature", "/v1/llm/chat", f'{{"messages": {MSG}, "temperature": NaN}}'),
    ("minus-inf", "/v1/llm/chat", f'{{"messages": {MSG}, "temperature": -Infinity}}'),
    # Cerebrum /query fields of the wrong type
    ("query-temperature", "/query", _query("llm", f'{{"messages": {MSG}, "temperature": "abc"}}')),
    ("query-max-tokens", "/query", _query("llm", f'{{"messages": {MSG}, "max_new_tokens": "x"}}')),
    ("query-messages", "/query", _query("llm", '{"messages": "not a list"}')),
    ("query-message-item", "/query", _query("llm", '{"messages": ["hi"]}')),
    ("query-tools", "/query", _query("llm", f'{{"messages": {MSG}, "tools": "calculator"}}')),
    ("query-tool-calls", "/query", _query("tool", '{"tool_calls": ["calculator"]}')),
    (
        "query-tool-params",
        "/query",
        _query("tool", '{"tool_calls": [{"name": "c", "parameters": 1}]}'),
    ),
    ("query-params", "/query", _query("storage", '{"operation_type": "write", "params": "x"}')),
    (
        "query-n",
        "/query",
        _query("storage", '{"operation_type": "retrieve", "params": {"n": "x"}}'),
    ),
    (
        "query-time",
        "/query",
        _query("storage", '{"operation_type": "rollback", "params": {"time": "x"}}'),
    ),
    (
        "query-k",
        "/query",
        _query("memory", '{"operation_type": "retrieve_memory", "params": {"k": []}}'),
    ),
    (
        "query-metadata",
        "/query",
        _query("memory", '{"operation_type": "add_memory", "params": {"metadata": [1]}}'),
    ),
    # compile tools whose $ref is missing, not a string, or refers to itself
    ("ref-missing", "/v1/compile", _tool(_obj('{"$ref": "#/$defs/nope"}'))),
    ("ref-not-a-string", "/v1/compile", _tool(_obj('{"$ref": 5}'))),
    ("ref-null", "/v1/compile", _tool(_obj('{"$ref": null}'))),
    (
        "ref-self",
        "/v1/compile",
        _tool(_obj('{"$ref": "#/$defs/a"}', '{"a": {"$ref": "#/$defs/a"}}')),
    ),
    ("ref-root", "/v1/compile", _tool(_obj('{"$ref": "#"}'))),
    (
        "ref-recursive",
        "/v1/compile",
        _tool(_obj('{"$ref": "#/$defs/n"}', '{"n": ' + _obj('{"$ref": "#/$defs/n"}') + "}")),
    ),
    # a path segment longer than any file system takes
    ("long-segment", "/v1/fs/write", f'{{"path": "{LONG}/b.txt", "content": "x"}}'),
    ("long-name", "/v1/fs/write", f'{{"path": "{LONG}", "content": "x"}}'),
    ("long-stat", "/v1/fs/stat", f'{{"path": "{LONG}"}}'),
    ("long-mkdir", "/v1/fs/mkdir", f'{{"path": "{LONG}"}}'),
    ("long-syscall", "/v1/syscall", f'{{"name": "fs.read", "args": {{"path": "{LONG}"}}}}'),
    # nesting no request needs
    (
        "deep-200",
        "/v1/syscall",
        '{"name": "fs.read", "args": {"x": ' + "[" * 200 + "]" * 200 + "}}",
    ),
    (
        "deep-args",
        "/v1/syscall",
        '{"name": "fs.read", "args": {"x": ' + "[" * 5000 + "]" * 5000 + "}}",
    ),
    ("deeper-than-the-parser", "/v1/fs/write", "[" * 200_000 + "]" * 200_000),
]


@pytest.mark.parametrize(("path", "body"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_a_400_and_the_connection_stays(
    client: httpx.Client, path: str, body: str
) -> None:
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert_error_shape(r)
    assert_connection_kept(client, r)


def test_raw_surrogate_bytes_are_not_utf8_and_a_400(client: httpx.Client) -> None:
    body = b'{"path": "a.txt", "content": "\xed\xa0\x80"}'  # \ud800 as raw bytes
    r = client.post("/v1/fs/write", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in assert_error_shape(r)["message"]
    assert_connection_kept(client, r)


def test_the_error_says_where_the_surrogate_is(client: httpx.Client) -> None:
    body = f'{{"name": "fs.write", "args": {{"path": "a.txt", "content": {S}}}}}'
    r = client.post("/v1/syscall", content=body, headers={"Content-Type": "application/json"})
    assert assert_error_shape(r)["details"]["where"] == "args.content"


def test_valid_surrogate_pairs_and_nan_as_text_pass(client: httpx.Client) -> None:
    # what the check must not refuse: an escaped pair (an emoji, as requests sends it),
    # a backslash before "ud800", and "NaN" inside a string
    content = "\\ud83d\\ude00 \\\\ud800 NaN Infinity"
    body = f'{{"path": "ok/emoji.txt", "content": "{content}"}}'
    r = client.post("/v1/fs/write", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    read = client.post("/v1/fs/read", json={"path": "ok/emoji.txt"}).json()
    assert read["text"] == "\U0001f600 \\ud800 NaN Infinity"


def test_a_streamed_body_over_the_limit_is_413(client: httpx.Client) -> None:
    limit = 40 * 1024 * 1024  # the default api.max_body_bytes

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for _ in range(41):
            yield b"x" * (1024 * 1024)

    for r in (
        client.put("/v1/fs/content/big.bin", content=chunks()),  # a route that reads it
        client.post(  # a route whose JSON body FastAPI parses
            "/v1/fs/write", content=chunks(), headers={"Content-Type": "application/json"}
        ),
    ):
        assert r.status_code == 413, r.text
        assert assert_error_shape(r)["details"] == {"limit": limit}
    declared = client.post(
        "/v1/fs/write",
        content=b" " * (limit + 1),
        headers={"Content-Type": "application/json"},
    )
    assert declared.status_code == 413


def test_unavailable_with_retry_after_s_sets_retry_after(client: httpx.Client) -> None:
    r = client.post("/v1/syscall", json={"name": "test.unavailable", "args": {}})
    assert r.status_code == 503 and r.headers["retry-after"] == "3"  # rounded up
    err = assert_error_shape(r)
    assert err["code"] == "unavailable" and err["details"] == {"retry_after_s": 2.5}
    assert_connection_kept(client, r)


def test_a_bug_is_a_500_in_the_shape_and_the_connection_stays(client: httpx.Client) -> None:
    r = client.get("/test/bug")
    assert r.status_code == 500
    assert assert_error_shape(r) == {"code": "internal", "message": "internal error", "details": {}}
    assert "a bug" not in r.text
    assert_connection_kept(client, r)


def test_a_nan_in_error_details_is_written_as_text() -> None:
    from aios.api.common import error_response
    from aios.errors import BadRequest

    r = error_response(BadRequest("bad", value=float("nan"), name="\ud800", deep=[[{"x": 1}]]))
    body = json.loads(bytes(r.body))
    assert body["error"]["details"] == {"value": "nan", "name": "\\ud800", "deep": [[{"x": 1}]]}


# -- Cerebrum /query: every action answered inside its envelope ---------------------------

ENVELOPE = {"response", "start_times", "end_times", "waiting_times", "turnaround_times"}


def test_cerebrum_a_failing_tool_is_answered_in_band(client: httpx.Client) -> None:
    calls = [{"name": "calculator", "parameters": {"expression": "1/0"}}]
    r = client.post("/query", json={"query_type": "tool", "query_data": {"tool_calls": calls}})
    assert r.status_code == 200 and set(r.json()) == ENVELOPE
    resp = r.json()["response"]
    assert resp["response_class"] == "tool" and not resp["finished"]
    assert resp["status_code"] >= 400 and resp["error"].startswith("tool calculator:")


def test_cerebrum_an_answer_with_no_tool_call_is_in_its_envelope(client: httpx.Client) -> None:
    # the scripted core ignores the grammar: its answer is not a call, as a cut-off
    # answer would not be; it is still answered in the envelope the SDK indexes into
    tools = [{"type": "function", "function": {"name": "calculator", "parameters": {}}}]
    data = {"action_type": "call_tool", "tools": tools, "messages": [{"content": "6*7?"}]}
    r = client.post("/query", json={"query_type": "llm", "query_data": data})
    assert r.status_code == 200 and set(r.json()) == ENVELOPE
    resp = r.json()["response"]
    assert resp["response_class"] == "tool" and not resp["finished"] and resp["error"]


def test_cerebrum_null_fields_are_defaults(client: httpx.Client) -> None:
    # the SDK sends every field, most of them null
    data = {"messages": [{"role": "user", "content": "hi"}], "tools": None, "llms": None}
    data |= {"temperature": None, "max_new_tokens": None, "response_format": None}
    r = client.post("/query", json={"query_type": "llm", "query_data": data})
    assert r.status_code == 200 and r.json()["response"]["finished"], r.text


def test_json_nested_past_the_parser_inside_files_and_strings_is_no_500(
    client: httpx.Client,
) -> None:
    """The body check cannot see nesting inside a string or a file: a Cerebrum memory
    file and an OpenAI tool call's arguments that are 100,000 levels deep."""
    r = client.post(
        "/v1/fs/write", json={"path": "memory/cerebrum/deep.json", "content": "[" * 100_000}
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/query",
        json={
            "query_type": "memory",
            "query_data": {"operation_type": "get_memory", "params": {"memory_id": "deep"}},
        },
    )
    assert r.status_code < 500, r.text
    call = {"id": "1", "type": "function", "function": {"name": "f", "arguments": "[" * 100_000}}
    body = {
        "model": "fake",
        "max_tokens": 4,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "1", "content": "ok"},
            {"role": "user", "content": "again"},
        ],
    }
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code < 500, r.text
    assert_connection_kept(client, r)
