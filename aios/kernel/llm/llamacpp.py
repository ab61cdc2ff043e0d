"""The in-process llama.cpp core.

One model, one context, ``n_seq`` KV sequences ("slots"), one worker thread.
Each request runs in a slot; a preempted request keeps its slot, its sampler
(grammar and RNG state included) and its undecoded last token, so resuming it
costs one token of decode, not a re-read of the prompt. When more requests are
in flight than there are slots, the least recently used one is evicted to host
memory and restored later (``kvslots``: bounded in bytes, beyond which the oldest
saved state is dropped and recomputed exactly). A finished request leaves its
tokens in the slot, so the next request with the same prefix (the same process's
next turn, a shared system prompt) skips them.

Built on llama_cpp's ``_internals`` wrappers rather than the high-level ``Llama``
class, which has one KV sequence and no way to hold several conversations.
"""

from __future__ import annotations

import codecs
import ctypes
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from aios.config import LlamaCppCoreConfig
from aios.errors import BadRequest, Cancelled, ModelError
from aios.kernel.llm.core import Core, YieldCheck
from aios.kernel.llm.kvslots import KVSeq, KVSlots, Slot, replay_chunks
from aios.kernel.llm.models import bundled_model_path, check_gguf
from aios.kernel.llm.request import GenParams, LLMRequest, Outcome
from aios.kernel.llm.sampling import Sampler
from aios.kernel.llm.text import StopMatcher

__all__ = ["LlamaCppCore"]

log = logging.getLogger(__name__)

# Used when a GGUF carries no chat template (ChatML, the most common format).
_FALLBACK_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(eq=False, kw_only=True)
class _Seq(KVSeq):
    """The engine-side state of one request across its slices."""

    max_new: int
    sampler: Sampler
    decoder: codecs.IncrementalDecoder
    stops: StopMatcher


