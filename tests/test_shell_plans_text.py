"""The shell's plan text: the preview (hostile text included), editing round trips
and bad edits, the undo line, and that the shell never imports the kernel."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aios.errors import BadRequest
from aios.shell.plans import (
    Step,
    classify,
    classify_plan,
    dangers,
    edit_text,
    needs_approval,
    parse_edited,
    render,
    safe_text,
    undo_hint,
)
from tests.test_shell_plans import TOOLS, WRITES, entry, ref, step, task

# ---- rendering --------------------------------------------------------------


def test_render_lines() -> None:
    steps = classify_plan(
        [
            task(1, "fs_read", path="notes/a.md"),
            task(2, "fs_write", path="notes/b.md", content=ref(1)),
            task(3, "calculator", expression=ref(2, "version")),
            task(4, "fs_search", query=ref(1, "hits", 0, "a b")),
            task(5, "fs.delete", path="old.md"),
        ],
        TOOLS,
    )
    assert render(steps) == [
        '1. fs_read(path="notes/a.md")',
        '2. fs_write(path="notes/b.md", content=$1) [writes]',
        "3. calculator(expression=$2.version)",
        '4. fs_search(query=$1.hits[0]["a b"])',
        '5. fs.delete(path="old.md") [deletes]',
    ]


def test_render_effect_tags() -> None:
    assert render([step("shell", program="ls")]) == ['1. shell(program="ls") [runs commands]']
    assert render([step("nope")]) == ["1. nope() [unknown tool]"]
    assert render([step("fs_mv", src="a.md", dst="b.md")])[0].endswith("[moves]")
    assert render([step("fs.rollback", path="a.md", n=2)]) == [
        '1. fs.rollback(path="a.md", n=2) [rolls back]'
    ]


def test_render_cuts_long_values() -> None:
    (line,) = render([step("fs_write", path="a.md", content="x" * 500)])
    value = line.split("content=")[1].removesuffix(") [writes]")
    assert len(value) == 60 and value.endswith('…"') and value.startswith('"xxx')
    (line,) = render([step("calculator", expression=list(range(100)))])
    value = line.split("expression=")[1].removesuffix(")")
    assert len(value) == 60 and value.endswith("…")


HOSTILE = [
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b]0;owned\x07",  # set the window title (OSC ... BEL)
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # write the clipboard
    "ok\rrm -rf ~",  # CR: overwrite what was shown
    "\x9b31m",  # 8-bit CSI
    "\u202egnp.exe",  # right-to-left override
    "a\u2066b\u2069c\u200fd",  # isolates and marks
    "line\u2028break",
    "bell\x07",
    "tab\there\nnewline\x00nul\x7fdel",
]


def _is_harmless(text: str) -> bool:
    return all(c.isprintable() and c not in "\x1b\r\x07" for c in text)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_render_makes_hostile_text_harmless(hostile: str) -> None:
    s = classify({"id": 1, "tool": "x\x1b[31m", "args": {hostile: hostile, "path": hostile}}, TOOLS)
    lines = render([s]) + dangers([s]) + needs_approval([s]) + [edit_text([s])]
    for line in lines:
        assert _is_harmless(line.replace("\n", "")), repr(line)
    assert _is_harmless(safe_text(hostile))


def test_safe_text_keeps_ordinary_text() -> None:
    assert safe_text("héllo wörld → 日本語 🦉") == "héllo wörld → 日本語 🦉"
    assert safe_text("\x1b[2J") == "\\u001b[2J"


# ---- editing ----------------------------------------------------------------


def _plan() -> list[Step]:
    return classify_plan(
        [
            task(1, "fs_read", path="notes/a.md"),
            task(2, "fs_write", path="notes/b.md", content=ref(1)),
            task(3, "fs_search", query=ref(1, "hits", 0, "odd key"), top_k=3),
            task(4, "shell", program="wc", args=["-l", "a b", 'q"uote', "\x1b[2J\u202e"]),
            task(5, "fs.rollback", path="notes/c.md", n=2),
            task(6, "calculator", expression={"a": [1, 2.5, None, True, False]}),
        ],
        TOOLS,
    )


def test_edit_round_trip() -> None:
    steps = _plan()
    text = edit_text(steps)
    assert text.rstrip().endswith("join()")
    assert _is_harmless(text.replace("\n", ""))
    assert '2. fs_write(path="notes/b.md", content=$1)  # writes' in text.splitlines()
    tasks = parse_edited(text, TOOLS)
    again = classify_plan(tasks, TOOLS)
    assert again == steps
    assert [t["deps"] for t in tasks] == [[], [1], [1], [], [], []]
    assert tasks[3]["args"]["args"][3] == "\x1b[2J\u202e"  # data kept, only shown escaped
    assert parse_edited(edit_text(again), TOOLS) == tasks


def test_edit_renumbers_after_a_deleted_step() -> None:
    text = '1. fs_read(path="a.md")\n3. fs_write(path="b.md", content=$1.text)\njoin()\n'
    tasks = parse_edited(text, TOOLS)
    assert [t["id"] for t in tasks] == [1, 2]
    text = '# a comment\n2. fs_read(path="a.md")\n\n5. fs_write(path="b.md", content=$2)\n'
    tasks = parse_edited(text, TOOLS)
    assert tasks[1]["args"]["content"] == {"$ref": 1, "path": []}
    assert tasks[1]["deps"] == [1]
    assert tasks[1]["text"] == '2. fs_write(path="b.md", content=$1)'


def test_edit_to_nothing_cancels() -> None:
    assert parse_edited(edit_text([]), TOOLS) == []
    assert parse_edited("", TOOLS) == []


def test_edit_accepts_known_syscalls_and_quoted_names() -> None:
    tasks = parse_edited('1. fs.delete("path"="a.md", recursive=false)', TOOLS)
    assert tasks[0]["args"] == {"path": "a.md", "recursive": False}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('1. fs_read(path="a.md"\n', 1, "expected ')'"),
        ('1. fs_read(path="a.md")\n2. fs_read(path=)\n', 2, "expected a value"),
        ('1. fs_read(path="a.md")\n2. nope(x=1)\n', 2, "unknown tool"),
        ('1. fs_read(path="a.md")\n1. fs_read(path="b.md")\n', 2, "numbered above"),
        ('1. fs_read(path="a.md")\n2. fs_read(path=$2)\n', 2, "no step on an earlier line"),
        ("1. fs_read(path=$7)\n", 1, "no step on an earlier line"),
        ('1. fs_read(path="a.md", path="b.md")\n', 1, "given twice"),
        ('1. fs_read(pth="a.md")\n', 1, "has no argument 'pth'"),
        ('1. fs_write(path="a.md")\n', 1, "needs argument 'content'"),
        ('1. fs_read(path="a.md") extra\n', 1, "unexpected text"),
        ('join()\n1. fs_read(path="a.md")\n', 2, "after join()"),
        ('1. fs_read(path="a\\q")\n', 1, "bad string"),
        ('1. fs_read(path="unclosed)\n', 1, "bad string"),
        ("1. fs_read(path=1e999)\n", 1, "too large"),
        ("1. fs_read(path=$1.__class__)\n", 1, "field"),
        ("fs_read(path=1)\n", 1, "step number"),
        ('1 fs_read(path="a")\n', 1, "'.'"),
        ("1. fs_read(path={1: 2})\n", 1, "string key"),
        ("1. fs_read(path=" + "[" * 50 + "]" * 50 + ")\n", 1, "nested too deeply"),
        ('\n\n1. fs_read(path="\x1b[2J)\n', 3, "bad string"),
    ],
)
def test_bad_edits_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_edited(text, TOOLS)
    assert f"plan line {line}:" in info.value.message
    assert words in info.value.message
    assert info.value.details["line"] == line
    assert _is_harmless(info.value.message)


def test_edit_limits() -> None:
    with pytest.raises(BadRequest):
        parse_edited("x" * 300_000, TOOLS)
    with pytest.raises(BadRequest):
        parse_edited(None, TOOLS)  # type: ignore[arg-type]
    many = "\n".join(f'{i}. fs_read(path="a")' for i in range(1, 70))
    with pytest.raises(BadRequest, match="at most 64"):
        parse_edited(many, TOOLS)


# ---- undo -------------------------------------------------------------------


def test_undo_from_versions() -> None:
    steps = classify_plan(
        [
            task(1, "fs_read", path="notes/a.md"),
            task(2, "fs_write", path="~/notes/b.md", content="x"),
            task(3, "fs_write", path="~/notes/b.md", content="y"),
        ],
        TOOLS,
    )
    results = {
        1: "text",
        2: {"path": "notes/b.md", "version": 4},
        3: {"path": "notes/b.md", "version": 5},
    }
    assert undo_hint(steps, results) == "rollback notes/b.md 2"
    assert undo_hint(steps, ["text", results[2], results[3]]) == "rollback notes/b.md 2"
    assert undo_hint(steps, {"2": results[2]}) == "rollback notes/b.md 1"


def test_undo_without_versions_counts_writes() -> None:
    steps = [
        step("fs_write", 1, path="a b.md", content="x"),
        step("fs.rollback", 2, path="c.md", n=1),
    ]
    assert undo_hint(steps, {1: {}, 2: None}) == "rollback 'a b.md' 1"
    assert undo_hint(steps, {1: "ok", 2: {"path": "c.md", "version": 7}}) == (
        "rollback 'a b.md' 1; rollback c.md 1"
    )


def test_undo_skips_new_files_failures_and_reads() -> None:
    steps = [
        step("fs_write", 1, path="new.md", content="x"),
        step("fs_write", 2, path="old.md", content="y"),
    ]
    assert undo_hint(steps, {1: {"path": "new.md", "version": 1}}) is None
    assert undo_hint(
        steps, {1: {"path": "new.md", "version": 1}, 2: {"path": "old.md", "version": 3}}
    ) == ("rollback old.md 1 (new, nothing before them: new.md)")
    assert undo_hint(steps, {1: {"error": "boom"}, 2: ValueError("x")}) is None
    assert undo_hint(steps, None) is None
    assert undo_hint([step("fs_read", path="a.md")], {1: "text"}) is None
    tools = {"mcp.save": entry("mcp.save", WRITES)}  # writes, but not an LSFS file
    assert undo_hint([step("mcp.save", tools=tools, path="x")], {1: "ok"}) is None


def test_undo_hint_is_harmless() -> None:
    s = step("fs_write", path="a.md", content="x")
    hint = undo_hint([s], {1: {"path": "\x1b]0;x\x07b.md", "version": 2}})
    assert hint is not None and _is_harmless(hint)


# ---- the shell is a client --------------------------------------------------


def test_never_imports_the_kernel() -> None:
    code = (
        "import sys, aios.shell.plans; "
        "bad = [m for m in sys.modules if m.startswith('aios.kernel')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
