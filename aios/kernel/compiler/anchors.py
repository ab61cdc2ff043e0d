"""The values a question offers its plan: its words, numbers and dates, as grammar rules.

A small model asked for an argument invents one ("Ogdeneborg" for Oslo) far more
often than it copies the question. So, in the plan grammar:

- a string argument is a run of the question's own words, with the question's own
  separators (``"Oslo"``, ``"microsoft/vscode"``, ``"best pizza in Rome"``); a date
  parameter takes the question's dates written as ISO dates, if it has any; one
  holding something written rather than quoted (an expression, code, a query
  language, a template) is free text;
- a number is one of the question's numbers (or the schema's default);
- an identifier parameter (``issue_id``, ``accountId``) takes one of the question's
  tokens that look like identifiers (``PROJ-42``, ``C024BE91L``);
- a number or identifier the question gives none for can only be a reference to
  an earlier task's result, where there is one, and a tool that needs one waits
  for a line where there is;
- an enum takes the values the question names, if it names any;
- an optional parameter is given only if the question mentions it: for an enum one
  of its values, otherwise a word of the parameter's name (a model left to itself
  fills in every optional parameter it is shown).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aios.tools.zones import zones_in

__all__ = ["Anchors", "file_like", "quoted", "string_kind"]

MAX_TOKENS = 64  # the question's first words are spans; more would only grow the grammar
MAX_NUMBERS = 24
MAX_DATES = 16
MAX_TOKEN_CHARS = 120  # a longer "word" is no argument anyone quoted; it would only bloat
MAX_SPAN_CHARS = 16_000  # the spans' rules, written out: a question cannot fill the grammar
MAX_DIGITS = 15  # the plan grammar's integers have at most 16 digits; int() refuses 4300

_EDGE = "\"'`\u201c\u201d\u2018\u2019()[]{}<>.,;:!?"
_TOKEN = re.compile(r"[^\s/,;]+")
_SURROGATE = re.compile("[\ud800-\udfff]")  # never in a model's (UTF-8) output
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])-?\d+(?:\.\d+)?")
_WRITTEN = re.compile(
    r"expression|formula|equation|script|program|sql|jql|regex|json|markdown|html|template",
    re.IGNORECASE,
)
_DATE_NAME = re.compile(r"date|yyyy", re.IGNORECASE)
_ZONE_NAME = re.compile(r"^(?:time_?zone|tz|tz_?name)$", re.IGNORECASE)  # not "zone": DNS
_PATH_NAME = re.compile(
    r"^(?:path|src|dst|source|destination|target|file|filename|folder|dir|directory)$"
    r"|(?:_path|_file|_dir|_folder|Path|File|Folder)$"
)
_CHUNK = re.compile(r"\S+")
_STOP = frozenset(
    "a an the to in into on of and or for from with at by as is are be it its my me i you "
    "your our we what whats what's which who how pls please can could would do does did "
    "file files folder called named about".split()
)
_ID_NAME = re.compile(r"(?:^|_)(?:id|ids|uuid|sid|key)$|[a-z](?:Id|ID|Ids|Sid|Key)$")
_ID_TOKEN = re.compile(r"(?=.*\d)[\w.:@#-]{2,}|[\w]+[_.:@#-][\w.:@#-]+|[A-Z][A-Z0-9]{1,}")
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), ("y", "m", "d")),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({_MONTH})\.?,? (\d{{4}})\b", re.I),
        ("d", "M", "y"),
    ),
    (
        re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b", re.I),
        ("M", "d", "y"),
    ),
]


def string_kind(key: str, schema: dict[str, Any]) -> str:
    """How a string parameter is filled: ``written`` (free text), ``date`` (the
    question's dates as ISO dates), ``id`` (one of the question's tokens that look
    like identifiers, or else an earlier result), ``path`` (one whole word of it, as
    written: ``drafts/old.md``, never ``old.md`` alone or ``read plan.md``), ``zone``
    (a timezone the question names, as its IANA name: "lima" is America/Lima),
    ``span`` (a run of its words)."""
    about = f"{key.replace('_', ' ')} {schema.get('description', '')}"
    fmt = schema.get("format")
    if fmt in ("date", "date-time") or _DATE_NAME.search(key) or "YYYY" in about:
        return "date"
    if _ZONE_NAME.match(key):
        return "zone"
    if _WRITTEN.search(about) or "pattern" in schema:
        return "written"
    if _ID_NAME.search(key) and "name" not in key.lower():
        return "id"
    if _PATH_NAME.search(key):
        return "path"
    return "span"


def _lit(text: str) -> str:
    return json.dumps(text)


def _gbnf(text: str) -> str:
    """``text`` as a GBNF literal. Not json.dumps: it writes a character past U+FFFF
    as two surrogate escapes, which llama.cpp reads as two code points no UTF-8
    output has, so the literal could never match."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif " " <= c <= "~":
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
    return '"' + "".join(out) + '"'


