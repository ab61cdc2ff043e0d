"""LLM syscalls: ``llm.chat`` (plain and streamed) and ``llm.models``.

A chat becomes an ``LLMRequest`` in the scheduler. Progress events from the core
worker thread are forwarded to the event loop, where they move the calling
process between READY and RUNNING and feed the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aios.errors import AiosError, BadRequest, NotFound, PermissionDenied, TooLarge
from aios.kernel.caps import missing
from aios.kernel.llm.request import Event, GenParams, LLMRequest, LLMResult
from aios.tools.schema_limits import MAX_GRAMMAR_CHARS, check_grammar, check_schema

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import Process, ProcessTable
    from aios.kernel.syscalls import Call

__all__ = [
    "ChatArgs",
    "ChatResult",
    "Message",
    "ModelsArgs",
    "ModelsResult",
    "budget_left",
    "charge_tokens",
    "note_spawn",
]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant", "tool"]
    content: str


class ChatArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1, max_length=1000)
    model: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=2**31)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    top_k: int = Field(default=40, ge=0, le=100_000)
    min_p: float = Field(default=0.05, ge=0.0, le=1.0)
    repeat_penalty: float = Field(default=1.0, gt=0.0, le=5.0)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    stop: list[str] = Field(default_factory=list, max_length=16)
    json_schema: dict[str, Any] | None = None
    grammar: str | None = Field(default=None, max_length=MAX_GRAMMAR_CHARS)
    priority: int | None = Field(default=None, ge=-100, le=100)
    stream: bool = False

    # Checked while the arguments are validated, so a refused schema is never held by
    # the validated call (the audit row then records the arguments as sent). BadRequest
    # is not a ValueError: pydantic lets it through with its own message.
    @field_validator("json_schema")
    @classmethod
    def _bounded_schema(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            check_schema(v, "json_schema")
        return v

    @field_validator("grammar")
    @classmethod
    def _bounded_grammar(cls, v: str | None) -> str | None:
        if v is not None:
            check_grammar(v)
        return v


class ChatResult(BaseModel):
    text: str
    finish_reason: str
    model: str
    core: str
    prompt_tokens: int
    completion_tokens: int
    wait_s: float
    run_s: float
    preemptions: int
    json_value: Any = Field(
        default=None, description="the parsed output when json_schema was given"
    )


class ModelsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelsResult(BaseModel):
    default: str
    models: list[str]
    cores: list[dict[str, Any]]


def build_request(k: Kernel, call: Call, args: ChatArgs) -> LLMRequest:
    cfg = k.config.llm
    model = args.model or cfg.resolved_default_model
    if model not in k.models:
        raise NotFound(f"no core serves model {model!r}", model=model, models=sorted(k.models))
    caps = call.caller.caps
    if caps is not None and not caps.allows_model(model):
        raise PermissionDenied(
            f"process {call.caller.pid} may not use model {model!r}: {missing('models:' + model)}",
            capability=f"models:{model}",
        )
    max_tokens = args.max_tokens or cfg.default_max_tokens
    left = budget_left(k, call.proc) if call.proc is not None else None
    guess = 0  # the prompt's tokens, guessed from its characters until the core counts
    if left is not None:
        guess = sum(len(m.content) for m in args.messages) // _CHARS_PER_TOKEN
        if left - guess <= 0:
            raise PermissionDenied(
                f"process {call.caller.pid} has used its LLM token budget: {missing('llm_tokens')}",
                capability="llm_tokens",
            )
        max_tokens = min(max_tokens, left - guess)
    if max_tokens > cfg.max_tokens_limit:
        raise TooLarge(
            f"max_tokens {max_tokens} exceeds the limit {cfg.max_tokens_limit}",
            limit=cfg.max_tokens_limit,
        )
    size = sum(len(m.content) for m in args.messages)
    if size > cfg.max_prompt_chars:
        raise TooLarge(
            f"the messages hold {size} characters; the limit is {cfg.max_prompt_chars}",
            limit=cfg.max_prompt_chars,
        )
    if args.grammar is not None and args.json_schema is not None:
        raise BadRequest("give json_schema or grammar, not both")
    priority = args.priority if args.priority is not None else 0
    if call.proc is not None:  # a process may lower its priority, never raise it
        priority = (
            min(priority, call.proc.priority) if args.priority is not None else call.proc.priority
        )
    req = LLMRequest(
        model=model,
        messages=[m.model_dump() for m in args.messages],
        params=GenParams(
            max_tokens=max_tokens,
            temperature=args.temperature,
            top_p=args.top_p,
            top_k=args.top_k,
            min_p=args.min_p,
            repeat_penalty=args.repeat_penalty,
            seed=args.seed,
            stop=tuple(args.stop),
            grammar=args.grammar,
            json_schema=args.json_schema,
        ),
        pid=call.caller.pid,
        priority=priority,
        stream=args.stream,
    )
    if left is not None and call.proc is not None:
        # reserved now, so calls in flight at once (and children spawned meanwhile)
        # share the budget instead of each seeing all of it; settled by run_request
        call.extra[_RESERVED] = guess + max_tokens
        charge_tokens(k, call.proc, guess + max_tokens)
    return req


async def run_request(
    k: Kernel, call: Call, req: LLMRequest, on_token: asyncio.Queue[str | None] | None = None
) -> LLMResult:
    """Queue ``req``, keep the calling process's state in step, return the result."""
    loop = asyncio.get_running_loop()
    proc = call.proc
    where = "queued"

    def on_event(r: LLMRequest, event: Event, data: Any) -> None:  # on the loop
        nonlocal where
        if event is Event.TOKEN:
            if on_token is not None:
                on_token.put_nowait(data)
            k.events.publish(r.pid, "token", text=data, request=r.id)
            return
        if proc is not None:
            if event is Event.STARTED and where == "queued":
                proc.llm_queued -= 1
                proc.llm_running += 1
            elif event is Event.PREEMPTED and where == "running":
                proc.llm_running -= 1
                proc.llm_queued += 1
            k.procs.refresh(proc)
        where = "running" if event is Event.STARTED else "queued"

    def listener(r: LLMRequest, event: Event, data: Any) -> None:  # on the worker thread
        loop.call_soon_threadsafe(on_event, r, event, data)

    req.listener = listener
    if k.events.watching(req.pid):
        req.stream = True  # someone follows this process's events: send its tokens
    if proc is not None:
        proc.llm_queued += 1
        proc.inflight.add(req)
        k.procs.refresh(proc)
    # shield: a cancelled caller must not cancel the request's future under the
    # worker's feet; the request is cancelled through the scheduler instead.
    done = asyncio.wrap_future(req.future)
    try:
        k.scheduler.submit(req)
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        k.scheduler.cancel(req)  # the caller went away: free the core at the next token,
        with contextlib.suppress(BaseException):  # and account for what it did till then
            await asyncio.wait_for(asyncio.shield(done), 5)
        raise
    finally:
        _account(call, req)
        if proc is not None:
            _settle(k, call, req.prompt_tokens + req.completion_tokens)
            proc.inflight.discard(req)
            if where == "running":
                proc.llm_running -= 1
            else:
                proc.llm_queued -= 1
            k.procs.refresh(proc)


