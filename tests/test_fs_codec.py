"""Piecewise base64 and UTF-8 give exactly what the one-call codecs give."""

from __future__ import annotations

import base64
import binascii
import os

import pytest

from aios.fs import codec

BIG = codec.PIECE * 3 + 7  # several pieces and a ragged end


@pytest.mark.parametrize("size", [0, 1, 5, codec.PIECE - 1, codec.PIECE, BIG])
def test_base64_round_trip_matches_the_stdlib(size: int) -> None:
    data = os.urandom(size)
    text = codec.b64encode(data)
    assert text == base64.b64encode(data).decode()
    assert codec.b64decode(text) == data


def test_bad_base64_is_refused_wherever_it_is() -> None:
    text = base64.b64encode(os.urandom(BIG)).decode()
    for bad in (
        text[: codec.PIECE * 2] + "!" + text[codec.PIECE * 2 + 1 :],
        text[:-1],
        "=" + text[1:],
    ):
        with pytest.raises(binascii.Error):
            codec.b64decode(bad)


def test_utf8_in_pieces_never_splits_a_character() -> None:
    text = ("aé€😀" * (BIG // 10))[:BIG]
    data = text.encode()
    assert codec.utf8_encode(text) == data
    assert codec.utf8_decode(data) == text
    with pytest.raises(UnicodeDecodeError):
        codec.utf8_decode(data[: codec.PIECE * 2] + b"\xff" + data[codec.PIECE * 2 :])
    with pytest.raises(UnicodeEncodeError):
        codec.utf8_encode(text + "\ud800")
