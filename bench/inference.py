"""inference: kernel-scheduled tokens/s and time to first token vs raw llama-cpp-python.

Same model, same threads, same prompts and chat template, greedy decoding,
alternating raw and kernel runs in one process. Goals: at least 95% of the raw
tokens/s, and at most 15 ms more time to first token.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

from aios.kernel import ADMIN, Kernel
from aios.kernel.llm.models import bundled_model_path
from bench.common import bench_config, record, report

PROMPTS = [
    "Write a long story about a lighthouse keeper.",
    "Explain how a steam engine works, in detail.",
    "Describe a walk through a busy market.",
    "Write a letter to a friend about your holidays.",
    "Explain the water cycle to a child.",
    "Tell the history of the bicycle.",
]
MAX_TOKENS = 128
N_CTX = 2048


def _raw_run(llm: Any, prompt: str) -> dict[str, float]:
    t0 = time.perf_counter()
    first = last = 0.0
    n = 0
    for chunk in llm.create_chat_completion(
        messages=[{"role": "user", "content": prompt}],
        max_tokens=MAX_TOKENS,
        temperature=0,
        stream=True,
    ):
        if chunk["choices"][0]["delta"].get("content"):
            last = time.perf_counter()
            first = first or last
            n += 1
    return {
        "ttft": first - t0,
        "tokens": n,
        "tps": n / (last - t0),
        "decode_tps": (n - 1) / (last - first),
    }


async def kernel_stream(k: Kernel, prompt: str) -> dict[str, float]:
    """One greedy chat streamed in process: tokens, tokens/s, time to first token."""
    t0 = time.perf_counter()
    first = last = 0.0
    n = 0
    async for ev in k.syscall_stream(
        ADMIN,
        "llm.chat",
        {
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": MAX_TOKENS,
            "temperature": 0,
        },
    ):
        if ev["type"] == "token":
            last = time.perf_counter()
            first = first or last
            n += 1
        else:
            n = ev["result"]["completion_tokens"]
    return {
        "ttft": first - t0,
        "tokens": n,
        "tps": n / (last - t0),
        "decode_tps": (n - 1) / (last - first),
    }


async def _run() -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    from llama_cpp import Llama

    threads = os.cpu_count() or 1
    raw = Llama(
        model_path=str(bundled_model_path()),
        n_ctx=N_CTX,
        n_threads=threads,
        n_threads_batch=threads,
        chat_format="chat_template.default",
        verbose=False,
    )
    cfg = bench_config(
        llm={"cores": [{"kind": "llamacpp", "n_ctx": N_CTX, "n_seq": 1, "n_threads": threads}]}
    )
    raws, kerns = [], []
    async with Kernel(cfg) as k:
        await kernel_stream(k, "warm up")
        _raw_run(raw, "warm up")
        for p in PROMPTS:  # alternate, so drift hits both sides alike
            raws.append(_raw_run(raw, p))
            kerns.append(await kernel_stream(k, p))
    raw.close()
    return raws, kerns


def main() -> None:
    raws, kerns = asyncio.run(_run())
    med = statistics.median
    tps_r, tps_k = med(r["tps"] for r in raws), med(r["tps"] for r in kerns)
    dec_r, dec_k = med(r["decode_tps"] for r in raws), med(r["decode_tps"] for r in kerns)
    ttft_r, ttft_k = med(r["ttft"] for r in raws), med(r["ttft"] for r in kerns)
    overhead_ms = (ttft_k - ttft_r) * 1000
    report(
        "inference",
        [
            record(
                "tokens/s end to end (median)",
                tps_k,
                tps_r,
                goal=">= 0.95x raw",
                met=tps_k >= 0.95 * tps_r,
                unit="tok/s",
            ),
            record(
                "decode tokens/s (median)",
                dec_k,
                dec_r,
                goal=">= 0.95x raw",
                met=dec_k >= 0.95 * dec_r,
                unit="tok/s",
            ),
            record(
                "time to first token (median)",
                ttft_k * 1000,
                ttft_r * 1000,
                goal="<= raw + 15 ms",
                met=overhead_ms <= 15,
                unit="ms",
            ),
            record(
                "time to first token overhead",
                overhead_ms,
                None,
                goal="<= 15 ms",
                met=overhead_ms <= 15,
                unit="ms",
            ),
        ],
        {"raw": raws, "kernel": kerns, "max_tokens": MAX_TOKENS, "threads": os.cpu_count()},
    )


if __name__ == "__main__":
    main()
