"""The one confinement mechanism for programs aios runs (see client.py, confine.py)."""

from aios.kernel.sandbox.client import ConfinedProcess, Exit, Sandbox, SandboxStatus

__all__ = ["ConfinedProcess", "Exit", "Sandbox", "SandboxStatus"]
