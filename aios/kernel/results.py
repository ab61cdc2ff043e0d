"""A process's result as every reader can take it."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_ERROR_CHARS", "MAX_RESULT_CHARS", "storable_error", "storable_result"]

MAX_RESULT_CHARS = 100_000
MAX_ERROR_CHARS = 4_000


def storable_result(value: Any) -> Any:
    """What an agent returned, as every reader can take it: plain JSON (no NaN or
    infinities, string keys, no subclasses that answer differently at each look), no
    lone surrogates, at most 64 deep (else its text), bounded in size. An agent's
    result must never break ``proc.list`` for everyone, nor its own end."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode()  # a lone surrogate cannot be stored or sent
        plain = json.loads(text)  # what is stored is what was checked
    except Exception:  # whatever its items() or default raise: RecursionError included
        try:
            text = repr(value)
            if not isinstance(text, str):
                raise TypeError("repr is not text")
        except Exception:
            text = f"<{type(value).__name__} that is not JSON>"
        return text.encode(errors="replace").decode()[:MAX_RESULT_CHARS]
    if len(text) > MAX_RESULT_CHARS or _deeper(plain, 64):
        return text[:MAX_RESULT_CHARS]
    return plain


def storable_error(error: str | None) -> str | None:
    """Why a process ended, as every reader can take it: an agent's exception text
    (a lone surrogate in it made proc.list answer 500 for everyone), bounded."""
    if error is None:
        return None
    return str(error)[:MAX_ERROR_CHARS].encode(errors="replace").decode()


def _deeper(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict | list):
            if depth > limit:
                return True
            stack.extend((c, depth + 1) for c in (v.values() if isinstance(v, dict) else v))
    return False
