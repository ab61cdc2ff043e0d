"""Consent: a plugin's first run waits for a person (WAITING on "approval", none of
its code run); denied or unanswered, it FAILED and nothing of it ran; approved, the
decision is remembered in the database per version; a new version asking for no
more runs at once, one asking for more asks again; builtins never ask."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aios.agents.consent import consent_book
from aios.kernel import ADMIN, Kernel, ProcessState
from tests.test_agents_manifest import pending, plugin_kernel, write_plugin

MARKED = """
from pathlib import Path
from aios.agents.sdk import Agent

Path(__file__).with_name("imported").write_text("yes")  # proof its module ran

class Marked(Agent):
    async def run(self, task, ctx):
        return "ran"
"""


def marked(tmp_path: Path, version: str = "0.1.0", tools: str = '["calculator"]') -> Path:
    manifest = (
        f'name = "marked"\nversion = "{version}"\ndescription = "leaves a mark"\n'
        f'entry = "marked:Marked"\n[capabilities]\ntools = {tools}\nllm_token_budget = 100\n'
    )
    return write_plugin(tmp_path / "plugins", "marked", manifest, {"marked.py": MARKED})


async def consent_of(k: Kernel, name: str = "marked") -> str:
    info = await k.syscall(ADMIN, "agent.info", {"name": name})
    return info.consent  # type: ignore[attr-defined,no-any-return]


async def test_first_run_waits_for_a_person_then_is_remembered(tmp_path: Path) -> None:
    folder = marked(tmp_path)
    async with plugin_kernel(tmp_path) as k:
        assert await consent_of(k) == "required"
        proc = await k.spawn("marked", "t")
        (item,) = await pending(k)
        assert proc.state == ProcessState.WAITING and proc.waiting_on == "approval"
        assert item.syscall == "agent.consent" and item.pid == proc.pid
        assert item.summary == "first run of plugin marked 0.1.0"
        caps = item.args["capabilities"]
        assert caps["tools"] == ["calculator"] and caps["llm_tokens"] == 100
        assert caps["fs_read"] == ["~"]  # as the person reads it: its own home
        assert not (folder / "imported").exists()  # none of its code has run
        await k.syscall(ADMIN, "approval.respond", {"id": item.id, "decision": "approve"})
        info = await k.wait(proc.pid, 10)
        assert info.state == ProcessState.EXITED and info.result == "ran"
        assert await consent_of(k) == "approved"
        again = await k.spawn("marked", "t")  # remembered: no question
        assert (await k.wait(again.pid, 10)).result == "ran"
        assert len(k.approvals.list()) == 1
        # builtins never ask
        chat = await k.spawn("chat", "hi")
        assert (await k.wait(chat.pid, 10)).state == ProcessState.EXITED
        assert len(k.approvals.list()) == 1


async def test_denied_consent_fails_and_nothing_ran(tmp_path: Path) -> None:
    folder = marked(tmp_path)
    async with plugin_kernel(tmp_path) as k:
        proc = await k.spawn("marked", "t")
        (item,) = await pending(k)
        await k.syscall(
            ADMIN, "approval.respond", {"id": item.id, "decision": "deny", "note": "no"}
        )
        info = await k.wait(proc.pid, 10)
        assert await consent_of(k) == "denied"
        retry = await k.spawn("marked", "t")  # a denial is remembered, and asks again
        (item2,) = await pending(k)
        assert item2.pid == retry.pid
        k.kill(retry.pid)
    assert info.state == ProcessState.FAILED
    assert "consent to run plugin marked 0.1.0 was denied" in (info.error or "")
    assert "none of its code ran" in (info.error or "")
    assert not (folder / "imported").exists()
    rows = consent_book(k).decisions("marked")
    assert [r.decision for r in rows] == ["denied"]


async def test_unanswered_consent_times_out(tmp_path: Path) -> None:
    folder = marked(tmp_path)
    async with plugin_kernel(tmp_path, approvals={"timeout_s": 0.2}) as k:
        proc = await k.spawn("marked", "t")
        info = await k.wait(proc.pid, 10)
        assert await consent_of(k) == "required"  # no decision recorded
    assert info.state == ProcessState.FAILED
    assert "was not answered in time" in (info.error or "")
    assert not (folder / "imported").exists()


async def test_a_new_version_asks_again_only_for_more(tmp_path: Path) -> None:
    marked(tmp_path, "0.1.0", '["calculator", "current_time"]')
    async with plugin_kernel(tmp_path) as k:
        proc = await k.spawn("marked", "t")
        (item,) = await pending(k)
        k.approvals.respond(item.id, "approve", by="alice")
        assert (await k.wait(proc.pid, 10)).state == ProcessState.EXITED
    # a new daemon (the decision is in the database), a version that asks for less
    marked(tmp_path, "0.2.0", '["calculator"]')
    async with plugin_kernel(tmp_path) as k:
        info = await k.syscall(ADMIN, "agent.info", {"name": "marked"})
        assert info.consent == "approved" and info.approved_version == "0.1.0"  # type: ignore[attr-defined]
        proc = await k.spawn("marked", "t")
        assert (await k.wait(proc.pid, 10)).result == "ran"
        assert k.approvals.list() == []
    # a version that asks for more asks again, and says what is new
    marked(tmp_path, "0.3.0", '["calculator", "shell"]')
    async with plugin_kernel(tmp_path) as k:
        assert await consent_of(k) == "required"
        proc = await k.spawn("marked", "t")
        (item,) = await pending(k)
        assert item.args["new"] == ["tools:shell"] and item.args["approved_before"] == "0.1.0"
        assert "asks for more than version 0.1.0" in item.summary
        k.approvals.respond(item.id, "approve", by="bob")
        assert (await k.wait(proc.pid, 10)).result == "ran"
    rows = consent_book(k).decisions("marked")
    assert [(r.version, r.decided_by) for r in rows] == [("0.3.0", "bob"), ("0.1.0", "alice")]


async def test_first_runs_at_once_are_answered_by_one_approval(tmp_path: Path) -> None:
    marked(tmp_path)
    async with plugin_kernel(tmp_path) as k:
        a = await k.spawn("marked", "t")
        b = await k.spawn("marked", "t")
        first, _ = sorted(await pending(k, 2), key=lambda x: x.id)
        k.approvals.respond(first.id, "approve", by="test")
        ra, rb = await k.wait(a.pid, 10), await k.wait(b.pid, 10)
        states = [x.state for x in k.approvals.list()]
    assert ra.result == rb.result == "ran"
    assert states == ["approved", "approved"]


async def test_killed_while_asking_runs_nothing(tmp_path: Path) -> None:
    folder = marked(tmp_path)
    async with plugin_kernel(tmp_path) as k:
        proc = await k.spawn("marked", "t")
        (item,) = await pending(k)
        k.kill(proc.pid)
        info = await k.wait(proc.pid, 10)
        async with asyncio.timeout(5):  # its task unwinds a moment after the kill
            while k.approvals.get(item.id).state != "cancelled":
                await asyncio.sleep(0.01)
        assert await consent_of(k) == "required"
    assert info.state == ProcessState.KILLED
    assert not (folder / "imported").exists()
