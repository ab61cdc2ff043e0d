"""Anchored plan grammars from a hostile question (and hostile schemas and results):
the grammar stays valid GBNF and small, its literals stay matchable, anchoring stays
fast, and a whole-result reference reads no private, shared or endless structure.

``LlamaGrammar.from_string`` only stores the text (llama.cpp parses it when a model
samples with it), so the grammars are also checked by ``_check_gbnf``, a port of
llama.cpp's grammar parser (llama-grammar.cpp): escapes, classes, names, groups,
repetitions, and every rule used being defined.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from llama_cpp import LlamaGrammar
from pydantic import BaseModel

from aios.errors import BadRequest
from aios.kernel.compiler.anchors import Anchors
from aios.kernel.compiler.grammar import plan_grammar
from aios.kernel.compiler.plan import PlanSyntaxError, Ref, Task, field_for, parse_line
from aios.kernel.compiler.stops import PlanStops
from aios.tools.registry import external_spec
from aios.tools.schema_limits import MAX_GRAMMAR_CHARS

TOOL = {
    "name": "lookup",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "issue_id": {"type": "string"},
            "due_date": {"type": "string"},
            "mode": {"type": "string", "enum": ["fast", "slow"]},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        },
        "required": ["query", "count", "ratio", "issue_id", "due_date"],
    },
}

HOSTILE = {
    "empty": "",
    "punctuation only": "?!.,;:()[]{}<>\"'`",
    "whitespace only": " \t\n\r\x0b\x0c",
    "emoji": "\U0001f600 pizza \U0001f355 in Rome \U00020000x",
    "emoji only": "\U0001f600",
    "lone surrogates": "a\ud800b c\udfff \ud83d",
    "control chars": "a\x00\x01\x1f b\x7f c\x1b[31m d",
    "quotes and backslashes": "say \"hi\\\" \\\\ \\u0041 \\x41 'x' \u201cq\u201d",
    "gbnf syntax": 'root ::= [^"\\]] | ( ) {1,2} x* "  # comment\nline-1 ::= qw-0',
    "bidi and separators": "\u202e abc \u2028 d\u00a0e \u2029 f\ufeffg",
    "huge integer": "9" * 5000,
    "huge integer with commas": "1," + ",".join(["234"] * 3000),
    "huge float": "9" * 400 + ".5",
    "float overflow to float()": "1" + "0" * 400,
    "unicode digits": "\u0661\u0662\u0663 \u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0662",
    "many dates": "2024-01-02 1st of March, 2024 " * 40,
    "long control tokens": ("\x01" * 120 + " ") * 80,
    "long astral tokens": ("\U00020000" * 120 + " ") * 80,
    "long quote tokens": ('"\\' * 60 + "x ") * 80,
}


# -- a port of llama.cpp's GBNF parser ------------------------------------------------


class _Gbnf:
    def __init__(self, text: str) -> None:
        self.s, self.i = text, 0
        self.defined: set[str] = set()
        self.used: set[str] = set()
        self.codepoints: list[int] = []

    def fail(self, why: str) -> AssertionError:
        return AssertionError(f"GBNF: {why} at {self.i}: {self.s[self.i : self.i + 40]!r}")

    def space(self, newline_ok: bool) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t" or (newline_ok and c in "\r\n"):
                self.i += 1
            elif c == "#":
                while self.i < len(self.s) and self.s[self.i] not in "\r\n":
                    self.i += 1
            else:
                return

    def name(self) -> str:
        start = self.i
        while self.i < len(self.s) and (
            (self.s[self.i].isascii() and self.s[self.i].isalnum()) or self.s[self.i] == "-"
        ):
            self.i += 1
        if self.i == start:
            raise self.fail("expecting name")
        return self.s[start : self.i]

    def char(self) -> int:
        if self.i >= len(self.s):
            raise self.fail("unexpected end of input")
        c = self.s[self.i]
        if c != "\\":
            self.i += 1
            return ord(c)
        e = self.s[self.i + 1 : self.i + 2]
        simple = {"t": 9, "r": 13, "n": 10, "\\": 92, '"': 34, "[": 91, "]": 93}
        if e in simple:
            self.i += 2
            return simple[e]
        size = {"x": 2, "u": 4, "U": 8}.get(e)
        if size is None:
            raise self.fail(f"unknown escape \\{e}")
        digits = self.s[self.i + 2 : self.i + 2 + size]
        if len(digits) != size or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise self.fail(f"expecting {size} hex chars")
        self.i += 2 + size
        return int(digits, 16)

    def sequence(self, nested: bool) -> None:
        last = False  # whether there is an element a repetition may follow
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                while self.i < len(self.s) and self.s[self.i] != '"':
                    self.codepoints.append(self.char())
                if self.i >= len(self.s):
                    raise self.fail("unexpected end of input")
                self.i += 1
            elif c == "[":
                self.i += 1
                if self.s[self.i : self.i + 1] == "^":
                    self.i += 1
                while self.i < len(self.s) and self.s[self.i] != "]":
                    self.char()
                    if (
                        self.s[self.i : self.i + 1] == "-"
                        and self.s[self.i + 1 : self.i + 2] != "]"
                    ):
                        self.i += 1
                        self.char()
                if self.i >= len(self.s):
                    raise self.fail("unexpected end of input")
                self.i += 1
            elif c.isascii() and (c.isalnum() or c == "-"):
                self.used.add(self.name())
            elif c == "(":
                self.i += 1
                self.space(True)
                self.alternates(nested=True)
                if self.s[self.i : self.i + 1] != ")":
                    raise self.fail("expecting ')'")
                self.i += 1
            elif c == ".":
                self.i += 1
            elif c in "*+?" or c == "{":
                if not last:
                    raise self.fail("expecting preceding item")
                if c == "{":
                    end = self.s.find("}", self.i)
                    body = self.s[self.i + 1 : end] if end > 0 else ""
                    lo, _, hi = body.partition(",")
                    if end < 0 or not lo.isdigit() or (hi and not hi.isdigit()):
                        raise self.fail("bad repetition")
                    self.i = end + 1
                else:
                    self.i += 1
                self.space(nested)
                continue
            else:
                return
            last = True
            self.space(nested)

    def alternates(self, nested: bool) -> None:
        self.sequence(nested)
        while self.s[self.i : self.i + 1] == "|":
            self.i += 1
            self.space(True)
            self.sequence(nested)

    def parse(self) -> None:
        self.space(True)
        while self.i < len(self.s):
            rule = self.name()
            self.space(False)
            if self.s[self.i : self.i + 3] != "::=":
                raise self.fail("expecting ::=")
            self.i += 3
            self.space(True)
            self.alternates(nested=False)
            if self.i < len(self.s) and self.s[self.i] not in "\r\n":
                raise self.fail("expecting newline or end")
            self.defined.add(rule)
            self.space(True)
        missing = self.used - self.defined
        assert not missing, f"GBNF: undefined rules {sorted(missing)[:5]}"
        assert "root" in self.defined, "GBNF: no root rule"


def _check_gbnf(text: str) -> _Gbnf:
    LlamaGrammar.from_string(text, verbose=False)
    g = _Gbnf(text)
    g.parse()
    dead = [hex(c) for c in g.codepoints if 0xD800 <= c <= 0xDFFF or c > 0x10FFFF]
    assert not dead, f"literals no UTF-8 output can match: {dead[:5]}"
    return g


def test_the_checker_rejects_what_llama_cpp_rejects() -> None:
    for bad in ['root ::= "a', "root ::= foo", 'root ::= "\\q"', "root ::= (", 'root ::= * "a"']:
        with pytest.raises(AssertionError):
            _check_gbnf(bad)
    with pytest.raises(AssertionError, match="match"):
        _check_gbnf('root ::= "\\ud83d\\ude00"')  # json.dumps's way of writing an emoji


# -- the question ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_question_makes_a_valid_small_grammar(name: str) -> None:
    text = plan_grammar([external_spec(TOOL)], max_tasks=4, anchors=Anchors(HOSTILE[name]))
    _check_gbnf(text)
    assert len(text) <= MAX_GRAMMAR_CHARS
    assert "inf" not in text.split("::=", 1)[1].replace("info", "")


def test_an_astral_word_is_a_literal_the_model_can_write() -> None:
    a = Anchors("\U0001f600 pizza")
    assert a.tokens == ["\U0001f600", "pizza"]
    assert '"\\U0001f600"' in a.rules()["qw-0"]


def test_lone_surrogates_never_reach_the_grammar() -> None:
    a = Anchors("a\ud800b c \ud83d d")
    assert all("\ud800" not in t and "\ud83d" not in t for t in a.tokens + a.seps)
    assert a.tokens == ["c", "d"]
    text = plan_grammar([external_spec(TOOL)], max_tasks=2, anchors=a)
    text.encode("utf-8")  # llama_cpp encodes the grammar: a surrogate would raise here


def test_huge_numbers_are_no_arguments_and_no_crash() -> None:
    for q in ("9" * 5000, "1" + "0" * 400, "9" * 400 + ".5", "-" + "1" * 4400):
        a = Anchors(q)
        assert a.numbers == []
        assert a.number_body(True) is None and a.number_body(False) is None
    assert Anchors("1,234 and 5").numbers == [1234, 5]


def test_a_question_cannot_push_the_grammar_over_the_limit() -> None:
    """Even with several tools, the question's share of the grammar is bounded."""
    tools = [external_spec({**TOOL, "name": f"lookup{i}"}) for i in range(3)]
    for q in (HOSTILE["long control tokens"], HOSTILE["long astral tokens"]):
        text = plan_grammar(tools, max_tasks=2, anchors=Anchors(q))
        assert len(text) <= MAX_GRAMMAR_CHARS


