"""http_get: fetch a URL. Off unless configured, and only for allowed hosts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from langchain_core.tools import StructuredTool

from aios.config import HttpToolConfig

__all__ = ["make_http_get"]


def make_http_get(cfg: HttpToolConfig) -> StructuredTool:
    hosts = set(cfg.allow_hosts)

    async def http_get(url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError("only http and https URLs")
        if "*" not in hosts and parts.hostname not in hosts:
            raise ValueError(f"host {parts.hostname!r} is not allowed")
        body = b""
        async with (
            httpx.AsyncClient(timeout=cfg.timeout_s, follow_redirects=False) as client,
            client.stream("GET", url) as resp,
        ):
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > cfg.max_bytes:
                    break
        return {
            "status": resp.status_code,
            "content_type": resp.headers.get("content-type"),
            "text": body[: cfg.max_bytes].decode(errors="replace"),
            "truncated": len(body) > cfg.max_bytes,
        }

    return StructuredTool.from_function(
        coroutine=http_get,
        name="http_get",
        description="Fetch a web page (GET) and return its status and text.",
    )
