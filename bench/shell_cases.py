"""The shell benchmark's requests, written as users type them (short, misspelt, vague
as well as precise), each with the path it should take and what it should call.

- ``fast``: a built-in typed as such (``commands.parse``) or a phrasing the fast path
  answers (``commands.fast_path``); ``expect`` is the one syscall of the ``Command``
  (``shell:NAME`` for the built-ins the shell handles itself: help, exit).
- ``model``: goes to the planner (``compile`` as a dry run over the session's tools);
  ``expect`` is the plan's tool calls, ``also`` other plans that are just as right for
  a vague request. A ``note`` names the built-in that could answer a model-path
  request the fast path does not recognize: where the fast path could grow.

The files the requests mention are in ``SEED`` (written before the run, so plans
over them can be shown and checked; every plan is a dry run, nothing is changed).
"""

from __future__ import annotations

from types import MappingProxyType

from bench.shell_score import Call, Case, Evaluates, Has, OneOf, Ref

__all__ = ["CASES", "SEED"]

SEED = MappingProxyType(
    {
        "plan.md": "# Plan\n- ship the shell\n- write the benchmark\n- fix the fast path\n",
        "budget.txt": "Q3 budget\nrent 1200\nfood 450\ntravel 300\ntotal 1950\n",
        "draft.md": "A first draft of the launch post.\n",
        "old.md": "Old notes nobody reads.\n",
        "scratch.txt": "scratch: 42, try again\n",
        "groceries.txt": "milk\nbread\n",
        "notes/meeting.md": "# Meeting 3 June\nDecided: ship on Friday. Alice owns the budget.\n",
        "notes/todo.md": "- call the bank\n- book the offsite venue\n",
        "notes/offsite.md": "# Offsite\nLisbon, 12-14 September, 20 people.\n",
        "notes/owls.md": "Barn owls hunt by sound; they swallow prey whole.\n",
        "drafts/old.md": "An old draft.\n",
        "archive/2023-report.md": "# 2023 report\nRevenue grew 12%.\n",
        "tmp/a.txt": "temporary a\n",
        "tmp/b.txt": "temporary b\n",
    }
)
# plan.md gets these as later versions (history, diff and undo have something to show)
SEED_VERSIONS = (
    "# Plan\n- ship the shell\n- write the benchmark\n",
    "# Plan\n- ship the shell\n- write the benchmark\n- fix the fast path\n- rest\n",
)


def _f(id: str, text: str, syscall: str, note: str = "", **args: object) -> Case:
    return Case(f"fast-{id}", text, "fast", (Call(syscall, args),), note=note)


def _m(
    id: str,
    text: str,
    *calls: Call,
    also: tuple[tuple[Call, ...], ...] = (),
    note: str = "",
    needs: tuple[str, ...] = (),
) -> Case:
    return Case(f"model-{id}", text, "model", calls, also, note, needs)


def _c(tool: str, **args: object) -> Call:
    return Call(tool, args)


def _search(*words: str) -> tuple[Call, ...]:
    return (_c("fs_search", query=Has(*words)),)


def _search_read(*words: str) -> tuple[Call, ...]:
    """A search, then reading what it found (the first hit's path)."""
    return (_c("fs_search", query=Has(*words)), _c("fs_read", path=Ref(0)))


def _search_or_read(words: tuple[str, ...], path: str) -> tuple[tuple[Call, ...], ...]:
    """A vague request about a file the user does not name: a search (and reading its
    hit), or reading the file it means."""
    return (_search_read(*words), (_c("fs_read", path=path),))


