"""``aios agents new NAME``: a plugin folder to start from, with a test that passes.

The folder holds the manifest (``aios-plugin.toml``), the agent (an ``Agent``
subclass) and ``tests/test_<module>.py``, which runs the agent in a real in-process
kernel on a stand-in LLM core (so ``pytest plugins/NAME`` needs no model) and
answers its consent question as a person would.
"""

from __future__ import annotations

import re
from pathlib import Path

from aios.errors import BadRequest, Conflict

__all__ = ["scaffold"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")

_MANIFEST = """\
name = "{name}"
version = "0.1.0"
description = "Answers a question in one sentence (edit me)"
entry = "{module}:{klass}"
isolated = false          # true: always run in its own confined OS process

# What it may do. The kernel enforces it, and a person approves it on its first run
# (and again when a new version asks for more).
[capabilities]
tools = []                # tool names it may call, e.g. ["calculator"]
fs_read = ["~"]           # LSFS folders it reads ("~": its own home folder)
fs_write = ["~"]          # LSFS folders it writes
max_priority = 0
llm_token_budget = 20000  # prompt+completion tokens over one run
approvals = []            # calls that need a person, e.g. ["tool:fs_mv"]
"""

_AGENT = '''\
"""{name}: an aios agent plugin.

``ctx`` is the agent's way into aios: ``ctx.llm.chat``, ``ctx.fs.read``/``write``,
``ctx.tools.call``, ``ctx.compile``, ``ctx.spawn``, ``ctx.approve``, ``ctx.log``;
each call is a syscall of this process, checked against aios-plugin.toml.
"""

from __future__ import annotations

from typing import Any

from aios.agents.sdk import Agent


class {klass}(Agent):
    """Answers its task in one sentence."""

    async def run(self, task: str, ctx: Any) -> Any:
        answer = await ctx.llm.chat(
            task, system="Answer in one short sentence.", max_tokens=128, temperature=0.0
        )
        return {{"task": task, "answer": answer.strip()}}
'''

_TEST = '''\
"""{name}, run as aios runs it: discovered from its folder, approved by a person on
its first run, spawned as a process in a real in-process kernel. The LLM is a
stand-in core (``EchoCore``) so the test needs no model; swap in your own checks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aios.config import load_config
from aios.kernel.kernel import Kernel
from aios.kernel.llm.core import Core
from aios.kernel.llm.request import LLMRequest, Outcome

PLUGIN = Path(__file__).resolve().parents[1]


class EchoCore(Core):
    """A stand-in LLM: answers "echo: <the last message>", one word per token."""

    name = "echo"
    model = "echo"

    def load(self) -> None:
        pass

    def close(self) -> None:
        pass

    def run(self, req: LLMRequest, should_yield: Any) -> Outcome:
        text = "echo: " + req.messages[-1]["content"]
        req.prompt_tokens = sum(len(m["content"].split()) for m in req.messages)
        for word in text.split()[: req.params.max_tokens]:
            req.completion_tokens += 1
            req.emit(word + " ")
        req.finish_reason = "stop"
        return Outcome.DONE


async def run_plugin(data_dir: Path, task: str) -> Any:
    cfg = load_config(
        data_dir=data_dir,
        llm={{"cores": [{{"kind": "llamacpp", "model": "echo"}}]}},
        fs={{"enabled": False}},
        agents={{"plugin_dirs": [str(PLUGIN)], "repo_plugins": False}},
    )
    async with Kernel(cfg, cores=[EchoCore()]) as k:
        proc = await k.spawn("{name}", task)
        # its first run asks a person to approve what aios-plugin.toml requests
        async with asyncio.timeout(30):
            while not (pending := k.approvals.list(state="pending")):
                await asyncio.sleep(0.01)
        (consent,) = pending
        assert consent.syscall == "agent.consent"
        assert consent.args["plugin"] == "{name}"
        k.approvals.respond(consent.id, "approve", by="test")
        return await k.wait(proc.pid, 60)


def test_{module}_answers(tmp_path: Path) -> None:
    info = asyncio.run(run_plugin(tmp_path, "What is aios?"))
    assert info.state == "EXITED", info.error
    assert info.result == {{"task": "What is aios?", "answer": "echo: What is aios?"}}
'''


def _class_name(name: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[-_]", name) if p) or "Plugin"


def scaffold(name: str, dest: Path) -> list[Path]:
    """Write a new plugin ``name`` into ``dest``; returns the files written."""
    if not _NAME.match(name):
        raise BadRequest(
            f"plugin name {name!r}: lower-case letters, digits, '-' and '_', starting with a letter"
        )
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise Conflict(f"{dest} already exists and is not empty: nothing was written")
    module = name.replace("-", "_")
    fields = {"name": name, "module": module, "klass": _class_name(name)}
    files = {
        dest / "aios-plugin.toml": _MANIFEST.format(**fields),
        dest / f"{module}.py": _AGENT.format(**fields),
        dest / "tests" / f"test_{module}.py": _TEST.format(**fields),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