def test_too_big_a_grammar_is_a_bad_request() -> None:
    tools = [external_spec({**TOOL, "name": f"lookup{i}"}) for i in range(40)]
    with pytest.raises(BadRequest):
        plan_grammar(tools, max_tasks=12, anchors=Anchors(HOSTILE["long quote tokens"]))


@pytest.mark.parametrize(
    "query",
    [
        "1," + ",".join(["234"] * 3300) + "x",
        " 1,234" * 1700,
        "1" * 10_000,
        "1." * 5000,
        "-1" * 5000,
        "12 of march, 2024 " * 560,
        "1st of " * 1430,
        "jan 1st, 2024 " * 700,
        "a-" * 5000,
        "a1" * 5000,
        "A" * 10_000,
        " " * 10_000,
        "x" * 10_000,
        ("\U0001f600" + "b" * 119 + " ") * 84,
    ],
)
def test_anchoring_a_long_question_is_fast(query: str) -> None:
    query = query[:10_000]
    t0 = time.perf_counter()
    a = Anchors(query)
    a.rules()
    a.mentions("mode_name", {"type": "string"})
    assert time.perf_counter() - t0 < 0.1


# -- hostile schemas -------------------------------------------------------------------


def test_an_empty_enum_does_not_crash_anchoring() -> None:
    spec = external_spec(
        {
            "name": "t",
            "parameters": {
                "type": "object",
                "properties": {
                    "mode": {"type": "string", "enum": []},
                    "kinds": {"type": "array", "items": {"type": "string", "enum": []}},
                    "q": {"type": "string"},
                },
                "required": ["q"],
            },
        }
    )
    a = Anchors("mode kinds q")
    assert a.mentions("mode", {"type": "string", "enum": []}) is False
    assert a.mentions("kinds", {"type": "array", "items": [{"type": "string"}]}) is True
    plan_grammar([spec], max_tasks=2, anchors=a)


