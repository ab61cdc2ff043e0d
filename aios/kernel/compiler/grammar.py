"""GBNF grammars for the planner and the joiner, generated from the tools' schemas.

The plan grammar fixes everything the validator would otherwise have to reject:
task numbers run in order from ``first_id``; tool names are the registered ones;
each tool's arguments follow its JSON schema (names, order, types, enums, string
lengths); and a reference on line N can only name a task before N. So every plan
the grammar admits parses and validates, even from a 135M-parameter model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aios.errors import BadRequest
from aios.kernel.compiler.anchors import Anchors, quoted, string_kind
from aios.tools.registry import ToolSpec
from aios.tools.schema_limits import MAX_GRAMMAR_CHARS

__all__ = ["joiner_schema", "plan_grammar"]

MAX_STRING = 160  # strings are bounded: an unbounded string can eat the token budget
MAX_ITEMS = 12
ANCHORED_ITEMS = 4  # a small model repeats a list's item until the list is full
MAX_PAIRED_PATHS = 8  # more paths in a question would make too many pairs to spell out

_BASE = r"""
ws ::= " "?
char ::= [^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
integer ::= "-"? ([0-9] | [1-9] [0-9]{1,15})
number ::= integer ("." [0-9]{1,12})? ([eE] [-+]? [0-9]{1,3})?
boolean ::= "true" | "false"
null ::= "null"
path ::= ("." [a-zA-Z] [a-zA-Z0-9_]{0,31} | "[" [0-9]{1,3} "]"){0,3}
json-string ::= "\"" char{0,160} "\""
json-value ::= json-string | number | boolean | null | json-array | json-object
json-array ::= "[" ws (json-value (", " json-value){0,15})? ws "]"
json-member ::= json-string ": " json-value
json-object ::= "{" ws (json-member (", " json-member){0,15})? ws "}"
"""


def _lit(text: str) -> str:
    return json.dumps(text)


class _Builder:
    def __init__(self, anchors: Anchors | None = None) -> None:
        self.rules: dict[str, str] = {}
        self.size = len(_BASE)
        self.anchors = anchors
        if anchors is not None:
            for name, body in anchors.rules().items():
                self.add(name, body)

    def add(self, name: str, body: str) -> str:
        if name not in self.rules:
            # stop early: big schemas times plan lines would build megabytes
            self.size += len(name) + len(body) + 6
            if self.size > MAX_GRAMMAR_CHARS:
                raise BadRequest(
                    f"the tools' schemas make a plan grammar over {MAX_GRAMMAR_CHARS} "
                    "characters: offer fewer or smaller tools",
                    limit=MAX_GRAMMAR_CHARS,
                )
            self.rules[name] = body
        return name

    def value(self, schema: dict[str, Any], name: str, ref: str | None, key: str = "") -> str:
        """A rule for a value of ``schema``; ``ref`` is the rule for allowed references;
        ``key``: the parameter it is the value of (anchoring looks at its name)."""
        if ref and self.anchors is not None and self._needs_ref(schema, key):
            return ref  # the question gives no number or id for it: an earlier result must
        rule = self._plain(schema, name, ref, key)
        return self.add(f"{name}-r", f"{rule} | {ref}") if ref else rule

    def _needs_ref(self, schema: dict[str, Any], key: str) -> bool:
        kind = schema.get("type")
        if "enum" in schema or "const" in schema or "default" in schema:
            return False
        assert self.anchors is not None
        if kind == "string":
            return string_kind(key, schema) == "id" and not self.anchors.ids
        if kind not in ("integer", "number"):
            return False
        return self.anchors.number_body(kind == "integer") is None

    def _anchored(self, schema: dict[str, Any], name: str, kind: str, key: str) -> str | None:
        """The question's spans or numbers for this value, if it takes them."""
        a = self.anchors
        if a is None:
            return None
        if kind == "string":
            body = a.string_rule(string_kind(key, schema))
            if body is None:
                return None
            return self.add(f"{name}-q", body)
        if kind in ("integer", "number"):
            body = a.number_body(kind == "integer")
            if body is None:
                return None
            if "default" in schema:
                body += " | " + _lit(json.dumps(schema["default"]))
            return self.add(f"{name}-q", body)
        return None

    def _plain(self, schema: dict[str, Any], name: str, ref: str | None, key: str = "") -> str:
        if "const" in schema:
            return self.add(name, _lit(json.dumps(schema["const"])))
        if "enum" in schema:
            values = self.anchors.enum_values(schema) if self.anchors else schema["enum"]
            return self.add(name, " | ".join(_lit(json.dumps(v)) for v in values))
        alts = schema.get("anyOf") or schema.get("oneOf")
        if alts:
            parts = [self._plain(a, f"{name}-{i}", ref, key) for i, a in enumerate(alts)]
            return self.add(name, " | ".join(parts))
        kind = schema.get("type")
        if isinstance(kind, list):
            parts = [self._plain({**schema, "type": t}, f"{name}-{t}", ref, key) for t in kind]
            return self.add(name, " | ".join(parts))
        anchored = self._anchored(schema, name, str(kind), key)
        if anchored is not None:
            return anchored
        if kind == "string":
            lo = int(schema.get("minLength", 0))
            hi = max(lo, min(int(schema.get("maxLength", MAX_STRING)), MAX_STRING))
            return self.add(name, f'"\\"" char{{{lo},{hi}}} "\\""')
        if kind in ("integer", "number", "boolean", "null"):
            return kind
        if kind == "array" and self.anchors is not None and _enum_items(schema):
            values = self.anchors.enum_values(schema["items"])
            seq = _sequence([(_lit(json.dumps(v)), False) for v in values], '", "')
            return self.add(name, f'"[" {seq} "]"')
        if kind == "array":
            items = schema.get("items")
            item = self.value(items if isinstance(items, dict) else {}, f"{name}-item", ref, key)
            hi = max(1, min(int(schema.get("maxItems", MAX_ITEMS)), MAX_ITEMS))
            if self.anchors is not None:
                hi = min(hi, ANCHORED_ITEMS)
            return self.add(name, f'"[" ({item} (", " {item}){{0,{hi - 1}}})? "]"')
        if kind == "object" and schema.get("properties"):
            return self.add(name, self._object(schema, name, ref))
        return "json-value"

    def _object(self, schema: dict[str, Any], name: str, ref: str | None) -> str:
        props = schema["properties"]
        required = set(schema.get("required", []))
        fields = []
        for key, sub in props.items():
            v = self.value(sub, f"{name}-{_slug(key)}", ref, key)
            fields.append((f'{_lit(json.dumps(key))} ": " {v}', key in required))
        return '"{" ' + _sequence(fields, '", "') + ' "}"'

    def render(self) -> str:
        return "\n".join(f"{k} ::= {v}" for k, v in self.rules.items()) + _BASE


def _enum_items(schema: dict[str, Any]) -> bool:
    items = schema.get("items")
    return isinstance(items, dict) and isinstance(items.get("enum"), list) and bool(items["enum"])


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower() or "x"


def _sequence(items: list[tuple[str, bool]], sep: str) -> str:
    """Items in order, separated by sep; optional ones may be left out."""
    if not items:
        return ""
    required = [i for i, (_, req) in enumerate(items) if req]
    if required:
        # Everything before the first required item is optional and ends in a separator.
        first = required[0]
        out = [f"({body} {sep})?" for body, _ in items[:first]]
        out.append(items[first][0])
        for body, req in items[first + 1 :]:
            out.append(f"{sep} {body}" if req else f"({sep} {body})?")
        return " ".join(out)
    alts = []
    for i, (body, _) in enumerate(items):
        rest = " ".join(f"({sep} {b})?" for b, _ in items[i + 1 :])
        alts.append(f"{body} {rest}".strip())
    return "(" + " | ".join(f"({a})" for a in alts) + ")?"


def _waits(b: _Builder, spec: ToolSpec) -> bool:
    if b.anchors is None:
        return False
    props = spec.parameters.get("properties", {})
    return any(b._needs_ref(props.get(k, {}), k) for k in spec.parameters.get("required", []))


def _off_switch(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "boolean" and schema.get("default") is False


def _path_pair(
    b: _Builder, spec: ToolSpec, ref: str | None, line: int
) -> tuple[str, str, str] | None:
    """For a tool taking two plain paths one after the other (``src``, ``dst``), when
    the question has a few: the two as one rule, two different paths in the
    question's order ("rename a.md to b.md" is never a.md to a.md, nor b.md to
    a.md); either may also be an earlier result. The first key, the second, the rule."""
    a = b.anchors
    if a is None or not 2 <= len(a.paths) <= MAX_PAIRED_PATHS:
        return None
    props = spec.parameters.get("properties", {})
    required = spec.parameters.get("required", [])
    keys = list(props)
    paths = [k for k in keys if _plain_path(k, props[k])]
    if len(paths) != 2 or not set(paths) <= set(required):
        return None
    first, second = paths
    if keys.index(second) != keys.index(first) + 1:
        return None
    head, tail = _lit(first + "="), _lit(", " + second + "=")
    base = f"pair-{_slug(spec.name)}-q"
    if base not in b.rules:  # the question's pairs, spelled out once for every line
        alts = [
            f"({head} {quoted(p)} {tail} {quoted(q)})"
            for i, p in enumerate(a.paths)
            for q in a.paths[i + 1 :]
        ]
        b.add(base, " | ".join(alts))
    if not ref:
        return first, second, base
    refs = f"({head} {ref} {tail} (qpath | {ref})) | ({head} qpath {tail} {ref})"
    return first, second, b.add(f"pair-{_slug(spec.name)}-l{line}", f"{base} | {refs}")


def _plain_path(key: str, schema: dict[str, Any]) -> bool:
    """A path parameter with nothing more to its schema than a type and words."""
    plain = set(schema) <= {"type", "description", "title"}
    return plain and schema.get("type") == "string" and string_kind(key, schema) == "path"


def _call(b: _Builder, spec: ToolSpec, ref: str | None, line: int) -> str:
    props = spec.parameters.get("properties", {})
    required = set(spec.parameters.get("required", []))
    pair = _path_pair(b, spec, ref, line)
    args = []
    for key, sub in props.items():
        if b.anchors and key not in required and not b.anchors.mentions(key, sub):
            continue  # an optional choice the question says nothing about: left out
        if pair is not None and key == pair[0]:
            args.append((pair[2], True))
            continue
        if pair is not None and key == pair[1]:
            continue  # the pair's second path: in the pair's rule
        if b.anchors and key not in required and _off_switch(sub):
            # a switch that is off unless set: mentioned, it can only be set ("-r": must)
            args.append((_lit(key + "=true"), b.anchors.flagged(key)))
            continue
        name = f"{_slug(spec.name)}-{_slug(key)}"
        # with references visible, each value may also be one (lists: each item too)
        v = b.value(sub, f"{name}-l{line}" if ref else name, ref, key)
        args.append((f"{_lit(key + '=')} {v}", key in required))
    return b.add(
        f"call-{_slug(spec.name)}-l{line}",
        f'{_lit(spec.name + "(")} {_sequence(args, chr(34) + ", " + chr(34))} ")"',
    )


def plan_grammar(
    tools: list[ToolSpec],
    *,
    first_id: int = 1,
    max_tasks: int = 12,
    min_tasks: int = 1,
    earlier_ids: list[int] | None = None,
    anchors: Anchors | None = None,
    lead: str | None = None,
) -> str:
    """The grammar of a plan whose tasks are numbered from ``first_id``; with
    ``anchors``, arguments are tied to the question's words and numbers; with
    ``lead``, the first task calls that tool (chosen before, e.g. by meaning)."""
    if not tools:
        raise ValueError("a plan grammar needs at least one tool")
    b = _Builder(anchors)
    earlier = list(earlier_ids or [])
    lines = []
    for n in range(max_tasks):
        task_id = first_id + n
        visible = earlier + list(range(first_id, task_id))
        ref = None
        if visible:
            ids = " | ".join(_lit(str(i)) for i in sorted(visible, reverse=True))
            ref = b.add(f"ref-l{task_id}", f'"$" ({ids}) path')
        # anchored: a tool whose required number the question does not give, with no
        # earlier result to take it from, waits for a line where there is one
        usable = [t for t in tools if ref or not _waits(b, t)] or tools
        if n == 0 and lead is not None:
            usable = [t for t in usable if t.name == lead] or usable
        calls = " | ".join(_call(b, spec, ref, task_id) for spec in usable)
        lines.append(b.add(f"line-{task_id}", f'"{task_id}. " ({calls}) "\\n"'))
    # line-1 (line-2 (line-3 ...)?)? with the first min_tasks lines mandatory
    body = ""
    for n in reversed(range(max_tasks)):
        inner = f"{lines[n]} {body}".strip()
        body = inner if n < min_tasks else f"({inner})?"
    b.rules = {"root": f'{body} "join()"', **b.rules}
    return b.render()


def joiner_schema(*, can_replan: bool, answer_chars: int = 240) -> dict[str, Any]:
    """The joiner's decision: finish with an answer, or replan with feedback."""
    finish = {
        "type": "object",
        "properties": {
            "thought": {"type": "string", "maxLength": 100},
            "action": {"const": "finish"},
            "answer": {"type": "string", "minLength": 1, "maxLength": answer_chars},
        },
        "required": ["thought", "action", "answer"],
    }
    if not can_replan:
        return finish
    replan = {
        "type": "object",
        "properties": {
            "thought": {"type": "string", "maxLength": 100},
            "action": {"const": "replan"},
            "feedback": {"type": "string", "minLength": 1, "maxLength": 100},
        },
        "required": ["thought", "action", "feedback"],
    }
    return {"anyOf": [finish, replan]}
