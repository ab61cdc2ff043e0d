"""Races between the daemon's loop and the sandbox broker: a program that ends before
the daemon has finished setting up its side is still reported."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from aios.kernel.sandbox import client as sandbox_client
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
    real_reader = sandbox_client.reader

    async def slow_reader(fd: int) -> Any:
        await asyncio.sleep(0.5)  # the broker runs `true` to its end meanwhile
        return await real_reader(fd)

    monkeypatch.setattr(sandbox_client, "reader", slow_reader)
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
