"""Text assembly for streamed generation: stop sequences across token boundaries."""

from __future__ import annotations

__all__ = ["StopMatcher"]


class StopMatcher:
    """Cuts generated text at the first stop sequence.

    Text that could still be the start of a stop sequence is held back, so a
    stream never shows part of a stop string that later completes.
    """

    def __init__(self, stops: list[str]) -> None:
        self._stops = [s for s in stops if s]
        self._hold = max((len(s) for s in self._stops), default=0)
        self._buf = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """Add text; return (text safe to emit, whether a stop sequence was hit)."""
        if not self._stops:
            return text, False
        self._buf += text
        hits = [i for i in (self._buf.find(s) for s in self._stops) if i >= 0]
        if hits:
            out = self._buf[: min(hits)]
            self._buf = ""
            return out, True
        keep = self._partial_suffix()
        out = self._buf[: len(self._buf) - keep]
        self._buf = self._buf[len(self._buf) - keep :]
        return out, False

    def flush(self) -> str:
        """The held-back text, at the end of generation."""
        out, self._buf = self._buf, ""
        return out

    def _partial_suffix(self) -> int:
        """Length of the longest buffer suffix that is a proper prefix of a stop."""
        buf = self._buf
        for n in range(min(self._hold - 1, len(buf)), 0, -1):
            tail = buf[-n:]
            if any(s.startswith(tail) for s in self._stops):
                return n
        return 0
