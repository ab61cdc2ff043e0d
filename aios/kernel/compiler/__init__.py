"""LLMCompiler: a grammar-constrained streaming planner, a validated DAG, a parallel
executor and a joiner that replans (after Kim et al., ICML 2024)."""

from aios.kernel.compiler.compiler import Compiler, Outcome
from aios.kernel.compiler.executor import Executor, TaskRun, TaskStatus, ToolPolicy
from aios.kernel.compiler.plan import Ref, Task, parse_line, parse_plan

__all__ = [
    "Compiler",
    "Executor",
    "Outcome",
    "Ref",
    "Task",
    "TaskRun",
    "TaskStatus",
    "ToolPolicy",
    "parse_line",
    "parse_plan",
]
