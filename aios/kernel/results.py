"""A process's result as every reader can take it."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_RESULT_CHARS", "storable_result"]

MAX_RESULT_CHARS = 100_000


def storable_result(value: Any) -> Any:
    """What an agent returned, as every reader can take it: JSON, no lone surrogates,
    at most 64 deep (else its text), bounded in size. An agent's result must never
    break ``proc.list`` for everyone."""
    try:
        text = json.dumps(value, ensure_ascii=False)
        text.encode()  # a lone surrogate cannot be stored or sent
    except (TypeError, ValueError, RecursionError):
        try:
            text = repr(value)
        except (RecursionError, ValueError):
            text = f"<{type(value).__name__} that is not JSON>"
        return text.encode(errors="replace").decode()[:MAX_RESULT_CHARS]
    if len(text) > MAX_RESULT_CHARS or _deeper(value, 64):
        return text[:MAX_RESULT_CHARS]
    return value


def _deeper(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict | list):
            if depth > limit:
                return True
            stack.extend((c, depth + 1) for c in (v.values() if isinstance(v, dict) else v))
    return False
