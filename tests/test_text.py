"""Stop sequences across token boundaries."""

from aios.kernel.llm.text import StopMatcher


def feed_all(m: StopMatcher, pieces: list[str]) -> tuple[str, bool]:
    out = ""
    for p in pieces:
        text, stopped = m.feed(p)
        out += text
        if stopped:
            return out, True
    return out + m.flush(), False


def test_no_stops_passes_text_through() -> None:
    assert feed_all(StopMatcher([]), ["a", "b"]) == ("ab", False)


def test_stop_split_across_pieces_is_never_emitted() -> None:
    m = StopMatcher(["</end>"])
    emitted = []
    for p in ["hello </", "en", "d> tail"]:
        text, stopped = m.feed(p)
        emitted.append(text)
        if stopped:
            break
    assert "".join(emitted) == "hello " and stopped
    assert all("<" not in e for e in emitted)


def test_partial_stop_that_does_not_complete_is_released() -> None:
    assert feed_all(StopMatcher(["STOP"]), ["ST", "AR", "T"]) == ("START", False)


def test_earliest_of_several_stops_wins() -> None:
    assert feed_all(StopMatcher(["b", "a"]), ["xxab"]) == ("xx", True)
