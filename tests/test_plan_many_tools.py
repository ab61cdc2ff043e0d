"""The planner over many tools and over files (scripted, no model): narrowing by
meaning and the nearest-first lead, paths as whole words, number words, short
parameter names mentioned by their description, the numbers-repeat stop rule, and
the clock's city names."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from aios.kernel.compiler.anchors import Anchors, file_like, string_kind
from aios.kernel.compiler.grammar import plan_grammar
from aios.kernel.compiler.narrow import ToolNarrower, named
from aios.kernel.compiler.plan import Task
from aios.kernel.compiler.stops import PlanStops
from aios.tools.builtin.clock import resolve_zone
from aios.tools.registry import external_spec


def _fn(name: str, desc: str, **props: dict[str, Any]) -> dict[str, Any]:
    params = {"type": "object", "properties": props, "required": list(props)}
    return {"name": name, "description": desc, "parameters": params}


class WordEmbedder:
    """Bag-of-words vectors: enough to rank by shared words, deterministically."""

    VOCAB = "delete remove file time clock now sum add number read show list folder".split()

    def encode_query(self, text: str) -> np.ndarray:
        words = text.lower().replace("_", " ").replace(":", " ").split()
        v = np.array([float(any(w.startswith(x) for w in words)) for x in self.VOCAB])
        return v / (np.linalg.norm(v) or 1.0)


TOOLS = [
    external_spec(_fn("fs_delete", "Delete or remove a file", path={"type": "string"})),
    external_spec(_fn("current_time", "What time it is now (a clock)")),
    external_spec(_fn("calculator", "Add or sum numbers", expression={"type": "string"})),
    external_spec(_fn("fs_read", "Read or show a file", path={"type": "string"})),
    external_spec(_fn("fs_ls", "List a folder", path={"type": "string"})),
]


def test_narrowing_keeps_the_nearest_in_offered_order_and_leads_with_the_nearest() -> None:
    n = ToolNarrower(WordEmbedder())
    kept, lead = n.narrow("please remove the file old.md", TOOLS, 2)
    assert lead == "fs_delete" and len(kept) == 2 and kept[0].name == "fs_delete"
    assert [s.name for s in kept] == [s.name for s in TOOLS if s in kept]  # offered order
    assert n.narrow("anything", TOOLS, 5) == (TOOLS, None)  # nothing to narrow
    assert n.narrow("anything", TOOLS, 0) == (TOOLS, None)


def test_a_tool_named_by_the_question_ranks_higher() -> None:
    assert named("delete", ["delete", "x"]) and named("calculator", ["calculate"])
    assert not named("fs", ["fs"]) and named("time", ["timezone"]) is not False


def test_an_mcp_tool_is_never_the_lead() -> None:
    spec = external_spec(_fn("srv_delete", "delete remove file delete remove file"))
    hostile = dataclasses.replace(spec, name="srv.delete")  # as an MCP server's tool is named
    offered = [hostile, *TOOLS[1:3]]  # no built-in delete: the server's tool is nearest
    kept, lead = ToolNarrower(WordEmbedder()).narrow("remove the file a.md", offered, 2)
    assert hostile in kept and lead is None


def test_the_lead_tool_is_the_only_choice_for_the_first_task() -> None:
    g = plan_grammar(TOOLS, max_tasks=2, anchors=Anchors("remove a.md"), lead="fs_delete")
    first = next(line for line in g.splitlines() if line.startswith("line-1 ::="))
    second = next(line for line in g.splitlines() if line.startswith("line-2 ::="))
    assert "call-fs-delete-l1" in first and "fs-read" not in first
    assert "call-fs-read-l2" in second  # later tasks choose among all


def test_a_path_is_one_whole_word_that_looks_like_a_file_or_exists() -> None:
    assert string_kind("path", {"type": "string"}) == "path"
    assert string_kind("src", {"type": "string"}) == "path"
    assert string_kind("q", {"type": "string"}) == "span"
    assert file_like("drafts/old.md") and file_like(".env") and not file_like("notes")
    a = Anchors('renmae "drafts/old.md" to plan-v2.md in notes', frozenset({"notes"}))
    assert a.paths == ["drafts/old.md", "plan-v2.md", "notes"]  # "renmae" is no path
    assert Anchors("list notes").paths == ["list", "notes"]  # nothing known: any word
    assert a.mentions("path", {"type": "string"})  # an optional path: a file is named
    assert not Anchors("what time is it", frozenset()).mentions("path", {"type": "string"})


def test_number_words_and_short_names_mentioned_by_their_description() -> None:
    a = Anchors("go back two versions on plan.md")
    assert a.numbers == [2]
    n = {"type": "integer", "description": "how many versions back"}
    assert a.mentions("n", n) and not Anchors("undo plan.md", frozenset()).mentions("n", n)


def test_a_later_call_of_only_used_numbers_ends_the_plan() -> None:
    stops = PlanStops({})
    assert stops.why(Task(1, "calculator", {"expression": "12 * 19"})) is None
    assert stops.why(Task(2, "calculator", {"expression": "19 * 12"})) is not None
    other = PlanStops({})
    assert other.why(Task(1, "calculator", {"expression": "12 * 19"})) is None
    assert other.why(Task(2, "calculator", {"expression": "12 * 20"})) is None  # 20 is new
    assert other.why(Task(3, "nasa_apod", {})) is None  # no values at all: not cut


def test_the_clock_takes_cities_and_only_zone_names() -> None:
    assert resolve_zone("tokyo") == "Asia/Tokyo" and resolve_zone("new york") == "America/New_York"
    assert resolve_zone("Europe/Paris") == "Europe/Paris"
    for bad in ("Europe", "time", "../etc/passwd", "/etc/localtime", "x" * 100, "", "a\x00b"):
        assert resolve_zone(bad) is None, bad
