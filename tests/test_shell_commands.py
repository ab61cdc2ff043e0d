"""The shell's built-ins (aios.shell.commands): parsing, usage errors, the fast path
for natural-language requests, and hostile input."""

from __future__ import annotations

import contextlib
import random

import pytest

from aios.errors import BadRequest
from aios.shell.commands import HELP, NEEDS_POLICY, Command, UsageError, fast_path, parse

FIND = {"mode": "hybrid", "top_k": 10}

BUILTINS = [
    ("ps", "ps", "proc.list", {}, False),
    ("kill 12", "kill", "proc.kill", {"pid": 12}, True),
    ("ls", "ls", "fs.ls", {"path": ""}, False),
    ("ls notes/", "ls", "fs.ls", {"path": "notes/"}, False),
    ("ls 'my notes'", "ls", "fs.ls", {"path": "my notes"}, False),
    ("cat plan.md", "cat", "fs.read", {"path": "plan.md"}, False),
    ("find owls", "find", "fs.retrieve", {"query": "owls", **FIND}, False),
    ("find owls nesting", "find", "fs.retrieve", {"query": "owls nesting", **FIND}, False),
    ("find John's notes", "find", "fs.retrieve", {"query": "John's notes", **FIND}, False),
    ("history plan.md", "history", "fs.history", {"path": "plan.md"}, False),
    ("rollback plan.md 2", "rollback", "fs.rollback", {"path": "plan.md", "n": 2}, True),
    ("diff plan.md", "diff", "fs.diff", {"path": "plan.md"}, False),
    (
        "diff plan.md 1 3",
        "diff",
        "fs.diff",
        {"path": "plan.md", "from_version": 1, "to_version": 3},
        False,
    ),
    ("agents", "agents", "agent.list", {}, False),
    (
        "run writer draft a poem",
        "run",
        "proc.spawn",
        {"agent": "writer", "task": "draft a poem"},
        False,
    ),
    ("run writer 'a poem'", "run", "proc.spawn", {"agent": "writer", "task": "a poem"}, False),
    ("tools", "tools", "tool.list", {}, False),
    ("approvals", "approvals", "approval.list", {"state": "pending"}, False),
    ("approvals denied", "approvals", "approval.list", {"state": "denied"}, False),
    ("approvals all", "approvals", "approval.list", {}, False),
    ("help", "help", None, {}, False),
    ("help kill", "help", None, {}, False),
    ("exit", "exit", None, {}, False),
    ("quit", "quit", None, {}, False),
    ("  PS  ", "ps", "proc.list", {}, False),
    ("Kill\t7", "kill", "proc.kill", {"pid": 7}, True),
]


@pytest.mark.parametrize(("line", "name", "syscall", "args", "destructive"), BUILTINS)
def test_builtins(line: str, name: str, syscall: str | None, args: dict, destructive: bool):
    cmd = parse(line)
    assert cmd is not None
    assert (cmd.name, cmd.syscall, cmd.syscall_args, cmd.destructive) == (
        name,
        syscall,
        args,
        destructive,
    )
    assert all(isinstance(a, str) for a in cmd.args)


def test_bang_runs_one_program_through_the_shell_tool():
    cmd = parse('!grep -n "two words" notes.txt')
    assert cmd == Command(
        "!",
        ("grep", "-n", "two words", "notes.txt"),
        "tool.call",
        {"name": "shell", "args": {"program": "grep", "args": ["-n", "two words", "notes.txt"]}},
        NEEDS_POLICY,
    )
    assert cmd.destructive  # truthy: the policy decides, never "safe" by default
    assert parse("! ls").syscall_args["args"] == {"program": "ls", "args": []}
    assert parse("!echo 'a|b'").syscall_args["args"]["args"] == ["a|b"]


def test_commands_are_frozen_and_hashable():
    cmd = parse("kill 3")
    with pytest.raises(AttributeError):
        cmd.name = "ps"  # type: ignore[misc]
    assert hash(cmd) == hash(parse("kill 3"))


