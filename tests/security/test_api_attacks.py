"""Attacks on the HTTP API by a hostile agent holding a process token (or by anyone
on the network holding nothing), against one real daemon on loopback.

Failed authentications are limited per client address, so each test that fails on
purpose speaks from its own loopback address (127.0.0.x: all of 127/8 reaches a
daemon on 127.0.0.1 under Linux) and cannot spend another test's budget.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from aios.api.common import Redactor, TokenBuckets
from tests.api_helpers import get, h, post
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.model

BURST = 8  # failed authentications an address may make before 429

HTML = b"<html><body><script>fetch('/v1/processes').then(r => r.text())</script></body></html>"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)">'
    b"<script>alert(1)</script></svg>"
)


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    daemon = Daemon(
        tmp_path_factory.mktemp("attacks") / "data",
        env={
            "AIOS_API__AUTH_FAIL_RATE_PER_S": "0.01",  # no refill within a test
            "AIOS_API__AUTH_FAIL_BURST": str(BURST),
            "AIOS_FS__WATCH": "false",
        },
    ).start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


@pytest.fixture(scope="module")
def addresses() -> Iterator[str]:
    return (f"127.0.{n // 250}.{n % 250 + 2}" for n in itertools.count(0))


@pytest.fixture
def client(d: Daemon, addresses: Iterator[str]) -> Iterator[httpx.Client]:
    """An HTTP client speaking from an address of its own."""
    transport = httpx.HTTPTransport(local_address=next(addresses))
    with httpx.Client(base_url=d.url, transport=transport, timeout=60) as c:
        yield c


@pytest.fixture
def procs(d: Daemon) -> Iterator[list[int]]:
    """Pids to kill after the test (children die with nothing: kill them all)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        post(d, f"/v1/processes/{pid}/kill")


def spawn(d: Daemon, procs: list[int], **body: Any) -> tuple[int, str]:
    """An agent process started by the admin: (pid, token)."""
    r = post(d, "/v1/processes", {"agent": "sleep", "task": "60", **body})
    assert r.status_code == 201, r.text
    pid = r.json()["process"]["pid"]
    procs.append(pid)
    return pid, r.json()["token"]


def caps(*syscalls: str, **more: Any) -> dict[str, Any]:
    return {"syscalls": list(syscalls), **more}


def refused(d: Daemon, r: httpx.Response, status: int, code: str | None = None) -> None:
    """A refusal: the status, the one error shape, no server path, no trace."""
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code is not None:
        assert body["error"]["code"] == code, r.text
    assert str(d.data_dir.parent) not in r.text and "Traceback" not in r.text


def children(d: Daemon, parent: int) -> list[dict[str, Any]]:
    r = get(d, "/v1/processes", params={"parent": parent})
    assert r.status_code == 200, r.text
    return r.json()["processes"]  # type: ignore[no-any-return]


def basic(user_pass: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(user_pass).decode()}


def spend(d: Daemon, client: httpx.Client, n: int) -> None:
    """``n`` failed authentications from ``client``'s address, each a 401."""
    for _ in range(n):
        refused(d, client.get("/v1/tools", headers=h("aios_p_guess")), 401, "unauthorized")


def assert_limited(d: Daemon, client: httpx.Client) -> None:
    r = client.get("/v1/tools", headers=h("aios_p_guess"))
    refused(d, r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) >= 1


# -- /metrics ---------------------------------------------------------------------------


def test_metrics_with_a_process_token_is_forbidden(d: Daemon, procs: list[int]) -> None:
    _, token = spawn(d, procs)
    refused(d, get(d, "/metrics", token=token), 403, "permission_denied")
    refused(d, httpx.get(d.url + "/metrics"), 401, "unauthorized")
    assert get(d, "/metrics").status_code == 200  # the admin


# -- stored HTML / SVG must never run as the API's origin --------------------------------


def _assert_sandboxed_attachment(r: httpx.Response, name: str, content: bytes) -> None:
    assert r.status_code == 200 and r.content == content
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f'filename="{name}"' in disposition
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = [p.strip() for p in r.headers["content-security-policy"].split(";")]
    assert "sandbox" in csp and "default-src 'none'" in csp


