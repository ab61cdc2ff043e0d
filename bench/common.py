"""What every benchmark shares: records, the results file, the table, statistics."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aios.config import Config, load_config

RESULTS = Path(__file__).parent / "results"
IDLE_RETRY_S = 1.0  # a keep-alive connection idle this long may have been closed


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


def start_daemon(data_dir: Path, *, module: str = "aios", env: dict[str, str] | None = None) -> Any:
    """A real ``aios serve`` subprocess on a free loopback port, started and healthy.
    The server is measured, not the admin token's rate limit, so that is off."""
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from tests.daemon_helpers import Daemon

    base = {
        "AIOS_FS__PRELOAD": "false",
        "AIOS_LOG_LEVEL": "warning",
        "AIOS_API__ADMIN_RATE_PER_S": "0",
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    return Daemon(data_dir, env={**base, **(env or {})}, module=module).start(timeout=120)


class RawClient:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams: a load generator that
    costs far less CPU than the server it measures (both share this machine)."""

    def __init__(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.port = port
        self._reader = reader
        self._writer = writer
        self._used = time.monotonic()

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        return cls(port, reader, writer)

    async def reconnect(self) -> RawClient:
        self.close()
        return await RawClient.connect(self.port)

    @staticmethod
    def request(
        port: int,
        token: str | None,
        path: str,
        body: Any = None,
        *,
        method: str = "POST",
        close: bool = False,
    ) -> bytes:
        if body is None:
            data, ctype = b"", "application/json"
        elif isinstance(body, bytes):
            data, ctype = body, "application/octet-stream"
        else:
            data, ctype = json.dumps(body).encode(), "application/json"
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        conn = "Connection: close\r\n" if close else ""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}{conn}"
            f"Content-Type: {ctype}\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """One request, its status and body (Content-Length responses only)."""
        idle = time.monotonic() - self._used
        try:
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            partial = getattr(exc, "partial", b"")
            if idle < IDLE_RETRY_S or partial:
                raise
            # the server closed the idle keep-alive connection (uvicorn does after 5
            # s) as we sent: it never read the request, so sending again is safe
            self.close()
            self._reader, self._writer = await asyncio.open_connection(
                "127.0.0.1", self.port, limit=1 << 20
            )
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self._reader.readexactly(length)
        self._used = time.monotonic()
        return int(head[9:12]), body

    def close(self) -> None:
        self._writer.close()
