"""A core backed by a remote OpenAI-compatible server (llama.cpp, vLLM, Ollama, ...).

The scale-out path: each configured endpoint is a core with ``parallel`` workers,
each keeping one streamed request in flight. A remote generation cannot be
paused with its KV kept, so remote cores are not preempted for time slices. They
do honour the scheduler at every streamed chunk: a kill ends the stream there,
and a suspended process's request yields its worker with the stream kept open
and unread (the server stops when its send buffer fills), to be read on from the
same chunk once it is resumed.

A server that does not answer (refused connections, timeouts, 5xx after the
retries) takes its core out of service. If nothing was generated yet, the request
goes to another core of the same model (``CoreDown``); if tokens had already
streamed, it fails with a clear error rather than start over. The core's workers
probe ``/models`` until it answers, then take requests again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from aios.config import OpenAICoreConfig
from aios.errors import AiosError, BadRequest, Cancelled, Unavailable
from aios.kernel.llm.core import Core, CoreDown, YieldCheck
from aios.kernel.llm.request import LLMRequest, Outcome
from aios.kernel.llm.text import StopMatcher

__all__ = ["OpenAICore"]

log = logging.getLogger(__name__)

_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class OpenAICore(Core):
    preemptible = False

    def __init__(self, cfg: OpenAICoreConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.model = cfg.model
        self.workers = cfg.parallel
        self.grammar = cfg.grammar
        self._client: httpx.Client | None = None
        self._down_since: float | None = None  # out of service since (time.time())

    def load(self) -> None:
        headers = {"Authorization": f"Bearer {self.cfg.api_key}"} if self.cfg.api_key else {}
        self._client = httpx.Client(
            base_url=self.cfg.base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(self.cfg.timeout_s, connect=self.cfg.connect_timeout_s),
            # no cap on connections: a paused stream keeps one (their number is
            # bounded by the scheduler's queue), and must not block the workers
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=self.cfg.parallel),
        )
        try:  # a server that is down now may be up later: warn, do not refuse to start
            self._client.get("/models", timeout=self.cfg.connect_timeout_s).raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("core %s: %s is not answering yet (%s)", self.name, self.cfg.base_url, exc)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "base_url": self.cfg.base_url,
            "parallel": self.cfg.parallel,
            "down_since": self._down_since,
        }

    def is_down(self) -> bool:
        return self._down_since is not None

    def _mark_down(self, why: str) -> None:
        if self._down_since is None:
            self._down_since = time.time()
            log.warning("core %s: %s is out of service: %s", self.name, self.cfg.base_url, why)

    def probe(self) -> bool:
        if self._client is None:
            return False
        try:
            self._client.get("/models", timeout=self.cfg.connect_timeout_s).raise_for_status()
        except httpx.HTTPError:
            return False
        self._down_since = None
        return True

    def _failed(self, req: LLMRequest, exc: Exception) -> AiosError:
        """The server failed the request past its retries. If it still answers a probe,
        the failure was this request's (an error, a cut stream): the request fails,
        the core stays. If not, the core goes out of service, and the request may
        start again elsewhere only if nothing was generated."""
        where = f"core {self.name}: {self.cfg.base_url} failed: {exc}"
        if self.probe():
            return Unavailable(where)
        self._mark_down(str(exc))
        if req.completion_tokens:
            return Unavailable(
                f"{where}, after {req.completion_tokens} tokens were streamed (not retried "
                "elsewhere: they have been sent)"
            )
        return CoreDown(where)

    def run(self, req: LLMRequest, should_yield: YieldCheck) -> Outcome:
        if isinstance(req.core_state, _Stream):  # resumed: read on where it paused
            try:
                return self._pump(req, req.core_state, should_yield)
            except _Retryable as exc:
                self.discard(req)
                raise self._failed(req, exc) from None
        body = self._body(req)
        path = "/chat/completions" if req.messages is not None else "/completions"
        for attempt in range(self.cfg.max_retries + 1):
            try:
                return self._pump(req, self._open(req, path, body), should_yield)
            except _Retryable as exc:
                self.discard(req)
                if attempt >= self.cfg.max_retries or req.completion_tokens:
                    raise self._failed(req, exc) from None
                delay = min(0.25 * 2**attempt, 4.0)
                log.warning("core %s: %s; retry %d in %.2fs", self.name, exc, attempt + 1, delay)
                if req.cancel_event.wait(delay):
                    raise Cancelled("request cancelled") from None
        raise AssertionError("unreachable")

    def discard(self, req: LLMRequest) -> None:
        """Close the request's stream, if one is open (the server stops generating)."""
        stream, req.core_state = req.core_state, None
        if isinstance(stream, _Stream):
            stream.resp.close()

    def _body(self, req: LLMRequest) -> dict[str, Any]:
        p = req.params
        body: dict[str, Any] = {
            "model": self.cfg.remote_model or self.cfg.model,
            "max_tokens": p.max_tokens,
            "temperature": p.temperature,
            "top_p": p.top_p,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if req.messages is not None:
            body["messages"] = req.messages
        else:
            body["prompt"] = req.prompt or ""
        if p.stop:
            body["stop"] = list(p.stop)
        if p.seed is not None:
            body["seed"] = p.seed
        if p.grammar is not None:
            if not self.cfg.grammar:
                raise BadRequest(
                    f"core {self.name} does not take GBNF grammars; use json_schema, or set "
                    "grammar = true for a llama.cpp server"
                )
            body["grammar"] = p.grammar
        elif p.json_schema is not None:
            if self.cfg.grammar:
                from llama_cpp.llama_grammar import json_schema_to_gbnf

                try:
                    body["grammar"] = json_schema_to_gbnf(json.dumps(p.json_schema))
                except Exception as exc:  # the converter's own refusal: the caller's schema
                    raise BadRequest(f"unsupported JSON schema: {exc}") from exc
            else:
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "response", "schema": p.json_schema},
                }
        return body

    def _open(self, req: LLMRequest, path: str, body: dict[str, Any]) -> _Stream:
        assert self._client is not None, "core not loaded"
        try:
            resp = self._client.send(
                self._client.build_request("POST", path, json=body), stream=True
            )
        except httpx.TransportError as exc:
            raise _Retryable(str(exc) or type(exc).__name__) from exc
        if resp.status_code in _RETRY_STATUS:
            resp.close()
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            resp.read()
            resp.close()
            raise BadRequest(
                f"core {self.name}: server refused the request "
                f"(HTTP {resp.status_code}): {resp.text[:500]}"
            )
        # servers differ in how they apply stop: applied here too
        stream = req.core_state = _Stream(
            resp, resp.iter_lines(), StopMatcher(list(req.params.stop))
        )
        return stream

    def _pump(self, req: LLMRequest, st: _Stream, should_yield: YieldCheck) -> Outcome:
        """Read chunks until the end, a stop, a kill, or the scheduler wants the worker."""
        try:
            for line in st.lines:
                if req.cancelled:
                    raise Cancelled("request cancelled")
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                st.usage = chunk.get("usage") or st.usage
                for choice in chunk.get("choices") or []:
                    piece = _piece(choice)
                    if piece:
                        req.completion_tokens += 1
                        st.in_slice += 1
                        text, stopped = st.stops.feed(piece)
                        req.emit(text)
                        if stopped:
                            return self._done(req, "stop", st.usage)
                    st.finish = choice.get("finish_reason") or st.finish
                if st.finish is None and should_yield(st.in_slice):
                    st.in_slice = 0
                    return Outcome.PREEMPTED  # suspended: the stream waits, unread
        except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
            raise _Retryable(str(exc) or type(exc).__name__) from exc
        except json.JSONDecodeError as exc:
            raise AiosError(f"core {self.name}: malformed stream from server: {exc}") from exc
        if st.finish is None:  # no finish_reason: the server cut the stream short
            raise _Retryable("the stream ended before the generation finished")
        req.emit(st.stops.flush())
        return self._done(req, st.finish, st.usage)

    def _done(self, req: LLMRequest, finish: str, usage: dict[str, Any]) -> Outcome:
        if usage:
            req.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            req.completion_tokens = int(usage.get("completion_tokens") or req.completion_tokens)
        else:  # the server sent no usage: estimate (about 4 characters a token)
            chars = sum(len(m.get("content") or "") for m in req.messages or []) + len(
                req.prompt or ""
            )
            req.prompt_tokens = max(1, (chars + 3) // 4)
        req.finish_reason = "length" if finish == "length" else "stop"
        return Outcome.DONE


class _Retryable(Exception):
    pass


@dataclass(eq=False)
class _Stream:
    """One request's open response, kept across a pause."""

    resp: httpx.Response
    lines: Iterator[str]
    stops: StopMatcher
    finish: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    in_slice: int = 0


def _piece(choice: dict[str, Any]) -> str:
    if "delta" in choice:
        return (choice["delta"] or {}).get("content") or ""
    return choice.get("text") or ""
