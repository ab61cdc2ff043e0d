"""The audit row keeps a bounded copy of the arguments, made in O(bound): a 25 MB
argument is never serialised whole on the event loop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from aios.errors import AiosError
from aios.kernel import ADMIN, Kernel
from aios.kernel.audit import audit_args
from tests.conftest import make_config
from tests.fakes import FakeCore

BIG = 25 * 1024 * 1024


class _Write(BaseModel):
    path: str
    content: bytes
    text: str = ""
    mode: str = "w"


def _json_len(value: Any) -> int:
    return len(json.dumps(value))


def test_a_25_mb_argument_is_bounded_without_serialising_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the whole argument was serialised")

    args = _Write(path="a.bin", content=b"\0" * BIG, text="t" * BIG)
    monkeypatch.setattr(json, "dumps", refuse)
    monkeypatch.setattr(BaseModel, "model_dump", refuse)
    monkeypatch.setattr(BaseModel, "model_dump_json", refuse)
    kept = audit_args(args)
    monkeypatch.undo()
    assert kept["path"] == "a.bin" and kept["content"] == f"<{BIG} bytes>"
    assert kept["text"].startswith("ttt") and kept["text"].endswith(f"(+{BIG - 500} chars)")
    assert "mode" not in kept  # defaults are left out, as before
    assert _json_len(kept) < 2_500


def test_wide_deep_and_odd_arguments_stay_bounded() -> None:
    class Odd:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    wide = {f"k{i}": ["v" * 100] * 1000 for i in range(1000)}
    deep: list[Any] = []
    cur = deep
    for _ in range(100_000):
        cur.append([])
        cur = cur[0]
    for value in (wide, deep, {"n": 10**10_000, "odd": [1.5, None, True]}):
        assert _json_len(audit_args(value)) < 2_500
    assert audit_args({"odd": Odd()})["odd"].startswith("<Odd instance")  # its repr failed
    assert audit_args({"a": 1, "b": [1, 2]}) == {"a": 1, "b": [1, 2]}  # small: kept whole


async def test_the_audit_row_of_a_25_mb_call_is_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_config(
        tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]}, fs={"enabled": False}
    )
    serialised: list[int] = []
    dumps = json.dumps

    def measured(*a: Any, **k: Any) -> str:
        out = dumps(*a, **k)
        serialised.append(len(out))
        return out

    async with Kernel(cfg, cores=[FakeCore()]) as k:
        monkeypatch.setattr(json, "dumps", measured)
        with pytest.raises(AiosError):
            await k.syscall(ADMIN, "tool.call", {"name": "nope", "args": {"blob": "x" * BIG}})
        monkeypatch.undo()
        row = k.store.list_syscalls(name="tool.call")[-1]
    assert row.args["name"] == "nope" and len(row.args["args"]["blob"]) < 600
    assert _json_len(row.args) < 2_500
    assert max(serialised, default=0) < 100_000  # nothing near 25 MB went through json


async def test_calls_refused_while_the_store_is_behind_add_no_rows(tmp_path: Path) -> None:
    """A refusal for overload is counted in the metrics but writes no row: its row
    would grow the backlog that caused it."""
    import sqlite3
    import time

    from aios.errors import NotFound, Unavailable
    from aios.kernel.syscalls import Call

    cfg = make_config(
        tmp_path, llm={"cores": [{"kind": "llamacpp", "model": "fake"}]}, fs={"enabled": False}
    )
    async with Kernel(cfg, cores=[FakeCore()]) as k:
        locker = sqlite3.connect(k.store.engine.url.database, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # nothing is written meanwhile
        try:
            k.store.writer.max_backlog = 5
            for _ in range(5):
                k.audit.syscall(Call(ADMIN, "proc.get", None, time.time()), "ok", None)
            assert k.store.overloaded and k.store.backlog == 5
            for _ in range(100):
                err = Unavailable("the database is behind", retry_after_s=1)
                k.audit.syscall(Call(ADMIN, "proc.get", None, time.time()), "error", err)
            k.audit.syscall(Call(ADMIN, "proc.get", None, time.time()), "error", NotFound("x"))
            assert k.store.backlog == 6  # only the other error was kept
            assert k.metrics.syscalls[("proc.get", "error")] == 101
        finally:
            locker.execute("COMMIT")
            locker.close()
