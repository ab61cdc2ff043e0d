"""Limits on the JSON schemas and grammars callers send: one checker for every entry point.

Caller schemas reach the plan grammar (compile's ``tools``), llama.cpp's JSON-schema
converter (``llm.chat``'s ``json_schema``, OpenAI ``response_format`` and ``tools``)
and jsonschema. Each of those walks a schema recursively and inlines or expands its
``$ref``s, so a hostile schema could recurse without end, blow up exponentially (a
``$ref`` chain that doubles at each level) or expand into gigabytes of grammar.
``check_schema`` bounds all of that first, with two iterative walks (no recursion,
so no RecursionError): one over the document as sent, one with ``$ref``s inlined,
both stopping at the first limit passed. ``check_grammar`` bounds what llama.cpp's
recursive GBNF parser would otherwise overflow its stack on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aios.errors import BadRequest

__all__ = [
    "LIMITS",
    "MAX_GRAMMAR_CHARS",
    "SchemaLimits",
    "check_grammar",
    "check_schema",
    "inline_refs",
]

MAX_GRAMMAR_CHARS = 100_000  # llm.chat's grammar, and the plan grammar built for it
MAX_GRAMMAR_NESTING = 1000  # llama.cpp's parser recurses per group (40k levels segfault)


@dataclass(frozen=True)
class SchemaLimits:
    max_depth: int = 64  # JSON nesting, $refs inlined
    max_nodes: int = 10_000  # JSON values, $refs inlined
    max_chars: int = 1_000_000  # characters of keys and strings, $refs inlined
    max_properties: int = 128  # of one object (grammars grow with their square)
    max_enum: int = 1_000
    max_repeat: int = 1_000  # min/maxLength, min/maxItems, regex {m,n}: grammars unroll them
    max_pattern: int = 256  # characters of one regex
    max_pattern_depth: int = 16  # nested groups of one regex


LIMITS = SchemaLimits()

# What a value is, from the keyword that holds it.
_SCHEMA, _SCHEMA_OR_BOOL, _MAP, _LIST, _DATA = range(5)
_MAP_KEYS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_LIST_KEYS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_ONE_KEYS = frozenset({"contains", "propertyNames", "not", "if", "then", "else", "contentSchema"})
_BOOL_KEYS = frozenset(
    {"additionalProperties", "additionalItems", "unevaluatedProperties", "unevaluatedItems"}
)
_DEFS = ("$defs", "definitions")
_COUNTS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
)
_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_UNSUPPORTED = ("$dynamicRef", "$recursiveRef")
_REF = re.compile(r"#/(\$defs|definitions)/([^/]+)")


def _fail(what: str, path: str, problem: str, **details: Any) -> BadRequest:
    at = (path or "/")[:200]
    return BadRequest(f"{what}: {problem} (at {at})", where=what, path=at, **details)


def _child_kind(key: str, value: Any) -> int:
    if key in _MAP_KEYS:
        return _MAP
    if key in _LIST_KEYS or (key == "items" and isinstance(value, (list, tuple))):
        return _LIST
    if key == "items" or key in _ONE_KEYS:
        return _SCHEMA
    if key in _BOOL_KEYS:
        return _SCHEMA_OR_BOOL
    return _DATA


def _ref_name(ref: Any, defs: dict[str, dict[str, Any]], what: str, path: str) -> str:
    """The definition a $ref names: only ``#/$defs/NAME`` (or ``#/definitions/NAME``)."""
    m = _REF.fullmatch(ref) if isinstance(ref, str) else None
    if m is None:
        raise _fail(what, path, f"$ref {str(ref)[:80]!r} is not supported: only #/$defs/NAME")
    key = f"{m.group(1)}/{m.group(2).replace('~1', '/').replace('~0', '~')}"
    if key not in defs:
        raise _fail(what, path, f"$ref {ref[:80]!r} names no definition")
    return key


def _definitions(schema: dict[str, Any], what: str) -> dict[str, dict[str, Any]]:
    defs: dict[str, dict[str, Any]] = {}
    for kw in _DEFS:
        group = schema.get(kw, {})
        if not isinstance(group, dict):
            raise _fail(what, f"/{kw}", f"{kw} must be an object")
        for name, sub in group.items():
            defs[f"{kw}/{name}"] = sub
    return defs


