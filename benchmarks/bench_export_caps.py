"""The in-flight cap per round trip: read and update one N-item job through ExportClient.

For each ``--rtt-ms`` it starts ``python -m adapter sandbox --rtt-ms R`` (one company) on
loopback, queues one job of ``--items`` entries, and for each ``--caps`` value runs, through a
fresh ``ExportClient(max_in_flight=cap)``:

* **read**: ``list_job_items`` and ``list_export_items`` at once, as the proxy loads a job
  (the pages after the first by offset, up to the cap);
* **write**: ``update_job_items`` of every item (batches of 100, up to the cap at once).

It prints the wall time of each, in seconds and in round trips, and this process's CPU time.
This process runs with the garbage-collector policy ``serve`` applies (``--default-gc``: not).
The sequential floor for comparison: ``2 ceil(N/100)`` pages and ``ceil(N/100)`` PUTs.

    python -m benchmarks.bench_export_caps                     # 10,000 items, RTT 0 5 20 50
    python -m benchmarks.bench_export_caps --items 2000 --rtt-ms 20 --caps 4 8 16

Bounded: fixed work per cap, one sandbox per RTT, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from adapter.export.client import ExportClient, build_http_client
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobItemStatus,
    UpdateExportJobItemV3,
)
from adapter.gc_policy import settle_after_startup
from adapter.settings import Settings
from adapter.tenancy import UpstreamCredential
from tests.support.bulk import prepare_job
from tests.support.processes import start_sandbox

POOL = 64
_TIME_LIMIT_SECONDS = 300.0


async def run_cap(
    base_url: str, credential: UpstreamCredential, job_id: str, ids: list[str], cap: int
) -> dict[str, float]:
    """Wall and CPU seconds of one read and one write of the whole job at ``cap``."""
    figures: dict[str, float] = {}
    async with build_http_client(timeout_seconds=30, max_connections=POOL) as http:
        client = ExportClient(
            http, base_url=base_url, max_in_flight=cap, retries=0, deadline_seconds=120
        )
        async with asyncio.timeout(_TIME_LIMIT_SECONDS):
            wall, cpu = time.perf_counter(), time.process_time()
            controls, data = await asyncio.gather(
                client.list_job_items(credential, job_id),
                client.list_export_items(credential, job_id),
            )
            figures["read_s"] = time.perf_counter() - wall
            figures["read_cpu_s"] = time.process_time() - cpu
            assert len(controls) == len(data) == len(ids), "the read lost items"
            updates = [
                UpdateExportJobItemV3(accounting_entry_id=i, status=ExportJobItemStatus.IN_PROGRESS)
                for i in ids
            ]
            wall, cpu = time.perf_counter(), time.process_time()
            outcome = await client.update_job_items(credential, job_id, updates)
            figures["write_s"] = time.perf_counter() - wall
            figures["write_cpu_s"] = time.process_time() - cpu
            assert outcome.ok, "the sandbox refused item updates"
        figures["peak"] = client.metrics_snapshot().peak_in_flight
    return figures


async def _start(base_url: str, credential: UpstreamCredential, job_id: str) -> None:
    """Claim the job (``started``): Pleo takes item updates only on an in-progress job."""
    async with build_http_client(timeout_seconds=30, max_connections=1) as http:
        event = CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=job_id)
        await ExportClient(http, base_url=base_url).post_job_event(credential, event)


def bench_rtt(items: int, rtt_ms: float, caps: Sequence[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="pleo-caps-bench-") as workdir:
        sandbox = start_sandbox(Path(workdir), companies=1, jobs=0, rtt_ms=rtt_ms)
        try:
            company = sandbox.companies[0]
            job_id, ids = prepare_job(sandbox, company["companyId"], items)
            credential = UpstreamCredential.api_key(company["apiKey"])
            asyncio.run(_start(sandbox.url, credential, job_id))
            pages = math.ceil(items / 100)
            rtt = rtt_ms / 1000
            print(
                f"\nRTT {rtt_ms:g} ms, {items:,} items: sequential floor {pages} pages x 2 "
                f"+ {pages} PUTs"
                + (f" = {2 * pages * rtt:.2f} s read, {pages * rtt:.2f} s write" if rtt else "")
            )
            print(
                f"{'cap':>4} {'read s':>8} {'RTTs':>6} {'CPU s':>6} "
                f"{'write s':>8} {'RTTs':>6} {'CPU s':>6} {'peak':>5}"
            )
            for cap in caps:
                f = asyncio.run(run_cap(sandbox.url, credential, job_id, ids, cap))
                read_rtts = f"{f['read_s'] / rtt:6.1f}" if rtt else f"{'-':>6}"
                write_rtts = f"{f['write_s'] / rtt:6.1f}" if rtt else f"{'-':>6}"
                print(
                    f"{cap:>4} {f['read_s']:>8.3f} {read_rtts} {f['read_cpu_s']:>6.2f} "
                    f"{f['write_s']:>8.3f} {write_rtts} {f['write_cpu_s']:>6.2f} "
                    f"{int(f['peak']):>5}",
                    flush=True,
                )
        finally:
            sandbox.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0.0, 5.0, 20.0, 50.0])
    parser.add_argument("--caps", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="keep CPython's collector settings instead of the ones serve applies",
    )
    args = parser.parse_args(argv)
    if not args.default_gc:
        settings = Settings()
        settle_after_startup(
            young_threshold=settings.gc_young_threshold, freeze=settings.gc_freeze_after_startup
        )
    print("ExportClient against the sandbox on loopback (one uvicorn process), pool 64")
    for rtt_ms in args.rtt_ms:
        bench_rtt(args.items, rtt_ms, args.caps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
