"""End-to-end benchmark: one 2,500-item export job through the real proxy and sandbox processes.

Run from the repository root: ``python -m benchmarks.e2e_export_run`` (options: ``--items N``,
``--rtt-ms R`` repeatable; default one run at 0 ms and one at 20 ms of added round trip per
Export API call). For each run it starts ``python -m adapter sandbox`` (one company, no seeded
jobs) and ``python -m adapter serve`` on free loopback ports, queues N entries in one job, and
lets a legacy client page through ``GET /v1/expenses?status=QUEUED`` (pageSize 1000), then PUT
``EXPORTING`` and ``EXPORTED`` in chunks of 1000 ids. It prints the wall time of the legacy
client's calls, the Export API calls the sandbox counted by operation, and the minimum the
Export API allows for that job, and checks the ledger shows the job exported exactly once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

# ``benchmarks`` is a package run with ``python -m`` from the repository root, so the shared
# process helpers in ``tests.support`` import as they are.
from tests.support.bulk import PLEO_ITEM_UPDATE_LIMIT, PROXY_PAGE_LIMIT, BulkRun, run_bulk
from tests.support.checks import assert_job_exported_once
from tests.support.processes import export_stack


def run_once(items: int, rtt_ms: float) -> BulkRun:
    """Fresh sandbox and proxy, one export of ``items`` items; the ledger is checked."""
    with (
        tempfile.TemporaryDirectory(prefix="pleo-e2e-bench-") as workdir,
        export_stack(Path(workdir), companies=1, jobs=0, rtt_ms=rtt_ms) as (sandbox, proxy),
    ):
        company = sandbox.companies[0]
        run = run_bulk(sandbox, proxy.url, company, items, label=f"sandbox rtt {rtt_ms:g} ms")
        expected = dict.fromkeys(run.item_ids, "successful")
        assert_job_exported_once(
            sandbox.ledger(company["companyId"]), run.job_id, expected, "completed"
        )
        return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=2500, help="items in the job (default 2500)")
    parser.add_argument(
        "--rtt-ms",
        type=float,
        action="append",
        help="added sandbox round trip in ms; repeat for several runs (default: 0 and 20)",
    )
    args = parser.parse_args(argv)
    rtts = args.rtt_ms or [0.0, 20.0]
    print(
        "minimum Export API calls for one job of N items: 1 jobs list + ceil(N/limit) job-item "
        "pages + ceil(N/limit) export-item pages + 1 started + 2*ceil(N/"
        f"{PLEO_ITEM_UPDATE_LIMIT}) item PUTs + 1 completed; the proxy's page limit is "
        f"{PROXY_PAGE_LIMIT}\n",
        flush=True,
    )
    runs = [run_once(args.items, rtt) for rtt in rtts]
    print("\nsummary")
    for rtt, run in zip(rtts, runs, strict=True):
        calls = sum(run.calls_by_operation.values())
        minimum = sum(run.minimum_by_operation.values())
        print(
            f"  rtt {rtt:>5g} ms: {run.items} items in {run.wall_seconds:6.2f} s, "
            f"{calls} upstream calls (minimum {minimum}, +{calls - minimum})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
