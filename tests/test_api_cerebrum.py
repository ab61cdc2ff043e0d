"""POST /query as the Cerebrum SDK sends it (requests, json=, credentials from
~/.netrc), against a real daemon."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_helpers import MSG
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    daemon = Daemon(tmp_path_factory.mktemp("cerebrum") / "data").start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


def _query(d: Daemon, query_type: str, query_data: dict[str, Any]) -> dict[str, Any]:
    """As the Cerebrum SDK sends it: requests, json=, no headers; auth from ~/.netrc."""
    import requests

    r = requests.post(
        f"{d.url}/query",
        json={
            "query_type": query_type,
            "agent_name": "example/test_agent",
            "query_data": {"query_class": query_type, **query_data},
        },
        timeout=120,
    )
    r.raise_for_status()
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def netrc(d: Daemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "netrc"
    f.write_text(f"machine 127.0.0.1 login aios password {d.token}\n")
    f.chmod(0o600)
    monkeypatch.setenv("NETRC", str(f))


def test_cerebrum_without_credentials_is_refused(
    d: Daemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    r = requests.post(
        f"{d.url}/query",
        json={"query_type": "llm", "agent_name": "a", "query_data": {"messages": MSG}},
    )
    assert r.status_code == 401


def test_cerebrum_llm_actions(d: Daemon, netrc: None) -> None:
    base = {
        "llms": None,
        "messages": MSG,
        "tools": None,
        "temperature": 0.0,
        "max_new_tokens": 16,
        "message_return_type": "text",
        "response_format": None,
    }
    out = _query(d, "llm", {**base, "action_type": "chat"})
    resp = out["response"]
    assert resp["response_class"] == "llm" and resp["finished"] and resp["status_code"] == 200
    assert resp["response_message"] and set(out) >= {"start_times", "turnaround_times"}
    out = _query(
        d,
        "llm",
        {
            **base,
            "action_type": "chat_with_json_output",
            "message_return_type": "json",
            "max_new_tokens": 40,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "x",
                    "schema": {
                        "type": "object",
                        "properties": {"answer": {"type": "string", "maxLength": 20}},
                        "required": ["answer"],
                    },
                },
            },
        },
    )
    assert "answer" in json.loads(out["response"]["response_message"])
    tools = [
        {
            "type": "function",
            "function": {
                "name": "calculator",
                "description": "Evaluate arithmetic.",
                "parameters": {
                    "type": "object",
                    "properties": {"expression": {"type": "string", "maxLength": 30}},
                    "required": ["expression"],
                },
            },
        }
    ]
    out = _query(
        d,
        "llm",
        {
            **base,
            "action_type": "chat_with_tool_call_output",
            "tools": tools,
            "max_new_tokens": 60,
            "messages": [{"role": "user", "content": "What is 6 times 7?"}],
        },
    )
    calls = out["response"]["tool_calls"]  # forced by the grammar: never prose
    assert calls and all(c["name"] == "calculator" and c["id"] for c in calls)
    assert isinstance(calls[0]["parameters"]["expression"], str)
    # call_tool: the grammar makes the model call a tool (it cannot answer in prose),
    # and this tool's pattern admits only expressions the calculator evaluates, so the
    # contract holds whatever the model picks: a tool ran and its result came back.
    arithmetic = {"type": "string", "pattern": "^[1-9][0-9]? ?[*+] ?[1-9][0-9]?$"}
    forced = [
        {
            **tools[0],
            "function": {
                **tools[0]["function"],
                "parameters": {
                    "type": "object",
                    "properties": {"expression": arithmetic},
                    "required": ["expression"],
                },
            },
        }
    ]
    out = _query(
        d,
        "llm",
        {
            **base,
            "action_type": "call_tool",
            "tools": forced,
            "max_new_tokens": 120,
            "messages": [{"role": "user", "content": "What is 6 times 7?"}],
        },
    )
    resp = out["response"]
    assert resp["response_class"] == "tool" and resp["error"] is None, resp
    assert resp["finished"] and resp["status_code"] == 200
    results = json.loads(resp["response_message"])
    assert all(isinstance(n, int) for n in (results if isinstance(results, list) else [results]))


def test_cerebrum_storage_tool_and_memory(d: Daemon, netrc: None) -> None:
    def storage(op: str, **params: Any) -> dict[str, Any]:
        return _query(d, "storage", {"operation_type": op, "params": params})["response"]

    assert storage("mount", root_dir="ignored")["finished"]
    assert storage("create_dir", dir_path="cb")["finished"]
    assert storage("create_file", file_path="cb/notes.txt")["finished"]
    assert storage("write", file_path="cb/notes.txt", content="Penguins live in Antarctica.")[
        "finished"
    ]
    assert storage("write", file_path="cb/notes.txt", content="Puffins live in Iceland.")[
        "finished"
    ]
    assert storage("rollback", file_path="cb/notes.txt", n=1)["finished"]
    shared = storage("share", file_path="cb/notes.txt")["response_message"]
    assert (
        httpx.get(shared.replace("127.0.0.1:8731", d.url.removeprefix("http://"))).text
        == "Penguins live in Antarctica."
    )
    bad = storage("write", file_path="/etc/passwd", content="x")
    assert not bad["finished"] and bad["status_code"] == 403 and bad["error"]
    assert "not supported" in storage("teleport")["error"]
    tool = _query(
        d, "tool", {"tool_calls": [{"name": "calculator", "parameters": {"expression": "2**5"}}]}
    )
    assert tool["response"]["response_message"] == "32" and tool["response"]["finished"]

    def memory(op: str, **params: Any) -> dict[str, Any]:
        return _query(d, "memory", {"operation_type": op, "params": params})["response"]

    mid = memory("add_memory", content="The user likes green tea.", metadata={"k": 1})["memory_id"]
    got = memory("get_memory", memory_id=mid)
    assert got["content"] == "The user likes green tea." and got["metadata"] == {"k": 1}
    assert memory("update_memory", memory_id=mid, content="The user likes black tea.")["success"]
    deadline = time.time() + 60
    while time.time() < deadline:
        found = memory("retrieve_memory", content="what drink does the user like", k=3)
        if found["search_results"]:
            break
        time.sleep(0.5)
    assert found["search_results"][0]["content"] == "The user likes black tea."
    assert memory("remove_memory", memory_id=mid)["success"]
    assert not memory("get_memory", memory_id=mid)["success"]
    assert os.environ.get("NETRC")