def _in_json(text: str) -> str:
    """``text`` as written inside a JSON string, as a grammar literal."""
    return _gbnf(json.dumps(text, ensure_ascii=False)[1:-1])


def _name_words(key: str) -> list[str]:
    parts = re.sub(r"([a-z])([A-Z])", r"\1 \2", key).replace("_", " ").lower().split()
    return [p for p in parts if len(p) >= 3]


_WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b")
_FLAG = re.compile(r"-[A-Za-z]{1,3}")
_FILE_LIKE = re.compile(r"/|^\.|\.[A-Za-z0-9]{1,8}$")


def _flag_for(key: str, token: str) -> bool:
    """Whether ``token`` is a short command-line flag set with the switch ``key``'s
    first letter: "-r" for recursive, "-rf" too."""
    return bool(_FLAG.fullmatch(token)) and key[:1].lower() in token[1:].lower()


def quoted(text: str) -> str:
    """A grammar literal of ``text`` as a JSON string, quotes included."""
    return '"\\"" ' + _in_json(text) + ' "\\""'


def file_like(word: str) -> bool:
    """A word that reads as a path by itself: a slash, a leading dot, an extension."""
    return bool(_FILE_LIKE.search(word))


@dataclass
class Anchors:
    """The spans, numbers and dates of one question. ``known_paths``: which of its
    words name existing files or folders (a path is one of those or a file-like word;
    None: any word)."""

    query: str
    known_paths: frozenset[str] | None = None
    tokens: list[str] = field(init=False)
    seps: list[str] = field(init=False)  # seps[i]: what the question has after tokens[i]
    numbers: list[float | int] = field(init=False)
    dates: list[str] = field(init=False)
    ids: list[str] = field(init=False)  # tokens that look like identifiers (PROJ-42, C024BE91L)
    paths: list[str] = field(init=False)  # whole words, "/" kept: what a path can be
    real_paths: list[str] = field(init=False)  # those that are file-like or known paths
    zones: list[str] = field(init=False)  # the timezones its words name (IANA names)

    def __post_init__(self) -> None:
        spans: list[tuple[int, int]] = []
        room = MAX_SPAN_CHARS
        for m in _TOKEN.finditer(self.query):
            start, end = m.span()
            word = m.group()
            lead = len(word) - len(word.lstrip(_EDGE))
            trail = len(word) - len(word.rstrip(_EDGE))
            if lead + trail < len(word) and len(word) - lead - trail <= MAX_TOKEN_CHARS:
                word = word[lead : len(word) - trail]
                room -= len(_in_json(word)) + 32
                if room < 0 or len(spans) == MAX_TOKENS:
                    break
                if not _SURROGATE.search(word):
                    spans.append((start + lead, end - trail))
        self.tokens = [self.query[a:b] for a, b in spans]
        self.seps = []
        for (_, b), (a, _) in itertools.pairwise(spans):
            gap = self.query[b:a]
            ok = len(gap) <= 3 and "\n" not in gap and not _SURROGATE.search(gap)
            self.seps.append(gap if ok else " ")
        self.numbers = self._numbers()
        self.dates = self._dates()
        self._lower = [t.casefold() for t in self.tokens]
        self.ids = [t for t in dict.fromkeys(self.tokens) if _ID_TOKEN.fullmatch(t)]
        self.paths = self._paths()
        self.zones = zones_in(self.tokens)

    def _paths(self) -> list[str]:
        out: list[str] = []
        for m in _CHUNK.finditer(self.query):
            word = m.group().lstrip(_EDGE.replace(".", "")).rstrip(_EDGE)  # keep ".env"
            if not word or len(word) > MAX_TOKEN_CHARS or _SURROGATE.search(word):
                continue
            if word.casefold() in _STOP or word in out:
                continue
            out.append(word)
            if len(out) == MAX_TOKENS:
                break
        known = self.known_paths or frozenset()
        self.real_paths = [w for w in out if file_like(w) or w in known]
        if self.known_paths is None:
            return out
        return self.real_paths or out

    def _numbers(self) -> list[float | int]:
        seen: list[float | int] = []
        for w in _WORD_NUMBER.findall(self.query.casefold()):
            if _WORD_NUMBERS[w] not in seen:
                seen.append(_WORD_NUMBERS[w])
        for m in _NUMBER.finditer(self.query):
            text = m.group().replace(",", "")
            if sum(c.isdigit() for c in text) > MAX_DIGITS:
                continue  # no argument; and int() refuses over 4300 digits, float() gives inf
            value: float | int = float(text) if "." in text else int(text)
            if value not in seen:
                seen.append(value)
        return seen[:MAX_NUMBERS]

    def _dates(self) -> list[str]:
        out: list[str] = []
        for rx, order in _DATES:
            for m in rx.finditer(self.query):
                parts = dict(zip(order, m.groups(), strict=True))
                month = int(parts["m"]) if "m" in parts else _MONTHS[parts["M"].lower()]
                try:
                    day = dt.date(int(parts["y"]), month, int(parts["d"]))
                except ValueError:
                    continue
                if day.isoformat() not in out:
                    out.append(day.isoformat())
        return out[:MAX_DATES]

    def rules(self) -> dict[str, str]:
        """``qspan``: a JSON string holding one run of the question's tokens."""
        rules: dict[str, str] = {}
        n = len(self.tokens)
        if n == 0:
            return rules
        for i, w in enumerate(self.tokens):
            body = _in_json(w)
            rules[f"qw-{i}"] = (
                f"{body} ({_in_json(self.seps[i])} qw-{i + 1})?" if i + 1 < n else body
            )
        rules["qspan"] = '"\\"" (' + " | ".join(f"qw-{i}" for i in range(n)) + ') "\\""'
        if self.ids:
            rules["qid"] = '"\\"" (' + " | ".join(_in_json(t) for t in self.ids) + ') "\\""'
        if self.paths:
            rules["qpath"] = '"\\"" (' + " | ".join(_in_json(t) for t in self.paths) + ') "\\""'
        if self.zones:
            rules["qzone"] = " | ".join(_lit(json.dumps(z)) for z in self.zones)
        if self.dates:
            rules["qdate"] = " | ".join(_lit(json.dumps(d)) for d in self.dates)
        return rules

    def _said(self, value: Any) -> bool:
        if not isinstance(value, str) or not value:
            return False
        text = " " + " ".join(self._lower) + " "
        phrase = value.replace("_", " ").replace("-", " ").casefold()
        return f" {phrase} " in text or f" {value.casefold()} " in text

    def enum_values(self, schema: dict[str, Any]) -> list[Any]:
        """An enum's values the question names, or all of them if it names none."""
        said = [v for v in schema["enum"] if self._said(v)]
        return said or list(schema["enum"])

    def mentions(self, key: str, schema: dict[str, Any]) -> bool:
        """Whether an optional parameter may be given: the question names one of its
        enum values, or has a word starting as a word of its name does."""
        items = schema.get("items")
        if "enum" in schema or (isinstance(items, dict) and "enum" in items):
            values = schema["enum"] if "enum" in schema else (items or {})["enum"]
            return any(self._said(v) for v in values or [])
        if schema.get("type") in ("integer", "number") and not self.numbers:
            return False
        if schema.get("type") == "string" and string_kind(key, schema) == "path":
            return bool(self.real_paths)  # "what's in notes": the folder is named
        if schema.get("type") == "string" and string_kind(key, schema) == "zone":
            return bool(self.zones)  # "what time is it": no zone, so the tool's default
        words = _name_words(key)
        about = [w for w in _name_words(str(schema.get("description", ""))) if len(w) >= 5]
        if schema.get("type") == "boolean":  # a switch: "-r" or its description's words
            if self.flagged(key):
                return True
            words += [w for w in about if w not in _STOP]
        elif not words:  # "n", "q": a name too short to mention; its description's words
            words = about
        for part in words:
            stem = part[:5]
            if any(t.startswith(stem) or (len(t) >= 4 and part.startswith(t)) for t in self._lower):
                return True
        return False

    def flagged(self, key: str) -> bool:
        """Whether the question sets the switch ``key`` as a flag ("rm -r tmp")."""
        return any(_flag_for(key, t) for t in self.tokens)

    def number_body(self, integer: bool) -> str | None:
        """The question's numbers as alternatives (integers only if ``integer``)."""
        vals = [v for v in self.numbers if not integer or float(v).is_integer()]
        if not vals:
            return None
        return " | ".join(_lit(str(int(v)) if integer else str(v)) for v in vals)

    def string_rule(self, kind: str) -> str | None:
        """The rule for a string of this kind (None: free text only)."""
        if kind == "written" or not self.tokens:
            return None
        if kind == "date" and self.dates:
            return "qdate"
        if kind == "id" and self.ids:
            return "qid"
        if kind == "path" and self.paths:
            return "qpath"
        if kind == "zone" and self.zones:
            return "qzone"
        return "qspan"
