"""The KV sequences ("slots") of one llama.cpp context, and what is saved off them.

Each request in flight owns a slot. When more requests are in flight than there
are slots, the least recently used one is evicted: its KV sequence is saved to
host memory and restored when it runs again, without recomputation. Saved states
are bounded in bytes (``saved_kv_max_bytes``); beyond it the oldest is dropped, and
its request recomputes its tokens when it resumes, replaying the batches it was
first computed in (``replay_chunks``), so a greedy generation still produces the
text an uninterrupted one does. A finished request leaves its tokens in its slot
for the next request with the same prefix.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aios.kernel.llm.request import LLMRequest

__all__ = ["KVSeq", "KVSlots", "Slot", "replay_chunks"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Slot:
    seq_id: int
    tokens: list[int] = field(default_factory=list)  # whose KV is resident, positions 0..n-1
    owner: KVSeq | None = None
    used_at: float = 0.0


@dataclass(eq=False, kw_only=True)
class KVSeq:
    """The KV side of one request across its slices."""

    req: LLMRequest
    tokens: list[int]  # prompt + generated; the last one may not be decoded yet
    n_prompt: int
    slot: Slot | None = None
    saved: bytearray | None = None  # KV sequence saved on eviction
    saved_len: int = 0
    own_from: int = -1  # first position it computed itself (before: a reused prefix)
    decoded_before: int = 0  # tokens already decoded once (for resume accounting)


class KVSlots:
    def __init__(self, ctx: Any, n_seq: int, max_saved_bytes: int, name: str) -> None:
        self._ctx = ctx
        self.slots = [Slot(seq_id=i) for i in range(n_seq)]
        self.max_saved_bytes = max_saved_bytes
        self.name = name
        self._saved: OrderedDict[KVSeq, int] = OrderedDict()  # oldest first
        self.saved_bytes = 0
        self.saved_peak = 0
        self.evictions = 0
        self.restores = 0
        self.dropped = 0  # saved states dropped for the bound (recomputed later)

    def acquire(self, seq: KVSeq) -> Slot:
        """A slot for ``seq`` holding as much of its KV as can be had."""
        now = time.monotonic()
        if seq.slot is not None and seq.slot.owner is seq:
            seq.slot.used_at = now
            return seq.slot
        seq.slot = None
        free = [s for s in self.slots if s.owner is None or s.owner.req.done]
        if free:
            slot = min(free, key=lambda s: s.used_at)  # least recently used
            if seq.saved is None:
                # Reuse a cached prefix only where it keeps at least half of what the
                # slot holds: a shared chat-template header is not worth evicting a
                # whole other conversation for (llama.cpp's server does the same).
                scored = [
                    (n, -s.used_at, s)
                    for s in free
                    if (n := _common_prefix(s.tokens, seq.tokens)) * 2 >= len(s.tokens)
                ]
                if scored:
                    slot = max(scored, key=lambda x: (x[0], x[1]))[2]
        else:
            slot = min(self.slots, key=lambda s: s.used_at)
            self._evict(slot)
        if slot.owner is not None:
            slot.owner.slot = None
        slot.owner = seq
        slot.used_at = now
        seq.slot = slot
        if seq.saved is not None and self._restore(seq, slot):
            return slot
        keep = min(_common_prefix(slot.tokens, seq.tokens), len(seq.tokens) - 1)
        if seq.own_from < 0:
            seq.own_from = keep
        else:  # recomputing: what it computed itself is replayed, not taken from others
            keep = min(keep, seq.own_from)
        self._ctx.kv_cache_seq_rm(slot.seq_id, keep, -1)
        del slot.tokens[keep:]
        return slot

    def release(self, seq: KVSeq) -> None:
        """``seq`` will not run again: free its slot and its saved state."""
        if seq.slot is not None and seq.slot.owner is seq:
            seq.slot.owner = None
        seq.slot = None
        self._drop_saved(seq)

    def forget(self, seq: KVSeq) -> None:
        """Drop ``seq``'s KV outright (the benchmarks' re-feeding baseline)."""
        slot = seq.slot
        if slot is not None and slot.owner is seq:
            self._ctx.kv_cache_seq_rm(slot.seq_id, -1, -1)
            slot.tokens.clear()
            slot.owner = None
        seq.slot = None

    def holders(self) -> int:
        """Requests with a slot or a saved state here."""
        return len({s.owner for s in self.slots if s.owner is not None} | set(self._saved))

    def info(self) -> dict[str, int]:
        return {
            "evictions": self.evictions,
            "restores": self.restores,
            "saved_kv_dropped": self.dropped,
            "saved_kv_bytes": self.saved_bytes,
            "saved_kv_max_bytes": self.max_saved_bytes,
        }

    # -- saving and restoring ---------------------------------------------------------

    def _evict(self, slot: Slot) -> None:
        import llama_cpp

        victim = slot.owner
        assert victim is not None
        victim.slot = None
        slot.owner = None
        self.evictions += 1
        victim.saved_len = len(slot.tokens)
        size = llama_cpp.llama_state_seq_get_size(self._ctx.ctx, slot.seq_id)
        if size > self.max_saved_bytes:  # could never be kept: recompute it later
            self.dropped += 1
            log.debug("core %s: request %d not saved (%d bytes)", self.name, victim.req.id, size)
            return
        while self._saved and self.saved_bytes + size > self.max_saved_bytes:
            oldest = next(iter(self._saved))
            self._drop_saved(oldest)
            self.dropped += 1
        # The engine writes straight into the bytes kept: no Python-level copy of
        # megabytes (bytes(buf[:n]) built a list of ints first, ~0.4 s for 20 MB).
        buf = bytearray(size)
        n = llama_cpp.llama_state_seq_get_data(
            self._ctx.ctx, (ctypes.c_uint8 * size).from_buffer(buf), size, slot.seq_id
        )
        del buf[n:]
        victim.saved = buf
        self._saved[victim] = n
        self.saved_bytes += n
        self.saved_peak = max(self.saved_peak, self.saved_bytes)
        log.debug(
            "core %s: evicted request %d (%d tokens, %d bytes)",
            self.name,
            victim.req.id,
            victim.saved_len,
            n,
        )

    def _restore(self, seq: KVSeq, slot: Slot) -> bool:
        import llama_cpp

        saved = seq.saved
        assert saved is not None
        self._drop_saved(seq)
        self._ctx.kv_cache_seq_rm(slot.seq_id, -1, -1)
        n = llama_cpp.llama_state_seq_set_data(
            self._ctx.ctx, (ctypes.c_uint8 * len(saved)).from_buffer(saved), len(saved), slot.seq_id
        )
        slot.tokens = []
        if n == 0:  # could not restore: fall back to recomputing
            log.warning("core %s: restoring request %d failed; recomputing", self.name, seq.req.id)
            return False
        slot.tokens = list(seq.tokens[: seq.saved_len])
        self.restores += 1
        return True

    def _drop_saved(self, seq: KVSeq) -> None:
        n = self._saved.pop(seq, None)
        if n is not None:
            self.saved_bytes -= n
        seq.saved = None


def replay_chunks(seq: KVSeq, start: int, n_batch: int) -> Iterator[tuple[int, int]]:
    """The decode calls that bring ``seq``'s KV from ``start`` to its last token.

    The numbers of a token's KV depend on the batch it was decoded in (a batch of
    one takes another kernel than a prefill), so recomputing must repeat the calls
    first made: the prompt in ``n_batch`` chunks from where the request began
    computing, each generated token alone. A prefix it once reused from another
    request is recomputed as a prefill, which is how that request computed it."""
    end = len(seq.tokens)
    own = max(seq.own_from, 0)
    pos = start
    if pos < own:  # a reused prefix that is gone
        for a in range(pos, own, n_batch):
            yield a, min(a + n_batch, own)
        pos = own
    if pos < seq.n_prompt:  # the prompt, in the chunks of its first prefill
        first = own + (pos - own) // n_batch * n_batch
        for a in range(first, seq.n_prompt, n_batch):
            yield max(a, pos), min(a + n_batch, seq.n_prompt, end)
        pos = seq.n_prompt
    for a in range(pos, end):  # generated tokens, one at a time as they were
        yield a, a + 1


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
