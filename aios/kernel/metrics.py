"""Counters and latency histograms, rendered in the Prometheus text format."""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aios.kernel.kernel import Kernel

__all__ = ["Metrics", "kernel_metrics"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.syscalls: dict[tuple[str, str], int] = defaultdict(int)
        self._hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self._sum: dict[str, float] = defaultdict(float)
        self.tokens: dict[str, int] = defaultdict(int)  # prompt / completion
        self.http: dict[tuple[str, int], int] = defaultdict(int)

    def syscall(
        self, name: str, status: str, seconds: float, prompt: int = 0, completion: int = 0
    ) -> None:
        self.syscalls[(name, status)] += 1
        self._hist[name][bisect.bisect_left(BUCKETS, seconds)] += 1
        self._sum[name] += seconds
        if prompt or completion:
            self.tokens["prompt"] += prompt
            self.tokens["completion"] += completion

    def render(self, gauges: dict[str, Any]) -> str:
        out = [
            "# HELP aios_syscalls_total Syscalls by name and outcome.",
            "# TYPE aios_syscalls_total counter",
        ]
        for (name, status), n in sorted(self.syscalls.items()):
            out.append(f'aios_syscalls_total{{name="{name}",status="{status}"}} {n}')
        out += [
            "# HELP aios_syscall_seconds Syscall latency (queued to finished).",
            "# TYPE aios_syscall_seconds histogram",
        ]
        for name, counts in sorted(self._hist.items()):
            total = 0
            for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
                total += n
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(f'aios_syscall_seconds_bucket{{name="{name}",le="{le}"}} {total}')
            out.append(f'aios_syscall_seconds_sum{{name="{name}"}} {self._sum[name]:.6f}')
            out.append(f'aios_syscall_seconds_count{{name="{name}"}} {total}')
        out += [
            "# HELP aios_llm_tokens_total LLM tokens processed.",
            "# TYPE aios_llm_tokens_total counter",
        ]
        for kind in ("prompt", "completion"):
            out.append(f'aios_llm_tokens_total{{kind="{kind}"}} {self.tokens[kind]}')
        for name, (help_, values) in gauges.items():
            out += [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
            for labels, value in values:
                lab = ",".join(f'{k}="{v}"' for k, v in labels.items())
                out.append(f"{name}{{{lab}}} {value}" if lab else f"{name} {value}")
        return "\n".join(out) + "\n"


def kernel_metrics(kernel: Kernel) -> str:
    """The kernel's Prometheus text: its counters and histograms, plus gauges read now."""
    sched = kernel.scheduler.stats()
    by_state: dict[str, int] = {}
    for p in kernel.procs.all_live():
        by_state[p.state.value] = by_state.get(p.state.value, 0) + 1
    gauges: dict[str, Any] = {
        "aios_llm_queue_depth": (
            "LLM requests waiting, by model",
            [({"model": m}, n) for m, n in sorted(sched["queued_by_model"].items())]
            or [({"model": kernel.config.llm.resolved_default_model}, 0)],
        ),
        "aios_llm_running": ("LLM requests on a core", [({}, len(sched["running"]))]),
        "aios_processes": (
            "live processes, by state",
            [({"state": s}, n) for s, n in sorted(by_state.items())] or [({"state": "RUNNING"}, 0)],
        ),
        "aios_core_busy_seconds": (
            "time each core worker spent generating",
            [({"worker": w.name}, round(w.busy_s, 3)) for w in kernel.workers],
        ),
    }
    store = kernel.store.status()
    gauges["aios_store_backlog"] = (
        "process updates and audit rows waiting to be written",
        [({}, store["backlog"])],
    )
    gauges["aios_store_lost"] = (
        "updates and rows the database refused after retries (lost; see the log)",
        [
            ({"kind": "process_update"}, store["lost_updates"]),
            ({"kind": "syscall_row"}, store["lost_rows"]),
        ],
    )
    gauges["aios_store_retries"] = ("failed write batches retried", [({}, store["retries"])])
    if kernel.fs is not None:
        snap = kernel.fs.indexer.snapshot()
        gauges["aios_fs_index_queue"] = ("files waiting to be indexed", [({}, snap["queued"])])
    return kernel.metrics.render(gauges)
