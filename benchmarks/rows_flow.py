"""Rows that run whole exports through the real proxy (see :mod:`benchmarks.flows`).

- ``e2e_10k_rtt``: one ``--items`` job end to end with the sandbox adding ``--rtt-ms`` to every
  Export API call. Reference: the sequential floor, the fewest calls the Export API allows for
  the job times the RTT (1 jobs list + 2 ceil(N/100) list pages + 1 started + 2 ceil(N/100)
  item PUTs + 1 completed).
- ``cpu_per_item``: proxy CPU per item of a whole export of ``--items`` items, against the same
  for a 1,000-item job; each on a fresh proxy, sandbox RTT 0.
- ``memory_across_jobs``: ``--jobs`` exports of ``--items`` items in a row on one proxy; RSS
  after each job is closed (and the client's next poll has seen no more work) against RSS at
  the start (after one empty poll). No new job starts once the row has run for
  ``jobs_budget_seconds`` (the proxy's collections slow down as its heap grows), and the
  details say so.
"""

from __future__ import annotations

import time

from benchmarks.context import Context
from benchmarks.flows import FlowRun, export_job, poll_queued
from benchmarks.gc_probe_serve import read_window
from benchmarks.proc import cpu_seconds, rss_bytes
from benchmarks.report import RowResult, fmt_bytes, fmt_ratio, fmt_us
from benchmarks.stack import FLOW_ENV, running_stack, start_proxy

__all__ = ["cpu_per_item", "e2e_10k_rtt", "memory_across_jobs"]

MAX_WALL_VS_FLOOR = 1.0
# "Flat": CPU per item of the big job within this factor of the small job's.
FLAT_FACTOR = 1.2
MAX_RSS_GROWTH = 50 * 1024 * 1024


def _flow_summary(run: FlowRun) -> str:
    return (
        f"{run.items:,} items: {run.wall:.2f} s wall, {run.cpu:.2f} s proxy CPU "
        f"({fmt_us(run.cpu / run.items)}/item)"
    )


def e2e_10k_rtt(ctx: Context) -> RowResult:
    config = ctx.config
    rtt = config.rtt_ms / 1000
    row = RowResult(
        "e2e_10k_rtt",
        f"{config.items:,}-item job end to end (GET all pages, PUT EXPORTING, PUT EXPORTED) "
        f"at {config.rtt_ms:g} ms sandbox RTT; reference the sequential floor",
        target=f"<= {MAX_WALL_VS_FLOOR:g}x floor",
    )
    with running_stack(
        ctx.rowdir(row.name),
        companies=1,
        rtt_ms=config.rtt_ms,
        proxy_env=FLOW_ENV,
        cores=ctx.cores,
    ) as stack:
        start_ns = time.monotonic_ns()
        run = export_job(stack.sandbox, stack.proxy, stack.sandbox.companies[0], config.items)
        gc = read_window(stack.proxy.gc_log, start_ns, time.monotonic_ns())
    floor = run.minimum_calls * rtt
    ratio = run.wall / floor if floor > 0 else float("inf")
    row.figure = f"{run.wall:.2f} s"
    row.cpu = f"{run.cpu:.2f} s ({fmt_us(run.cpu / run.items)}/item)"
    row.reference = f"{run.minimum_calls} calls x {config.rtt_ms:g} ms = {floor:.2f} s"
    row.ratio = fmt_ratio(ratio)
    row.met = ratio <= MAX_WALL_VS_FLOOR
    row.details = [
        _flow_summary(run),
        f"Export API calls made {run.total_calls} (minimum {run.minimum_calls}): "
        + run.calls_detail(),
        f"wall = {run.wall / rtt:,.0f} RTTs (target: critical path near ~70 RTTs); "
        + gc.describe(run.wall),
    ]
    row.values = {
        "items": run.items,
        "rtt_ms": config.rtt_ms,
        "wall_seconds": run.wall,
        "cpu_seconds": run.cpu,
        "calls": run.calls,
        "minimum_calls": run.minimum,
        "floor_seconds": floor,
        "wall_over_floor": ratio,
        "wall_in_rtts": run.wall / rtt,
        "full_gcs": gc.count,
        "longest_full_gc_ms": gc.longest_ms,
    }
    return row


