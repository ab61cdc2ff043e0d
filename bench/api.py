"""api: the HTTP API under load, and streaming over HTTP vs in-process.

1. An authenticated light syscall (POST /v1/fs/stat) from 32 concurrent keep-alive
   clients against a real daemon on loopback. The load generator is a minimal
   asyncio HTTP/1.1 client in this process (so that it costs less CPU than the
   server it measures; both share this 2-core machine). Goal: at least 1,500
   requests/s and p99 at most 50 ms.
2. Streamed chat tokens/s over HTTP (SSE) vs the same stream in-process, same
   model, prompts and lengths, runs interleaved (this machine's speed drifts), the
   daemon in the state of one in use (a file written and indexed, so the embedding
   model is loaded), read with a bare socket (the client shares the 2 cores with
   llama.cpp's 2 threads). Goal: at least 95%.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aios.kernel import Kernel
from bench.common import bench_config, percentile, record, report
from bench.inference import MAX_TOKENS, kernel_stream

CLIENTS = 32
DURATION_S = 8.0
PROMPTS = [
    "Write a long story about a lighthouse keeper.",
    "Explain how a steam engine works, in detail.",
    "Describe a walk through a busy market.",
]
ROUNDS = 2


async def _client(
    host: str, port: int, request: bytes, until: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace"))
            latencies.append(time.perf_counter() - t0)
            done += 1
    finally:
        writer.close()
    return done


async def _load(port: int, token: str) -> dict[str, Any]:
    body = json.dumps({"path": "bench/file.txt"}).encode()
    request = (
        f"POST /v1/fs/stat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    warm: list[float] = []
    await asyncio.gather(
        *(
            _client("127.0.0.1", port, request, time.perf_counter() + 1.0, warm)
            for _ in range(CLIENTS)
        )
    )
    latencies: list[float] = []
    t0 = time.perf_counter()
    counts = await asyncio.gather(
        *(_client("127.0.0.1", port, request, t0 + DURATION_S, latencies) for _ in range(CLIENTS))
    )
    wall = time.perf_counter() - t0
    return {
        "requests": sum(counts),
        "rps": sum(counts) / wall,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def _stream_http(port: int, token: str, prompt: str) -> dict[str, float]:
    """One streamed chat over HTTP, read with a bare socket: the client shares this
    machine's 2 cores with llama.cpp's 2 threads, so it must cost next to nothing."""
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": MAX_TOKENS,
            "temperature": 0,
            "stream": True,
        }
    ).encode()
    request = (
        f"POST /v1/llm/chat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    n, first, last, head = 0, 0.0, 0.0, b""
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        while data := sock.recv(65536):
            head = head or data[:12]
            if count := data.count(b'"type": "token"'):
                last = time.perf_counter()
                first = first or last
                n += count
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"streaming failed: {head!r}")
    return {"tokens": n, "tps": n / (last - t0), "ttft": first - t0}


def _wait_indexed(url: str, token: str, path: str) -> None:
    import httpx

    for _ in range(600):
        r = httpx.post(
            url + "/v1/fs/stat", headers={"Authorization": f"Bearer {token}"}, json={"path": path}
        )
        if r.json()["indexed"]:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{path} was not indexed in 60 s")


def _daemon(data: Path) -> Any:
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from tests.daemon_helpers import Daemon

    # the server is measured, not the admin token's rate limit
    env = {
        "AIOS_FS__PRELOAD": "false",
        "AIOS_LOG_LEVEL": "warning",
        "AIOS_API__ADMIN_RATE_PER_S": "0",
    }
    return Daemon(data, env=env)


def main() -> None:
    cores = [{"kind": "llamacpp", "n_ctx": 1024, "n_seq": 2}]
    cfg = bench_config(llm={"cores": cores}, fs={"watch": False, "preload": False})
    d = _daemon(Path(tempfile.mkdtemp(prefix="aios-bench-api-")) / "data")
    d.env.update({"AIOS_LLM__CORES": json.dumps(cores)})
    d.start()
    local_runs: list[dict[str, float]] = []
    http_runs: list[dict[str, float]] = []
    try:
        import httpx

        httpx.post(
            d.url + "/v1/fs/write",
            headers={"Authorization": f"Bearer {d.token}"},
            json={"path": "bench/file.txt", "content": "x"},
        ).raise_for_status()
        _wait_indexed(d.url, d.token, "bench/file.txt")  # as a daemon in use: model loaded
        with asyncio.Runner() as runner:
            k = Kernel(cfg)
            runner.run(k.start())
            try:
                runner.run(kernel_stream(k, "warm up"))
                _stream_http(d.port, d.token, "warm up")
                # interleaved, so that both see the same machine (its speed drifts)
                for _ in range(ROUNDS):
                    for p in PROMPTS:
                        local_runs.append(runner.run(kernel_stream(k, p)))
                        http_runs.append(_stream_http(d.port, d.token, p))
            finally:
                runner.run(k.close())
        load = asyncio.run(_load(d.port, d.token))
    finally:
        d.stop()
    tps_local = statistics.median(r["tps"] for r in local_runs)
    tps_http = statistics.median(r["tps"] for r in http_runs)
    report(
        "api",
        [
            record(
                "fs.stat requests/s, 32 clients",
                load["rps"],
                None,
                goal=">= 1500",
                met=load["rps"] >= 1500,
                unit="req/s",
                note=f"{load['requests']} requests in {DURATION_S:g} s, p50 "
                f"{load['p50_ms']:.1f} ms; client and server share {os.cpu_count()} cores",
            ),
            record(
                "fs.stat p99 latency, 32 clients",
                load["p99_ms"],
                None,
                goal="<= 50 ms",
                met=load["p99_ms"] <= 50,
                unit="ms",
            ),
            record(
                "streamed chat tokens/s, HTTP vs in-process",
                tps_http,
                tps_local,
                goal=">= 0.95x in-process",
                met=tps_http >= 0.95 * tps_local,
                unit="tok/s",
            ),
        ],
        {"load": load, "local": local_runs, "http": http_runs},
    )


if __name__ == "__main__":
    main()
