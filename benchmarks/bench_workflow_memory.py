"""What the workflow costs per cached item, per cached page, per item exported, and in RSS.

Run from the repository root: ``python benchmarks/bench_workflow_memory.py`` (options:
``--rss-jobs J --rss-items N`` for the RSS part, ``--skip-rss``). Four parts, figures printed,
nothing asserted:

1. Memory per item (tracemalloc, retained after a job is loaded and the fetched pages are gone),
   control layer vs mapped data, for the current representation and for a replica of the one
   before #11 (control: ``{id: status}`` + order list; data: ``{id: Expense}`` +
   ``{id: [Receipt]}`` pydantic models). Items come from the in-process sandbox.
2. A cached ``GET ?status=QUEUED&pageSize=100`` (``JobWorkflow.list_expenses``, view fresh, no
   upstream call): median over 300 calls, from a 100-item and a 10,000-item job, first page and
   last page, and with every other item moved to EXPORTING.
3. CPU per item (``time.process_time`` of this process only; the sandbox runs as its own process
   on loopback, so its work and its heap do not count) of a whole export (load, PUT EXPORTING
   and PUT EXPORTED in chunks of 1,000, close) at 1,000 and 10,000 items.
4. RSS of this process (the workflow alone, sandbox as in 3) before and after each of J jobs of
   N items exported and closed one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
import structlog

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from adapter.export.client import ExportClient, build_http_client  # noqa: E402
from adapter.legacy.models import Expense, LegacyStatus, Receipt, StatusChange  # noqa: E402
from adapter.legacy.query import ExpenseQuery  # noqa: E402
from adapter.mapping import load_mapping_table, receipt_of, to_expense  # noqa: E402
from adapter.sandbox.app import create_sandbox_app  # noqa: E402
from adapter.sandbox.config import SandboxConfig  # noqa: E402
from adapter.store import MemoryStore  # noqa: E402
from adapter.tenancy import Tenant, UpstreamCredential  # noqa: E402
from adapter.workflow import JobWorkflow, WorkflowSettings  # noqa: E402
from adapter.workflow.records import JobRecord  # noqa: E402
from tests.support.processes import start_sandbox  # noqa: E402

SANDBOX = "http://sandbox.bench"
TABLE = load_mapping_table()


def query(*statuses: LegacyStatus, offset: int = 0, size: int = 100) -> ExpenseQuery:
    return ExpenseQuery(
        statuses=frozenset(statuses), types=frozenset(), page_offset=offset, page_size=size
    )


class Stack:
    """A sandbox with one company and one job of ``items`` items, and a workflow over it."""

    def __init__(
        self,
        items: int,
        *,
        base_url: str = SANDBOX,
        transport: Any = None,
        discovery_seconds: float = 1e9,
    ) -> None:
        self.items = items
        self.base_url = base_url
        self.transport = transport
        self.http = build_http_client(timeout_seconds=60, max_connections=8, transport=transport)
        self.client = ExportClient(self.http, base_url=base_url, retries=0)
        self.workflow = JobWorkflow(
            client=self.client,
            store=MemoryStore(),
            table=TABLE,
            settings=WorkflowSettings(discovery_min_interval_seconds=discovery_seconds),
        )
        self.tenant: Tenant

    @classmethod
    async def in_process(cls, items: int, seed: int = 3) -> Stack:
        """Over an in-process sandbox; each seed gives other ids, so two stacks' memory
        figures never share a string (the proxy's models cache only key strings now, but the
        sandbox's may still)."""
        app = create_sandbox_app(
            SandboxConfig(seed=seed, companies=1, jobs_per_company=0, queued_per_company=0)
        )
        stack = cls(items, transport=httpx.ASGITransport(app=app))
        async with httpx.AsyncClient(transport=stack.transport, base_url=SANDBOX) as admin:
            company = (await admin.get("/sandbox/companies")).json()[0]
            await _new_job(admin, company["companyId"], items)
        stack.tenant = Tenant(UpstreamCredential.api_key(company["apiKey"]), company["companyId"])
        return stack

    async def ids(self) -> list[str]:
        page = await self.workflow.list_expenses(self.tenant, query(size=10**9))
        return [orjson.loads(e)["id"] for e in page.expenses]

    async def export(self) -> None:
        """The legacy client's whole run: read, EXPORTING, EXPORTED, in chunks of 1,000."""
        ids = await self.ids()
        for status in (LegacyStatus.EXPORTING, LegacyStatus.EXPORTED):
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                await self.workflow.set_statuses(
                    self.tenant, [StatusChange(i, status) for i in chunk]
                )

    async def aclose(self) -> None:
        await self.http.aclose()


async def _new_job(admin: httpx.AsyncClient, company_id: str, items: int) -> None:
    left = items
    while left:
        count = min(left, 1000)
        response = await admin.post(
            f"/sandbox/companies/{company_id}/entries", json={"count": count}
        )
        response.raise_for_status()
        left -= count
    (await admin.post(f"/sandbox/companies/{company_id}/export-jobs", json={})).raise_for_status()


def _retained(before: int) -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before


_SANDBOX = "/adapter/sandbox/"
_MAPPED = "/adapter/workflow/expense_docs.py"


def _split(before: tracemalloc.Snapshot) -> tuple[int, int]:
    """Bytes retained since ``before``: (for mapped expenses, everything else), leaving out
    what the in-process sandbox allocated for itself (any frame in adapter/sandbox)."""
    gc.collect()
    after = tracemalloc.take_snapshot()
    mapped = other = 0
    for stat in after.compare_to(before, "traceback"):
        files = [frame.filename for frame in stat.traceback]
        if any(_SANDBOX in f for f in files):
            continue
        if any(f.endswith(_MAPPED) for f in files):
            mapped += stat.size_diff
        else:
            other += stat.size_diff
    return mapped, other


def _control_structure(record: JobRecord) -> int:
    """Exact bytes of the control layer's own objects (packed ids, codes, index)."""
    size = sys.getsizeof(record.ids) + record.ids.nbytes
    size += sys.getsizeof(record.codes) + sys.getsizeof(record.documents)
    size += sys.getsizeof(record.receipts)
    index = record.index
    size += sys.getsizeof(index._bucket) + sum(sys.getsizeof(t) for t in index._trees)
    return size


async def memory_per_item(items: int) -> dict[str, float]:
    """Retained bytes per item after loading a job, process caches warmed by a first job."""
    warm = await Stack.in_process(items, seed=1)
    await warm.workflow.list_expenses(warm.tenant, query())
    stack = await Stack.in_process(items, seed=2)
    old = await Stack.in_process(items, seed=3)
    credential = old.tenant.credential
    job_id = (await old.client.list_jobs(credential, statuses=()))[0].id
    gc.collect()
    tracemalloc.start(30)
    try:
        before = tracemalloc.take_snapshot()
        await stack.workflow.list_expenses(stack.tenant, query())
        mapped, control = _split(before)
        view = stack.workflow.cache.get(stack.tenant.company_id or "")
        assert view is not None
        assert view.job is not None
        structure = _control_structure(view.job)
        before = tracemalloc.take_snapshot()
        control_items = await old.client.list_job_items(credential, job_id)
        order = [i.accounting_entry_id for i in control_items]
        statuses = {i.accounting_entry_id: i.status for i in control_items}
        del control_items
        old_control = sum(_split(before))
        old_structure = sys.getsizeof(order) + sys.getsizeof(statuses)
        old_structure += sum(sys.getsizeof(i) for i in order)
        before = tracemalloc.take_snapshot()
        data_items = await old.client.list_export_items(credential, job_id)
        expenses: dict[str, Expense] = {}
        receipts: dict[str, list[Receipt]] = {}
        for item in data_items:
            expenses[item.accounting_entry_id] = to_expense(TABLE, item, "pending")
            receipts[item.accounting_entry_id] = [receipt_of(f) for f in item.files or ()]
        del data_items
        old_mapped = sum(_split(before))
        del order, statuses, expenses, receipts
    finally:
        tracemalloc.stop()
        await stack.aclose()
        await old.aclose()
        await warm.aclose()
    return {
        "control structure": structure / items,
        "old control structure": old_structure / items,
        "control": control / items,
        "mapped": mapped / items,
        "old control": old_control / items,
        "old mapped": old_mapped / items,
    }


async def page_cost(items: int) -> dict[str, float]:
    stack = await Stack.in_process(items)
    ids = await stack.ids()
    workflow, tenant = stack.workflow, stack.tenant

    async def median_us(q: ExpenseQuery) -> float:
        times = []
        for _ in range(300):
            started = time.perf_counter()
            await workflow.list_expenses(tenant, q)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1e6

    last = max(0, items - 100)
    figures = {
        "first page": await median_us(query(LegacyStatus.QUEUED)),
        "last page": await median_us(query(LegacyStatus.QUEUED, offset=last)),
    }
    every_other = [StatusChange(i, LegacyStatus.EXPORTING) for i in ids[::2]]
    for start in range(0, len(every_other), 1000):
        await workflow.set_statuses(tenant, every_other[start : start + 1000])
    figures["scattered"] = await median_us(query(LegacyStatus.QUEUED, offset=len(ids) // 4))
    await stack.aclose()
    return figures


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def remote_exports(jobs: Sequence[int]) -> list[tuple[int, float, float]]:
    """Export one job per entry of ``jobs`` (its size) through a sandbox process, one after
    the other; (items, CPU microseconds per item, RSS MB after the job closed) for each."""
    results: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-workflow-") as workdir:
        sandbox = start_sandbox(Path(workdir), companies=1, jobs=0, items=0)
        try:
            company = sandbox.companies[0]
            stack = Stack(0, base_url=sandbox.url, discovery_seconds=0)
            stack.tenant = Tenant(
                UpstreamCredential.api_key(company["apiKey"]), company["companyId"]
            )
            async with httpx.AsyncClient(base_url=sandbox.url, timeout=60) as admin:
                # Entries queued in no job yet go into the first job; start from an empty queue.
                await _new_job(admin, company["companyId"], 1)
                await stack.export()
                results.append((0, 0.0, _rss_mb()))
                for items in jobs:
                    await _new_job(admin, company["companyId"], items)
                    started = time.process_time()
                    await stack.export()
                    spent = time.process_time() - started
                    gc.collect()
                    results.append((items, spent / items * 1e6, _rss_mb()))
            await stack.aclose()
        finally:
            sandbox.close()
    return results


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rss-jobs", type=int, default=10)
    parser.add_argument("--rss-items", type=int, default=10_000)
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args(argv)
    # One audit line per item batch would drown the figures.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    if not args.skip_rss:
        # First, while this process is fresh: the other parts leave their own heap behind.
        jobs = [args.rss_items] * args.rss_jobs
        print(f"4. RSS (MB) of the workflow process over {args.rss_jobs} jobs of {args.rss_items}")
        readings = [rss for _, _, rss in await remote_exports(jobs)]
        print("   " + ", ".join(f"{r:.0f}" for r in readings))
        print(f"   after the last job: {readings[-1] - readings[0]:+.0f} MB from the start")
    print("1. bytes per cached item (tracemalloc)")
    for items in (1_000, 10_000):
        m = await memory_per_item(items)
        print(
            f"   {items:>6} items: control {m['control']:4.0f} B (structures "
            f"{m['control structure']:4.0f} B), mapped {m['mapped']:5.0f} B | before #11: control "
            f"{m['old control']:4.0f} B (structures {m['old control structure']:4.0f} B), "
            f"mapped {m['old mapped']:5.0f} B"
        )
    print("2. cached GET ?status=QUEUED&pageSize=100 (median of 300, microseconds)")
    for items in (100, 10_000):
        p = await page_cost(items)
        print(
            f"   {items:>6} items: first page {p['first page']:7.1f}, last page "
            f"{p['last page']:7.1f}, every other item EXPORTING {p['scattered']:7.1f}"
        )
    print("3. CPU per item of a whole export (this process only, microseconds; 2nd run each)")
    for items, cpu, _ in (await remote_exports([1_000, 10_000, 1_000, 10_000]))[3:]:
        print(f"   {items:>6} items: {cpu:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
