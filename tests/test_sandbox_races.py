"""Races between the daemon's loop and the sandbox broker: a program that ends before
the daemon has finished setting up its side is still reported."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from aios.kernel.sandbox import process as sandbox_pipes
from aios.kernel.sandbox.client import Sandbox
from tests.conftest import make_config


async def test_a_program_that_ends_while_its_pipes_are_set_up_is_seen_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found hanging Sandbox.start's probe under load: the broker's exit report came
    while the daemon was still connecting the program's pipes, before the program was
    registered, and was dropped. Slow pipe set-up makes the loss certain here."""
    sb = Sandbox(make_config(tmp_path).tools.sandbox, tmp_path / "sandbox")
    assert (await sb.start()).confined
    real_reader = sandbox_pipes.reader

    async def slow_reader(fd: int) -> Any:
        await asyncio.sleep(0.5)  # the broker runs `true` to its end meanwhile
        return await real_reader(fd)

    monkeypatch.setattr(sandbox_pipes, "reader", slow_reader)
    true = shutil.which("true")
    assert true is not None
    try:
        async with asyncio.timeout(20):
            results = await asyncio.gather(
                *(sb.run([true], owner=f"race{i}", timeout_s=10) for i in range(3))
            )
    finally:
        await sb.close()
    assert [r["exit_code"] for r in results] == [0, 0, 0]


async def test_a_spawn_cancelled_while_its_pipes_are_set_up_closes_each_fd_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen once in a full run (EBADF in a transport's close, then a folder left
    mounted): a cancel while the pipes were being connected closed a pipe by its
    number that a transport already owned; the transport later closed the number
    again, by then another file's."""
    sb = Sandbox(make_config(tmp_path).tools.sandbox, tmp_path / "sandbox")
    assert (await sb.start()).confined
    real_reader = sandbox_pipes.reader
    entered = asyncio.Event()

    async def reader_then_pause(fd: int) -> Any:
        made = await real_reader(fd)  # the transport owns the fd from here on
        entered.set()
        await asyncio.sleep(0.3)  # the cancel comes here
        return made

    monkeypatch.setattr(sandbox_pipes, "reader", reader_then_pause)
    true = shutil.which("true")
    assert true is not None
    try:
        task = asyncio.create_task(sb.run([true], owner="cancelled", timeout_s=10))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        others = [os.pipe() for _ in range(4)]  # they take the numbers just freed
        await asyncio.sleep(1.0)  # every transport of the given-up spawn has closed
        for r, w in others:
            os.fstat(r), os.fstat(w)  # EBADF if one was closed under them
            os.close(r), os.close(w)
        monkeypatch.setattr(sandbox_pipes, "reader", real_reader)
        assert (await sb.run([true], owner="after", timeout_s=10))["exit_code"] == 0
    finally:
        await sb.close()