def cpu_per_item(ctx: Context) -> RowResult:
    config = ctx.config
    small, large = config.reference_items, config.items
    row = RowResult(
        "cpu_per_item",
        f"proxy CPU per item of a whole export, {small:,} -> {large:,} items, fresh proxy each, "
        "RTT 0",
        target=f"flat (<= {FLAT_FACTOR:g}x the {small:,}-item job)",
    )
    workdir = ctx.rowdir(row.name)
    runs: list[FlowRun] = []
    with running_stack(workdir, companies=2, proxy_env=FLOW_ENV, cores=ctx.cores) as stack:
        for number, items in enumerate((small, large)):
            proxy = (
                stack.proxy
                if number == 0
                else start_proxy(workdir, stack.sandbox, env=FLOW_ENV, cores=ctx.cores)
            )
            try:
                runs.append(
                    export_job(stack.sandbox, proxy, stack.sandbox.companies[number], items)
                )
            finally:
                proxy.process.stop()
    reference, figure = runs
    per_item = figure.cpu / figure.items
    reference_per_item = reference.cpu / reference.items
    ratio = per_item / reference_per_item
    row.figure = f"wall {figure.wall:.2f} s ({fmt_us(figure.wall / figure.items)}/item)"
    row.cpu = f"{fmt_us(per_item)}/item"
    row.reference = f"{small:,} items: {fmt_us(reference_per_item)}/item CPU"
    row.ratio = fmt_ratio(ratio)
    row.met = ratio <= FLAT_FACTOR
    row.details = [_flow_summary(reference), _flow_summary(figure)]
    row.values = {
        "runs": [{"items": r.items, "wall_seconds": r.wall, "cpu_seconds": r.cpu} for r in runs],
        "cpu_ratio": ratio,
    }
    return row


def memory_across_jobs(ctx: Context) -> RowResult:
    config = ctx.config
    row = RowResult(
        "memory_across_jobs",
        f"{config.jobs} jobs of {config.items:,} items in a row on one proxy; RSS once each "
        "is closed; reference RSS at the start",
        target=f"RSS <= start + {fmt_bytes(MAX_RSS_GROWTH)} (closed jobs freed)",
    )
    with running_stack(
        ctx.rowdir(row.name), companies=1, proxy_env=FLOW_ENV, cores=ctx.cores
    ) as stack:
        company, proxy = stack.sandbox.companies[0], stack.proxy
        poll_queued(proxy, company)  # one empty poll: the proxy has served a request
        start = rss_bytes(proxy.pid)
        start_ns, cpu_before = time.monotonic_ns(), cpu_seconds(proxy.pid)
        after: list[int] = []
        runs: list[FlowRun] = []
        deadline = time.monotonic() + config.jobs_budget_seconds
        for _job in range(config.jobs):
            if runs and time.monotonic() > deadline:
                break  # bounded: the rest of the table must not wait on a slow proxy
            runs.append(export_job(stack.sandbox, proxy, company, config.items))
            left = poll_queued(proxy, company)
            if left:
                msg = f"the next poll after a closed job listed {left} expenses, not none"
                raise RuntimeError(msg)
            after.append(rss_bytes(proxy.pid))
        cpu = cpu_seconds(proxy.pid) - cpu_before
        gc = read_window(proxy.gc_log, start_ns, time.monotonic_ns())
    end, peak, done = after[-1], max(after), len(runs)
    total_items = done * config.items
    wall = sum(r.wall for r in runs)
    within = end - start <= MAX_RSS_GROWTH
    row.figure = (
        f"+{fmt_bytes(end - start)} after {done} jobs ({fmt_bytes(start)} -> {fmt_bytes(end)})"
    )
    row.cpu = f"{fmt_us(cpu / total_items)}/item"
    row.reference = f"start RSS {fmt_bytes(start)}"
    row.ratio = fmt_ratio(end / start)
    # Fewer jobs than asked (time budget) cannot show the target met, only missed.
    row.met = within if done == config.jobs else (False if not within else None)
    row.details = [
        "RSS after each job (MB): " + ", ".join(f"{size / 2**20:,.0f}" for size in after),
        f"first job: +{fmt_bytes((after[0] - start) / config.items)} RSS per item; peak "
        f"{fmt_bytes(peak)}",
        f"{done} exports: {wall:.1f} s wall in legacy calls, {cpu:.1f} s proxy CPU; "
        + gc.describe(wall),
    ]
    if done < config.jobs:
        row.details.insert(
            0,
            f"STOPPED after {done} of {config.jobs} jobs: the row's time budget of "
            f"{config.jobs_budget_seconds:g} s was spent",
        )
    row.values = {
        "jobs": config.jobs,
        "jobs_done": done,
        "items": config.items,
        "rss_start_bytes": start,
        "rss_after_each_job_bytes": after,
        "rss_growth_bytes": end - start,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "full_gcs": gc.count,
        "longest_full_gc_ms": gc.longest_ms,
    }
    return row