def test_help_lists_every_builtin():
    for word in (
        "ps",
        "kill PID",
        "ls",
        "cat",
        "find",
        "history",
        "rollback PATH N",
        "diff",
        "agents",
        "run AGENT",
        "tools",
        "approvals",
        "help",
        "exit",
        "!",
    ):
        assert word in HELP
    assert all(len(line) < 100 for line in HELP.splitlines())


USAGE_ERRORS = [
    ("ps aux", "ps"),
    ("agents x", "agents"),
    ("tools x", "tools"),
    ("exit 0", "exit"),
    ("quit x", "quit"),
    ("kill", "kill PID"),
    ("kill abc", "kill PID"),
    ("kill 0", "kill PID"),
    ("kill -9", "kill PID"),
    ("kill 12 13", "kill PID"),
    ("kill 99999999999999999999", "kill PID"),
    ("ls x y", "ls [PATH]"),
    ("cat", "cat PATH"),
    ("cat a.md b.md", "cat PATH"),
    ("find", "find QUERY..."),
    ("history", "history PATH"),
    ("history a.md b.md", "history PATH"),
    ("rollback", "rollback PATH N"),
    ("rollback plan.md two", "rollback PATH N"),
    ("rollback plan.md 0", "rollback PATH N"),
    ("rollback plan.md 1 2", "rollback PATH N"),
    ("diff", "diff PATH [A B]"),
    ("diff plan.md 1", "diff PATH [A B]"),
    ("diff plan.md 1 x", "diff PATH [A B]"),
    ("diff plan.md 1 2 3", "diff PATH [A B]"),
    ("run", "run AGENT TASK..."),
    ("run writer", "run AGENT TASK..."),
    ("approvals maybe", "approvals [STATE|all]"),
    ("help xyz", "help [BUILTIN]"),
    ("cat 'plan.md", "cat PATH"),
    ('ls "notes', "ls [PATH]"),
    ('find "owls', "find QUERY..."),
    ("cat pl\x00an.md", "cat PATH"),
    ("cat pl\x1ban.md", "cat PATH"),
    ("cat " + "a" * 2000, "cat PATH"),
    ("!", "!PROGRAM [ARGS...]"),
    ("!   ", "!PROGRAM [ARGS...]"),
    ("!ls | grep x", "!PROGRAM [ARGS...]"),
    ("!echo a > b", "!PROGRAM [ARGS...]"),
    ("!make && rm -rf x", "!PROGRAM [ARGS...]"),
    ("!echo 'open", "!PROGRAM [ARGS...]"),
    ("!cat a\x00b", "!PROGRAM [ARGS...]"),
]


@pytest.mark.parametrize(("line", "usage"), USAGE_ERRORS)
def test_usage_errors(line: str, usage: str):
    with pytest.raises(UsageError) as info:
        parse(line)
    assert info.value.usage == usage
    assert usage in str(info.value)
    assert isinstance(info.value, BadRequest)
    assert info.value.to_dict()["details"]["usage"] == usage


NATURAL = [
    "hello there",
    "summarize my notes",
    "what's the weather",
    "",
    "   ",
    "help me write a poem",
    "run the tests for me",
    "find notes about owls and summarize them",
    "find out why the build failed",
    "ls notes and delete them",
    "kill the stuck process",
    "history of rome in three sentences",
    "cat facts about dogs please",
]


@pytest.mark.parametrize("line", NATURAL)
def test_natural_language_is_not_a_builtin(line: str):
    assert parse(line) is None


def test_a_builtin_word_before_a_request_takes_the_fast_path():
    assert parse("kill process 12") == parse("kill 12")
    assert parse("history of plan.md") == parse("history plan.md")
    assert parse("find notes about owls") == parse("find owls")
    assert parse("rollback plan.md") == parse("rollback plan.md 1")


