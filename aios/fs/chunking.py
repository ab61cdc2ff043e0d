"""Chunks: overlapping windows of the embedding model's tokens, mapped back to
character offsets, so every chunk fits the model (256 tokens for MiniLM) and a
hit can say where in the file it sits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Chunk", "chunk_text"]


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    start: int  # character offsets
    end: int
    line: int  # 1-based line of the start
    text: str


def chunk_text(text: str, tokenizer: Any, *, size: int = 200, overlap: int = 40) -> list[Chunk]:
    if not text.strip():
        return []
    enc = tokenizer(
        text,
        add_special_tokens=False,
        return_offsets_mapping=True,
        return_attention_mask=False,
        truncation=False,
        verbose=False,
    )
    offsets: list[tuple[int, int]] = [o for o in enc["offset_mapping"] if o[1] > o[0]]
    if not offsets:
        return [Chunk(0, 0, len(text), 1, text)]
    step = max(1, size - overlap)
    chunks: list[Chunk] = []
    i = 0
    while True:
        window = offsets[i : i + size]
        start, end = window[0][0], window[-1][1]
        if i + size >= len(offsets):
            end = len(text)  # keep trailing punctuation and whitespace with the last chunk
        if i == 0:
            start = 0
        chunks.append(
            Chunk(len(chunks), start, end, text.count("\n", 0, start) + 1, text[start:end])
        )
        if i + size >= len(offsets):
            return chunks
        i += step
