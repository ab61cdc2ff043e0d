"""The kernel's health: what anyone may read, so no file paths (they are the server's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel

__all__ = ["health"]


def health(k: Kernel) -> dict[str, Any]:
    from aios import __version__

    status = "ok" if k._accepting else "stopping"
    if status == "ok" and k.store.overloaded:
        status = "degraded"
    return {
        "status": status,
        "version": __version__,
        "models": sorted(k.models),
        "cores": [{n: v for n, v in c.info().items() if n != "path"} for c in k.cores],
        "policy": k.scheduler.policy,
        "processes_running": len(k.procs.running()),
        "approvals_pending": k.approvals.pending(),
        "sandbox": k.sandbox.status().to_dict(),
        "store": k.store.status(),
        "mcp": [
            {"name": s["name"], "state": s["state"], "tools": len(s["tools"])}
            for s in k.mcp.status()
        ],
    }
