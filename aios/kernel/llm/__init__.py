"""LLM cores: in-process llama.cpp and remote OpenAI-compatible endpoints."""

from __future__ import annotations

from aios.config import LlamaCppCoreConfig, LLMConfig
from aios.kernel.llm.core import Core, CoreWorker
from aios.kernel.llm.llamacpp import LlamaCppCore
from aios.kernel.llm.remote import OpenAICore
from aios.kernel.llm.request import GenParams, LLMRequest, LLMResult

__all__ = [
    "Core",
    "CoreWorker",
    "GenParams",
    "LLMRequest",
    "LLMResult",
    "LlamaCppCore",
    "OpenAICore",
    "build_cores",
]


def build_cores(cfg: LLMConfig) -> list[Core]:
    """One core object per configured core (not loaded yet)."""
    return [
        LlamaCppCore(c) if isinstance(c, LlamaCppCoreConfig) else OpenAICore(c) for c in cfg.cores
    ]
