"""``aios agents list | info | run | new`` and ``/v1/agents``, over a real HTTP server
(uvicorn on loopback, a kernel on a scripted core)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aios import cli_agents
from aios.cli import main
from tests.live_app import LiveApp
from tests.test_agents_manifest import PROBE, probe_manifest, write_plugin


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveApp]:
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins, "good", probe_manifest("good", caps='tools = ["calculator"]'), {"probe.py": PROBE}
    )
    write_plugin(plugins, "broken", probe_manifest("broken") + "\ncolour = 1\n")
    with LiveApp(
        tmp_path,
        None,  # type: ignore[arg-type]
        fs={"enabled": False},
        agents={"plugin_dirs": [str(plugins)], "repo_plugins": False},
    ) as live:
        monkeypatch.setenv("AIOS_URL", live.url)
        monkeypatch.setenv("AIOS_TOKEN", live.token)
        yield live


def test_list_shows_broken_plugins_with_their_error(
    app: LiveApp, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agents", "list"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    good = next(line for line in lines if line.startswith("good "))
    assert "0.1.0" in good and "folder" in good and "required" in good
    assert any(line.startswith("chat ") and "not needed" in line for line in lines)
    broken = lines.index(next(line for line in lines if line.startswith("broken ")))
    assert "ERROR: aios-plugin.toml: capabilities.colour: unknown key" in lines[broken + 1]
    assert "1 of" in err and "failed to load" in err


def test_info_shows_the_manifest_capabilities(
    app: LiveApp, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agents", "info", "good"]) == 0
    out = capsys.readouterr().out
    assert "good 0.1.0" in out and "entry:         probe:Probe" in out
    assert "tools:         calculator" in out and "consent:       required" in out
    assert main(["agents", "info", "broken"]) == 1
    assert main(["agents", "info", "nope"]) == 2
    assert "no agent named 'nope'" in capsys.readouterr().err


def test_run_asks_for_consent_on_the_terminal(
    app: LiveApp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    task = (
        '[{"syscall": "tool.call", "args": {"name": "calculator", "args": {"expression": "6*7"}}}]'
    )
    monkeypatch.setattr(cli_agents, "_interactive", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    assert main(["agents", "run", "good", task, "--timeout", "30"]) == 1
    err = capsys.readouterr().err
    assert "first run of plugin good 0.1.0" in err and "tools:         calculator" in err
    assert "FAILED" in err and "was denied" in err

    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert main(["agents", "run", "good", task, "--timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert '"result": 42' in out
    # approved now: the next run asks nothing
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["agents", "run", "good", "[]", "--timeout", "30"]) == 0
    assert "first run" not in capsys.readouterr().err


def test_run_yes_and_unattended(
    app: LiveApp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_agents, "_interactive", lambda: False)
    assert main(["agents", "run", "good", "[]", "--timeout", "1"]) == 1
    err = capsys.readouterr().err
    assert "aios approvals approve" in err and "still WAITING" in err
    assert main(["agents", "run", "--yes", "good", "[]", "--timeout", "30"]) == 0
    assert "approved (--yes)" in capsys.readouterr().err
    assert main(["agents", "run", "sleep", "0", "--timeout", "30"]) == 0  # a builtin: no question
    assert main(["run", "good", "[]", "--timeout", "30"]) == 0  # `aios run`: the same


def test_v1_agents_over_http(app: LiveApp) -> None:
    with httpx.Client(base_url=app.url, headers=app.headers, timeout=30) as c:
        agents = {a["name"]: a for a in c.get("/v1/agents").json()["agents"]}
        assert agents["good"]["consent"] == "required" and agents["good"]["error"] is None
        assert "unknown key" in agents["broken"]["error"]
        info = c.get("/v1/agents/good").json()
        assert info["manifest"]["entry"] == "probe:Probe"
        assert info["capabilities"]["tools"] == ["calculator"]
        assert c.get("/v1/agents/nope").status_code == 404
        assert c.get("/v1/agents").status_code == 200
        assert httpx.get(app.url + "/v1/agents").status_code == 401
        run = c.post("/v1/agents/good/run", json={"task": "[]", "wait": False}).json()
        pid = run["process"]["pid"]
        assert run["done"] is False
        deadline = time.monotonic() + 10
        while c.get(f"/v1/processes/{pid}").json()["waiting_on"] != "approval":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        (item,) = c.get("/v1/approvals", params={"state": "pending"}).json()["approvals"]
        assert item["syscall"] == "agent.consent" and item["pid"] == pid
        c.post(f"/v1/approvals/{item['id']}", json={"decision": "approve"})
        done = c.get(f"/v1/processes/{pid}/wait", params={"timeout": 10}).json()
        assert done["process"]["state"] == "EXITED"
        waited = c.post("/v1/agents/sleep/run", json={"task": "0"}).json()
        assert waited["done"] and waited["process"]["state"] == "EXITED"
        bad = c.post("/v1/agents/broken/run", json={"task": ""})
        assert bad.status_code == 400 and "cannot run" in bad.json()["error"]["message"]


def test_new_writes_a_plugin_whose_test_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["agents", "new", "hello-bot"]) == 0
    folder = tmp_path / "plugins" / "hello-bot"
    assert {p.name for p in folder.rglob("*") if p.is_file()} == {
        "aios-plugin.toml",
        "hello_bot.py",
        "test_hello_bot.py",
    }
    assert main(["agents", "new", "hello-bot"]) == 2  # never over an existing folder
    assert "not empty" in capsys.readouterr().err
    assert main(["agents", "new", "Bad Name", "--dir", str(tmp_path / "x")]) == 2
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 passed" in res.stdout