FAST = [
    # processes
    _f("ps", "ps", "proc.list"),
    _f("show-procs", "show my processes", "proc.list"),
    _f("procs-typo", "pls show my procceses", "proc.list"),
    _f("whats-running", "whats running", "proc.list"),
    _f("kill", "kill 12", "proc.kill", pid=12),
    _f("kill-typo", "kill proces 12", "proc.kill", pid=12),
    _f("stop", "stop process 12", "proc.kill", pid=12),
    # folders
    _f("ls", "ls", "fs.ls", path=""),
    _f("ls-notes", "ls notes", "fs.ls", path="notes"),
    _f("ls-la", "ls -la", "fs.ls", path="", note="a Unix habit: the flag is not a path"),
    _f("list-archive", "list the files in archive", "fs.ls", path="archive"),
    _f("files-in-tmp", "show me the files in tmp", "fs.ls", path="tmp"),
    _f("my-files", "show me my files", "fs.ls", path=""),
    # files
    _f("cat", "cat notes/meeting.md", "fs.read", path="notes/meeting.md"),
    _f("show-plan", "show me plan.md", "fs.read", path="plan.md"),
    _f("open", "open budget.txt", "fs.read", path="budget.txt"),
    _f("tell-whats-in", "tell me what's in notes/meeting.md", "fs.read", path="notes/meeting.md"),
    _f("what-says", "what does plan.md say", "fs.read", path="plan.md"),
    # search
    _f("find-owls", "find notes about owls", "fs.retrieve", query=Has("owls")),
    _f("find-budget", "find stuff about the budget", "fs.retrieve", query=Has("budget")),
    _f("search-for", "search for budget", "fs.retrieve", query=Has("budget")),
    _f("look-up", "look up the offsite", "fs.retrieve", query=Has("offsite")),
    _f("notes-on", "notes on the offsite?", "fs.retrieve", query=Has("offsite")),
    _f("find-builtin", "find q3 budget", "fs.retrieve", query=Has("q3 budget")),
    _f("any-notes", "do i have any notes about the trip", "fs.retrieve", query=Has("trip")),
    # versions
    _f("history", "history plan.md", "fs.history", path="plan.md"),
    _f("history-nl", "show me the version history of plan.md", "fs.history", path="plan.md"),
    _f("history-typo", "histroy of plan.md", "fs.history", path="plan.md"),
    _f("how-changed", "how has plan.md changed", "fs.history", path="plan.md"),
    _f("diff", "diff plan.md", "fs.diff", path="plan.md"),
    _f("what-changed", "what changed in plan.md", "fs.diff", path="plan.md"),
    _f("rollback", "rollback plan.md 2", "fs.rollback", path="plan.md", n=2),
    _f("undo", "undo my last change to plan.md", "fs.rollback", path="plan.md", n=1),
    _f("undo-2", "undo the last 2 changes to budget.txt", "fs.rollback", path="budget.txt", n=2),
    _f("revert", "revert budget.txt", "fs.rollback", path="budget.txt", n=1),
    # the rest
    _f("agents", "what agents do i have", "agent.list"),
    _f("tools", "what tools can i use", "tool.list"),
    _f("approvals", "any pending approvals?", "approval.list", state="pending"),
    _f("help", "help", "shell:help"),
    _f("what-can-you-do", "what can you do", "shell:help"),
    _f("bye", "bye", "shell:exit"),
    _f(
        "bang",
        "!echo hello",
        "tool.call",
        name="shell",
        args={"program": "echo", "args": ["hello"]},
    ),
]

