"""One whole export through the real proxy, as a legacy integration does it, with its costs.

Queue ``n`` entries and create one job of exactly those (``tests.support.bulk.prepare_job``),
reset the sandbox's counters, then: page through ``GET /v1/expenses?status=QUEUED`` with
pageSize 1000, ``PUT`` ``EXPORTING`` then ``EXPORTED`` in chunks of 1000 ids. Wall time and
the proxy's CPU time cover exactly those legacy calls; the Export API calls come from
``/sandbox/stats``. The run is checked: the GET listed exactly the job's items and the
sandbox shows the job ``completed``, so a broken proxy cannot post a fast figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from benchmarks.proc import cpu_seconds
from benchmarks.stack import Proxy
from tests.support.bulk import minimum_calls, prepare_job
from tests.support.legacy_client import LegacyClient
from tests.support.processes import Sandbox

__all__ = ["PAGE_LIMIT", "FlowRun", "export_job", "poll_queued"]

# The Export API's page size in the minimum-call formula: Pleo takes at most 100 items per
# status PUT, and the sandbox (like Pleo's documented examples) pages by at most 100.
PAGE_LIMIT = 100
LEGACY_PAGE_SIZE = 1000
PUT_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class FlowRun:
    items: int
    wall: float
    cpu: float
    calls: dict[str, int]
    minimum: dict[str, int]

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def minimum_calls(self) -> int:
        return sum(self.minimum.values())

    def calls_detail(self) -> str:
        operations = sorted(set(self.calls) | set(self.minimum))
        return ", ".join(
            f"{op} {self.calls.get(op, 0)}/{self.minimum.get(op, 0)}" for op in operations
        )


def export_job(sandbox: Sandbox, proxy: Proxy, company: dict[str, Any], items: int) -> FlowRun:
    """Export one new ``items``-item job of ``company`` through ``proxy``; what it cost."""
    job_id, item_ids = prepare_job(sandbox, company["companyId"], items)
    sandbox.reset_stats()
    with LegacyClient(
        proxy.url, company["legacyToken"], page_size=LEGACY_PAGE_SIZE, put_chunk_size=PUT_CHUNK
    ) as client:
        cpu_before = cpu_seconds(proxy.pid)
        started = time.perf_counter()
        queued = [expense["id"] for expense in client.list_expenses("QUEUED")]
        client.put_status(queued, "EXPORTING")
        client.put_status(queued, "EXPORTED")
        wall = time.perf_counter() - started
        cpu = cpu_seconds(proxy.pid) - cpu_before
    if sorted(queued) != sorted(item_ids):
        msg = f"GET QUEUED listed {len(queued)} expenses, not the job's {len(item_ids)} items"
        raise RuntimeError(msg)
    status = sandbox.job(job_id)["job"]["status"]
    if status != "completed":
        msg = f"job {job_id} is {status!r} after the export, not 'completed'"
        raise RuntimeError(msg)
    return FlowRun(
        items=items,
        wall=wall,
        cpu=cpu,
        calls=dict(sandbox.stats()["byOperation"]),
        minimum=minimum_calls(items, PAGE_LIMIT),
    )


def poll_queued(proxy: Proxy, company: dict[str, Any]) -> int:
    """One more ``GET ?status=QUEUED``, as the integration's next poll; the expenses listed."""
    with LegacyClient(proxy.url, company["legacyToken"], page_size=LEGACY_PAGE_SIZE) as client:
        return len(client.list_expenses("QUEUED"))
