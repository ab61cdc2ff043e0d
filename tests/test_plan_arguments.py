"""What the plan grammar lets a call's arguments be, and where a plan stops (scripted,
no model): timezones the question names, two paths in the question's order, switches
set only when mentioned, the shell tool's programs, stop rules that need the question,
and how tools rank by their description's clauses and leading words."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pytest
from llama_cpp import LlamaGrammar

from aios.config import ShellToolConfig
from aios.kernel.compiler import narrow
from aios.kernel.compiler.anchors import Anchors, string_kind
from aios.kernel.compiler.grammar import plan_grammar
from aios.kernel.compiler.narrow import ToolNarrower, lead_words, tool_texts
from aios.kernel.compiler.plan import Task
from aios.kernel.compiler.prompts import examples_for
from aios.kernel.compiler.stops import PlanStops
from aios.tools.builtin.shell import make_shell
from aios.tools.registry import ToolRegistry, external_spec
from aios.tools.risk import READ_ONLY, WRITES
from aios.tools.zones import zones_in


def _spec(name: str, desc: str, props: dict[str, Any], required: list[str]) -> Any:
    params = {"type": "object", "properties": props, "required": required}
    return external_spec({"name": name, "description": desc, "parameters": params})


CLOCK = _spec("current_time", "What time it is", {"timezone": {"type": "string"}}, [])
MV = _spec("fs_mv", "Move", {"src": {"type": "string"}, "dst": {"type": "string"}}, ["src", "dst"])
SWITCH = {"type": "boolean", "default": False, "description": "also everything inside a folder"}
DELETE = _spec("fs_delete", "Delete", {"path": {"type": "string"}, "recursive": SWITCH}, ["path"])


def _call_rule(grammar: str, tool: str, line: int = 1) -> str:
    LlamaGrammar.from_string(grammar, verbose=False)  # llama.cpp reads it
    prefix = f"call-{tool.replace('_', '-')}-l{line} ::= "
    return next(x for x in grammar.splitlines() if x.startswith(prefix))


def _rule(grammar: str, name: str) -> str:
    return next(x for x in grammar.splitlines() if x.startswith(f"{name} ::= "))


def test_a_timezone_is_a_zone_the_question_names_or_left_out() -> None:
    assert string_kind("timezone", {"type": "string"}) == "zone"
    assert string_kind("tz", {"type": "string"}) == "zone"
    assert zones_in("time in new york and lima utc".split()) == [
        "America/New_York",
        "America/Lima",
        "UTC",
    ]
    assert zones_in("what time is it".split()) == []
    for words in ("new jersey", "wake up", "central europe", "east coast", "south of france"):
        assert zones_in(words.split()) == [], words  # words, not cities
    assert string_kind("zone", {"type": "string"}) == "span"  # a DNS zone is no timezone
    none = plan_grammar([CLOCK], max_tasks=1, anchors=Anchors("what time is it"))
    assert "timezone" not in _call_rule(none, "current_time")  # so the tool's default
    two = plan_grammar([CLOCK], max_tasks=1, anchors=Anchors("time in london and lima?"))
    assert "timezone=" in _call_rule(two, "current_time")
    assert _rule(two, "qzone") == 'qzone ::= "\\"Europe/London\\"" | "\\"America/Lima\\""'


def test_two_paths_of_one_call_differ_and_keep_the_question_order() -> None:
    a = Anchors("renmae plan.md to plan-v2.md", frozenset({"plan.md"}))
    g = plan_grammar([MV], max_tasks=1, anchors=a)
    pair = _rule(g, "pair-fs-mv-q")
    assert pair.count("src=") == 1 and '"plan.md" "\\"" ", dst="' in pair
    assert '"src=" "\\"" "plan-v2.md"' not in pair  # never the later path first
    assert _call_rule(g, "fs_mv") == 'call-fs-mv-l1 ::= "fs_mv(" pair-fs-mv-q ")"'
    later = plan_grammar([MV], max_tasks=3, anchors=a)
    assert "ref-l2" in _rule(later, "pair-fs-mv-l2")  # either may be an earlier result
    assert later.count('", dst=" "\\"" "plan-v2.md"') == 1  # spelled out once, not per line
    one = plan_grammar([MV], max_tasks=1, anchors=Anchors("tidy plan.md", frozenset()))
    assert "pair" not in _call_rule(one, "fs_mv")  # one path: no pair to make


def test_a_pair_keeps_the_parameters_after_it() -> None:
    props = {
        "src": {"type": "string"},
        "dst": {"type": "string"},
        "mode": {"type": "string", "enum": ["safe", "fast"]},
    }
    copy = _spec("copy", "Copy", props, ["src", "dst", "mode"])
    g = plan_grammar([copy], max_tasks=1, anchors=Anchors("copy a.md to b.md, safe"))
    assert (
        _call_rule(g, "copy") == 'call-copy-l1 ::= "copy(" pair-copy-q ", " "mode=" copy-mode ")"'
    )
    enum = {**props, "src": {"type": "string", "enum": ["a.md"]}}
    fixed = _spec("copy", "Copy", enum, ["src", "dst", "mode"])
    g = plan_grammar([fixed], max_tasks=1, anchors=Anchors("copy a.md to b.md, safe"))
    assert "pair" not in _call_rule(g, "copy")  # a path with an enum keeps its own rule


def test_a_switch_is_set_only_when_mentioned_and_must_be_set_by_its_flag() -> None:
    known = frozenset({"tmp"})
    flag = plan_grammar([DELETE], max_tasks=1, anchors=Anchors("rm -r tmp/", known))
    assert _call_rule(flag, "fs_delete").endswith('", " "recursive=true" ")"')
    said = plan_grammar([DELETE], max_tasks=1, anchors=Anchors("delete everything in tmp", known))
    assert '(", " "recursive=true")?' in _call_rule(said, "fs_delete")  # may, never =false
    plain = plan_grammar([DELETE], max_tasks=1, anchors=Anchors("delete old.md", known))
    assert "recursive" not in _call_rule(plain, "fs_delete")
    assert not Anchors("rm -f x").flagged("recursive") and Anchors("rm -rf x").flagged("recursive")


def test_the_shell_tool_offers_only_allowed_programs_and_states_its_arguments() -> None:
    reg = ToolRegistry()
    spec = reg.register(make_shell(ShellToolConfig(allow=["echo", "seq"]), None))  # type: ignore[arg-type]
    props = spec.parameters["properties"]
    assert props["program"]["enum"] == ["echo", "seq"]
    assert set(spec.parameters["required"]) == {"program", "args"}
    g = plan_grammar([spec], max_tasks=1, anchors=Anchors("echo hello world"))
    call = _call_rule(g, "shell")
    assert "args=" in call and "shell-program" in call
    assert _rule(g, "shell-program") == 'shell-program ::= "\\"echo\\""'  # the one named
    one = ToolRegistry().register(make_shell(ShellToolConfig(allow=["date"]), None))  # type: ignore[arg-type]
    g = plan_grammar([one], max_tasks=1, anchors=Anchors("show the date"))
    assert '"program=" shell-program' in _call_rule(g, "shell")
    assert _rule(g, "shell-program") == 'shell-program ::= "\\"date\\""'  # a const: the one


def test_stop_rules_that_need_the_question() -> None:
    tools = {"current_time": CLOCK}
    stops = PlanStops(tools, "sqrt of 144")
    assert stops.why(Task(1, "calculator", {"expression": "sqrt(144)"})) is None
    assert stops.why(Task(2, "current_time", {})) is not None  # neither asked nor named
    asked = PlanStops(tools, "sqrt of 144 and the time")
    asked.why(Task(1, "calculator", {"expression": "sqrt(144)"}))
    assert asked.why(Task(2, "current_time", {})) is None  # named: "time"
    shell = _spec("shell", "Run a program", {"program": {"enum": ["echo", "date"]}}, [])
    runs = PlanStops({"shell": shell}, "echo ready, then show the date")
    assert runs.why(Task(1, "shell", {"program": "echo", "args": ["ready"]})) is None
    assert runs.why(Task(2, "shell", {"program": "date"})) is None  # its choice is named
    ls = dataclasses.replace(_spec("fs_ls", "List a folder", {}, []), risk=READ_ONLY)
    write = dataclasses.replace(_spec("fs_write", "Write or save a file", {}, []), risk=WRITES)
    fs = {"fs_ls": ls, "fs_write": write}
    look = PlanStops(fs, "whats in my notes folder")
    assert look.why(Task(1, "fs_ls", {"path": "notes"})) is None
    assert look.why(Task(2, "fs_write", {"path": "notes", "content": "my notes"})) is not None
    save = PlanStops(fs, "list notes and save a list in index.md")
    assert save.why(Task(1, "fs_ls", {"path": "notes"})) is None
    assert save.why(Task(2, "fs_write", {"path": "index.md", "content": "notes"})) is None
    unknown = PlanStops({"fs_write": _spec("fs_write", "Put", {}, [])}, "whats in notes")
    unknown.why(Task(1, "fs_ls", {"path": "notes"}))
    assert unknown.why(Task(2, "fs_write", {"path": "x.md", "content": "y"})) is None  # no hints
    constants = PlanStops({}, "2 plus 2, and how many minutes in a day?")
    assert constants.why(Task(1, "calculator", {"expression": "2 + 2"})) is None
    assert constants.why(Task(2, "calculator", {"expression": "24 * 60"})) is None
    first = PlanStops({}, "what is 2 + 2")
    assert first.why(Task(1, "calculator", {"expression": "7 * 6"})) is None  # never the first


class ClauseEmbedder:
    """One axis per word stem: a text is near a request by the stems they share."""

    STEMS = "remov delet file folder undo chang restor versi".split()

    def encode_query(self, text: str) -> np.ndarray:
        words = re.findall(r"[a-z]+", text.lower())
        v = np.array([float(sum(w.startswith(s) for w in words)) for s in self.STEMS])
        return v / (np.linalg.norm(v) or 1.0)


def test_tools_rank_by_their_nearest_clause(monkeypatch: pytest.MonkeyPatch) -> None:
    small = _spec("rm_a", "Remove a file", {}, [])
    broad = _spec(
        "tidy_b", "Delete versions, undo changes, restore a file; remove a folder", {}, []
    )
    assert tool_texts(broad)[1:] == [
        "tidy b: Delete versions, undo changes, restore a file",
        "tidy b: remove a folder",
    ]
    ranked = ToolNarrower(ClauseEmbedder()).rank("remove the folder", [small, broad])
    assert ranked[0][1].name == "tidy_b"  # its clause "remove a folder" is the request
    monkeypatch.setattr(narrow, "tool_texts", lambda spec: [narrow.tool_text(spec)])
    whole = ToolNarrower(ClauseEmbedder()).rank("remove the folder", [small, broad])
    assert whole[0][1].name == "rm_a"  # one vector for the whole text: the other wins


def test_a_word_a_description_starts_with_ranks_its_tool_higher() -> None:
    mv = _spec("mv_x", "Move or rename a file", {}, [])
    other = _spec("cp_x", "Duplicate a file", {}, [])
    assert lead_words(mv.description) == ["move", "rename"]
    ranked = ToolNarrower(ClauseEmbedder()).rank("rename notes", [other, mv])
    assert ranked[0][1].name == "mv_x" and ranked[0][0] > ranked[1][0]
    mcp = dataclasses.replace(mv, name="srv.mv")  # an MCP server's words earn nothing
    ranked = ToolNarrower(ClauseEmbedder()).rank("rename notes", [other, mcp])
    assert ranked[0][0] == ranked[1][0] and tool_texts(mcp) == [narrow.tool_text(mcp)]


def test_many_tool_texts_are_ranked_even_past_the_vector_cache() -> None:
    specs = [_spec(f"t{i}", f"Tool {i}: does a, or b; or c", {}, []) for i in range(400)]
    ranked = ToolNarrower(ClauseEmbedder()).rank("remove a file", specs)  # > 1024 texts
    assert len(ranked) == 400


def test_built_in_examples_show_only_with_their_tools() -> None:
    calc = _spec("calculator", "Calculate", {"expression": {"type": "string"}}, ["expression"])
    write = _spec("fs_write", "Write", {"path": {"type": "string"}}, ["path"])
    alone = [q for q, _ in examples_for([calc], [])]
    both = [q for q, _ in examples_for([calc, write], [])]
    assert len(both) == len(alone) + 1 and any("sum.txt" in q for q in both)
    assert examples_for([], [("q", "1. x()\njoin()")]) == [("q", "1. x()\njoin()")]