class _Walk:
    """One pass over a schema; ``inline`` follows $refs (and skips the definitions)."""

    def __init__(
        self, what: str, limits: SchemaLimits, defs: dict[str, Any], *, inline: bool
    ) -> None:
        self.what, self.lim, self.defs, self.inline = what, limits, defs, inline
        self.nodes = 0
        self.chars = 0

    def run(self, root: dict[str, Any]) -> None:
        # (value, kind, path, depth, definitions being inlined on the way here)
        stack: list[tuple[Any, int, str, int, tuple[str, ...]]] = [(root, _SCHEMA, "", 1, ())]
        while stack:
            value, kind, path, depth, chain = stack.pop()
            self._count(value, kind, path, depth)
            schema = kind in (_SCHEMA, _SCHEMA_OR_BOOL)
            if isinstance(value, dict):
                if schema and not self.inline:
                    self._keywords(value, path)
                if schema and self.inline and "$ref" in value:
                    key = _ref_name(value["$ref"], self.defs, self.what, path)
                    if key in chain:
                        loop = " -> ".join((*chain[chain.index(key) :], key))
                        raise _fail(self.what, path, f"$ref cycle: {loop}")
                    self._room(stack, 1, path)
                    stack.append(
                        (self.defs[key], _SCHEMA, f"{path}/$ref", depth + 1, (*chain, key))
                    )
                self._room(stack, len(value), path)
                for k, v in value.items():
                    if schema and self.inline and k in _DEFS:
                        continue  # reached through the $refs that use them
                    child = (
                        _SCHEMA if kind == _MAP else _DATA if kind == _DATA else _child_kind(k, v)
                    )
                    stack.append((v, child, f"{path}/{k}", depth + 1, chain))
            elif isinstance(value, (list, tuple)):
                self._room(stack, len(value), path)
                child = _SCHEMA if kind == _LIST else _DATA
                for i, v in enumerate(value):
                    stack.append((v, child, f"{path}/{i}", depth + 1, chain))

    def _room(self, stack: list[Any], more: int, path: str) -> None:
        """Refuse before pushing what would pass the limit (a million-item list is
        refused without a million stack entries)."""
        if self.nodes + len(stack) + more > self.lim.max_nodes:
            extra = " with its $refs inlined" if self.inline else ""
            n = self.lim.max_nodes
            raise _fail(self.what, path, f"more than {n} values{extra}", limit=n)

    def _count(self, value: Any, kind: int, path: str, depth: int) -> None:
        lim = self.lim
        self.nodes += 1
        if depth > lim.max_depth:
            raise _fail(self.what, path, f"nested deeper than {lim.max_depth}", limit=lim.max_depth)
        if isinstance(value, str):
            self.chars += len(value)
        elif isinstance(value, dict):
            for k in value:
                if not isinstance(k, str):
                    raise _fail(self.what, path, "object keys must be strings")
                self.chars += len(k)
        elif not isinstance(value, (list, tuple, int, float, type(None))):
            raise _fail(self.what, path, f"a {type(value).__name__} is not JSON")
        if self.chars > lim.max_chars:
            raise _fail(
                self.what, path, f"more than {lim.max_chars} characters", limit=lim.max_chars
            )
        if kind == _SCHEMA_OR_BOOL and isinstance(value, bool):
            return
        if kind in (_SCHEMA, _SCHEMA_OR_BOOL) and not isinstance(value, dict):
            raise _fail(self.what, path, "a schema must be an object")
        if kind == _MAP and not isinstance(value, dict):
            raise _fail(self.what, path, "must be an object of schemas")
        if kind == _LIST and not isinstance(value, (list, tuple)):
            raise _fail(self.what, path, "must be a list of schemas")

    def _keywords(self, s: dict[str, Any], path: str) -> None:
        """The keywords grammar builders read, checked before anything reads them."""
        what, lim = self.what, self.lim
        if "$ref" in s:
            _ref_name(s["$ref"], self.defs, what, path)
        for kw in _UNSUPPORTED:
            if kw in s:
                raise _fail(what, path, f"{kw} is not supported")
        t = s.get("type")
        if t is not None:
            types = t if isinstance(t, list) else [t]
            if not types or any(not isinstance(x, str) or x not in _TYPES for x in types):
                raise _fail(what, f"{path}/type", f"unknown type {str(t)[:80]}")
        enum = s.get("enum")
        if enum is not None:
            if not isinstance(enum, list):
                raise _fail(what, f"{path}/enum", "enum must be a list")
            if len(enum) > lim.max_enum:
                raise _fail(
                    what,
                    f"{path}/enum",
                    f"enum has {len(enum)} values; the limit is {lim.max_enum}",
                    limit=lim.max_enum,
                )
        props = s.get("properties")
        if isinstance(props, dict) and len(props) > lim.max_properties:
            raise _fail(
                what,
                f"{path}/properties",
                f"{len(props)} properties; the limit is {lim.max_properties}",
                limit=lim.max_properties,
            )
        req = s.get("required")
        if req is not None and (
            not isinstance(req, list) or not all(isinstance(x, str) for x in req)
        ):
            raise _fail(what, f"{path}/required", "required must be a list of names")
        for kw in _COUNTS:
            n = s.get(kw)
            if n is not None and (
                isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= lim.max_repeat
            ):
                raise _fail(
                    what,
                    f"{path}/{kw}",
                    f"{kw} must be a whole number from 0 to {lim.max_repeat}",
                    limit=lim.max_repeat,
                )
        if "pattern" in s:
            _check_pattern(s["pattern"], what, f"{path}/pattern", lim)
        if "format" in s and not isinstance(s["format"], str):
            raise _fail(what, f"{path}/format", "format must be a string")


