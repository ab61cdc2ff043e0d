"""Approvals end to end: a process's shell call waits on a real daemon until a person
answers over HTTP (and from the CLI); the SSE stream shows it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api_helpers import get, h, post
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    daemon = Daemon(
        tmp_path_factory.mktemp("approvals") / "data",
        env={"AIOS_APPROVALS__REQUIRE": '["tool:shell"]'},
    ).start()
    yield daemon
    assert daemon.stop() == 0, daemon.output()


def _spawn(d: Daemon) -> tuple[int, str]:
    r = post(
        d, "/v1/processes", {"agent": "sleep", "task": "120", "capabilities": {"tools": ["shell"]}}
    )
    assert r.status_code == 201, r.text
    return r.json()["process"]["pid"], r.json()["token"]


def _call_in_thread(d: Daemon, token: str, word: str) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        r = post(d, "/v1/tools/shell/call", {"args": {"program": "echo", "args": [word]}}, token)
        out["status"], out["body"] = r.status_code, r.json()

    t = threading.Thread(target=run)
    t.start()
    return t, out


def _pending(d: Daemon, n: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = get(d, "/v1/approvals?state=pending").json()["approvals"]
        if len(items) >= n:
            return items
        time.sleep(0.05)
    raise AssertionError("no pending approval appeared")


def test_a_shell_call_waits_until_a_person_approves_over_http(d: Daemon) -> None:
    events: list[dict[str, Any]] = []

    def watch() -> None:
        with httpx.stream(
            "GET", d.url + "/v1/approvals/events", headers=h(d.token), timeout=60
        ) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:])["approval"])
                    if events[-1]["state"] != "pending":
                        return

    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.3)
    pid, token = _spawn(d)
    t, out = _call_in_thread(d, token, "approved")
    (item,) = _pending(d)
    assert item["pid"] == pid and item["tool"] == "shell" and item["rule"] == "tool:shell"
    assert item["args"] == {"program": "echo", "args": ["approved"]}
    proc = get(d, f"/v1/processes/{pid}").json()
    assert proc["state"] == "WAITING" and proc["waiting_on"] == "approval"
    # the process itself cannot answer, nor can it see how
    r = post(d, f"/v1/approvals/{item['id']}", {"decision": "approve"}, token)
    assert r.status_code == 403
    assert t.is_alive()
    r = post(d, f"/v1/approvals/{item['id']}", {"decision": "approve", "note": "fine"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    t.join(30)
    watcher.join(30)
    assert out["status"] == 200, out
    assert out["body"]["result"]["stdout"] == "approved\n"
    assert [e["state"] for e in events] == ["pending", "approved"]
    assert get(d, f"/v1/approvals/{item['id']}").json()["decided_by"] == "admin"


def test_the_cli_lists_and_denies_and_the_call_fails(d: Daemon) -> None:
    _pid, token = _spawn(d)
    t, out = _call_in_thread(d, token, "denied")
    (item,) = _pending(d)
    listed = d.cli("approvals", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["id"] for a in json.loads(listed.stdout)] == [item["id"]]
    table = d.cli("approvals")
    assert "shell" in table.stdout and str(item["id"]) in table.stdout
    denied = d.cli("approvals", "deny", str(item["id"]), "--note", "no echo today")
    assert denied.returncode == 0 and "denied" in denied.stdout
    t.join(30)
    assert out["status"] == 403 and out["body"]["error"]["code"] == "approval_denied"
    assert "no echo today" in out["body"]["error"]["message"]
    again = d.cli("approvals", "approve", str(item["id"]))
    assert again.returncode == 2 and "already denied" in again.stderr


def test_health_reports_confinement_and_pending_approvals(d: Daemon) -> None:
    health = httpx.get(d.url + "/v1/health").json()
    assert health["sandbox"]["confined"] is True and health["sandbox"]["landlock_abi"] >= 1
    assert health["approvals_pending"] == 0
