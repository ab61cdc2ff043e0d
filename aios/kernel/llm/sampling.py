"""Token sampling for the llama.cpp core: a sampler chain and a lazily checked grammar.

Applying a grammar to all ~50k candidates costs more than the decode itself on a
small model. So, as llama.cpp's own common sampler does, the chain picks a token
first and the grammar only checks that one; only when the grammar rejects it are
all candidates filtered and the token drawn again. Both keep their state (grammar
position, RNG, penalty history) for the whole request, across preemptions.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np

from aios.errors import BadRequest
from aios.kernel.llm.request import GenParams

__all__ = ["Sampler"]


class Sampler:
    def __init__(self, model: Any, params: GenParams, grammar: str | None, seed: int) -> None:
        import llama_cpp
        from llama_cpp import _internals

        self._llama = llama_cpp
        self.n_vocab = model.n_vocab()
        self.chain = _internals.LlamaSampler()
        if params.repeat_penalty != 1.0:
            self.chain.add_penalties(self.n_vocab, 64, params.repeat_penalty, 0.0, 0.0)
        if params.temperature <= 0:
            self.chain.add_greedy()
        else:
            self.chain.add_top_k(params.top_k)
            self.chain.add_top_p(params.top_p, 1)
            self.chain.add_min_p(params.min_p, 1)
            self.chain.add_temp(params.temperature)
            self.chain.add_dist(seed & 0xFFFFFFFF)
        self.grammar = None
        if grammar is not None:
            self.grammar = llama_cpp.llama_sampler_init_grammar(
                model.vocab, grammar.encode(), b"root"
            )
            if not self.grammar:
                self.chain.close()
                raise BadRequest("invalid GBNF grammar (llama.cpp could not parse it)")
            self._all = _internals.LlamaTokenDataArray(n_vocab=self.n_vocab)
            self._one_data = (llama_cpp.llama_token_data * 1)()
            self._one = llama_cpp.llama_token_data_array(
                data=ctypes.cast(self._one_data, llama_cpp.llama_token_data_p),
                size=1,
                selected=-1,
                sorted=False,
            )

    def sample(self, ctx: Any) -> int:
        """Pick the next token from the last decode's logits and accept it."""
        lib = self._llama
        if self.grammar is None:
            return int(lib.llama_sampler_sample(self.chain.sampler, ctx.ctx, -1))
        logits = np.ctypeslib.as_array(lib.llama_get_logits_ith(ctx.ctx, -1), shape=(self.n_vocab,))
        tok = self._pick(logits, with_grammar=False)
        if not self._grammar_allows(tok):
            tok = self._pick(logits, with_grammar=True)
        lib.llama_sampler_accept(self.grammar, tok)
        lib.llama_sampler_accept(self.chain.sampler, tok)
        return tok

    def _pick(self, logits: np.ndarray, *, with_grammar: bool) -> int:
        lib = self._llama
        cur = self._all
        cur.copy_logits(logits)
        cur.candidates.selected = -1
        ref = ctypes.byref(cur.candidates)
        if with_grammar:
            lib.llama_sampler_apply(self.grammar, ref)
        lib.llama_sampler_apply(self.chain.sampler, ref)
        return int(cur.candidates.data[cur.candidates.selected].id)

    def _grammar_allows(self, tok: int) -> bool:
        one = self._one_data[0]
        one.id, one.logit, one.p = tok, 1.0, 0.0  # type: ignore[assignment]
        self._one.size, self._one.selected, self._one.sorted = 1, -1, False
        self._llama.llama_sampler_apply(self.grammar, ctypes.byref(self._one))
        return not math.isinf(self._one_data[0].logit)

    def close(self) -> None:
        if self.grammar:
            self._llama.llama_sampler_free(self.grammar)
            self.grammar = None
        self.chain.close()
