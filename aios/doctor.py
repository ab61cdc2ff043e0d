"""``aios doctor``: can this machine run aios, and is the daemon well?

Each check runs here, without a daemon (the sandbox is probed with a broker of its
own), then the daemon's own health is read if one answers.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aios.config import Config, LlamaCppCoreConfig
from aios.errors import AiosError

__all__ = ["Check", "run_checks"]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _data_dir(cfg: Config) -> Check:
    path = cfg.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return Check("data dir", False, f"{path}: {exc.strerror}")
    return Check("data dir", True, str(path))


def _models(cfg: Config) -> list[Check]:
    from aios.kernel.llm.models import bundled_model_path, check_gguf

    out = []
    for core in cfg.llm.cores:
        if not isinstance(core, LlamaCppCoreConfig):
            out.append(Check(f"core {core.name}", True, f"remote: {core.base_url}"))
            continue
        try:
            path = check_gguf(core.model_path or bundled_model_path())
            out.append(Check(f"core {core.name}", True, f"llama.cpp, {path.name}"))
        except AiosError as exc:
            out.append(Check(f"core {core.name}", False, exc.message))
    if cfg.fs.enabled:
        from aios.fs.embed import bundled_embedding_path

        try:
            where = cfg.fs.embedding_path or bundled_embedding_path()
            out.append(Check("embeddings", True, str(Path(where).name)))
        except AiosError as exc:
            out.append(Check("embeddings", False, exc.message))
    return out


async def _sandbox(cfg: Config) -> Check:
    from aios.kernel.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="aios-doctor-") as tmp:
        sb = Sandbox(cfg.tools.sandbox, Path(tmp) / "sandbox")
        try:
            st = await sb.start()
        finally:
            await sb.close()
    if not st.confined:
        return Check("confinement", False, st.reason or "unavailable")
    return Check(
        "confinement",
        True,
        f"namespaces + Landlock ABI {st.landlock_abi}, programs run as {st.user} "
        f"(a confined program started and ended in {st.probe_ms} ms)",
    )


def _daemon(cfg: Config) -> tuple[Check, dict[str, Any] | None]:
    from aios.client import Client

    try:
        with Client.from_config(cfg) as client:
            health = client.health()
    except AiosError:
        return Check("daemon", True, "not running (start it with 'aios serve')"), None
    box = health.get("sandbox", {})
    ok = bool(box.get("confined"))
    detail = f"{client.base_url}: {health.get('status')}, models {health.get('models')}"
    detail += ", tools confined" if ok else f", tools NOT confined: {box.get('reason')}"
    return Check("daemon", ok, detail), health


def run_checks(cfg: Config) -> list[Check]:
    checks = [_data_dir(cfg), *_models(cfg), asyncio.run(_sandbox(cfg))]
    checks.append(_daemon(cfg)[0])
    if os.geteuid() == 0:
        checks.append(
            Check(
                "user",
                True,
                f"the daemon runs as root; confined programs run as uid {cfg.tools.sandbox.uid}",
            )
        )
    return checks
