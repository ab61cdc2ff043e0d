"""The aios kernel: processes, syscalls, scheduling, LLM cores."""

from aios.kernel.caps import ADMIN, Caller, Capabilities
from aios.kernel.kernel import Kernel
from aios.kernel.process import ProcessInfo, ProcessState

__all__ = ["ADMIN", "Caller", "Capabilities", "Kernel", "ProcessInfo", "ProcessState"]
