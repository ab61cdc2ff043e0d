"""An HTTP client of the daemon: what the CLI, the shell and the SDK speak through."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from aios.config import Config
from aios.errors import AiosError, Unavailable

__all__ = ["Client"]


class Client:
    def __init__(self, base_url: str, token: str | None, *, timeout: float = 600.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(timeout, connect=5.0)
        )

    @classmethod
    def from_config(cls, config: Config) -> Client:
        """Find the daemon serving ``config.data_dir`` (or AIOS_URL / AIOS_TOKEN)."""
        from aios.kernel.daemon import daemon_file, read_token

        url = os.environ.get("AIOS_URL")
        if url is None:
            info = daemon_file(config.data_dir)
            host, port = (info["host"], info["port"]) if info else (config.host, config.port)
            url = f"http://{_host(host)}:{port}"
        token = os.environ.get("AIOS_TOKEN") or read_token(Path(config.data_dir))
        return cls(url, token)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def health(self) -> dict[str, Any]:
        return self._json(self._request("GET", "/v1/health"))

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._json(self._request("GET", path, params=params or None))

    def post(self, path: str, body: Any = None) -> dict[str, Any]:
        return self._json(self._request("POST", path, json=body))

    # -- agents -----------------------------------------------------------------

    def agents(self) -> list[dict[str, Any]]:
        """Every agent and plugin, failed ones with their error."""
        return self.get("/v1/agents")["agents"]  # type: ignore[no-any-return]

    def agent(self, name: str) -> dict[str, Any]:
        return self.get(f"/v1/agents/{quote(name, safe='')}")

    def run_agent(
        self, name: str, task: str = "", *, wait: bool = False, **kw: Any
    ) -> dict[str, Any]:
        """Spawn agent ``name``: ``{"done", "process"}`` (with ``wait``, once it ended
        or ``timeout`` passed). ``kw``: isolated, priority, capabilities, timeout."""
        body = {"task": task, "wait": wait, **{k: v for k, v in kw.items() if v is not None}}
        return self.post(f"/v1/agents/{quote(name, safe='')}/run", body)

    def syscall(self, name: str, /, **args: Any) -> dict[str, Any]:
        body = self._json(self._request("POST", "/v1/syscall", json={"name": name, "args": args}))
        return body["result"]  # type: ignore[no-any-return]

    def stream(self, name: str, /, **args: Any) -> Iterator[dict[str, Any]]:
        """Server-sent events of a streaming syscall, as dicts."""
        payload = {"name": name, "args": {**args, "stream": True}}
        try:
            with self._http.stream("POST", "/v1/syscall", json=payload) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._json(resp)
                for line in resp.iter_lines():
                    if line.startswith("data:"):
                        event = json.loads(line[5:])
                        if event.get("type") == "error":
                            raise AiosError.from_dict(event["error"])
                        yield event
        except httpx.TransportError as exc:
            raise Unavailable(f"cannot reach the aios daemon at {self.base_url}: {exc}") from None

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise Unavailable(
                f"cannot reach the aios daemon at {self.base_url} ({exc}); is 'aios serve' running?"
            ) from None

    @staticmethod
    def _json(resp: httpx.Response) -> dict[str, Any]:
        try:
            body: dict[str, Any] = resp.json()
        except ValueError:
            raise AiosError(
                f"unexpected answer from the daemon (HTTP {resp.status_code})"
            ) from None
        if resp.status_code >= 400:
            raise AiosError.from_dict(body.get("error") or {"message": resp.text})
        return body


def _host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
