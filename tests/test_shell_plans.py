"""The shell's plan logic: effects of steps, approval policies and the dangerous
patterns that always ask (the preview, editing and undo: test_shell_plans_text.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aios.errors import BadRequest
from aios.shell.plans import (
    Step,
    classify,
    classify_plan,
    dangers,
    is_destructive,
    needs_approval,
)

RO = {"read_only": True, "destructive": False, "open_world": False, "host": False}
WRITES = {"read_only": False, "destructive": False, "open_world": False, "host": False}


def entry(name: str, risk: object = None, props: tuple[str, ...] = (), required=()) -> dict:
    out: dict = {
        "name": name,
        "description": "",
        "parameters": {
            "type": "object",
            "properties": {p: {"type": "string"} for p in props},
            "required": list(required),
        },
    }
    if risk is not None:
        out["risk"] = risk
    return out


TOOLS = {
    "fs_read": entry("fs_read", RO, ("path",), ("path",)),
    "fs_write": entry("fs_write", WRITES, ("path", "content"), ("path", "content")),
    "fs_search": entry("fs_search", RO, ("query", "top_k")),
    "fs_ls": entry("fs_ls", RO, ("path",)),
    "shell": entry("shell", {**WRITES, "destructive": True, "host": True}, ("program", "args")),
    "http_get": entry("http_get", {**RO, "open_world": True, "host": True}, ("url",)),
    "calculator": entry("calculator", RO, ("expression",)),
}


def task(i: int, tool: str, deps: list[int] | None = None, **args: Any) -> dict:
    return {"id": i, "tool": tool, "args": args, "deps": deps or [], "text": ""}


def step(tool: str, i: int = 1, tools: dict | None = None, **args: Any) -> Step:
    return classify(task(i, tool, **args), TOOLS if tools is None else tools)


def ref(n: int, *path: str | int) -> dict:
    return {"$ref": n, "path": list(path)}


# ---- effects ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "args", "effects"),
    [
        ("fs_read", {"path": "a.md"}, set()),
        ("fs_search", {"query": "owls"}, set()),
        ("fs_write", {"path": "a.md", "content": "x"}, {"write"}),
        ("fs_delete", {"path": "a.md"}, {"delete"}),
        ("fs.delete", {"path": "a.md"}, {"delete"}),
        ("fs_mv", {"src": "a.md", "dst": "b.md"}, {"move"}),
        ("fs.rollback", {"path": "a.md", "n": 1}, {"rollback"}),
        ("shell", {"program": "ls"}, {"command"}),
        ("http_get", {"url": "https://x"}, {"network"}),
        ("proc.kill", {"pid": 3}, {"delete"}),
    ],
)
def test_known_tools(tool: str, args: dict, effects: set[str]) -> None:
    assert step(tool, **args).effects == effects


@pytest.mark.parametrize(
    ("risk", "effects"),
    [
        (RO, set()),
        (WRITES, {"write"}),
        ({**WRITES, "destructive": True}, {"delete"}),
        ({**WRITES, "destructive": True, "host": True}, {"command"}),
        ({**WRITES, "open_world": True}, {"write", "network"}),
        ({**RO, "open_world": True, "host": True}, {"network"}),
        (["read_only"], set()),  # the Risk.hints() form
        (["destructive", "not_read_only"], {"delete"}),
        (None, {"command", "network"}),  # no hints: may do anything
        ({}, {"command", "network"}),
        ({"read_only": "yes"}, {"command", "network"}),
        ("read_only", {"command", "network"}),
    ],
)
def test_effects_from_risk_hints(risk: object, effects: set[str]) -> None:
    tools = {"mcp.tool": entry("mcp.tool", risk)}
    assert step("mcp.tool", tools=tools).effects == effects


def test_hints_add_to_known_effects() -> None:
    tools = {"fs_write": entry("fs_write", {**WRITES, "host": True})}
    assert step("fs_write", tools=tools, path="a").effects == {"write", "command"}


def test_unknown_tool_is_destructive_and_always_asks() -> None:
    s = step("frobnicate", x=1)
    assert s.effects == {"unknown"}
    assert is_destructive(s)
    assert any("does not know" in r for r in needs_approval([s], "never"))


def test_deps_come_from_refs_and_the_task() -> None:
    s = classify(task(3, "fs_write", deps=[1], path=ref(2, "path"), content="x"), TOOLS)
    assert s.deps == (1, 2)


@pytest.mark.parametrize(
    "bad",
    [
        "not a dict",
        {"id": "1", "tool": "fs_read", "args": {}},
        {"id": True, "tool": "fs_read", "args": {}},
        {"id": 0, "tool": "fs_read", "args": {}},
        {"id": 1, "tool": "", "args": {}},
        {"id": 1, "tool": 5, "args": {}},
        {"id": 1, "tool": "fs_read", "args": []},
        {"id": 1, "tool": "fs_read", "args": {}, "deps": ["x"]},
        {"id": 1, "tool": "fs_read", "args": {}, "deps": [1]},  # itself
        {"id": 2, "tool": "fs_read", "args": {"path": ref(5)}},  # a later step
        {"id": 2, "tool": "fs_read", "args": {"path": {"$ref": "1"}}},
        {"id": 2, "tool": "fs_read", "args": {"path": {"$ref": 1, "path": ["__class__"]}}},
        {"id": 2, "tool": "fs_read", "args": {"path": {"$ref": 1, "extra": 2}}},
        {"id": 1, "tool": "fs_read", "args": {"path": float("nan")}},
        {"id": 1, "tool": "fs_read", "args": {"path": object()}},
        {"id": 1, "tool": "fs_read", "args": {"a": [[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]}},
    ],
)
def test_bad_tasks_are_bad_requests(bad: object) -> None:
    with pytest.raises(BadRequest):
        classify(bad, TOOLS)  # type: ignore[arg-type]


def test_classify_plan_orders_and_bounds() -> None:
    assert [s.id for s in classify_plan([task(1, "fs_ls"), task(2, "fs_ls")], TOOLS)] == [1, 2]
    with pytest.raises(BadRequest):
        classify_plan([task(2, "fs_ls"), task(1, "fs_ls")], TOOLS)
    with pytest.raises(BadRequest):
        classify_plan({"tasks": []}, TOOLS)
    with pytest.raises(BadRequest):
        classify_plan([task(i, "fs_ls") for i in range(1, 100)], TOOLS)


# ---- policies ---------------------------------------------------------------


def test_policies() -> None:
    read = [step("fs_read", path="a.md"), step("fs_search", 2, query="x")]
    write = [step("fs_write", path="a.md", content="x")]
    delete = [step("fs.delete", path="notes/a.md")]
    for policy in ("destructive", "never"):
        assert needs_approval(read, policy) == []
        assert needs_approval(write, policy) == []  # versioned: undoable
    assert needs_approval(read, "always") == ["the policy asks before every plan"]
    assert needs_approval([], "always") == []
    assert needs_approval(delete, "destructive") == ["step 1 (fs.delete) deletes"]
    assert needs_approval(delete, "never") == []
    assert needs_approval(delete) == needs_approval(delete, "destructive")  # the default
    with pytest.raises(BadRequest):
        needs_approval(read, "sometimes")


def test_writes_to_the_open_world_are_destructive() -> None:
    tools = {"slack.post": entry("slack.post", {**WRITES, "open_world": True})}
    s = step("slack.post", tools=tools, text="hi")
    assert is_destructive(s)
    assert needs_approval([s]) and not needs_approval([s], "never")


def test_network_reads_run_at_once() -> None:
    assert needs_approval([step("http_get", url="https://example.org")]) == []


# ---- dangerous patterns ---------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["notes/", "notes", "", "/", ".", "..", "~", "a/b/.", "*.md", "notes/2024"]
)
def test_deleting_a_folder_always_asks(path: str) -> None:
    reasons = needs_approval([step("fs.delete", path=path)], "never")
    assert any("folder" in r for r in reasons)


def test_deleting_a_file_is_not_dangerous() -> None:
    assert dangers([step("fs.delete", path="notes/a.md")]) == []


def test_deleting_an_unnamed_or_referenced_path_always_asks() -> None:
    assert dangers([step("fs.delete", 2, path=ref(1, "path"))])
    assert dangers([step("fs.delete")])


@pytest.mark.parametrize("value", [True, "true", 1, "yes"])
def test_recursive_always_asks(value: object) -> None:
    s = step("fs.delete", path="notes/a.md", recursive=value)
    assert any("recursive" in r for r in needs_approval([s], "never"))


def test_recursive_read_is_fine() -> None:
    assert dangers([step("fs.ls", path="notes", recursive=True)]) == []
    assert dangers([step("fs.delete", path="a.md", recursive=False)]) == []


def test_moving_a_folder_always_asks() -> None:
    assert dangers([step("fs_mv", src="notes/", dst="old/notes/")])
    assert dangers([step("fs_mv", src="notes/a.md", dst="old/")]) == []


def test_rollback_of_many_files() -> None:
    three = [step("fs.rollback", i, path=f"f{i}.md", n=1) for i in range(1, 4)]
    assert dangers(three) == []
    assert needs_approval(three, "never") == []
    again = [*three, step("fs.rollback", 4, path="f1.md", n=2)]  # the same file twice
    assert dangers(again) == []
    four = [*three, step("fs.rollback", 4, path="f4.md", n=1)]
    assert any("rolls back 4 files" in r for r in needs_approval(four, "never"))
    with_ref = [*three, step("fs.rollback", 4, path=ref(1, "path"), n=1)]
    assert dangers(with_ref)


def test_rolling_back_a_folder_always_asks() -> None:
    assert dangers([step("fs.rollback", path="notes/", n=1)])


def sh(program: str, *args: str) -> Step:
    return step("shell", program=program, args=list(args))


@pytest.mark.parametrize(
    "argv",
    [
        ("rm", "a.txt"),
        ("/bin/rm", "-rf", "x"),
        ("mv", "a", "b"),
        ("cp", "a", "b"),
        ("dd", "if=/dev/zero", "of=x"),
        ("chmod", "777", "x"),
        ("chown", "me", "x"),
        ("mkfs.ext4", "/dev/sda"),
        ("truncate", "-s0", "x"),
        ("tee", "out.txt"),
        ("sed", "-i", "s/a/b/", "f"),
        ("sed", "--in-place", "s/a/b/", "f"),
        ("git", "push"),
        ("git", "reset", "--hard"),
        ("git", "-C", "repo", "clean", "-fdx"),
        ("git",),
        ("echo", "hi", ">", "out.txt"),
        ("echo", "hi", ">>out.txt"),
        ("cat", "x", "2>err"),
        ("sh", "-c", "echo hi > f"),
        ("bash", "-c", "ls | tee f"),
        ("bash", "-c", "ls; rm f"),
        ("sh", "-c", "ls\nrm f"),
        ("sh", "-c", "echo 'unclosed"),
        ("sh", "-c", "echo $(rm f)"),
        ("sh", "script.sh"),
        ("python3", "-c", "open('f','w')"),
        ("env", "X=1", "rm", "f"),
        ("timeout", "5", "rm", "f"),
        ("nice", "-n", "10", "rm", "f"),
        ("xargs", "rm"),
        ("sudo", "ls"),
        ("find", ".", "-delete"),
        ("find", ".", "-exec", "rm", "{}", ";"),
        ("sort", "-o", "f", "f"),
        ("awk", '{print > "f"}', "x"),
        ("touch", "f"),
    ],
)
def test_shell_programs_that_write_always_ask(argv: tuple[str, ...]) -> None:
    reasons = needs_approval([sh(*argv)], "never")
    assert any("runs a command that" in r for r in reasons), argv


@pytest.mark.parametrize(
    "argv",
    [
        ("ls", "-la"),
        ("cat", "a.txt"),
        ("grep", "-r", "owl", "."),
        ("wc", "-l", "a"),
        ("git", "status"),
        ("git", "-C", "repo", "log", "--oneline"),
        ("sh", "-c", "ls | grep x && wc -l a"),
        ("find", ".", "-name", "*.md"),
        ("sed", "s/a/b/", "f"),
    ],
)
def test_shell_programs_that_read_are_not_dangerous(argv: tuple[str, ...]) -> None:
    s = sh(*argv)
    assert dangers([s]) == []
    assert needs_approval([s], "never") == []
    assert needs_approval([s]) == ["step 1 (shell) runs commands"]  # still a command


@pytest.mark.parametrize(
    "command",
    ["rm -rf /", "ls > f", "ls >> f", "ls &> f", "echo `rm f`", "ls 'bad", "cat a|tee b"],
)
def test_command_strings(command: str) -> None:
    tools = {"run": entry("run", {**WRITES, "destructive": True, "host": True})}
    assert dangers([step("run", tools=tools, command=command)])


def test_command_string_that_reads() -> None:
    tools = {"run": entry("run", {**WRITES, "destructive": True, "host": True})}
    assert dangers([step("run", tools=tools, command="ls -la | sort | head")]) == []


def test_shell_arguments_known_only_when_it_runs() -> None:
    assert dangers([step("shell", 2, program="ls", args=ref(1))])
    assert dangers([step("shell", 2, program=ref(1), args=[])])


def test_huge_hostile_command_is_quick() -> None:
    command = "A=1 " * 20_000 + "nice " * 2_000 + "ls"
    tools = {"run": entry("run", {**WRITES, "host": True})}
    t0 = time.monotonic()
    (why,) = dangers([step("run", tools=tools, command=command)])
    assert "too deeply" in why and time.monotonic() - t0 < 5
    assert dangers([step("run", tools=tools, command="A=1 " * 20_000 + "ls")]) == []
