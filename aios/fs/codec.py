"""Base64 and UTF-8 conversions of file contents, done in pieces.

They run in worker threads, but a C codec holds the interpreter lock for the whole
call: decoding 20 MB of base64 at once kept the event loop from running for ~50 ms.
Between pieces the lock can pass to the loop, so no stall is longer than a piece.
"""

from __future__ import annotations

import base64
import codecs

__all__ = ["b64decode", "b64encode", "utf8_decode", "utf8_encode"]

PIECE = 1 << 20  # ~1-2 ms of work per piece; a multiple of 3 and 4 where it matters
_B64_IN = PIECE - PIECE % 4  # characters of base64 per decoded piece
_B64_OUT = PIECE - PIECE % 3  # bytes per encoded piece (no padding inside)


def b64decode(text: str) -> bytes:
    """Strict base64 (the alphabet only; ``binascii.Error`` otherwise)."""
    if len(text) <= _B64_IN:
        return base64.b64decode(text, validate=True)
    pad = text.find("=")
    if len(text) % 4 or pad not in (-1, len(text) - 1, len(text) - 2):
        return base64.b64decode(text, validate=True)  # odd input: its one-piece verdict
    out = bytearray()
    for i in range(0, len(text), _B64_IN):
        out += base64.b64decode(text[i : i + _B64_IN], validate=True)
    return bytes(out)


def b64encode(data: bytes) -> str:
    if len(data) <= _B64_OUT:
        return base64.b64encode(data).decode("ascii")
    view = memoryview(data)
    return "".join(
        base64.b64encode(view[i : i + _B64_OUT]).decode("ascii")
        for i in range(0, len(data), _B64_OUT)
    )


def utf8_decode(data: bytes) -> str:
    """``UnicodeDecodeError`` as ``bytes.decode`` would raise it."""
    if len(data) <= PIECE:
        return data.decode("utf-8")
    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    parts = [dec.decode(view[i : i + PIECE]) for i in range(0, len(data), PIECE)]
    parts.append(dec.decode(b"", final=True))
    return "".join(parts)


def utf8_encode(text: str) -> bytes:
    """``UnicodeEncodeError`` for a lone surrogate, as ``str.encode`` would."""
    if len(text) <= PIECE:
        return text.encode("utf-8")
    return b"".join(text[i : i + PIECE].encode("utf-8") for i in range(0, len(text), PIECE))