def test_schema_keys_that_look_like_grammar_stay_literals() -> None:
    spec = external_spec(
        {
            "name": "t",
            "parameters": {
                "type": "object",
                "properties": {
                    "root": {"type": "string", "enum": ['"::=', "\\", "\U0001f600", "a\nb"]},
                    "qw_0": {"type": "string", "default": '" | x'},
                },
                "required": ["root", "qw_0"],
            },
        }
    )
    _check_gbnf(plan_grammar([spec], max_tasks=3, anchors=Anchors('root "::=" \\ qw_0')))


# -- whole-result references -----------------------------------------------------------


def test_field_for_never_reads_a_private_name() -> None:
    result = {"_token": "s3cret", "items": [{"_token": "s3cret"}]}
    assert field_for(result, "_token") == (False, None)
    assert Ref(1).follow(result, "_token") is result


def test_field_for_reads_no_attributes_of_objects() -> None:
    class Secret(BaseModel):
        query: str = "s3cret"

    class Obj:
        query = "s3cret"

    for result in (Secret(), Obj(), [Secret()], {"a": Obj()}, ("s3cret",), "query"):
        assert field_for(result, "query") == (False, None)


def test_field_for_on_a_shared_or_cyclic_result_is_fast() -> None:
    wide: dict[str, Any] = {}
    for i in range(2000):
        wide[f"k{i}"] = wide  # every value is the dict itself: 2000**4 paths, one object
    cyc: list[Any] = []
    cyc.append(cyc)
    shared = [{f"k{i}": [{"x": 1}] * 3 for i in range(5000)}]
    for result in (wide, cyc, shared, {"a": cyc, "b": wide}):
        t0 = time.perf_counter()
        assert field_for(result, "query") == (False, None)
        assert Ref(1).follow(result, "query") is result
        assert time.perf_counter() - t0 < 0.1


