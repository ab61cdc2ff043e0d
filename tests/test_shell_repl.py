"""The interactive shell (aios/shell/repl.py, rich_out.py): its pieces on their own
(completion, rich output, the approval question and plan editing), then the real
``aios shell`` driven in a pseudo-terminal against a real daemon and the bundled
model. Model-dependent checks hold to contracts (a numbered plan shown, whether the
question was asked, files changed or not), never to the model's wording."""

from __future__ import annotations

import asyncio
import io
import re
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from aios.config import load_config
from aios.errors import Unavailable
from aios.shell.repl import ShellCompleter, TerminalAsker
from aios.shell.rich_out import RichOut, make_console
from aios.shell.session import ShellSession
from tests.daemon_helpers import Daemon
from tests.daemon_helpers import result as _sys

EDITED_PLAN = '1. fs_write(path="edited.md", content="from the edit")\njoin()\n'


def _editor(tmp_path: Path, plan: str | None = EDITED_PLAN, status: int = 0) -> str:
    """An ``$EDITOR`` that keeps what it was given beside it and writes ``plan``."""
    script = tmp_path / "editor.py"
    seen = tmp_path / "editor-saw.txt"
    script.write_text(
        "import pathlib, sys\n"
        "p = pathlib.Path(sys.argv[1])\n"
        f"pathlib.Path({str(seen)!r}).write_text(p.read_text())\n"
        f"plan = {plan!r}\n"
        "if plan is not None:\n"
        "    p.write_text(plan)\n"
        f"sys.exit({status})\n"
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


# ---- completion ------------------------------------------------------------------------


class _Daemonish:
    """Answers ``fs.ls`` and ``agent.list`` like the daemon, counting calls; ``delay``
    makes it slow."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((name, dict(args)))
        await asyncio.sleep(self.delay)
        if name == "agent.list":
            return {"agents": [{"name": "chat"}, {"name": "sleep"}, {"name": "bad\x1bname"}]}
        folder = args["path"]
        if folder == "":
            return {"entries": [{"path": "notes", "kind": "dir"}, {"path": "top.md"}]}
        if folder == "notes":
            return {"entries": [{"path": "notes/a.md"}, {"path": "notes/b md.txt"},
                                {"path": "notes/deep", "kind": "dir"}]}  # fmt: skip
        raise Unavailable("no such folder")


async def _complete(c: ShellCompleter, text: str) -> list[str]:
    doc = Document(text, len(text))
    return [x.text async for x in c.get_completions_async(doc, CompleteEvent())]


async def test_completes_builtins_then_paths_then_agents() -> None:
    c = ShellCompleter(_Daemonish())
    assert await _complete(c, "hi") == ["history"]
    assert "rollback" in await _complete(c, "") and "!" not in await _complete(c, "")
    assert await _complete(c, "help ro") == ["rollback"]
    assert await _complete(c, "cat ") == ["notes/", "top.md"]
    assert await _complete(c, "cat notes/") == ["notes/a.md", "'notes/b md.txt'", "notes/deep/"]
    assert await _complete(c, "ls notes/d") == ["notes/deep/"]
    assert await _complete(c, "rollback notes/a") == ["notes/a.md"]
    assert await _complete(c, "run ") == ["chat", "sleep"]  # the unsafe name is left out
    assert await _complete(c, "run s") == ["sleep"]
    assert await _complete(c, "summarize notes/a") == ["notes/a.md"]  # a path in a request
    assert await _complete(c, "summarize my notes") == []
    assert await _complete(c, "!ls notes/") == []


async def test_completion_caches_per_folder_and_survives_errors() -> None:
    now = [100.0]
    d = _Daemonish()
    c = ShellCompleter(d, ttl=5.0, clock=lambda: now[0])
    await _complete(c, "cat notes/")
    await _complete(c, "cat notes/a")
    await _complete(c, "cat ")
    assert [a["path"] for _, a in d.calls] == ["notes", ""]
    now[0] += 6
    await _complete(c, "cat notes/")
    assert len(d.calls) == 3  # stale: asked again
    assert await _complete(c, "cat nowhere/x") == []  # the daemon's error: no completions


async def test_a_slow_daemon_does_not_hold_up_completion() -> None:
    c = ShellCompleter(_Daemonish(delay=5.0), timeout=0.2)
    t0 = time.monotonic()
    assert await _complete(c, "cat notes/") == []
    assert time.monotonic() - t0 < 1.0
    t0 = time.monotonic()
    assert await _complete(c, "cat notes/a") == []  # the timeout is remembered a while
    assert time.monotonic() - t0 < 0.1


# ---- rich output ---------------------------------------------------------------------


def _out(**kw: Any) -> tuple[RichOut, io.StringIO]:
    buf = io.StringIO()
    kw.setdefault("width", 100)
    return RichOut(make_console(file=buf, **kw)), buf


def test_rich_tables_show_cells_literally() -> None:
    out, buf = _out()
    out.table(["PID", "NAME"], [["1", "[bold red]x[/bold red]"], ["22", ":smile: y"]])
    text = buf.getvalue()
    assert "[bold red]x[/bold red]" in text and ":smile:" in text
    assert re.search(r"PID\s+NAME", text) and re.search(r"22\s+:smile: y", text)
    out.table(["A", "B"], [])
    assert "(none)" in buf.getvalue()


def test_rich_tokens_stream_and_are_made_safe() -> None:
    out, buf = _out()
    out.token("hel")
    assert buf.getvalue() == "hel"  # shown as it arrives
    out.token("lo\x1b[2J\nnext\tline")
    out.end_tokens()
    out.line("[done]")
    assert buf.getvalue() == "hello\\u001b[2J\nnext    line\n[done]\n"


def test_rich_plan_progress_on_a_plain_console() -> None:
    out, buf = _out()
    out.step({"id": 1, "tool": "fs_read", "status": "running", "seconds": None, "error": None})
    out.step({"id": 1, "tool": "fs_read", "status": "ok", "seconds": 0.25, "error": None})
    out.step({"id": 2, "tool": "fs_write", "status": "failed", "seconds": 1.0, "error": "\x1b]x"})
    lines = buf.getvalue().splitlines()
    assert lines[0].split() == ["[1]", "fs_read", "running"]
    assert lines[1].split()[:3] == ["[1]", "fs_read", "ok"]
    assert "failed" in lines[2] and "\x1b" not in lines[2]


def test_rich_live_line_on_a_terminal_ends_with_the_step_lines() -> None:
    out, buf = _out(force_terminal=True, force_interactive=True)
    assert out.live_capable
    out.step({"id": 1, "tool": "fs_read", "status": "running", "seconds": None, "error": None})
    out.step({"id": 2, "tool": "fs_ls", "status": "running", "seconds": None, "error": None})
    time.sleep(0.3)  # the live line redraws on its own
    out.step({"id": 1, "tool": "fs_read", "status": "ok", "seconds": 0.1, "error": None})
    out.token("answer")  # tokens take the live line down first
    out.finish()
    assert out._live is None
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())
    assert "running" in text and "[1] fs_read ok" in text and "answer" in text


def test_rich_respects_no_color_and_dumb_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out, buf = _out(force_terminal=True)
    out.table(["A"], [["b"]])
    assert not re.search(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-9])[;m]", buf.getvalue())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    out, buf = _out(force_terminal=True)
    assert not out.live_capable
    out.step({"id": 1, "tool": "t", "status": "running", "seconds": None, "error": None})
    out.line("plain")
    assert "\x1b" not in buf.getvalue()


def test_rich_output_waits_while_a_prompt_is_up() -> None:
    out, buf = _out()
    out.line("before")
    with out.holding():
        out.step({"id": 1, "tool": "fs_write", "status": "ok", "seconds": 0.1, "error": None})
        out.token("tok")
        out.notice("the question's own line")
        assert buf.getvalue() == "before\nthe question's own line\n"
    assert buf.getvalue().splitlines()[2:] == ["  [1] fs_write ok (0.1 s)", "tok"]
    with out.holding():
        out.line("held at the end of a line")
        out.finish()  # a cancelled line: what was held is shown, not lost
    assert buf.getvalue().endswith("tok\nheld at the end of a line\n")
    out.line("after")
    assert buf.getvalue().endswith("line\nafter\n")


# ---- the approval question and editing --------------------------------------------------


async def _ask(keys: str, **kw: Any) -> tuple[str, list[str]]:
    said: list[str] = []
    with create_pipe_input() as inp:
        inp.send_text(keys)
        asker = TerminalAsker(say=said.append, input=inp, output=DummyOutput(), **kw)
        answer = await asyncio.wait_for(asker.choose(["step 1 deletes"]), 10)
    return answer, said


@pytest.mark.parametrize(
    ("keys", "answer"),
    [("y\r", "yes"), ("YES\r", "yes"), ("n\r", "no"), ("e\r", "edit"), ("Edit\r", "edit"),
     ("x\r", "explain"), (" explain \r", "explain"), ("\x03", "no"), ("\x04", "no")],
)  # fmt: skip
async def test_the_question_takes_a_key_or_a_word(keys: str, answer: str) -> None:
    assert (await _ask(keys))[0] == answer


async def test_the_question_asks_again_on_anything_else() -> None:
    answer, said = await _ask("maybe\r\rok\rx\r")
    assert answer == "explain" and len(said) == 3


async def test_edit_runs_the_editor_on_the_text(tmp_path: Path) -> None:
    asker = TerminalAsker(say=print, env={"EDITOR": _editor(tmp_path)})
    assert await asker.edit('1. fs_read(path="a.md")\njoin()\n') == EDITED_PLAN
    assert (tmp_path / "editor-saw.txt").read_text().startswith("1. fs_read")
    assert not asker.editing
    said: list[str] = []
    env = {"VISUAL": _editor(tmp_path, status=3), "EDITOR": "nano"}
    assert await TerminalAsker(say=said.append, env=env).edit("x") is None  # VISUAL first
    assert "status 3" in said[-1]
    assert await TerminalAsker(say=print, env={"EDITOR": _editor(tmp_path, "")}).edit("x") is None
    assert await TerminalAsker(say=print, env={"EDITOR": _editor(tmp_path, None)}).edit("x") is None
    env = {"EDITOR": str(tmp_path / "no-such-editor")}
    assert await TerminalAsker(say=said.append, env=env).edit("x") is None
    assert "cannot run the editor" in said[-1]


async def test_edit_without_an_editor_is_a_prefilled_prompt() -> None:
    said: list[str] = []
    with create_pipe_input() as inp:
        asker = TerminalAsker(say=said.append, input=inp, output=DummyOutput(), env={})
        inp.send_text("\x1b\r")  # Esc Enter: accept the text as it is
        assert await asyncio.wait_for(asker.edit("1. a()\njoin()"), 10) is None  # unchanged
        inp.send_text("\x1b>\x08\x08\x08\x08\x08\x08x()\x1b\r")  # end, delete join(), type
        assert await asyncio.wait_for(asker.edit("1. a()\njoin()"), 10) == "1. a()\nx()"
        inp.send_text("\x03")
        assert await asyncio.wait_for(asker.edit("1. a()"), 10) is None
    assert said and "Esc" in said[0]


# ---- the real shell in a pseudo-terminal, on a real daemon ------------------------------

PROMPT = "aios> "
ASK = "[y]es / [n]o / [e]dit / e[x]plain? "
_STEP = re.compile(r"^\s+(\d+)\. ([\w.]+)\((.*)\)(?: \[([^\]]*)\])?\s*$", re.M)
_RAN = re.compile(r"\[\d+\] [\w.]+ (ok|failed)[^\r\n]*")  # a step's outcome


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("repl") / "data").start(timeout=120)
    yield d
    assert d.stop() == 0, d.output()


def _text(d: Daemon, path: str) -> str:
    return str(_sys(d, "fs.read", path=path)["text"])


class Shell:
    """``aios shell`` in a pty: a dumb terminal, so what it shows is plain text."""

    def __init__(self, d: Daemon, tmp_path: Path, *args: str) -> None:
        env = {k: v for k, v in d.env.items() if k not in ("VISUAL", "EDITOR", "NO_COLOR")}
        env.update(TERM="dumb", EDITOR=_editor(tmp_path))
        argv = ["-m", "aios", "shell", "--data-dir", str(d.data_dir), *args]
        self.p = pexpect.spawn(sys.executable, argv, env=env, encoding="utf-8",
                               dimensions=(50, 220), timeout=60)  # fmt: skip
        # a dumb terminal's prompt is written just before raw mode is on: give it time,
        # or a Ctrl-C or Ctrl-D sent at once reaches a cooked terminal
        self.p.delaybeforesend = 0.15
        self.seen = io.StringIO()  # all it showed, printed when a test fails
        self.p.logfile_read = self.seen
        self.banner = self.prompt()

    def send(self, line: str) -> None:
        self.p.send(line + "\r")

    def until(self, *patterns: str, timeout: float = 60) -> tuple[int, str]:
        """Which of ``patterns`` came first, and what was shown before it."""
        i = self.p.expect_exact(list(patterns), timeout=timeout)
        return i, str(self.p.before).replace("\r\n", "\n")

    def prompt(self, timeout: float = 60) -> str:
        return self.until(PROMPT, timeout=timeout)[1]

    def run(self, line: str, timeout: float = 60) -> str:
        self.send(line)
        return self.prompt(timeout)

    def leave(self) -> int | None:
        """Ctrl-D at the prompt; the exit status."""
        self.p.send("\x04")
        self.p.expect(pexpect.EOF, timeout=30)
        self.p.close()
        return self.p.exitstatus

    def __enter__(self) -> Shell:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            print(f"---- the shell showed:\n{self.seen.getvalue()}\n----")
        if self.p.isalive():
            self.p.terminate(force=True)


def _steps(shown: str) -> list[tuple[int, str, str]]:
    """The numbered plan steps shown: (number, tool, effect tags)."""
    return [(int(m[1]), m[2], m[4] or "") for m in _STEP.finditer(shown)]


@pytest.mark.model
def test_builtins_then_ctrl_d_exits_0(daemon: Daemon, tmp_path: Path) -> None:
    _sys(daemon, "fs.write", path="notes/a.md", content="alpha line\nbeta line\x1b[2J")
    with Shell(daemon, tmp_path) as sh:
        assert "session pid" in sh.banner and "help" in sh.banner
        assert "notes/" in sh.run("ls").split()
        assert "a.md" in sh.run("ls notes").split()
        out = sh.run("cat notes/a.md")
        assert "alpha line" in out and "\\u001b[2J" in out and "\x1b" not in out
        out = sh.run("ps")
        assert re.search(r"PID\s+STATE\s+NAME", out) and "shell" in out
        out = sh.run("help")
        assert "rollback PATH N" in out and "find QUERY" in out
        assert "usage: cat PATH" in sh.run("cat")
        sh.send("cat \\")  # a trailing backslash goes on to the next line
        assert "alpha line" in sh.run("notes/a.md")
        sh.p.send("cat\x1b\r")  # so does Esc Enter
        assert "alpha line" in sh.run("notes/a.md")
        sh.p.send("he\x03")  # Ctrl-C at the prompt drops the line
        assert "\x1b" not in sh.prompt()
        assert "usage" not in sh.run("")
        assert sh.leave() == 0


@pytest.mark.model
def test_history_persists_across_runs(daemon: Daemon, tmp_path: Path) -> None:
    _sys(daemon, "fs.write", path="notes/h.md", content="remember me")
    with Shell(daemon, tmp_path) as sh:
        sh.run("cat notes/h.md")
        assert sh.leave() == 0
    assert "cat notes/h.md" in (daemon.data_dir / "shell_history").read_text()
    with Shell(daemon, tmp_path) as sh:
        sh.p.send("\x1b[A\r")  # Up, Enter: the last line typed in the run before
        assert "remember me" in sh.prompt()
        sh.send("exit")
        sh.p.expect(pexpect.EOF, timeout=30)
        sh.p.close()
        assert sh.p.exitstatus == 0


@pytest.mark.model
def test_rollback_asks_first_no_keeps_yes_restores(daemon: Daemon, tmp_path: Path) -> None:
    _sys(daemon, "fs.write", path="notes/r.md", content="old text")
    _sys(daemon, "fs.write", path="notes/r.md", content="new text")
    with Shell(daemon, tmp_path) as sh:
        sh.send("rollback notes/r.md 1")
        assert "needs approval" in sh.until(ASK)[1]
        assert "not run" in sh.run("n")
        assert _text(daemon, "notes/r.md") == "new text"
        sh.send("rollback notes/r.md 1")
        sh.until(ASK)
        sh.send("what")  # not an answer: asked again
        sh.until(ASK)
        assert "restored" in sh.run("Y")
        assert _text(daemon, "notes/r.md") == "old text"


@pytest.mark.model
async def test_completion_asks_the_daemon(daemon: Daemon) -> None:
    _sys(daemon, "fs.write", path="comp/one.md", content="1")
    cfg = load_config(data_dir=daemon.data_dir)
    async with await ShellSession.connect(cfg, start=False) as session:
        c = ShellCompleter(session.call)
        assert [x.text for x in await c.paths("comp/")] == ["comp/one.md"]
        assert "comp/" in await _complete(c, "ls co")
        assert "chat" in await _complete(c, "run ")


def _request(sh: Shell, line: str, timeout: float = 120) -> tuple[str, str]:
    """Send a request: what came first (``ask``: the question; ``ran``: a step's
    outcome; ``prompt``: the line ended), and what was shown before it and with it."""
    sh.send(line)
    return _next(sh, timeout)


def _next(sh: Shell, timeout: float = 60) -> tuple[str, str]:
    i = sh.p.expect([re.escape(ASK), re.escape(PROMPT), _RAN], timeout=timeout)
    shown = (str(sh.p.before) + (str(sh.p.after) if i == 2 else "")).replace("\r\n", "\n")
    return ("ask", "prompt", "ran")[i], shown


def _settle(sh: Shell, wait: float = 5) -> None:
    """Let a line that has run its steps end; one still writing its answer after
    ``wait`` seconds is cancelled (the answer is the model's business, not this test's)."""
    try:
        sh.prompt(timeout=wait)
    except pexpect.TIMEOUT:
        sh.p.send("\x03")
        sh.until("cancelled", timeout=30)
        sh.prompt(timeout=30)


@pytest.mark.model
def test_read_only_request_runs_without_asking(daemon: Daemon, tmp_path: Path) -> None:
    _sys(daemon, "fs.write", path="notes/owls.md", content="Barn owls hunt voles at night.")
    with Shell(daemon, tmp_path) as sh:
        what, shown = _request(sh, "read notes/owls.md and tell me what it says")
        assert "plan:" in shown, shown
        steps = _steps(shown)
        assert steps and [n for n, _, _ in steps] == list(range(1, len(steps) + 1)), shown
        if all(not tags for _, _, tags in steps):  # every shown step is read-only
            assert what == "ran" and "needs approval" not in shown, shown
            _settle(sh)
        elif what == "ask":
            assert "not run" in sh.run("n")
        else:
            _settle(sh)


@pytest.mark.model
def test_declined_destructive_request_changes_nothing(daemon: Daemon, tmp_path: Path) -> None:
    _sys(daemon, "fs.write", path="keep/report.md", content="keep me")
    before = _sys(daemon, "fs.history", path="keep/report.md")["versions"]
    with Shell(daemon, tmp_path, "--policy", "always") as sh:
        what, shown = _request(sh, "delete the file keep/report.md")
        assert "plan:" in shown, shown
        assert what == ("ask" if _steps(shown) else "prompt"), shown  # steps: it asks first
        if what == "ask":
            assert "needs approval" in shown
            assert "not run" in sh.run("n")
        assert _text(daemon, "keep/report.md") == "keep me"
        assert _sys(daemon, "fs.history", path="keep/report.md")["versions"] == before
        assert not _sys(daemon, "approval.list", state="pending")["approvals"]


@pytest.mark.model
def test_edit_before_running_then_confirm(daemon: Daemon, tmp_path: Path) -> None:
    _sys(daemon, "fs.write", path="notes/e.md", content="to be kept")
    with Shell(daemon, tmp_path, "--policy", "always") as sh:
        what, shown = _request(sh, "delete the file notes/e.md")
        assert what == "ask", f"the model wrote no plan to edit: {shown}"
        sh.send("e")  # $EDITOR replaces the plan with EDITED_PLAN
        _, shown = sh.until(ASK, timeout=60)  # the edited plan is asked about again
        assert "edited plan:" in shown
        assert _steps(shown.split("edited plan:")[-1])[0][1] == "fs_write"
        sh.send("y")
        what, shown = _next(sh)
        assert what == "ran", f"the approved plan did not run as approved: {shown}"
        assert "[1] fs_write ok" in shown, shown
        _settle(sh)
        assert (tmp_path / "editor-saw.txt").read_text().strip()  # it was given the plan
        assert _text(daemon, "edited.md") == "from the edit"
        assert _text(daemon, "notes/e.md") == "to be kept"  # the plan as edited ran, only it


@pytest.mark.model
def test_ctrl_c_cancels_generation_and_the_shell_goes_on(daemon: Daemon, tmp_path: Path) -> None:
    request = "look through my notes and " + ", then ".join(
        f"summarize part {i} of them in a new file notes/part{i}.md" for i in range(40)
    )
    with Shell(daemon, tmp_path) as sh:
        sh.send(request)
        sh.until("plan:", timeout=60)
        time.sleep(0.3)  # the dry run is generating
        t0 = time.monotonic()
        sh.p.send("\x03")
        sh.until("cancelled", timeout=30)
        assert time.monotonic() - t0 < 10
        sh.prompt(timeout=10)
        t0 = time.monotonic()
        assert re.search(r"PID\s+STATE", sh.run("ps", timeout=15))
        assert time.monotonic() - t0 < 10
        assert sh.leave() == 0


@pytest.mark.model
def test_a_full_terminal_completes_paths_with_tab(daemon: Daemon) -> None:
    _sys(daemon, "fs.write", path="tabbed/only.md", content="found by tab")
    env = {**daemon.env, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    argv = ["-m", "aios", "shell", "--data-dir", str(daemon.data_dir)]
    p = pexpect.spawn(sys.executable, argv, env=env, encoding="utf-8", dimensions=(40, 120),
                      timeout=30)  # fmt: skip
    try:
        p.expect_exact("aios>")  # drawn by prompt_toolkit, cursor moves and all
        time.sleep(0.5)
        p.send("cat tab\t")  # -> tabbed/
        time.sleep(1.0)
        p.send("\t")  # -> tabbed/only.md
        time.sleep(1.0)
        p.send("\r")
        p.expect_exact("found by tab")
        time.sleep(0.5)
        p.send("\x04")
        p.expect(pexpect.EOF)
        p.close()
        assert p.exitstatus == 0
    finally:
        if p.isalive():
            p.terminate(force=True)
