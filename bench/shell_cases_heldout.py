"""30 more model-path requests for the shell benchmark, over the same files: a check
that a planner change helps requests it was not made for.

Written before the planner changes measured with them (docs/SHELL.md), and never
used to pick a value; their outcomes were read, as the main cases' are. Run them
with ``SHELL_BENCH_CASES=bench.shell_cases_heldout SHELL_BENCH_NAME=shell_heldout
make bench B=shell``.
"""

from __future__ import annotations

from bench.shell_cases import SEED, SEED_VERSIONS, _c, _m, _search, _search_or_read
from bench.shell_score import Evaluates, Has, OneOf, Ref

__all__ = ["CASES", "SEED", "SEED_VERSIONS"]

CASES = [
    _m("h-erase", "erase groceries.txt", _c("fs_delete", path="groceries.txt")),
    _m("h-trash", "trash the file old.md", _c("fs_delete", path="old.md")),
    _m(
        "h-del-folder",
        "delete the drafts folder and all in it",
        _c("fs_delete", path="drafts", recursive=True),
    ),
    _m(
        "h-del-two",
        "remove draft.md and old.md",
        _c("fs_delete", path="draft.md"),
        _c("fs_delete", path="old.md"),
    ),
    _m(
        "h-mv",
        "move notes/owls.md to archive/owls.md",
        _c("fs_mv", src="notes/owls.md", dst="archive/owls.md"),
    ),
    _m(
        "h-rename",
        "rename scratch.txt as scratch-old.txt",
        _c("fs_mv", src="scratch.txt", dst="scratch-old.txt"),
    ),
    _m("h-time", "current time please", _c("current_time", timezone=OneOf("UTC", "Etc/UTC"))),
    _m("h-time-berlin", "what time is it in berlin", _c("current_time", timezone="Europe/Berlin")),
    _m("h-date-sydney", "todays date in sydney", _c("current_time", timezone="Australia/Sydney")),
    _m("h-calc", "what is 48 times 3", _c("calculator", expression=Evaluates(144))),
    _m("h-calc2", "calc 1000/8", _c("calculator", expression=Evaluates(125))),
    _m("h-pct", "20% of 150", _c("calculator", expression=Evaluates(30))),
    _m("h-avg", "average of 4, 8 and 12", _c("calculator", expression=Evaluates(8))),
    _m("h-sq", "square root of 196", _c("calculator", expression=Evaluates(14))),
    _m("h-read", "open budget.txt", _c("fs_read", path="budget.txt")),
    _m("h-explain", "explain what notes/offsite.md says", _c("fs_read", path="notes/offsite.md")),
    _m(
        "h-read2",
        "show notes/todo.md and notes/owls.md",
        _c("fs_read", path="notes/todo.md"),
        _c("fs_read", path="notes/owls.md"),
    ),
    _m(
        "h-search",
        "anything about owls?",
        *_search("owls"),
        also=_search_or_read(("owls",), "notes/owls.md"),
    ),
    _m(
        "h-search2",
        "look for the 2023 report",
        *_search("2023"),
        also=_search_or_read(("2023",), "archive/2023-report.md"),
    ),
    _m(
        "h-write",
        "make a file hello.txt with hello there",
        _c("fs_write", path="hello.txt", content=Has("hello there")),
    ),
    _m(
        "h-write2",
        "put 'pay rent' in chores.txt",
        _c("fs_write", path="chores.txt", content=Has("pay rent")),
    ),
    _m(
        "h-calc-save",
        "compute 7*8 and write it to out.txt",
        _c("calculator", expression=Evaluates(56)),
        _c("fs_write", path="out.txt", content=Ref(0)),
    ),
    _m("h-hist", "show the versions of budget.txt", _c("fs_history", path="budget.txt")),
    _m("h-undo", "undo the last change to draft.md", _c("fs_rollback", path="draft.md", n=1)),
    _m("h-undo3", "roll plan.md back 3 versions", _c("fs_rollback", path="plan.md", n=3)),
    _m("h-ls", "list the files in archive", _c("fs_ls", path="archive")),
    _m("h-ls2", "what files are in tmp", _c("fs_ls", path="tmp")),
    _m("h-echo", "run echo hi", _c("shell", program="echo", args=["hi"])),
    _m("h-date-prog", "run the date program", _c("shell", program="date", args=[])),
    _m("h-printf", "printf hello", _c("shell", program="printf", args=["hello"])),
]
