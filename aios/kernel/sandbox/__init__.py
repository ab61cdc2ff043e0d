"""The one confinement mechanism for programs aios runs (see client.py, confine.py)."""

from aios.kernel.sandbox.client import Sandbox
from aios.kernel.sandbox.process import ConfinedProcess, Exit, SandboxStatus, SandboxUnavailable

__all__ = ["ConfinedProcess", "Exit", "Sandbox", "SandboxStatus", "SandboxUnavailable"]
