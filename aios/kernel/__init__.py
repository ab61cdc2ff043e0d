"""The aios kernel: processes, syscalls, scheduling, LLM cores.

``Kernel`` (and with it llama.cpp and chromadb) loads on first use, so a submodule
such as ``aios.kernel.caps`` imports without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aios.kernel.caps import ADMIN, Caller, Capabilities
    from aios.kernel.kernel import Kernel
    from aios.kernel.process import ProcessInfo, ProcessState

__all__ = ["ADMIN", "Caller", "Capabilities", "Kernel", "ProcessInfo", "ProcessState"]

_WHERE = {
    "ADMIN": "aios.kernel.caps",
    "Caller": "aios.kernel.caps",
    "Capabilities": "aios.kernel.caps",
    "Kernel": "aios.kernel.kernel",
    "ProcessInfo": "aios.kernel.process",
    "ProcessState": "aios.kernel.process",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'aios.kernel' has no attribute {name!r}")
