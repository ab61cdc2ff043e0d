"""Tools shipped with aios."""

from __future__ import annotations

from aios.config import ToolsConfig
from aios.kernel.sandbox import Sandbox
from aios.tools.builtin.calculator import calculator
from aios.tools.builtin.clock import current_time
from aios.tools.builtin.http import make_http_get
from aios.tools.builtin.shell import make_shell
from aios.tools.registry import ToolRegistry
from aios.tools.risk import READ_ONLY, Risk

__all__ = ["register_builtin_tools"]


def register_builtin_tools(registry: ToolRegistry, cfg: ToolsConfig, sandbox: Sandbox) -> None:
    registry.register(calculator, risk=READ_ONLY)
    registry.register(current_time, risk=READ_ONLY)
    if cfg.shell.enabled:  # its programs may write (in their own sandbox folder only)
        registry.register(
            make_shell(cfg.shell, sandbox),
            timeout_s=cfg.shell.timeout_s + 5,
            risk=Risk(destructive=True, host=True),
        )
    if cfg.http_get.enabled:
        registry.register(
            make_http_get(cfg.http_get),
            retryable=True,
            timeout_s=cfg.http_get.timeout_s + 5,
            risk=Risk(read_only=True, open_world=True, host=True),
        )
