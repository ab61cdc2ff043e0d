"""Agents: processes' code, and the context through which they reach the kernel.

The names below load on first use, so ``aios.agents.sdk``, ``aios.agents.surface``
and ``aios.agents.client`` import without the kernel (isolated agents import them
in a sandbox of 512 MB).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aios.agents.context import ProcessContext, SyncProcessContext
    from aios.agents.registry import AgentRegistry

__all__ = ["AgentRegistry", "ProcessContext", "SyncProcessContext"]

_WHERE = {
    "AgentRegistry": "aios.agents.registry",
    "ProcessContext": "aios.agents.context",
    "SyncProcessContext": "aios.agents.context",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'aios.agents' has no attribute {name!r}")
