"""What every row shares: the sizes of this run, the cores, the load tool, measured windows.

:func:`measure_windows` is how every HTTP figure is taken: a short discarded warm-up per
target, then ``rounds`` windows per target in mirrored order (A B B A ...), so a slow drift
of the machine lands on both sides of a ratio. Each window reads the server's CPU time and
the probe's full collections before and after.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.gc_probe_serve import GcWindow, read_window
from benchmarks.load import LoadTool
from benchmarks.load_result import LoadResult
from benchmarks.proc import CorePlan, cpu_seconds, pin

__all__ = ["Context", "Measured", "RunConfig", "Target", "measure_windows"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The sizes of one run (``--smoke`` shrinks all of them)."""

    small_items: int = 100
    items: int = 10_000
    clients: int = 10
    rtt_ms: float = 20.0
    duration: float = 6.0
    rounds: int = 2
    warmup: float = 1.0
    jobs: int = 10
    jobs_budget_seconds: float = 120.0
    reference_items: int = 1_000
    mapping_items: int = 10_000
    mapping_runs: int = 5
    memory_items: int = 2_000
    smoke: bool = False

    @property
    def page_size(self) -> int:
        """The legacy page every GET row asks for (100, or the small job if smaller)."""
        return min(100, self.small_items)

    @classmethod
    def smoke_sizes(cls) -> RunConfig:
        return cls(
            small_items=20,
            items=300,
            clients=4,
            rtt_ms=2.0,
            duration=0.4,
            rounds=1,
            warmup=0.0,
            jobs=2,
            reference_items=30,
            mapping_items=200,
            mapping_runs=1,
            memory_items=200,
            smoke=True,
        )


@dataclass(frozen=True, slots=True)
class Target:
    """One URL to load; ``pid`` is the server whose CPU and collections count.

    ``cores``, when set, is where that server is moved for its windows and ``home`` where it
    goes back afterwards (the sandbox measured directly gets the server core too).
    """

    label: str
    url: str
    headers: Mapping[str, str]
    pid: int
    gc_log: Path | None = None
    cores: frozenset[int] | None = None
    home: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    """A target's merged windows: load, server CPU seconds, full collections, wall seconds."""

    load: LoadResult
    cpu: float
    gc: GcWindow | None
    seconds: float

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.load.requests if self.load.requests else float("nan")

    def summary(self) -> str:
        load = self.load
        text = (
            f"{load.rate:,.0f} req/s, p50 {load.percentile_ms(50):.2f} ms, "
            f"p99 {load.percentile_ms(99):.2f} ms, {self.cpu_per_request * 1e6:,.0f} us "
            f"CPU/req, {load.requests:,} requests"
        )
        if load.non_2xx or load.errors:
            text += f", WARNING {load.non_2xx} non-2xx and {load.errors} failed"
        if self.gc is not None:
            text += f"; {self.gc.describe(self.seconds)}"
        return text


@dataclass
class Context:
    config: RunConfig
    cores: CorePlan
    tool: LoadTool
    workdir: Path
    exit_stack: contextlib.ExitStack
    # Figures one row measured that another reuses (say, the 100-item page for the 10k row).
    memo: dict[str, Any] = field(default_factory=dict)

    def remember(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value

    def rowdir(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def _window(ctx: Context, target: Target, connections: int, seconds: float) -> Measured:
    if target.cores is not None:
        pin(target.pid, target.cores)
    try:
        cpu_before = cpu_seconds(target.pid)
        start_ns = time.monotonic_ns()
        load = ctx.tool.run(target.url, target.headers, connections=connections, seconds=seconds)
        end_ns = time.monotonic_ns()
        cpu = cpu_seconds(target.pid) - cpu_before
    finally:
        if target.home is not None:
            pin(target.pid, target.home)
    gc = read_window(target.gc_log, start_ns, end_ns) if target.gc_log is not None else None
    return Measured(load, cpu, gc, (end_ns - start_ns) / 1e9)


def measure_windows(
    ctx: Context, targets: list[Target], *, connections: int, seconds: float | None = None
) -> dict[str, Measured]:
    """Load each target for ``seconds`` in total (default ``--duration``), interleaved."""
    config = ctx.config
    total = config.duration if seconds is None else seconds
    window = ctx.tool.window_seconds(total / config.rounds)
    if config.warmup > 0:
        for target in targets:
            warm = ctx.tool.window_seconds(config.warmup)
            ctx.tool.run(target.url, target.headers, connections=connections, seconds=warm)
    windows: dict[str, list[Measured]] = {t.label: [] for t in targets}
    for round_number in range(config.rounds):
        order = targets if round_number % 2 == 0 else list(reversed(targets))
        for target in order:
            windows[target.label].append(_window(ctx, target, connections, window))
    return {label: _merge(parts) for label, parts in windows.items()}


def _merge(parts: list[Measured]) -> Measured:
    gcs = [p.gc for p in parts if p.gc is not None]
    gc = (
        GcWindow(
            count=sum(g.count for g in gcs),
            longest_ms=max(g.longest_ms for g in gcs),
            total_ms=sum(g.total_ms for g in gcs),
        )
        if gcs
        else None
    )
    return Measured(
        load=LoadResult.merge(p.load for p in parts),
        cpu=sum(p.cpu for p in parts),
        gc=gc,
        seconds=sum(p.seconds for p in parts),
    )
