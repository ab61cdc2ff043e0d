"""Property-based tests of the whole HTTP API from its own OpenAPI schema
(schemathesis), authenticated, against a real daemon: no 5xx, and every response
matches the schema it declares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    # Small generation limits: generated requests must not each run a long LLM job.
    d = Daemon(
        tmp_path_factory.mktemp("schema") / "data",
        env={
            "AIOS_LLM__MAX_TOKENS_LIMIT": "8",
            "AIOS_LLM__DEFAULT_MAX_TOKENS": "8",
            "AIOS_COMPILER__PLANNER_MAX_TOKENS": "16",
            "AIOS_COMPILER__JOINER_MAX_TOKENS": "16",
            "AIOS_COMPILER__DEADLINE_S": "5",
            "AIOS_FS__WATCH": "false",
        },
    ).start()
    yield d
    assert d.stop() == 0, d.output()


def test_api_conforms_to_its_schema(daemon: Daemon) -> None:
    schema = schemathesis.openapi.from_url(daemon.url + "/openapi.json")
    headers = {"Authorization": f"Bearer {daemon.token}"}
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if operation.path == "/v1/approvals/events":
            continue  # a stream that never ends, by design (tests/test_api_approvals.py)

        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, timeout=60, checks=checks)

        try:
            check()
        except BaseException as exc:  # collect every operation's failure, then report
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert operations > 40
    assert not failures, "\n\n".join(failures)
