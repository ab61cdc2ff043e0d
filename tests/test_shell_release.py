"""A shell line gives back what it was approved for when it ends, however it ends:
each approval it asked for is released (``approval.release``), so calls approved
with it that did not run may not run unasked later (a scripted session, no daemon)."""

from __future__ import annotations

import io
from typing import Any

from aios.errors import AiosError
from aios.shell.approve import Line
from aios.shell.flow import run_line
from aios.shell.out import PlainOut


class FakeSession:
    """What a line uses of a ShellSession, recording the syscalls it makes."""

    def __init__(self, fail_release: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_release = fail_release

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((name, args))
        if name == "approval.release" and self.fail_release:
            raise AiosError("the daemon went away")
        return {"id": args.get("id"), "released": 0}

    async def log(self, kind: str, **data: Any) -> None:
        return None

    async def pending(self) -> list[dict[str, Any]]:
        return []

    async def run_command(self, cmd: Any, out: Any) -> bool:
        raise AiosError("the command failed")


async def test_release_gives_back_every_approval_the_line_asked_for() -> None:
    s = FakeSession()
    line = Line(s, PlainOut(io.StringIO()), "destructive", False, None)  # type: ignore[arg-type]
    line.ours.update({7, 3})
    await line.release()
    assert s.calls == [("approval.release", {"id": 3}), ("approval.release", {"id": 7})]
    gone = FakeSession(fail_release=True)  # a daemon gone took its grants with it
    line = Line(gone, PlainOut(io.StringIO()), "destructive", False, None)  # type: ignore[arg-type]
    line.ours.add(1)
    await line.release()
    assert gone.calls == [("approval.release", {"id": 1})]


async def test_a_line_that_fails_still_releases(monkeypatch: Any) -> None:
    released: list[set[int]] = []

    async def record(self: Line) -> None:
        released.append(set(self.ours))

    monkeypatch.setattr(Line, "release", record)
    out = io.StringIO()
    code = await run_line(FakeSession(), "ps", out=PlainOut(out))  # type: ignore[arg-type]
    assert code == 1 and "the command failed" in out.getvalue()
    assert released == [set()]  # the line ended through its error, and released