_QUANT = re.compile(r"\{(\d*)(?:,(\d*))?\}")


def _check_pattern(pattern: Any, what: str, path: str, lim: SchemaLimits) -> None:
    if not isinstance(pattern, str):
        raise _fail(what, path, "pattern must be a string")
    if len(pattern) > lim.max_pattern:
        raise _fail(what, path, f"pattern longer than {lim.max_pattern} characters")
    depth = 0
    i = 0
    in_class = False
    while i < len(pattern):  # groups and counted repeats, outside classes and escapes
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
            if depth > lim.max_pattern_depth:
                raise _fail(what, path, f"pattern nests groups deeper than {lim.max_pattern_depth}")
        elif c == ")":
            depth -= 1
        elif (
            c == "{"
            and (m := _QUANT.match(pattern, i))
            and any(g and (len(g) > 9 or int(g) > lim.max_repeat) for g in m.groups())
        ):
            raise _fail(what, path, f"pattern repeats more than {lim.max_repeat} times")
        i += 1
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise _fail(what, path, f"invalid pattern: {exc}") from None


def check_schema(schema: Any, what: str = "schema", limits: SchemaLimits = LIMITS) -> None:
    """Raise BadRequest unless ``schema`` is a JSON schema within ``limits``.

    Bounded: the depth, the values and characters with every $ref inlined, enums,
    properties of one object, counts that grammars unroll, regexes. Refused: $ref
    cycles, and $refs that are not local ``#/$defs/NAME`` pointers.
    """
    if not isinstance(schema, dict):
        raise BadRequest(f"{what} must be a JSON schema object", where=what)
    defs = _definitions(schema, what)
    _Walk(what, limits, defs, inline=False).run(schema)  # as sent, definitions included
    _Walk(what, limits, defs, inline=True).run(schema)  # as grammar builders will see it


def inline_refs(schema: dict[str, Any], drop: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A schema that passed ``check_schema``, with its $refs inlined and the keywords
    in ``drop`` left out (data such as enum values and defaults is kept as it is)."""
    defs = _definitions(schema, "schema")

    def walk(node: Any, kind: int) -> Any:
        # recursion is safe here: check_schema bounded the depth with $refs inlined
        if isinstance(node, dict):
            if kind in (_SCHEMA, _SCHEMA_OR_BOOL):
                if "$ref" in node:
                    return walk(defs[_ref_name(node["$ref"], defs, "schema", "")], _SCHEMA)
                return {
                    k: walk(v, _child_kind(k, v))
                    for k, v in node.items()
                    if k not in drop and k not in _DEFS
                }
            child = _SCHEMA if kind == _MAP else _DATA
            return {k: walk(v, child) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            child = _SCHEMA if kind == _LIST else _DATA
            return [walk(v, child) for v in node]
        return node

    out: dict[str, Any] = walk(schema, _SCHEMA)
    return out


def check_grammar(text: str, what: str = "grammar") -> None:
    """Raise BadRequest if a GBNF grammar nests groups deeper than llama.cpp can parse."""
    if len(text) > MAX_GRAMMAR_CHARS:
        raise BadRequest(f"{what}: longer than {MAX_GRAMMAR_CHARS} characters", where=what)
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:  # count ( and ) outside "literals", [classes] and # comments
        c = text[i]
        if c == '"' or c == "[":
            end = '"' if c == '"' else "]"
            i += 1
            while i < n and text[i] != end:
                i += 2 if text[i] == "\\" else 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif c == ")":
            depth -= 1
        i += 1
    if deepest > MAX_GRAMMAR_NESTING:
        raise BadRequest(
            f"{what}: groups nested {deepest} deep; the limit is {MAX_GRAMMAR_NESTING}",
            where=what,
            limit=MAX_GRAMMAR_NESTING,
        )
