"""Small HTTP helpers for the API tests (real requests to a real daemon)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.daemon_helpers import Daemon


def h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(d: Daemon, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    return httpx.get(d.url + path, headers=h(token or d.token), timeout=120, **kw)


def post(
    d: Daemon, path: str, body: Any = None, token: str | None = None, **kw: Any
) -> httpx.Response:
    return httpx.post(d.url + path, json=body, headers=h(token or d.token), timeout=120, **kw)


def sse(
    d: Daemon, path: str, body: Any = None, token: str | None = None, method: str = "POST"
) -> list[dict[str, Any]]:
    events = []
    with httpx.stream(
        method, d.url + path, json=body, headers=h(token or d.token), timeout=120
    ) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:") and line[5:].strip() != "[DONE]":
                events.append(json.loads(line[5:]))
    return events


MSG = [{"role": "user", "content": "Say hello."}]