def _kind(cmd: Command | None) -> tuple | None:
    return None if cmd is None else (cmd.name, cmd.syscall_args)


PS = ("ps", {})
POSITIVE = [
    ("show my processes", PS),
    ("what's running", PS),
    ("What's running?", PS),
    ("whats running right now", PS),
    ("list processes", PS),
    ("list proccesses please", PS),
    ("Please, show me my processes!", PS),
    ("show me all running processes", PS),
    ("which processes are running?", PS),
    ("what is currently running", PS),
    ("is anything running", PS),
    ("can you show my procesess", PS),
    ("show running agents", PS),
    ("ps please", PS),
    ("find notes about owls", ("find", {"query": "owls", **FIND})),
    ("Find notes about Owl Migration", ("find", {"query": "Owl Migration", **FIND})),
    ("search for budget 2024", ("find", {"query": "budget 2024", **FIND})),
    ("serach for budget", ("find", {"query": "budget", **FIND})),
    ("look for files about rust", ("find", {"query": "rust", **FIND})),
    ("look up the meeting with Ana", ("find", {"query": "the meeting with Ana", **FIND})),
    ("search my notes for tax forms", ("find", {"query": "tax forms", **FIND})),
    ("do I have any notes on gardening?", ("find", {"query": "gardening", **FIND})),
    ("where did I write about the launch", ("find", {"query": "the launch", **FIND})),
    ("notes about kubernetes", ("find", {"query": "kubernetes", **FIND})),
    ("find cats and dogs", ("find", {"query": "cats and dogs", **FIND})),
    ("show the history of plan.md", ("history", {"path": "plan.md"})),
    ("show me the histroy of plan.md", ("history", {"path": "plan.md"})),
    ("history of notes/plan.md please", ("history", {"path": "notes/plan.md"})),
    ("versions of plan.md", ("history", {"path": "plan.md"})),
    ("plan.md history", ("history", {"path": "plan.md"})),
    ("undo my last change to plan.md", ("rollback", {"path": "plan.md", "n": 1})),
    ("Undo the last edit to notes/plan.md.", ("rollback", {"path": "notes/plan.md", "n": 1})),
    ("revert plan.md", ("rollback", {"path": "plan.md", "n": 1})),
    ("roll back plan.md to the previous version", ("rollback", {"path": "plan.md", "n": 1})),
    ("undo the last 3 changes to plan.md", ("rollback", {"path": "plan.md", "n": 3})),
    ("udno my last chnage to plan.md", ("rollback", {"path": "plan.md", "n": 1})),
    ("what's in notes/", ("ls", {"path": "notes/"})),
    ("what is in the projects folder", ("ls", {"path": "projects"})),
    ("list files in projects", ("ls", {"path": "projects"})),
    ("show me the files in notes/2024", ("ls", {"path": "notes/2024"})),
    ("list my files", ("ls", {"path": ""})),
    ("list notes/", ("ls", {"path": "notes/"})),
    ("show me plan.md", ("cat", {"path": "plan.md"})),
    ("print notes/todo.txt", ("cat", {"path": "notes/todo.txt"})),
    ("cat the file plan.md", ("cat", {"path": "plan.md"})),
    ("open 'my plan.md'", ("cat", {"path": "my plan.md"})),
    ("what's in plan.md?", ("cat", {"path": "plan.md"})),
    ("show me the contents of README.md", ("cat", {"path": "README.md"})),
    ("what changed in plan.md", ("diff", {"path": "plan.md"})),
    ("kill process 12", ("kill", {"pid": 12})),
    ("stop 12", ("kill", {"pid": 12})),
    ("please terminate pid 4242", ("kill", {"pid": 4242})),
    ("kil 5", ("kill", {"pid": 5})),
    ("what agents are there", ("agents", {})),
    ("which agents can I use?", ("agents", {})),
    ("list agnets", ("agents", {})),
    ("what tools can I use", ("tools", {})),
    ("show me the available tools", ("tools", {})),
    ("pending approvals", ("approvals", {"state": "pending"})),
    ("any pending aprovals?", ("approvals", {"state": "pending"})),
    ("what needs my approval", ("approvals", {"state": "pending"})),
    ("what can you do", ("help", {})),
    ("bye", ("exit", {})),
    ("rollback plan.md 2 please", ("rollback", {"path": "plan.md", "n": 2})),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_fast_path_matches(text: str, expected: tuple):
    assert _kind(fast_path(text)) == expected


NEGATIVE = [
    "find notes about X and summarize them",
    "find notes about owls, then delete them",
    "delete everything in notes",
    "delete plan.md",
    "remove all my files",
    "summarize plan.md",
    "write a poem about owls",
    "show my processes and kill the oldest",
    "search for notes to delete",
    "list files in notes and move them to archive/",
    "kill everything",
    "stop the process that uses the most memory",
    "undo",
    "revert everything",
    "undo my last change",
    "show me the weather",
    "print hello",
    "find out why the build failed",
    "what's the capital of France",
    "!rm -rf /",
    "please !ls",
    "revert plan.md and notes.md",
    "rename plan.md to old.md",
    "what's in http://example.com/x.md",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_fast_path_leaves_the_rest_to_the_planner(text: str):
    assert fast_path(text) is None


def test_fast_path_is_deterministic_and_case_insensitive():
    a = fast_path("SHOW MY PROCESSES")
    assert a == fast_path("show my processes") == fast_path("  show   my processes ?? ")


HOSTILE = [
    "a" * 1_000_000,
    "find " + "x " * 200_000,
    "cat " + "a" * 300_000,
    "!" + "a " * 200_000,
    "\x00",
    "ps\x00",
    "kill \x00",
    "find \x00\x00",
    "cat '",
    'cat "',
    "run 'a",
    "!'",
    '!"',
    "ls \\",
    "history \ud800",
    "cat \ud800.md",
    "find \ud800",
    "show me \ud800.md",
    "找 笔记 关于 猫",
    "cat 笔记.md",
    "find 🦉 🦉",
    "kill ١٢",
    "kill ¹",
    "rollback a.md ²",
    "\u202e\u202dls",
    "ls \u0085",
    "\t\n\r\x0b\x0c",
    "what's in " + "a/" * 5000,
    "find notes about " + "(" * 1000,
    "show me the history of " + "x" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_raises_only_usage_errors(text: str):
    try:
        cmd = parse(text)
    except UsageError:
        cmd = None
    assert cmd is None or isinstance(cmd, Command)
    assert fast_path(text) is None or isinstance(fast_path(text), Command)


def test_random_input_raises_only_usage_errors():
    rng = random.Random(13)
    alphabet = "ab \t'\"\\!|&;<>()$`*?\x00\x1b\u00e9\u4e2d\U0001f989\ud800.-/0123456789"
    heads = [
        "",
        "ps ",
        "kill ",
        "ls ",
        "cat ",
        "find ",
        "history ",
        "rollback ",
        "diff ",
        "run ",
        "help ",
        "approvals ",
        "!",
        "show me ",
        "undo my last change to ",
    ]
    for _ in range(3000):
        text = rng.choice(heads) + "".join(rng.choices(alphabet, k=rng.randint(0, 40)))
        with contextlib.suppress(UsageError):
            parse(text)
        fast_path(text)


def test_not_text():
    with pytest.raises(UsageError):
        parse(None)  # type: ignore[arg-type]
    assert fast_path(None) is None  # type: ignore[arg-type]


def test_fast_path_quoting():
    assert _kind(fast_path("search for 'owl nests'")) == ("find", {"query": "owl nests", **FIND})
    assert _kind(fast_path("search for John's notes")) == (
        "find",
        {"query": "John's notes", **FIND},
    )
    assert fast_path("search for 'owl nests") is None
    assert fast_path('show me "plan.md') is None