class LlamaCppCore(Core):
    preemptible = True
    workers = 1  # a llama.cpp context is not thread-safe: exactly one driver
    # Benchmarks only: drop a preempted request's KV, so resuming re-reads its
    # whole text (what a scheduler without KV reuse does).
    refeed_on_resume = False

    def __init__(self, cfg: LlamaCppCoreConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.model = cfg.model
        self.path = cfg.model_path
        self.n_threads = cfg.n_threads or os.cpu_count() or 1
        self._model: Any = None
        self._ctx: Any = None
        self._batch: Any = None
        self.kv: KVSlots | None = None
        self._formatter: Any = None
        self._pieces: dict[int, bytes] = {}
        self.decoded_tokens = 0  # tokens the engine decoded, all requests
        self.n_ctx_seq = cfg.n_ctx

    # -- lifecycle ---------------------------------------------------------------

    def load(self) -> None:
        import llama_cpp
        from llama_cpp import _internals, _logger
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        path = check_gguf(self.path or bundled_model_path())
        self.path = path
        _logger.set_verbose(False)
        llama_cpp.llama_backend_init()
        mparams = llama_cpp.llama_model_default_params()
        mparams.n_gpu_layers = 0x7FFFFFFF if self.cfg.n_gpu_layers < 0 else self.cfg.n_gpu_layers
        try:
            self._model = _internals.LlamaModel(path_model=str(path), params=mparams, verbose=False)
        except Exception as exc:
            raise ModelError(f"llama.cpp cannot load {path}: {exc}", path=str(path)) from exc
        n_ctx_train = self._model.n_ctx_train()
        if n_ctx_train > 0 and self.n_ctx_seq > n_ctx_train:
            log.warning(
                "n_ctx %d exceeds the model's training context %d; capping",
                self.n_ctx_seq,
                n_ctx_train,
            )
            self.n_ctx_seq = n_ctx_train
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = self.n_ctx_seq * self.cfg.n_seq
        cparams.n_seq_max = self.cfg.n_seq
        cparams.n_batch = cparams.n_ubatch = self.cfg.n_batch
        cparams.n_threads = cparams.n_threads_batch = self.n_threads
        # One KV stream per sequence: a sequence's numbers do not depend on what
        # else is resident, so a preempted greedy generation resumes identically.
        cparams.kv_unified = False
        cparams.no_perf = True
        try:
            self._ctx = _internals.LlamaContext(model=self._model, params=cparams, verbose=False)
        except Exception as exc:
            self._model.close()
            raise ModelError(f"llama.cpp cannot create a context for {path}: {exc}") from exc
        self._batch = _internals.LlamaBatch(n_tokens=self.cfg.n_batch, embd=0, n_seq_max=1)
        self.kv = KVSlots(self._ctx, self.cfg.n_seq, self.cfg.saved_kv_max_bytes, self.name)
        meta = self._model.metadata()
        template = self.cfg.chat_format or meta.get("tokenizer.chat_template") or _FALLBACK_TEMPLATE
        eos, bos = self._model.token_eos(), self._model.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._model.token_get_text(eos) if eos != -1 else "",
            bos_token=self._model.token_get_text(bos) if bos != -1 else "",
        )
        log.info(
            "core %s: loaded %s (%s, n_ctx %d x %d sequences, %d threads, gpu layers %d)",
            self.name,
            path.name,
            self._model.desc(),
            self.n_ctx_seq,
            self.cfg.n_seq,
            self.n_threads,
            self.cfg.n_gpu_layers,
        )

    def close(self) -> None:
        for obj in (self._batch, self._ctx, self._model):
            if obj is not None:
                obj.close()
        self._batch = self._ctx = self._model = None  # the slots keep their counters

    @property
    def evictions(self) -> int:
        return self.kv.evictions if self.kv is not None else 0

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "path": str(self.path),
            "n_ctx": self.n_ctx_seq,
            "n_seq": self.cfg.n_seq,
            "n_gpu_layers": self.cfg.n_gpu_layers,
            "loaded": self._model is not None,
            **(self.kv.info() if self.kv is not None else {}),
        }

    # -- prompt ----------------------------------------------------------------------

    def tokenize_request(self, req: LLMRequest) -> list[int]:
        if req.messages is not None:
            try:
                prompt = self._formatter(messages=req.messages).prompt
            except Exception as exc:  # a template may reject e.g. the order of roles
                raise BadRequest(f"the chat template rejected these messages: {exc}") from exc
            return self._model.tokenize(prompt.encode(), add_bos=False, special=True)
        text = req.prompt or ""
        return self._model.tokenize(
            text.encode(), add_bos=self._model.add_bos_token(), special=True
        )

    # -- running -------------------------------------------------------------------

    def run(self, req: LLMRequest, should_yield: YieldCheck) -> Outcome:
        import llama_cpp

        seq: _Seq | None = req.core_state
        if seq is None:
            seq = req.core_state = self._start(req)
        else:  # a resume: re-feeding the text would recompute all but the pending token
            req.naive_resume_tokens += len(seq.tokens) - 1
        assert self.kv is not None
        slot = self.kv.acquire(seq)
        vocab = self._model.vocab
        in_slice = 0
        while True:
            if req.cancelled:
                raise Cancelled("request cancelled")
            self._decode(seq, slot)
            tok = seq.sampler.sample(self._ctx)
            if llama_cpp.llama_vocab_is_eog(vocab, tok):
                return self._finish(seq, "stop")
            seq.tokens.append(tok)
            req.completion_tokens += 1
            piece = seq.decoder.decode(self._piece(tok))
            text, stopped = seq.stops.feed(piece)
            req.emit(text)
            if stopped:
                return self._finish(seq, "stop", flush=False)
            if req.completion_tokens >= seq.max_new:
                return self._finish(seq, "length")
            in_slice += 1
            if should_yield(in_slice):
                slot.used_at = time.monotonic()
                if self.refeed_on_resume:  # the naive baseline: forget the KV
                    self.kv.forget(seq)
                return Outcome.PREEMPTED

    def _piece(self, tok: int) -> bytes:
        piece = self._pieces.get(tok)
        if piece is None:
            import llama_cpp

            size = 64
            while True:
                buf = ctypes.create_string_buffer(size)
                n = llama_cpp.llama_token_to_piece(self._model.vocab, tok, buf, size, 0, False)
                if n >= 0:
                    break
                size = -n
            piece = self._pieces[tok] = buf.raw[:n]
        return piece

    def discard(self, req: LLMRequest) -> None:
        seq = req.core_state
        if isinstance(seq, _Seq):
            if self.kv is not None:
                self.kv.release(seq)
            seq.sampler.close()
        req.core_state = None

    def held(self) -> int:
        """Requests whose state this core keeps (slots owned or saved states)."""
        return self.kv.holders() if self.kv is not None else 0

    def _start(self, req: LLMRequest) -> _Seq:
        tokens = self.tokenize_request(req)
        if len(tokens) >= self.n_ctx_seq:
            raise BadRequest(
                f"prompt is {len(tokens)} tokens; the context of model {self.model!r} "
                f"holds {self.n_ctx_seq}",
                prompt_tokens=len(tokens),
                n_ctx=self.n_ctx_seq,
            )
        req.prompt_tokens = len(tokens)
        return _Seq(
            req=req,
            tokens=tokens,
            n_prompt=len(tokens),
            max_new=min(req.params.max_tokens, self.n_ctx_seq - len(tokens)),
            sampler=self._sampler(req.params, req.id),
            decoder=codecs.getincrementaldecoder("utf-8")(errors="replace"),
            stops=StopMatcher(list(req.params.stop)),
        )

    def _finish(self, seq: _Seq, reason: str, *, flush: bool = True) -> Outcome:
        req = seq.req
        if flush:
            req.emit(seq.stops.feed(seq.decoder.decode(b"", final=True))[0])
            req.emit(seq.stops.flush())
        req.finish_reason = reason
        return Outcome.DONE

    def _sampler(self, params: GenParams, req_id: int) -> Sampler:
        grammar = params.grammar
        if grammar is None and params.json_schema is not None:
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            try:
                grammar = json_schema_to_gbnf(json.dumps(params.json_schema))
            except Exception as exc:
                raise BadRequest(f"unsupported JSON schema: {exc}") from exc
        seed = params.seed if params.seed is not None else self.cfg.seed + req_id
        return Sampler(self._model, params, grammar, seed)

    def _decode(self, seq: _Seq, slot: Slot) -> None:
        """Decode the tokens of ``seq`` that are not yet in its slot's KV."""
        start = len(slot.tokens)
        req = seq.req
        if start < seq.decoded_before:  # work done before and lost (evicted, not saved)
            req.resume_tokens += min(seq.decoded_before, len(seq.tokens)) - start
        batch = self._batch.batch
        n_batch = self.cfg.n_batch
        if self.refeed_on_resume:  # the naive baseline: re-read everything in one go
            chunks = [
                (a, min(a + n_batch, len(seq.tokens)))
                for a in range(start, len(seq.tokens), n_batch)
            ]
        else:
            chunks = list(replay_chunks(seq, start, n_batch))
        for a, b in chunks:
            chunk = seq.tokens[a:b]
            for j, t in enumerate(chunk):
                batch.token[j] = t
                batch.pos[j] = a + j
                batch.n_seq_id[j] = 1
                batch.seq_id[j][0] = slot.seq_id
                batch.logits[j] = 0
            batch.n_tokens = len(chunk)
            batch.logits[len(chunk) - 1] = 1
            try:
                self._ctx.decode(self._batch)
            except RuntimeError as exc:
                raise ModelError(f"llama.cpp decode failed on core {self.name}: {exc}") from exc
            slot.tokens.extend(chunk)
            self.decoded_tokens += len(chunk)
            if req.cancelled:
                raise Cancelled("request cancelled")
        n_prompt_done = min(len(slot.tokens), seq.n_prompt) - min(start, seq.n_prompt)
        req.prefill_tokens += max(0, n_prompt_done)
        seq.decoded_before = max(seq.decoded_before, len(slot.tokens))
