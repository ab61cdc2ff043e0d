"""Property-based fuzzing of every syscall through the REST API (hypothesis; the
schemathesis tests in test_api_schema.py fuzz from the OpenAPI schema, which says
nothing of what ``/v1/syscall``'s free-form ``args`` reach).

For each syscall in the table, arguments named after its request model's fields (and
some it does not have) get hostile values: lone surrogates, NUL bytes, long path
segments, traversal, huge, negative and non-finite numbers, wrong types, deep
nesting. They go as raw JSON (NaN and surrogate escapes included) over one keep-alive
connection to a real uvicorn server in front of a kernel on a scripted core. No
answer may be a 5xx, every error has the one shape, and the connection survives.

Bounded and deterministic: a fixed number of examples per syscall, derandomized, no
example database.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aios.fs.embed import Embedder
from aios.kernel.syscalls import builtin_syscalls
from tests.live_app import LiveApp

# per syscall and face: ~45 syscalls, two faces, ~1,000 requests in all; a longer
# hunt: FUZZ_EXAMPLES=200 (the same examples each run: derandomized)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

# Arguments that would make a correct kernel wait rather than answer: a stream of
# generated tokens, a wait on a process that lives. Everything else is fair game.
_SKIP_FIELDS = frozenset({"stream"})

_strings = st.one_of(
    st.sampled_from(
        [
            "\ud800",  # a lone high surrogate
            "\udfff",  # a lone low surrogate
            "a\ud83dz",  # half of a pair
            "\x00",
            "a\x00b.txt",
            "a" * 300,  # one segment past NAME_MAX
            "d/" + "b" * 300 + "/c.txt",
            "x/" * 2000,
            "../../etc/passwd",
            "/etc/passwd",
            "~/.ssh/id_rsa",
            "%2e%2e/%2e%2e",
            "",
            " ",
            ".",
            "\\",
            "NaN",
            "*",
            "fs.*",
            "\u202e\ufeff",
            "😀" * 100,
        ]
    ),
    st.text(max_size=20),
)
_numbers = st.one_of(
    st.sampled_from(
        [
            float("nan"),
            float("inf"),
            float("-inf"),
            -1,
            0,
            -(2**63),
            2**63,
            10**30,
            -(10**30),
            1e308,
            -0.0,
            5e-324,
        ]
    ),
    st.integers(),
    st.floats(),
)
_leaves = st.one_of(_strings, _numbers, st.booleans(), st.none())
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_strings, inner, max_size=4)
    ),
    max_leaves=12,
)
_deep = st.integers(min_value=100, max_value=3000).map(lambda n: _nest(n))


def _nest(n: int) -> Any:
    value: Any = "x"
    for i in range(n):
        value = [value] if i % 2 else {"a": value}
    return value


def _args(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(_values, _values, _values, _deep)
    named = st.fixed_dictionaries({}, optional={f: value for f in fields})
    extra = st.dictionaries(_strings, _values, max_size=2)
    return st.builds(lambda a, b: {**b, **a}, named, extra)


def _body(obj: Any) -> bytes:
    """JSON as Python writes it by default: NaN, Infinity and \\udXXX escapes kept."""
    try:
        return json.dumps(obj).encode()
    except RecursionError:  # deeper than json.dumps goes: the server must refuse it
        return b'{"args": ' + b"[" * 5000 + b"]" * 5000 + b"}"


SYSCALLS = {
    e.name: sorted(set(e.request.model_json_schema().get("properties", {})) - _SKIP_FIELDS)
    for e in builtin_syscalls()
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[LiveApp]:
    with LiveApp(
        tmp_path_factory.mktemp("fuzz"),
        embedder,
        fs={"watch": False},
        llm={
            "cores": [{"kind": "llamacpp", "model": "fake"}],
            "max_tokens_limit": 8,
            "default_max_tokens": 8,
        },
        compiler={"deadline_s": 2},
    ) as a:
        yield a


@pytest.fixture(scope="module")
def client(app: LiveApp) -> Iterator[httpx.Client]:
    # no Nagle: httpx writes headers and body apart, and each request would wait out a
    # delayed ACK (40 ms) before its body went
    nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(base_url=app.url, headers=app.headers, timeout=30, transport=nodelay) as c:
        yield c


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    """The client port of the one connection every request must come back on."""
    return {}


def _local_port(r: httpx.Response) -> int:
    return int(r.extensions["network_stream"].get_extra_info("client_addr")[1])


def _check(client: httpx.Client, ports: dict[str, int], path: str, body: bytes) -> None:
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (path, body[:300], r.status_code, r.text[:500])
    if r.status_code >= 400:
        err = r.json()
        assert set(err) == {"error"}, r.text[:500]
        assert set(err["error"]) == {"code", "message", "details"}, r.text[:500]
    assert r.headers.get("connection", "").lower() != "close", (path, body[:300])
    # one connection for the whole run: a closed one would have been replaced
    first = ports.setdefault("first", _local_port(r))
    assert _local_port(r) == first, ("the connection was not kept", path, body[:300])


@pytest.mark.parametrize("name", sorted(SYSCALLS))
def test_no_syscall_argument_gets_a_5xx(
    client: httpx.Client, ports: dict[str, int], name: str
) -> None:
    rest = f"/v1/fs/{name.removeprefix('fs.')}" if name.startswith("fs.") else None

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(args=_args(SYSCALLS[name]))
    def check(args: dict[str, Any]) -> None:
        _check(client, ports, "/v1/syscall", _body({"name": name, "args": args}))
        if rest is not None:  # the same arguments through the syscall's own route
            _check(client, ports, rest, _body(args))

    check()


def test_no_request_body_gets_a_5xx(client: httpx.Client, ports: dict[str, int]) -> None:
    """Whole bodies of the wrong shape, on the routes that are not a syscall's own."""
    paths = ["/v1/syscall", "/v1/llm/chat", "/v1/chat/completions", "/v1/compile", "/query"]
    paths += ["/v1/processes", "/v1/agents/nobody/run", "/v1/tools/calculator/call"]

    @settings(
        max_examples=EXAMPLES * 4,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(path=st.sampled_from(paths), body=st.one_of(_values, _args(["query_data", "args"])))
    def check(path: str, body: Any) -> None:
        _check(client, ports, path, _body(body))

    check()
