"""OpenAI function calling on /v1/chat/completions, read by the real openai client
and LangChain's bind_tools, against a real daemon on the real model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api_helpers import h
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.model

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 20}},
            "required": ["city"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "description": "The time now.", "parameters": {}},
}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    daemon = Daemon(tmp_path_factory.mktemp("oai-tools") / "data").start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


@pytest.fixture
def client(d: Daemon) -> Any:
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=d.url + "/v1", api_key=d.token)


def test_required_and_named_tool_choice_always_give_valid_calls(client: Any) -> None:
    for choice in ("required", {"type": "function", "function": {"name": "get_weather"}}):
        out = client.chat.completions.create(
            model="smollm2", messages=ASK, tools=[WEATHER, TIME], tool_choice=choice, max_tokens=60
        )
        c = out.choices[0]
        assert c.finish_reason == "tool_calls" and c.message.content is None
        call = c.message.tool_calls[0]
        assert call.id.startswith("call_") and call.type == "function"
        assert call.function.name in ("get_weather", "get_time")
        if call.function.name == "get_weather":
            assert isinstance(json.loads(call.function.arguments)["city"], str)
    assert len(c.message.tool_calls) == 1  # a named function is called once


def test_auto_answers_in_words_or_calls_and_streams_the_same(client: Any) -> None:
    # With tool_choice auto the model may answer either way: the contract is that the
    # answer is one or the other, never both, and that streaming it (greedy decoding)
    # gives exactly the same message: the same text, the same calls, the same finish.
    kw: dict[str, Any] = {
        "model": "smollm2",
        "messages": ASK,
        "tools": [WEATHER],
        "max_tokens": 60,
        "temperature": 0,
    }
    out = client.chat.completions.create(**kw)
    msg, plain_finish = out.choices[0].message, out.choices[0].finish_reason
    if msg.tool_calls:
        assert msg.content is None and plain_finish == "tool_calls"
        assert [c.function.name for c in msg.tool_calls] == ["get_weather"] * len(msg.tool_calls)
        assert all(isinstance(json.loads(c.function.arguments), dict) for c in msg.tool_calls)
    else:
        assert msg.content and plain_finish in ("stop", "length")
    calls: dict[int, Any] = {}
    text, finish = "", None
    for chunk in client.chat.completions.create(**kw, stream=True):
        delta = chunk.choices[0].delta
        text += delta.content or ""
        for tc in delta.tool_calls or []:
            calls[tc.index] = tc
        finish = chunk.choices[0].finish_reason or finish
    assert finish == plain_finish
    assert text == (msg.content or "")
    streamed = [(calls[i].function.name, json.loads(calls[i].function.arguments)) for i in calls]
    made = [(c.function.name, json.loads(c.function.arguments)) for c in msg.tool_calls or []]
    assert streamed == made


def test_a_tool_result_goes_back_into_the_conversation(client: Any) -> None:
    first = client.chat.completions.create(
        model="smollm2", messages=ASK, tools=[WEATHER], tool_choice="required", max_tokens=60
    )
    call = first.choices[0].message.tool_calls[0]
    out = client.chat.completions.create(
        model="smollm2",
        messages=[
            *ASK,
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 21 C"},
        ],
        tools=[WEATHER],
        tool_choice="none",
        max_tokens=20,
    )
    assert out.choices[0].message.content and not out.choices[0].message.tool_calls


def test_bad_tools_are_refused_with_the_error_shape(d: Daemon) -> None:
    def ask(**kw: Any) -> httpx.Response:
        body = {"model": "smollm2", "messages": ASK, **kw}
        return httpx.post(d.url + "/v1/chat/completions", json=body, headers=h(d.token))

    for kw in (
        {"tools": [{"type": "function", "function": {"description": "no name"}}]},
        {"tools": [{"type": "retrieval"}]},
        {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
        {"tools": [WEATHER], "tool_choice": "sometimes"},
        {"tools": [WEATHER], "response_format": {"type": "json_object"}},
    ):
        r = ask(**kw)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", (kw, r.text)


def test_langchain_bind_tools_gets_tool_calls(d: Daemon) -> None:
    pytest.importorskip("langchain_openai")
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI

    @tool
    def get_weather(city: str) -> str:
        """The current weather in a city."""
        return "sunny"

    llm = ChatOpenAI(base_url=d.url + "/v1", api_key=d.token, model="smollm2", max_tokens=60)
    msg = llm.bind_tools([get_weather], tool_choice="required").invoke("Weather in Rome?")
    assert msg.tool_calls and msg.tool_calls[0]["name"] == "get_weather"
    assert isinstance(msg.tool_calls[0]["args"].get("city"), str)
