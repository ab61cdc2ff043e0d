"""http_get and server-side request forgery: internal addresses in every spelling,
redirects re-checked at every hop, and the connection pinned to the checked address.
Only loopback servers; nothing here reaches the internet."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aios.config import HttpToolConfig
from aios.errors import BadRequest, PermissionDenied
from aios.kernel import ADMIN, Kernel
from aios.tools.builtin.http import make_http_get
from tests.conftest import make_config
from tests.fakes import FakeCore


class Server:
    """A loopback HTTP server: /ok answers, /to?URL redirects to URL; it counts hits."""

    def __init__(self, host: str) -> None:
        self.hits: list[tuple[str, str]] = []  # (path, Host header)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append((self.path, self.headers.get("Host", "")))
                if self.path.startswith("/to?"):
                    self.send_response(302)
                    self.send_header("Location", self.path[4:])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = f"hello from {host}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.srv = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.srv.server_port
        threading.Thread(target=self.srv.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def a() -> Iterator[Server]:
    s = Server("127.0.0.1")
    yield s
    s.close()


@pytest.fixture
def b() -> Iterator[Server]:
    """A second loopback server, on an address no allow entry names."""
    try:
        s = Server("127.0.0.2")
    except OSError:
        pytest.skip("cannot bind 127.0.0.2 here")
    yield s
    s.close()


def get(allow: list[str], **kw: Any) -> Any:
    return make_http_get(HttpToolConfig(enabled=True, allow_hosts=allow, timeout_s=2), **kw)


LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "0x7f000001",
    "0x7f.0.0.1",
    "2130706433",
    "0177.0.0.1",
    "017700000001",
    "127.000.000.001",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "localhost",
    "LOCALHOST",
    "localhost.",
    "127.0.0.1.",
]

INTERNAL = [
    "169.254.169.254",  # cloud metadata
    "[::ffff:169.254.169.254]",
    "[fe80::1]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "[::ffff:10.0.0.1]",
    "100.64.0.1",  # CGNAT
    "[fc00::1]",
    "[fd12:3456::1]",
    "0.0.0.0",
    "0",
    "[::]",
    "224.0.0.1",
    "[ff02::1]",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.0.8",
    "198.18.0.1",
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[fec0::1]",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
async def test_star_refuses_every_spelling_of_loopback(a: Server, host: str) -> None:
    with pytest.raises((PermissionDenied, BadRequest)):
        await get(["*"]).ainvoke({"url": f"http://{host}:{a.port}/ok"})
    assert a.hits == []


@pytest.mark.parametrize("host", INTERNAL)
async def test_star_refuses_private_link_local_and_reserved(host: str) -> None:
    with pytest.raises(PermissionDenied, match="not allowed"):
        await get(["*"]).ainvoke({"url": f"http://{host}/latest/meta-data/"})


async def test_a_named_address_is_reachable(a: Server) -> None:
    out = await get(["127.0.0.1"]).ainvoke({"url": f"http://127.0.0.1:{a.port}/ok"})
    assert out["status"] == 200 and out["text"] == "hello from 127.0.0.1"
    assert a.hits == [("/ok", f"127.0.0.1:{a.port}")]


async def test_a_named_host_is_reachable_on_its_internal_addresses(a: Server) -> None:
    out = await get(["localhost"]).ainvoke({"url": f"http://localhost.:{a.port}/ok"})
    assert out["status"] == 200 and a.hits == [("/ok", f"localhost:{a.port}")]


async def test_redirects_are_followed_and_bounded(a: Server) -> None:
    tool = get(["127.0.0.1"])
    out = await tool.ainvoke({"url": f"http://127.0.0.1:{a.port}/to?/to?/ok"})
    assert out["status"] == 200 and out["url"] == f"http://127.0.0.1:{a.port}/ok"
    with pytest.raises(BadRequest, match="redirects"):
        await tool.ainvoke({"url": f"http://127.0.0.1:{a.port}/" + "to?/" * 6 + "ok"})


@pytest.mark.parametrize("allow", [["127.0.0.1"], ["*", "127.0.0.1"]])
async def test_a_redirect_to_a_loopback_address_not_named_is_refused(
    a: Server, b: Server, allow: list[str]
) -> None:
    tool = get(allow)
    for target in (
        f"http://127.0.0.2:{b.port}/ok",
        f"http://0x7f000002:{b.port}/ok",
        f"http://[::1]:{b.port}/ok",
        f"http://[::ffff:127.0.0.2]:{b.port}/ok",
        f"http://169.254.169.254:{b.port}/ok",
    ):
        with pytest.raises((PermissionDenied, BadRequest)):
            await tool.ainvoke({"url": f"http://127.0.0.1:{a.port}/to?{target}"})
    assert b.hits == []
    assert len(a.hits) == 5  # the first hop, each time


async def test_the_connection_goes_to_the_address_that_was_checked(a: Server, b: Server) -> None:
    """DNS rebinding: a second lookup would say 127.0.0.2; there is none."""
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"] if len(asked) == 1 else ["127.0.0.2"]

    tool = get(["*", "127.0.0.1"], resolver=rebinding)
    out = await tool.ainvoke({"url": f"http://rebind.test:{a.port}/ok"})
    assert out["status"] == 200 and asked == ["rebind.test"]
    assert a.hits == [("/ok", f"rebind.test:{a.port}")]  # the Host header keeps the name
    assert b.hits == []


async def test_every_hop_is_resolved_and_checked_again(a: Server, b: Server) -> None:
    names = {"a.test": ["127.0.0.1"], "b.test": ["127.0.0.2"], "mixed.test": []}

    async def resolver(host: str, port: int) -> list[str]:
        return names[host]

    tool = get(["*", "127.0.0.1"], resolver=resolver)
    with pytest.raises(PermissionDenied, match=r"127\.0\.0\.2"):
        await tool.ainvoke({"url": f"http://a.test:{a.port}/to?http://b.test:{b.port}/ok"})
    assert b.hits == []
    names["mixed.test"] = ["127.0.0.2", "127.0.0.1"]  # only the allowed address is used
    out = await tool.ainvoke({"url": f"http://mixed.test:{a.port}/ok"})
    assert out["status"] == 200 and b.hits == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://127.0.0.1/", "http://user:pw@127.0.0.1/", "http:///x"],
)
async def test_malformed_urls_are_bad_requests(url: str) -> None:
    with pytest.raises(BadRequest):
        await get(["*"]).ainvoke({"url": url})


async def test_tool_call_refuses_with_permission_denied(tmp_path: Path, a: Server) -> None:
    cfg = make_config(
        tmp_path,
        llm={"cores": [{"kind": "llamacpp", "model": "fake"}]},
        fs={"enabled": False},
        tools={"http_get": {"enabled": True, "allow_hosts": ["*"]}},
    )
    async with Kernel(cfg, cores=[FakeCore()]) as k:
        with pytest.raises(PermissionDenied, match="loopback"):
            await k.syscall(
                ADMIN,
                "tool.call",
                {"name": "http_get", "args": {"url": f"http://localhost:{a.port}/ok"}},
            )
    assert a.hits == []
