"""The REST API through a real uvicorn server on loopback, read by real HTTP clients."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api_helpers import MSG, get, h, post, sse
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    daemon = Daemon(
        tmp_path_factory.mktemp("api") / "data",
        env={
            "AIOS_API__PROCESS_RATE_PER_S": "0.2",
            "AIOS_API__PROCESS_BURST": "10",
            # the first test sends two bad credentials to every operation; the limit on
            # failed authentications has its own tests (tests/security)
            "AIOS_API__AUTH_FAIL_RATE_PER_S": "0",
        },
    ).start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


# -- authentication ----------------------------------------------------------------------


def test_every_endpoint_but_health_and_links_needs_a_token(d: Daemon) -> None:
    spec = httpx.get(d.url + "/openapi.json").json()
    assert httpx.get(d.url + "/v1/health").status_code == 200
    for path, ops in spec["paths"].items():
        if path in ("/v1/health", "/v1/links/{token}"):
            continue
        url = d.url + path.replace("{pid}", "1").replace("{name}", "x").replace(
            "{path}", "a.txt"
        ).replace("{token}", "t").replace("{approval_id}", "1")
        for method in ops:
            for headers in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": "Basic " + base64.b64encode(b"u:bad").decode()},
            ):
                r = httpx.request(method.upper(), url, headers=headers, json={})
                assert r.status_code == 401, (method, path, headers, r.text)
                assert r.json()["error"]["code"] == "unauthorized"


def test_openapi_declares_the_credentials_each_operation_takes(d: Daemon) -> None:
    spec = httpx.get(d.url + "/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["basic"]["scheme"] == "basic"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            public = path in ("/v1/health", "/v1/links/{token}")
            assert ("security" in op) != public, (method, path)


def test_basic_auth_with_the_token_as_password_works(d: Daemon) -> None:
    r = httpx.get(d.url + "/v1/tools", auth=("anyone", d.token))
    assert r.status_code == 200 and r.json()["tools"]


def test_cors_is_off_by_default(d: Daemon) -> None:
    r = httpx.options(
        d.url + "/v1/tools",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in r.headers


# -- processes -----------------------------------------------------------------------------


def test_spawn_wait_list_get_and_syscalls(d: Daemon) -> None:
    r = post(d, "/v1/processes", {"agent": "chat", "task": "Name a fruit."})
    assert r.status_code == 201
    body = r.json()
    pid, token = body["process"]["pid"], body["token"]
    assert token.startswith("aios_p_")
    done = get(d, f"/v1/processes/{pid}/wait", params={"timeout": 60}).json()
    assert done["done"] and done["process"]["state"] == "EXITED"
    assert any(p["pid"] == pid for p in get(d, "/v1/processes").json()["processes"])
    assert get(d, f"/v1/processes/{pid}").json()["result"] == done["process"]["result"]
    rows = get(d, f"/v1/processes/{pid}/syscalls").json()["syscalls"]
    assert rows[0]["name"] == "llm.chat" and rows[0]["completion_tokens"] > 0
    # the process is over: its token died with it
    assert get(d, "/v1/tools", token=token).status_code == 401


def test_events_stream_state_syscalls_and_tokens(d: Daemon) -> None:
    # A watcher subscribed before a process generates sees every token, then the
    # llm.chat syscall that made them, then the end. The process's generation is made
    # with its own token once the stream has started (its first frame is sent after
    # subscribing), so the order is certain.
    r = post(d, "/v1/processes", {"agent": "sleep", "task": "60"})
    pid, token = r.json()["process"]["pid"], r.json()["token"]
    events: list[dict[str, Any]] = []
    with httpx.stream(
        "GET", d.url + f"/v1/processes/{pid}/events", headers=h(d.token), timeout=120
    ) as stream:
        lines = (line for line in stream.iter_lines() if line.startswith("data:"))
        events.append(json.loads(next(lines)[5:]))  # subscribed
        chat = post(d, "/v1/llm/chat", {"messages": MSG, "max_tokens": 8}, token=token)
        assert chat.status_code == 200, chat.text
        post(d, f"/v1/processes/{pid}/kill")
        events += [json.loads(line[5:]) for line in lines]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "state" and events[-1]["type"] == "state"
    assert events[-1]["state"] == "KILLED"
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert "".join(tokens) == chat.json()["text"]
    call = next(i for i, e in enumerate(events) if e["type"] == "syscall")
    assert events[call]["name"] == "llm.chat" and events[call]["status"] == "ok"
    assert max(i for i, k in enumerate(kinds) if k == "token") < call


def test_kill_suspend_resume(d: Daemon) -> None:
    pid = post(d, "/v1/processes", {"agent": "sleep", "task": "60"}).json()["process"]["pid"]
    assert post(d, f"/v1/processes/{pid}/suspend").json()["state"] == "SUSPENDED"
    assert post(d, f"/v1/processes/{pid}/resume").json()["state"] != "SUSPENDED"
    assert post(d, f"/v1/processes/{pid}/kill").json()["state"] == "KILLED"
    assert get(d, "/v1/processes/999999").status_code == 404


def test_a_process_token_is_limited_to_its_capabilities(d: Daemon) -> None:
    post(d, "/v1/fs/write", {"path": "pub/readme.txt", "content": "public"})
    post(d, "/v1/fs/write", {"path": "secret/key.txt", "content": "s3cret"})
    other = post(d, "/v1/processes", {"agent": "sleep", "task": "60"}).json()["process"]["pid"]
    r = post(
        d,
        "/v1/processes",
        {
            "agent": "sleep",
            "task": "60",
            "capabilities": {
                "fs_read": ["pub"],
                "fs_write": [],
                "syscalls": ["fs.*", "proc.*"],
                "tools": ["calculator"],
            },
        },
    )
    me, token = r.json()["process"]["pid"], r.json()["token"]
    try:
        assert get(d, "/v1/fs/content/pub/readme.txt", token=token).text == "public"
        assert get(d, "/v1/fs/content/secret/key.txt", token=token).status_code == 403
        assert (
            post(d, "/v1/fs/write", {"path": "pub/x.txt", "content": "x"}, token=token).status_code
            == 403
        )
        assert post(d, f"/v1/processes/{other}/kill", token=token).status_code == 403
        listed = get(d, "/v1/processes", token=token).json()["processes"]
        assert [p["pid"] for p in listed] == [me]
        assert post(d, "/v1/llm/chat", {"messages": MSG}, token=token).status_code == 403
        assert (
            post(
                d, "/v1/syscall", {"name": "sched.set", "args": {"policy": "fifo"}}, token=token
            ).status_code
            == 403
        )
        assert (
            post(d, "/v1/tools/shell/call", {"args": {"program": "echo"}}, token=token).status_code
            == 403
        )
        hits = post(
            d, "/v1/fs/retrieve", {"query": "s3cret key", "mode": "keyword"}, token=token
        ).json()["hits"]
        assert all(x["path"].startswith("pub/") for x in hits)
    finally:
        post(d, f"/v1/processes/{me}/kill")
        post(d, f"/v1/processes/{other}/kill")


def test_process_tokens_are_rate_limited(d: Daemon) -> None:
    r = post(d, "/v1/processes", {"agent": "sleep", "task": "60"})
    pid, token = r.json()["process"]["pid"], r.json()["token"]
    try:
        with httpx.Client(base_url=d.url, headers=h(token)) as client:
            # one token per 5 s: the burst of 10 passes, the next calls are throttled
            codes = [client.get("/v1/tools").status_code for _ in range(12)]
            assert codes[:10] == [200] * 10 and 429 in codes[10:]
            r = client.get("/v1/tools")
        assert r.status_code == 429 and "retry-after" in r.headers
        assert r.json()["error"]["code"] == "rate_limited"
        assert get(d, "/v1/tools").status_code == 200  # the admin is not throttled
    finally:
        post(d, f"/v1/processes/{pid}/kill")


# -- LLM, OpenAI compatibility ----------------------------------------------------------------


def test_llm_chat_plain_and_streamed(d: Daemon) -> None:
    res = post(d, "/v1/llm/chat", {"messages": MSG, "max_tokens": 8, "temperature": 0}).json()
    assert res["text"] and res["completion_tokens"] <= 8
    events = sse(
        d, "/v1/llm/chat", {"messages": MSG, "max_tokens": 8, "temperature": 0, "stream": True}
    )
    assert (
        "".join(e["text"] for e in events if e["type"] == "token")
        == events[-1]["result"]["text"]
        == res["text"]
    )


def test_openai_client_works_unchanged(d: Daemon) -> None:
    import openai

    client = openai.OpenAI(base_url=d.url + "/v1", api_key=d.token)
    assert [m.id for m in client.models.list()] == ["smollm2"]
    out = client.chat.completions.create(
        model="smollm2", messages=MSG, max_tokens=10, temperature=0
    )
    text = out.choices[0].message.content
    assert text and out.usage.completion_tokens <= 10 and out.choices[0].finish_reason
    stream = client.chat.completions.create(
        model="smollm2",
        messages=MSG,
        max_tokens=10,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert "".join(pieces) == text and usage.completion_tokens == out.usage.completion_tokens
    js = client.chat.completions.create(
        model="smollm2",
        messages=[{"role": "user", "content": "Give a color as JSON."}],
        max_tokens=30,
        temperature=0,
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "c",
                "schema": {
                    "type": "object",
                    "properties": {"color": {"type": "string", "maxLength": 12}},
                    "required": ["color"],
                },
            },
        },
    )
    assert isinstance(json.loads(js.choices[0].message.content)["color"], str)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-9", messages=MSG)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=d.url + "/v1", api_key="nope").models.list()


def test_langchain_chat_openai_works_unchanged(d: Daemon) -> None:
    pytest.importorskip("langchain_openai")
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(
        base_url=d.url + "/v1", api_key=d.token, model="smollm2", max_tokens=8, temperature=0
    )
    assert llm.invoke("Say hi.").content


def test_disconnecting_mid_stream_frees_the_core(d: Daemon) -> None:
    with httpx.stream(
        "POST",
        d.url + "/v1/chat/completions",
        headers=h(d.token),
        json={
            "model": "smollm2",
            "messages": [{"role": "user", "content": "A long story."}],
            "max_tokens": 3000,
            "stream": True,
        },
        timeout=60,
    ) as r:
        for n, _ in enumerate(r.iter_lines()):
            if n > 8:
                break
    t0 = time.monotonic()
    res = post(d, "/v1/llm/chat", {"messages": MSG, "max_tokens": 4})
    assert res.status_code == 200 and time.monotonic() - t0 < 5


# -- compile, tools, agents, files, metrics -------------------------------------------


def test_compile_plain_dry_run_and_streamed(d: Daemon) -> None:
    res = post(
        d, "/v1/compile", {"query": "What is 6 times 7?", "tools": ["calculator"], "max_replans": 0}
    ).json()
    assert res["status"] == "ok" and res["tasks"][0]["tool"] == "calculator"
    dry = post(
        d, "/v1/compile", {"query": "What is 2+2?", "tools": ["calculator"], "dry_run": True}
    ).json()
    assert dry["status"] == "planned" and dry["tasks"][0]["tool"] == "calculator"
    events = sse(
        d,
        "/v1/compile",
        {"query": "What is 5+5?", "tools": ["calculator"], "max_replans": 0, "stream": True},
    )
    kinds = {e["type"] for e in events}
    assert {"plan", "task", "result"} <= kinds


def test_tools_and_agents(d: Daemon) -> None:
    names = {t["name"] for t in get(d, "/v1/tools").json()["tools"]}
    assert {"calculator", "current_time", "fs_search"} <= names
    r = post(d, "/v1/tools/calculator/call", {"args": {"expression": "6*7"}}).json()
    assert r["result"] == 42
    assert post(d, "/v1/tools/nope/call", {"args": {}}).status_code == 404
    assert post(d, "/v1/tools/calculator/call", {"args": {"expression": "1/0"}}).status_code == 422
    assert "chat" in [a["name"] for a in get(d, "/v1/agents").json()["agents"]]
    run = post(d, "/v1/agents/chat/run", {"task": "Name a color.", "timeout": 60}).json()
    assert run["done"] and run["process"]["state"] == "EXITED"


def test_files_binary_upload_download_and_syscalls(d: Daemon) -> None:
    blob = bytes(range(256)) * 50
    r = httpx.put(d.url + "/v1/fs/content/bin/data.bin", content=blob, headers=h(d.token))
    assert r.status_code == 200 and r.json()["version"] == 1
    assert get(d, "/v1/fs/content/bin/data.bin").content == blob
    post(d, "/v1/fs/write", {"path": "t/a.md", "content": "alpha"})
    post(d, "/v1/fs/write", {"path": "t/a.md", "content": "beta"})
    assert get(d, "/v1/fs/content/t/a.md", params={"version": 1}).text == "alpha"
    assert post(d, "/v1/fs/history", {"path": "t/a.md"}).json()["versions"][1]["version"] == 2
    assert post(d, "/v1/fs/rollback", {"path": "t/a.md", "n": 1}).json()["version"] == 3
    assert post(d, "/v1/fs/stat", {"path": "t/a.md"}).json()["size"] == 5
    assert post(d, "/v1/fs/read", {"path": "../etc/passwd"}).status_code == 403
    assert post(d, "/v1/fs/stat", {"path": "no/such"}).status_code == 404
    link = post(d, "/v1/fs/link", {"path": "t/a.md"}).json()
    assert httpx.get(d.url + f"/v1/links/{link['token']}").text == "alpha"


def test_metrics_in_prometheus_format(d: Daemon) -> None:
    post(d, "/v1/llm/chat", {"messages": MSG, "max_tokens": 2})
    text = get(d, "/metrics").text
    for needle in (
        'aios_syscalls_total{name="llm.chat",status="ok"}',
        "aios_syscall_seconds_bucket",
        "aios_llm_queue_depth",
        'aios_llm_tokens_total{kind="completion"}',
        "aios_processes",
    ):
        assert needle in text, needle
    assert httpx.get(d.url + "/metrics").status_code == 401


def test_bad_input_gets_the_right_status_and_one_shape(d: Daemon) -> None:
    cases = [
        (post(d, "/v1/llm/chat", {"messages": []}), 422),
        (post(d, "/v1/llm/chat", {"messages": MSG, "max_tokens": 10**9}), 413),
        (post(d, "/v1/llm/chat", {"messages": MSG, "model": "nope"}), 404),
        (post(d, "/v1/syscall", {"name": "no.such"}), 404),
        (post(d, "/v1/processes", {"agent": "nobody"}), 404),
        (post(d, "/v1/fs/create", {"path": "t/a.md", "content": "x"}), 409),
        (
            httpx.post(
                d.url + "/v1/llm/chat",
                content=b"{",
                headers={**h(d.token), "Content-Type": "application/json"},
            ),
            422,
        ),
        (get(d, "/v1/nothing/here"), 404),
    ]
    for r, status in cases:
        assert r.status_code == status, (r.request.url, r.text)
        body = r.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
        assert "Traceback" not in r.text
