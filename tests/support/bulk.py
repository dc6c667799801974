"""The large-job run shared by the 2,500-item e2e test and ``benchmarks/e2e_export_run.py``.

One company gets ``n`` queued entries and one export job of exactly those ``n``; the sandbox's
request statistics are reset; then a legacy client pages through ``status=QUEUED``, PUTs
``EXPORTING`` and then ``EXPORTED`` for every id in chunks, and the wall time and the upstream
calls by operation are recorded.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass
from typing import Any

from adapter.export.client import ExportClient
from tests.support.legacy_client import LegacyClient
from tests.support.processes import Sandbox

__all__ = ["PLEO_ITEM_UPDATE_LIMIT", "PROXY_PAGE_LIMIT", "BulkRun", "minimum_calls", "run_bulk"]

# Pleo takes at most 100 elements per PUT /v3/export-jobs/{id}/items (pleo-api.md B 2.6).
PLEO_ITEM_UPDATE_LIMIT = 100
# The `limit` the proxy's export client sends with every list request (its default; app.py
# does not override it).
PROXY_PAGE_LIMIT: int = inspect.signature(ExportClient).parameters["page_limit"].default

# Pleo's operationIds, as the sandbox counts them.
LIST_JOBS = "getExportJobsListV3"
LIST_JOB_ITEMS = "getExportJobItemsV3"
LIST_EXPORT_ITEMS = "getExportItemsV3"
JOB_EVENTS = "createExportJobEventV3"
UPDATE_ITEMS = "updateExportJobItemsV3"


def minimum_calls(items: int, page_limit: int = PROXY_PAGE_LIMIT) -> dict[str, int]:
    """The fewest Export API calls one whole job of ``items`` can take, by operation.

    1 jobs list + ceil(N/limit) control-layer pages + ceil(N/limit) data-layer pages +
    1 ``started`` + 2 * ceil(N/100) item PUTs (in_progress, then terminal) + 1 completion.
    """
    pages = math.ceil(items / page_limit)
    return {
        LIST_JOBS: 1,
        LIST_JOB_ITEMS: pages,
        LIST_EXPORT_ITEMS: pages,
        JOB_EVENTS: 2,
        UPDATE_ITEMS: 2 * math.ceil(items / PLEO_ITEM_UPDATE_LIMIT),
    }


@dataclass(frozen=True, slots=True)
class BulkRun:
    """What one large export cost."""

    items: int
    job_id: str
    item_ids: list[str]
    wall_seconds: float
    calls_by_operation: dict[str, int]
    minimum_by_operation: dict[str, int]

    def report(self, label: str = "") -> str:
        title = f"e2e export ({label})" if label else "e2e export"
        lines = [
            f"{title}: {self.items} items, wall {self.wall_seconds:.2f} s, "
            f"upstream calls {sum(self.calls_by_operation.values())} "
            f"(minimum {sum(self.minimum_by_operation.values())})",
        ]
        operations = sorted(set(self.calls_by_operation) | set(self.minimum_by_operation))
        lines += [
            f"  {op:<26} {self.calls_by_operation.get(op, 0):>5}  "
            f"(minimum {self.minimum_by_operation.get(op, 0)})"
            for op in operations
        ]
        return "\n".join(lines)


def prepare_job(sandbox: Sandbox, company_id: str, items: int) -> tuple[str, list[str]]:
    """Queue ``items`` entries and create one pending job of exactly that many; its id and ids."""
    sandbox.add_entries(company_id, items)
    job_id = sandbox.create_job(company_id, count=items)["id"]
    item_ids = [item["accountingEntryId"] for item in sandbox.job(job_id)["items"]]
    assert len(item_ids) == items, f"job {job_id} has {len(item_ids)} items, wanted {items}"
    return job_id, item_ids


def run_bulk(
    sandbox: Sandbox,
    proxy_url: str,
    company: dict[str, Any],
    items: int,
    *,
    page_size: int = 1000,
    put_chunk_size: int = 1000,
    label: str = "",
) -> BulkRun:
    """Export one ``items``-item job through the proxy; print and return what it cost."""
    job_id, item_ids = prepare_job(sandbox, company["companyId"], items)
    sandbox.reset_stats()
    with LegacyClient(
        proxy_url, company["legacyToken"], page_size=page_size, put_chunk_size=put_chunk_size
    ) as client:
        started = time.perf_counter()
        queued = [expense["id"] for expense in client.list_expenses("QUEUED")]
        client.put_status(queued, "EXPORTING")
        client.put_status(queued, "EXPORTED")
        wall = time.perf_counter() - started
    assert sorted(queued) == sorted(item_ids), "GET QUEUED did not list exactly the job's items"
    stats = sandbox.stats()
    run = BulkRun(
        items=items,
        job_id=job_id,
        item_ids=item_ids,
        wall_seconds=wall,
        calls_by_operation=dict(stats["byOperation"]),
        minimum_by_operation=minimum_calls(items),
    )
    print(run.report(label), flush=True)
    return run
