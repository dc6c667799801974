"""``python -m benchmarks.run``: issue #11's performance table, measured in one run.

Starts the sandbox and the proxy as real one-worker processes on loopback (fresh ones per row
where state matters), loads them with wrk (or the asyncio generator in this package when wrk
is not installed), reads the server's CPU time and RSS from ``/proc``, and prints one table:
each row's figure, the server CPU time next to it, a reference measured in the same run, the
ratio, the target and whether it was met. Numbers never fail the run; a row that cannot run
at all prints ERROR and makes the exit status 1. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from benchmarks import rows_flow, rows_http, rows_inprocess
from benchmarks.context import Context, RunConfig
from benchmarks.load import choose_tool
from benchmarks.proc import CorePlan
from benchmarks.report import RowResult, render_table, write_json

__all__ = ["ROWS", "main"]

Row = Callable[[Context], RowResult]

# In the order.
ROWS: dict[str, Row] = {
    "cached_get_100": rows_http.cached_get_100,
    "cached_get_10k": rows_http.cached_get_10k,
    "p99_one_client": rows_http.p99_one_client,
    "mapping": rows_inprocess.mapping,
    "memory_control_per_item": rows_inprocess.memory_control_per_item,
    "memory_data_per_item": rows_inprocess.memory_data_per_item,
    "memory_across_jobs": rows_flow.memory_across_jobs,
    "e2e_10k_rtt": rows_flow.e2e_10k_rtt,
    "cpu_per_item": rows_flow.cpu_per_item,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=(__doc__ or "").splitlines()[0],
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, a few seconds: proves the harness runs"
    )
    parser.add_argument(
        "--rows",
        help=f"comma-separated rows to run (default all): {', '.join(ROWS)}",
    )
    parser.add_argument("--items", type=int, help="items of the large job (default 10000)")
    parser.add_argument(
        "--rtt-ms", type=float, help="sandbox RTT of the end-to-end row (default 20)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds of load per measured figure, split over 2 interleaved windows (default 6)",
    )
    parser.add_argument("--clients", type=int, help="connections of the throughput rows (10)")
    parser.add_argument("--jobs", type=int, help="jobs of the memory-across-jobs row (10)")
    parser.add_argument(
        "--load",
        choices=("auto", "wrk", "asyncio"),
        default="auto",
        help="load generator: wrk when installed (auto), or force one",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    return parser


def _config(args: argparse.Namespace) -> RunConfig:
    config = RunConfig.smoke_sizes() if args.smoke else RunConfig()
    changes: dict[str, Any] = {}
    if args.items is not None:
        changes["items"] = args.items
        changes["reference_items"] = min(config.reference_items, max(1, args.items // 10))
    for option in ("rtt_ms", "duration", "clients", "jobs"):
        if getattr(args, option) is not None:
            changes[option] = getattr(args, option)
    return replace(config, **changes)


def _selected(raw: str | None) -> list[str]:
    if raw is None:
        return list(ROWS)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in ROWS]
    if unknown:
        msg = f"unknown rows: {', '.join(unknown)}; known: {', '.join(ROWS)}"
        raise SystemExit(msg)
    return names


def _header(ctx: Context) -> dict[str, Any]:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "nproc": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cores": ctx.cores.describe(),
        "load": ctx.tool.describe(),
        "uvicorn": f"1 worker, {loop} loop, {http} parser",
        "load_average_at_start": os.getloadavg()[0],
        "config": asdict(ctx.config),
    }


def _run_row(ctx: Context, name: str) -> RowResult:
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        row = ROWS[name](ctx)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        row = RowResult(name, "could not run", error=f"{type(exc).__name__}: {exc}"[:2000])
    row.values["row_seconds"] = time.perf_counter() - started
    print(
        f"[{time.strftime('%H:%M:%S')}] {name}: {row.verdict} ({row.values['row_seconds']:.1f} s)",
        file=sys.stderr,
        flush=True,
    )
    return row


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = _selected(args.rows)
    cores = CorePlan.detect()
    if cores.pinned:
        try:
            # Children (load generators, the sandbox) inherit this; the proxy is moved off it.
            os.sched_setaffinity(0, cores.load)
        except OSError:
            cores = CorePlan(server=frozenset(), load=frozenset())
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="pleo-bench-") as workdir,
        contextlib.ExitStack() as exit_stack,
    ):
        ctx = Context(
            config=_config(args),
            cores=cores,
            tool=choose_tool(args.load, Path(workdir)),
            workdir=Path(workdir),
            exit_stack=exit_stack,
        )
        header = _header(ctx)
        rows = [_run_row(ctx, name) for name in names]
    header["seconds"] = time.perf_counter() - started
    header["load_average_at_end"] = os.getloadavg()[0]
    config = ctx.config
    print(
        f"python {header['python']}, {header['nproc']} cores ({header['cores']}); "
        f"uvicorn {header['uvicorn']}; load: {header['load']}; machine load average "
        f"{header['load_average_at_start']:.1f} at start, {header['load_average_at_end']:.1f} "
        "at end"
    )
    print(
        f"sizes: {config.small_items} and {config.items:,} items, {config.clients} clients, "
        f"{config.duration:g} s of load per figure in {config.rounds} interleaved windows, "
        f"RTT {config.rtt_ms:g} ms, {config.jobs} jobs in a row"
        + (" (SMOKE: tiny sizes, figures meaningless)" if config.smoke else "")
    )
    print()
    print(render_table(rows))
    print(f"\ntotal {header['seconds']:.0f} s")
    if args.json is not None:
        write_json(args.json, header, rows)
    return 1 if any(row.error is not None for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