MODEL = [
    # deleting (no built-in: destructive requests go through the planner and approval)
    _m("delet", "delet old.md", _c("fs_delete", path="old.md")),
    _m("delete-drafts", "delete drafts/old.md", _c("fs_delete", path="drafts/old.md")),
    _m("remove-scratch", "remove the file scratch.txt pls", _c("fs_delete", path="scratch.txt")),
    _m("get-rid", "get rid of draft.md", _c("fs_delete", path="draft.md")),
    _m(
        "wipe-tmp",
        "delete everything in the tmp folder",
        _c("fs_delete", path="tmp", recursive=True),
    ),
    _m("rm-r", "rm -r tmp/", _c("fs_delete", path="tmp", recursive=True)),
    _m(
        "delete-two",
        "delete old.md and scratch.txt",
        _c("fs_delete", path="old.md"),
        _c("fs_delete", path="scratch.txt"),
    ),
    # moving
    _m("rename", "rename draft.md to final.md", _c("fs_mv", src="draft.md", dst="final.md")),
    _m("renmae", "renmae plan.md to plan-v2.md", _c("fs_mv", src="plan.md", dst="plan-v2.md")),
    _m(
        "move-archive",
        "move budget.txt into archive",
        _c("fs_mv", src="budget.txt", dst=OneOf("archive/budget.txt", "archive")),
    ),
    _m(
        "mv",
        "mv notes/todo.md notes/done.md",
        _c("fs_mv", src="notes/todo.md", dst="notes/done.md"),
    ),
    # time
    _m("time", "what time is it", _c("current_time", timezone=OneOf("UTC", "Etc/UTC"))),
    _m("date", "what's today's date", _c("current_time", timezone=OneOf("UTC", "Etc/UTC"))),
    _m("time-tokyo", "whats the time in tokyo", _c("current_time", timezone="Asia/Tokyo")),
    _m("time-ny", "time in new york?", _c("current_time", timezone="America/New_York")),
    _m("date-paris", "date in paris rn", _c("current_time", timezone="Europe/Paris")),
    _m(
        "time-two",
        "time in london and lima",
        _c("current_time", timezone="Europe/London"),
        _c("current_time", timezone="America/Lima"),
    ),
    # arithmetic
    _m("percent", "how much is 17% of 2300", _c("calculator", expression=Evaluates(391))),
    _m("times", "whats 12*19", _c("calculator", expression=Evaluates(228))),
    _m("sqrt", "sqrt of 144", _c("calculator", expression=Evaluates(12))),
    _m(
        "f-to-c",
        "convert 100 fahrenheit to celsius",
        _c("calculator", expression=Evaluates(37.7778)),
    ),
    _m("split", "split 84 euros between 4 people", _c("calculator", expression=Evaluates(21))),
    _m("power", "2^10?", _c("calculator", expression=Evaluates(1024))),
    _m("tip", "15% tip on 62.40", _c("calculator", expression=Evaluates(9.36))),
    _m("divide-typo", "wat is 345 divded by 5", _c("calculator", expression=Evaluates(69))),
    # reading (the answer is written from what is read: no tool for that)
    _m("summarize", "summarize notes/meeting.md", _c("fs_read", path="notes/meeting.md")),
    _m("sumarize", "sumarize plan.md", _c("fs_read", path="plan.md")),
    _m("tldr", "tldr notes/meeting.md", _c("fs_read", path="notes/meeting.md")),
    _m("words", "how many words are in plan.md", _c("fs_read", path="plan.md")),
    _m("total", "whats the total in budget.txt", _c("fs_read", path="budget.txt")),
    _m(
        "read-two",
        "read plan.md and budget.txt",
        _c("fs_read", path="plan.md"),
        _c("fs_read", path="budget.txt"),
        note="built-in: cat, twice",
    ),
    _m(
        "compare",
        "compare plan.md with budget.txt",
        _c("fs_read", path="plan.md"),
        _c("fs_read", path="budget.txt"),
    ),
    # vague: the user names no file
    _m(
        "meeting-decide",
        "what did we decide in the meeting",
        *_search("meeting"),
        also=_search_or_read(("meeting",), "notes/meeting.md"),
    ),
    _m(
        "show-budget",
        "show me the budget",
        *_search("budget"),
        also=_search_or_read(("budget",), "budget.txt"),
        note="built-in: find (or cat budget.txt)",
    ),
    _m(
        "one-word",
        "budget",
        *_search("budget"),
        also=_search_or_read(("budget",), "budget.txt"),
        note="built-in: find",
    ),
    _m(
        "whats-in-notes",
        "whats in my notes folder",
        _c("fs_ls", path="notes"),
        note="built-in: ls notes",
    ),
    # searching, then more
    _m(
        "find-summarize",
        "find stuff about the budget and summarize it",
        *_search("budget"),
        also=(_search_read("budget"),),
    ),
    _m("find-show", "find the file about the offsite and show it", *_search_read("offsite")),
    _m(
        "search-two",
        "search for owls and for the budget",
        _c("fs_search", query=Has("owls")),
        _c("fs_search", query=Has("budget")),
        note="built-in: find, twice",
    ),
    # writing
    _m(
        "write-todo",
        "write 'buy milk' to todo.txt",
        _c("fs_write", path="todo.txt", content=Has("buy milk")),
    ),
    _m(
        "create-ideas",
        "create ideas.md saying try the new planner",
        _c("fs_write", path="ideas.md", content=Has("try the new planner")),
    ),
    _m(
        "save-reminder",
        "save call mom on sunday in reminders.txt",
        _c("fs_write", path="reminders.txt", content=Has("call mom")),
    ),
    _m(
        "copy",
        "copy plan.md to plan-backup.md",
        _c("fs_read", path="plan.md"),
        _c("fs_write", path="plan-backup.md", content=Ref(0)),
    ),
    _m(
        "time-to-log",
        "write the current time into log.txt",
        _c("current_time", timezone=OneOf("UTC", "Etc/UTC")),
        _c("fs_write", path="log.txt", content=Ref(0)),
    ),
    _m(
        "calc-save",
        "calculate 19*23 and save it to result.txt",
        _c("calculator", expression=Evaluates(437)),
        _c("fs_write", path="result.txt", content=Ref(0)),
    ),
    # versions
    _m(
        "last-3-versions",
        "show me the last 3 versions of plan.md",
        _c("fs_history", path="plan.md"),
        note="built-in: history plan.md",
    ),
    _m(
        "when-changed",
        "when did i last change plan.md",
        _c("fs_history", path="plan.md"),
        note="built-in: history plan.md",
    ),
    _m(
        "since-yesterday",
        "what changed in budget.txt since yesterday",
        _c("fs_history", path="budget.txt"),
        note="built-in: diff budget.txt / history budget.txt",
    ),
    _m(
        "back-two",
        "go back two versions on plan.md",
        _c("fs_rollback", path="plan.md", n=2),
        note="built-in: rollback plan.md 2",
    ),
    _m(
        "restore-ago",
        "restore budget.txt to how it was 2 versions ago",
        _c("fs_rollback", path="budget.txt", n=2),
        note="built-in: rollback budget.txt 2",
    ),
    # folders
    _m(
        "how-many-files",
        "how many files do i have in notes",
        _c("fs_ls", path="notes"),
        note="built-in: ls notes",
    ),
    _m(
        "is-there",
        "is there a file called plan.md",
        _c("fs_ls", path=""),
        also=((_c("fs_read", path="plan.md"),), (_c("fs_history", path="plan.md"),)),
    ),
    _m(
        "list-two",
        "list archive and tmp",
        _c("fs_ls", path="archive"),
        _c("fs_ls", path="tmp"),
        note="built-in: ls, twice",
    ),
    # programs
    _m(
        "echo",
        "echo hello world",
        _c("shell", program="echo", args=OneOf(["hello", "world"], ["hello world"])),
        note="built-in: !echo hello world",
    ),
    _m(
        "seq",
        "count from 1 to 10 with seq",
        _c("shell", program="seq", args=OneOf(["1", "10"], ["10"])),
    ),
    _m("expr", "use expr to add 3 and 4", _c("shell", program="expr", args=["3", "+", "4"])),
    # the web (http_get: off by default, enabled by the benchmark's daemon)
    _m(
        "fetch",
        "fetch https://example.com",
        _c("http_get", url=OneOf("https://example.com", "https://example.com/")),
        needs=("http_get",),
    ),
    _m(
        "get-page",
        "get me the page at http://example.org/about",
        _c("http_get", url="http://example.org/about"),
        needs=("http_get",),
    ),
]

CASES = [*FAST, *MODEL]
