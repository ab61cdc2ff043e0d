"""What every benchmark shares: records, the results file, the table, statistics."""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aios.config import Config, load_config

RESULTS = Path(__file__).parent / "results"


@dataclass
class Record:
    metric: str
    value: float
    baseline: float | None
    ratio: float | None
    goal: str
    met: bool | None
    unit: str = ""
    note: str = ""


def record(
    metric: str,
    value: float,
    baseline: float | None,
    *,
    goal: str,
    met: bool | None,
    unit: str = "",
    note: str = "",
) -> Record:
    ratio = None
    if baseline not in (None, 0):
        ratio = value / baseline  # type: ignore[operator]
    return Record(metric, value, baseline, ratio, goal, met, unit, note)


def report(name: str, records: list[Record], extra: dict[str, Any] | None = None) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps([asdict(r) for r in records], indent=2) + "\n")
    if extra:
        (RESULTS / f"{name}.details.json").write_text(json.dumps(extra, indent=2) + "\n")
    w = max(len(r.metric) for r in records)
    print(f"\n== {name} ==")
    print(f"{'metric':<{w}}  {'value':>12}  {'baseline':>12}  {'ratio':>8}  {'goal':<22} met")
    for r in records:
        base = "-" if r.baseline is None else f"{r.baseline:.4g}"
        ratio = "-" if r.ratio is None else f"{r.ratio:.3f}"
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        print(f"{r.metric:<{w}}  {r.value:>12.4g}  {base:>12}  {ratio:>8}  {r.goal:<22} {met}")
        if r.note:
            print(f"{'':<{w}}  {r.note}")


def bench_config(**overrides: Any) -> Config:
    data = Path(tempfile.mkdtemp(prefix="aios-bench-"))
    return load_config(data_dir=data, **overrides)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def jain(values: list[float]) -> float:
    """Jain's fairness index: 1 when all equal, 1/n when one gets everything."""
    if not values:
        return math.nan
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values))