def test_field_for_on_deep_or_huge_results_is_bounded() -> None:
    deep: dict[str, Any] = {"query": "too deep"}
    for _ in range(100_000):
        deep = {"next": deep}
    assert field_for(deep, "query") == (False, None)
    huge = {f"k{i}": {"v": i} for i in range(200_000)}
    huge["k199999"]["query"] = "late"
    t0 = time.perf_counter()
    field_for(huge, "query")  # found or not: bounded either way
    assert time.perf_counter() - t0 < 0.5
    assert field_for({"a": {"query": "q"}}, "query") == (True, "q")
    assert field_for({"a": [{"id": 7}]}, "user_id") == (True, 7)


# -- stopping rules --------------------------------------------------------------------


def test_plan_stops_take_odd_arguments() -> None:
    stops = PlanStops({"lookup": external_spec(TOOL)})
    odd: list[dict[str, Any]] = [
        {},
        {"query": None},
        {"query": {"a": {"b": [1, {"c": None}]}}},
        {"query": [{"x": 1}, [2, [3]], None, True]},
        {"query": list(range(10_000))},
        {"query": Ref(1, ("a", 0))},
        {"query": [Ref(2), {"r": Ref(1)}]},
        {"mode": "fast", "tags": ["a", "b"], "count": 1.5, "ratio": float("nan")},
        {"unknown": {"nested": "x"}, "count": True},
    ]
    for i, args in enumerate(odd * 2, start=1):
        why = stops.why(Task(i, "lookup", args))
        assert why is None or isinstance(why, str)
    assert PlanStops({}).why(Task(1, "nope", {"a": [{}]})) is None


def test_a_plan_line_with_a_huge_number_is_a_syntax_error() -> None:
    for line in (
        "1. lookup(count=" + "9" * 5000 + ")",
        "1. lookup(count=1e999)",
        "1. lookup(count=-1e999)",
        "9" * 5000 + ". lookup()",
        "2. lookup(q=$" + "1" * 5000 + ")",
        "2. lookup(q=$1[" + "1" * 5000 + "])",
        "1. lookup(count=1\u0661)",
    ):
        with pytest.raises(PlanSyntaxError):
            parse_line(line)
