"""Fixtures for the example plugins' tests: the suite's own (a kernel on the real
bundled model, a fresh data directory per test), so ``pytest plugins/NAME`` works
alone as well as within ``make test``."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest plugins/x` from anywhere: tests/ is importable
    sys.path.insert(0, str(ROOT))

from tests.conftest import _clean_env, config, embedder, k, kernel  # noqa: E402

__all__ = ["_clean_env", "config", "embedder", "k", "kernel", "plugin_module"]


def load_module(plugin_folder: Path, module: str) -> ModuleType:
    """Import ``module`` from a plugin's folder under a private name (the daemon's
    discovery imports the plugin under its own)."""
    name = f"_plugin_test_{plugin_folder.name}_{module}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, plugin_folder / f"{module}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def plugin_module() -> Callable[[Path, str], ModuleType]:
    """``plugin_module(folder, "unit_tools")``: a module of a plugin, imported."""
    return load_module
