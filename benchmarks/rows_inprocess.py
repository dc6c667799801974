"""Rows measured inside one Python process, run as a child pinned to the server core.

- ``mapping``: :mod:`benchmarks.bench_mapping`, ``to_expense_json`` per item (the fast path
  the proxy uses) against ``ExportItemV3.model_validate_json`` per item (validating the
  upstream JSON alone); the validated ``to_expense`` in the details.
- ``memory_control_per_item`` and ``memory_data_per_item``: :mod:`benchmarks.memory_probe`
  (one run feeds both rows), live bytes the proxy keeps per cached item, split into control
  layer and mapped data; references are the bytes per item of the sandbox's own JSON pages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.context import Context
from benchmarks.report import RowResult, fmt_bytes, fmt_ratio
from benchmarks.stack import REPO_ROOT

__all__ = ["mapping", "memory_control_per_item", "memory_data_per_item"]

MAX_MAPPING_US = 10.0
MAX_CONTROL_BYTES = 400
MAX_DATA_BYTES = 1536
_TIMEOUT_SECONDS = 900


def _run_json(ctx: Context, module: str, *args: str) -> dict[str, Any]:
    """``python -m module args`` on the server core; the JSON object it prints last."""
    cores = ctx.cores.server

    def pin_child() -> None:
        if cores:
            os.sched_setaffinity(0, cores)

    env = {k: v for k, v in os.environ.items() if not k.startswith("ADAPTER_")}
    done = subprocess.run(  # noqa: S603 -- our interpreter and our module, fixed arguments
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        preexec_fn=pin_child,  # safe here: the harness starts no threads of its own
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        msg = f"{module} failed ({done.returncode}): {done.stderr.strip()[-1500:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def mapping(ctx: Context) -> RowResult:
    config = ctx.config
    row = RowResult(
        "mapping",
        f"mapping one Export Item to legacy Expense JSON with to_expense_json "
        f"({config.mapping_items:,} varied items, median of {config.mapping_runs}); "
        "reference validating its JSON",
        target=f"<= {MAX_MAPPING_US:g} us/item CPU",
    )
    figures = _run_json(
        ctx,
        "benchmarks.bench_mapping",
        "--json",
        f"--items={config.mapping_items}",
        f"--runs={config.mapping_runs}",
    )
    # Judged on CPU time: on a loaded machine the child's wall time also counts other work.
    cpu, validate_cpu = figures["fast_cpu_us"], figures["validate_cpu_us"]
    row.figure = f"{figures['fast_us']:.1f} us/item"
    row.cpu = f"{cpu:.1f} us/item"
    row.reference = (
        f"validate_json {figures['validate_us']:.1f} us/item, {validate_cpu:.1f} us/item CPU"
    )
    row.ratio = f"{fmt_ratio(cpu / validate_cpu)} CPU"
    row.met = cpu <= MAX_MAPPING_US
    row.details = [
        f"validated path: to_expense {figures['to_expense_cpu_us']:.1f} us/item CPU; "
        f"+ model_dump + jsonio.dumps (the proxy's path before the fast one) "
        f"{figures['validated_json_cpu_us']:.1f} us/item CPU",
        f"JSON bytes -> Expense JSON (validate_json + to_expense_json): "
        f"{figures['both_us']:.1f} us/item wall, {figures['both_cpu_us']:.1f} us/item CPU",
    ]
    row.values = figures
    return row


def _memory(ctx: Context) -> dict[str, Any]:
    return ctx.remember(
        "memory_probe",
        lambda: _run_json(ctx, "benchmarks.memory_probe", f"--items={ctx.config.memory_items}"),
    )


def _memory_details(probe: dict[str, Any]) -> list[str]:
    top = ", ".join(
        f"{entry['where']} {fmt_bytes(entry['bytes_per_item'])}" for entry in probe["top"][:6]
    )
    return [
        f"live per cached item {fmt_bytes(probe['live_bytes_per_item'])} = control "
        f"{fmt_bytes(probe['control_bytes_per_item'])} + data "
        f"{fmt_bytes(probe['data_bytes_per_item'])} ({probe['items']:,}-item job, tracemalloc)",
        f"largest per item: {top}",
    ]


def memory_control_per_item(ctx: Context) -> RowResult:
    row = RowResult(
        "memory_control_per_item",
        "live memory per cached item, control layer (ids, statuses, job state); reference the "
        "sandbox's job-items JSON per item",
        target=f"<= {MAX_CONTROL_BYTES} B/item",
    )
    probe = _memory(ctx)
    size, wire = probe["control_bytes_per_item"], probe["control_json_bytes_per_item"]
    row.figure = f"{fmt_bytes(size)}/item"
    row.reference = f"job-items JSON {fmt_bytes(wire)}/item"
    row.ratio = fmt_ratio(size / wire)
    row.met = size <= MAX_CONTROL_BYTES
    row.details = _memory_details(probe)
    row.values = probe
    return row


def memory_data_per_item(ctx: Context) -> RowResult:
    row = RowResult(
        "memory_data_per_item",
        "live memory per cached item, mapped data (legacy Expenses and what they hold); "
        "reference the sandbox's export-items JSON per item",
        target=f"<= {fmt_bytes(MAX_DATA_BYTES)}/item",
    )
    probe = _memory(ctx)
    size, wire = probe["data_bytes_per_item"], probe["data_json_bytes_per_item"]
    row.figure = f"{fmt_bytes(size)}/item"
    row.reference = f"export-items JSON {fmt_bytes(wire)}/item"
    row.ratio = fmt_ratio(size / wire)
    row.met = size <= MAX_DATA_BYTES
    row.details = [
        f"the proxy's legacy JSON is {fmt_bytes(probe['legacy_json_bytes_per_item'])}/expense"
    ]
    row.values = {k: v for k, v in probe.items() if k != "top"}
    return row