def _store(d: Daemon, path: str, content: bytes) -> None:
    r = httpx.put(d.url + f"/v1/fs/content/{path}", content=content, headers=h(d.token))
    assert r.status_code == 200, r.text


def test_html_and_svg_downloads_are_sandboxed_attachments(d: Daemon, procs: list[int]) -> None:
    _store(d, "web/page.html", HTML)
    _store(d, "web/image.svg", SVG)
    _, token = spawn(d, procs, capabilities=caps("fs.*", fs_read=["web"]))
    for who in (d.token, token):
        _assert_sandboxed_attachment(
            get(d, "/v1/fs/content/web/page.html", token=who), "page.html", HTML
        )
        _assert_sandboxed_attachment(
            get(d, "/v1/fs/content/web/image.svg", token=who), "image.svg", SVG
        )


def test_html_and_svg_shared_links_are_sandboxed_attachments(d: Daemon) -> None:
    _store(d, "web/shared.html", HTML)
    _store(d, "web/shared.svg", SVG)
    for name, content in (("shared.html", HTML), ("shared.svg", SVG)):
        link = post(d, "/v1/fs/link", {"path": f"web/{name}"}).json()
        r = httpx.get(d.url + f"/v1/links/{link['token']}")  # no token: the link is the key
        _assert_sandboxed_attachment(r, name, content)
        assert r.headers["cache-control"] == "no-store"


def test_hostile_file_names_cannot_break_content_disposition(d: Daemon) -> None:
    name = 'x"; filename=evil.exe; a=résumé 履歴.html'
    _store(d, f"web/{name}", HTML)
    r = get(d, f"/v1/fs/content/web/{name}")
    assert r.status_code == 200, r.text
    disposition = r.headers["content-disposition"]
    plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert plain.isascii() and ";" not in plain and "=" not in plain
    assert disposition.count('"') == 2  # the one quoted plain name: nothing broke out
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == name and ";" not in encoded and " " not in encoded


