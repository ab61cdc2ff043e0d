"""Agents: processes' code, and the context through which they reach the kernel."""

from aios.agents.context import ProcessContext, SyncProcessContext
from aios.agents.registry import AgentRegistry

__all__ = ["AgentRegistry", "ProcessContext", "SyncProcessContext"]