_CHARS_PER_TOKEN = 4
_RESERVED = "llm_tokens_reserved"  # in Call.extra: what build_request reserved


def _budgeted(k: Kernel, proc: Process) -> list[Process]:
    """The process and its live ancestors that have a token budget: a child's tokens
    count against each of them, so children cannot multiply a budget. Ancestors are
    those noted at its spawn (``note_spawn``): a grandparent still counts once the
    parent between them has ended."""
    out = [proc] if proc.capabilities.llm_tokens is not None and not proc.state.terminal else []
    for pid in k.llm_ancestors.get(proc.pid, ()):
        p = k.procs.live(pid)
        if p is not None and not p.state.terminal:
            out.append(p)
    return out


def note_spawn(k: Kernel, proc: Process, parent: Process) -> None:
    """Remember ``proc``'s budgeted ancestors (dropped when it ends)."""
    up = k.llm_ancestors.get(parent.pid, ())
    if parent.capabilities.llm_tokens is not None:
        up = (parent.pid, *up)
    if up:
        k.llm_ancestors[proc.pid] = up


def budget_left(k: Kernel, proc: Process) -> int | None:
    """Tokens ``proc`` may still use (None: no budget applies)."""
    spent = k.llm_spent
    lefts = [p.capabilities.llm_tokens - spent.get(p.pid, 0) for p in _budgeted(k, proc)]  # type: ignore[operator]
    return max(0, min(lefts)) if lefts else None