def test_path_traversal_through_the_content_route_is_refused(d: Daemon) -> None:
    for path in ("..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "%2Fetc%2Fpasswd"):
        r = httpx.get(d.url + "/v1/fs/content/" + path, headers=h(d.token))
        assert r.status_code in (403, 404), (path, r.text)
        refused(d, r, r.status_code)
        assert "root:" not in r.text


# -- failed authentication -----------------------------------------------------------------


def test_token_brute_force_gets_429_with_retry_after(
    d: Daemon, client: httpx.Client, procs: list[int]
) -> None:
    spend(d, client, BURST)
    for _ in range(3):  # every further guess, not just the next one
        assert_limited(d, client)
    # only failures are refused: valid tokens still work from the limited address
    assert client.get("/v1/tools", headers=h(d.token)).status_code == 200
    _, token = spawn(d, procs)
    assert client.get("/v1/tools", headers=h(token)).status_code == 200
    assert_limited(d, client)


def test_one_address_guessing_does_not_lock_out_another(
    d: Daemon, addresses: Iterator[str]
) -> None:
    def at(addr: str) -> httpx.Client:
        return httpx.Client(
            base_url=d.url, transport=httpx.HTTPTransport(local_address=addr), timeout=60
        )

    with at(next(addresses)) as attacker, at(next(addresses)) as user:
        spend(d, attacker, BURST)
        assert_limited(d, attacker)
        refused(d, user.get("/v1/tools", headers=h("typo")), 401, "unauthorized")
        assert user.get("/v1/tools", headers=h(d.token)).status_code == 200


def test_forged_forwarded_for_does_not_escape_the_limiter(d: Daemon) -> None:
    # uvicorn believes X-Forwarded-For from 127.0.0.1: a new forged address per guess
    # must not give each guess a fresh budget
    codes = [
        httpx.get(
            d.url + "/v1/tools",
            headers={**h("aios_p_guess"), "X-Forwarded-For": f"10.9.{n // 250}.{n % 250}"},
        ).status_code
        for n in range(BURST + 3)
    ]
    assert codes[:BURST] == [401] * BURST and codes[BURST:] == [429] * 3
    r = httpx.get(d.url + "/v1/tools", headers={**h(d.token), "X-Forwarded-For": "10.9.9.9"})
    assert r.status_code == 200


def test_basic_auth_misuse_is_401_and_counts_as_failure(d: Daemon, client: httpx.Client) -> None:
    misuse = [
        basic(b"aios:not-the-token"),  # wrong password
        {"Authorization": "Basic !!!not-base64!!!"},  # malformed
        basic(b"aios:"),  # empty password
        basic(d.token.encode()),  # the token with no colon: a user name, no password
        basic(d.token.encode() + b":"),  # the token as the user name
        basic(b"\xff\xfe:\xff"),  # not UTF-8
    ]
    for headers in misuse:
        refused(d, client.get("/v1/tools", headers=headers), 401, "unauthorized")
    spend(d, client, BURST - len(misuse))
    assert_limited(d, client)


def test_empty_bearer_and_unknown_schemes_are_401(d: Daemon, client: httpx.Client) -> None:
    for value in ("Bearer", "Basic", "", f"Token {d.token}", f"{d.token}", "Digest x=1"):
        r = client.get("/v1/tools", headers={"Authorization": value})
        refused(d, r, 401, "unauthorized")
    assert client.get("/v1/tools", headers={"Authorization": f"bearer {d.token}"}).is_success


def test_an_ended_processs_token_is_401(d: Daemon, client: httpx.Client, procs: list[int]) -> None:
    done, done_token = spawn(d, procs, task="0")
    assert get(d, f"/v1/processes/{done}/wait", params={"timeout": 30}).json()["done"]
    killed, killed_token = spawn(d, procs)
    assert client.get("/v1/tools", headers=h(killed_token)).status_code == 200
    post(d, f"/v1/processes/{killed}/kill")
    for token in (done_token, killed_token):
        refused(d, client.get("/v1/tools", headers=h(token)), 401, "unauthorized")


def test_a_token_in_the_query_string_is_not_accepted(d: Daemon, client: httpx.Client) -> None:
    for param in ("token", "access_token", "api_key", "key", "auth"):
        r = client.get("/v1/tools", params={param: d.token})
        refused(d, r, 401, "unauthorized")


def test_an_oversized_authorization_header_is_refused(d: Daemon, client: httpx.Client) -> None:
    refused(d, client.get("/v1/tools", headers=h("a" * 8000)), 401, "unauthorized")
    # the real token lost in padding is not dug out either
    padded = {"Authorization": "Bearer" + " " * 4000 + d.token}
    refused(d, client.get("/v1/tools", headers=padded), 401, "unauthorized")
    r = client.get("/v1/tools", headers=h("a" * 200_000))  # the server may refuse it earlier
    assert 400 <= r.status_code < 500


def test_guessing_shared_links_is_rate_limited(d: Daemon, client: httpx.Client) -> None:
    post(d, "/v1/fs/write", {"path": "web/real.txt", "content": "shared"})
    real = post(d, "/v1/fs/link", {"path": "web/real.txt"}).json()["token"]
    for n in range(BURST):
        refused(d, client.get(f"/v1/links/guess{n}"), 404, "not_found")
    r = client.get("/v1/links/guess-again")
    refused(d, r, 429, "rate_limited")
    assert "retry-after" in r.headers
    assert client.get(f"/v1/links/{real}").text == "shared"  # a real link still opens


def test_failure_buckets_stay_bounded() -> None:
    buckets = TokenBuckets(100)
    for n in range(10_000):  # an attacker with many addresses
        buckets.take(f"10.0.{n // 256}.{n % 256}", 1.0, 2)
    assert len(buckets) == 100
    # the address that keeps guessing is the one kept, and stays limited
    for _ in range(3):
        buckets.take("192.0.2.1", 0.001, 2)
    for n in range(99):
        buckets.take(f"198.51.100.{n}", 1.0, 2)
        buckets.take("192.0.2.1", 0.001, 2)
    assert buckets.take("192.0.2.1", 0.001, 2) > 0


# -- processes acting on processes that are not theirs ---------------------------------------


def test_a_process_cannot_read_another_process(d: Daemon, procs: list[int]) -> None:
    victim, _ = spawn(d, procs)
    _, token = spawn(d, procs, capabilities=caps("proc.*", "fs.*"))
    for path in ("", "/wait?timeout=0", "/syscalls", "/events"):
        refused(d, get(d, f"/v1/processes/{victim}{path}", token=token), 403, "permission_denied")
    listed = get(d, "/v1/processes", token=token).json()["processes"]
    assert victim not in [p["pid"] for p in listed]


def test_a_process_cannot_kill_suspend_or_resume_another_process(
    d: Daemon, procs: list[int]
) -> None:
    victim, _ = spawn(d, procs)
    _, token = spawn(d, procs, capabilities=caps("proc.*"))
    for verb in ("kill", "suspend", "resume"):
        r = post(d, f"/v1/processes/{victim}/{verb}", token=token)
        refused(d, r, 403, "permission_denied")
    assert get(d, f"/v1/processes/{victim}").json()["state"] in ("RUNNING", "WAITING", "READY")


def test_a_process_cannot_take_another_processs_token(d: Daemon, procs: list[int]) -> None:
    victim, victim_token = spawn(d, procs)
    _, token = spawn(d, procs, capabilities=caps("proc.*"))
    r = post(d, "/v1/syscall", {"name": "proc.token", "args": {"pid": victim}}, token=token)
    refused(d, r, 403, "permission_denied")
    assert get(d, "/v1/tools", token=victim_token).status_code == 200  # not replaced


# -- spawning through HTTP: all or nothing, never more than the parent -------------------------


def test_a_process_spawns_a_child_and_gets_a_working_child_token(
    d: Daemon, procs: list[int]
) -> None:
    parent, token = spawn(
        d, procs, capabilities=caps("proc.spawn", "proc.token", "proc.get", "tool.*")
    )
    r = post(d, "/v1/processes", {"agent": "sleep", "task": "60"}, token=token)
    assert r.status_code == 201, r.text
    child, child_token = r.json()["process"]["pid"], r.json()["token"]
    procs.append(child)
    me = get(d, f"/v1/processes/{child}", token=child_token).json()
    assert me["parent"] == parent and get(d, "/v1/tools", token=child_token).status_code == 200
    refused(d, get(d, f"/v1/processes/{parent}", token=child_token), 403)  # not upwards


def test_spawn_without_proc_token_is_refused_before_a_child_starts(
    d: Daemon, procs: list[int]
) -> None:
    parent, token = spawn(d, procs, capabilities=caps("proc.spawn", "proc.list", "proc.get"))
    r = post(d, "/v1/processes", {"agent": "sleep", "task": "60"}, token=token)
    refused(d, r, 403, "permission_denied")
    assert children(d, parent) == []


def test_a_child_cannot_get_more_capabilities_than_its_parent(d: Daemon, procs: list[int]) -> None:
    parent, token = spawn(
        d, procs, capabilities=caps("proc.spawn", "proc.token", "fs.*", fs_read=["pub"])
    )
    for wider in (
        caps("proc.spawn", "proc.token", "fs.*", fs_read=["pub"], proc_admin=True),
        caps("proc.spawn", "proc.token", "fs.*", fs_read=["/"]),
        caps("proc.*"),
    ):
        r = post(d, "/v1/processes", {"agent": "sleep", "capabilities": wider}, token=token)
        refused(d, r, 403, "permission_denied")
    assert children(d, parent) == []


def test_a_child_cannot_outrank_its_parent_through_agent_run(d: Daemon, procs: list[int]) -> None:
    parent, token = spawn(
        d, procs, priority=-5, capabilities=caps("proc.spawn", "proc.token", "proc.wait")
    )
    for path, body in (
        ("/v1/agents/sleep/run", {"task": "60", "priority": 10, "wait": False}),
        ("/v1/processes", {"agent": "sleep", "task": "60", "priority": 0}),
    ):
        refused(d, post(d, path, body, token=token), 403, "permission_denied")
    assert children(d, parent) == []
    # naming no priority gives the parent's, not a refusal
    r = post(d, "/v1/agents/sleep/run", {"task": "0", "timeout": 30}, token=token)
    assert r.status_code == 200, r.text
    assert r.json()["done"] and r.json()["process"]["priority"] == -5


def test_agent_run_without_proc_wait_is_refused_before_a_child_starts(
    d: Daemon, procs: list[int]
) -> None:
    parent, token = spawn(d, procs, capabilities=caps("proc.spawn"))
    r = post(d, "/v1/agents/sleep/run", {"task": "60"}, token=token)
    refused(d, r, 403, "permission_denied")
    assert children(d, parent) == []
    r = post(d, "/v1/agents/sleep/run", {"task": "60", "wait": False}, token=token)
    assert r.status_code == 200, r.text  # not waiting needs no proc.wait
    procs.append(r.json()["process"]["pid"])


# -- server paths -------------------------------------------------------------------------------


def test_errors_never_echo_server_paths(d: Daemon, procs: list[int]) -> None:
    _, token = spawn(d, procs, capabilities=caps("fs.*", fs_read=["/"]))
    data = str(d.data_dir)
    cases = [
        (post(d, "/v1/fs/stat", {"path": f"{data}/blobs/x"}, token=token), 403),
        (post(d, "/v1/fs/read", {"path": f"{data}/token"}, token=token), 403),
        (post(d, "/v1/fs/stat", {"path": f"{data}/files/no/such.txt"}, token=token), 404),
        (post(d, "/v1/fs/read", {"path": 5}, token=token), 422),
        (post(d, "/v1/syscall", {"name": "fs.read", "args": {"path": f"{data}/x"}}), 403),
        # invalid arguments are described with what was sent: not with server paths
        (post(d, "/v1/syscall", {"name": "fs.read", "args": {"path": 5, "x": data}}), 400),
        (post(d, "/v1/fs/stat", {"path": f"{data}/x", "x": data}, token=token), 422),
    ]
    for r, status in cases:
        refused(d, r, status)
        assert data not in r.text


def test_cerebrum_mount_does_not_reveal_the_server_path(d: Daemon, procs: list[int]) -> None:
    _, token = spawn(d, procs, capabilities=caps("fs.*"))
    r = httpx.post(
        d.url + "/query",
        json={
            "agent_name": "evil/agent",
            "query_type": "storage",
            "query_data": {"operation_type": "mount", "params": {}},
        },
        auth=("agent", token),
        timeout=60,
    )
    assert r.status_code == 200, r.text
    message = r.json()["response"]["response_message"]
    assert "mounted" in message and "/" not in message
    assert str(d.data_dir.parent) not in r.text


def test_a_process_cannot_share_a_file_it_cannot_read(d: Daemon, procs: list[int]) -> None:
    post(d, "/v1/fs/write", {"path": "secret/key.txt", "content": "s3cret"})
    _, token = spawn(d, procs, capabilities=caps("fs.*", fs_read=["pub"], fs_write=["pub"]))
    refused(d, post(d, "/v1/fs/link", {"path": "secret/key.txt"}, token=token), 403)
    refused(d, get(d, "/v1/fs/content/secret/key.txt", token=token), 403)


def test_error_text_loses_server_paths_and_traces() -> None:
    r = Redactor([("/srv/aios/data", "<data>"), ("/srv/aios/data/files", "<files>")])
    text = 'failed: [Errno 2] "/srv/aios/data/files/a.txt"\nTraceback (most recent call last):\n'
    assert r.text(text) == 'failed: [Errno 2] "<files>/a.txt"\n(trace omitted)'
    assert r.value({"a": ["/srv/aios/data/x", 1]}) == {"a": ["<data>/x", 1]}