def _settle(k: Kernel, call: Call, used: int) -> None:
    """Replace what ``build_request`` reserved by what the call used."""
    if call.proc is not None:
        charge_tokens(k, call.proc, used - call.extra.pop(_RESERVED, 0))


def charge_tokens(k: Kernel, proc: Process, tokens: int) -> None:
    """Count ``tokens`` against ``proc`` and its budgeted ancestors (negative: a
    reservation given back)."""
    if tokens == 0:
        return
    spent = k.llm_spent
    for p in _budgeted(k, proc):
        spent[p.pid] = spent.get(p.pid, 0) + tokens


def stream_tokens(procs: ProcessTable, pid: int) -> None:
    """A process got a watcher mid-generation: its tokens from now on reach it."""
    proc = procs.live(pid)
    for req in proc.inflight if proc is not None else ():
        req.stream = True  # read by the worker at its next token


def _account(call: Call, req: LLMRequest) -> None:
    call.started_at = req.started_at
    call.wait_s += req.wait_s
    call.run_s += req.run_s
    call.prompt_tokens += req.prompt_tokens
    call.completion_tokens += req.completion_tokens
    call.prefill_tokens += req.prefill_tokens
    call.resume_tokens += req.resume_tokens
    call.preemptions += req.preemptions
    call.core = req.core
    call.extra["request_id"] = req.id


def _result(req: LLMRequest, res: LLMResult, json_schema: dict[str, Any] | None) -> ChatResult:
    value = None
    if json_schema is not None:
        try:
            value = json.loads(res.text)
        except (ValueError, RecursionError):
            value = None  # cut short by max_tokens (or absurdly deep); the text stays
    return ChatResult(
        text=res.text,
        finish_reason=res.finish_reason,
        model=req.model,
        core=res.core,
        prompt_tokens=res.prompt_tokens,
        completion_tokens=res.completion_tokens,
        wait_s=req.wait_s,
        run_s=req.run_s,
        preemptions=req.preemptions,
        json_value=value,
    )


async def chat(k: Kernel, call: Call, args: ChatArgs) -> ChatResult:
    """Chat completion on a scheduled LLM core."""
    req = build_request(k, call, args.model_copy(update={"stream": False}))
    res = await run_request(k, call, req)
    return _result(req, res, args.json_schema)


async def chat_stream(k: Kernel, call: Call, args: ChatArgs) -> AsyncIterator[dict[str, Any]]:
    """Yields ``{"type": "token", "text": ...}`` events, then ``{"type": "result", ...}``."""
    req = build_request(k, call, args.model_copy(update={"stream": True}))
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    task = asyncio.ensure_future(run_request(k, call, req, queue))
    task.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        while (piece := await queue.get()) is not None:
            yield {"type": "token", "text": piece}
        res = await task
    finally:
        if not task.done():  # the consumer stopped reading: cancel the generation,
            task.cancel()  # and let it finish its accounting before the audit row
            with contextlib.suppress(asyncio.CancelledError, AiosError):
                await task
        if _RESERVED in call.extra:  # cancelled before run_request began: nothing used
            _settle(k, call, 0)
    yield {"type": "result", "result": _result(req, res, args.json_schema).model_dump()}


async def models(k: Kernel, call: Call, args: ModelsArgs) -> ModelsResult:
    """The models the cores serve."""
    return ModelsResult(
        default=k.config.llm.resolved_default_model,
        models=sorted(k.models),
        cores=[c.info() for c in k.cores],
    )
