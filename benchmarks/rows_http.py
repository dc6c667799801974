"""Rows measured with HTTP load on a running proxy: cached pages and one-client latency.

- ``cached_get_100``: ``GET /v1/expenses?status=QUEUED&pageSize=100`` of a cached 100-item job,
  ``--clients`` connections. Reference: the proxy's own ``/livez`` under the same load (the
  floor of one request through this server), and the sandbox answering the same page of its
  legacy API directly (a server doing the same work without the proxy).
- ``cached_get_10k``: the same page when the company's job has ``--items`` items (default
  10,000). Reference: the 100-item page of ``cached_get_100`` (measured if that row is not run).
- ``p99_one_client``: the 100-item page at one connection; p99 against p50 of the same window,
  with the full garbage collections the proxy logged meanwhile.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.context import Context, Measured, Target, measure_windows
from benchmarks.proc import cpu_seconds, rss_bytes
from benchmarks.report import RowResult, fmt_bytes, fmt_int, fmt_ms, fmt_ratio, fmt_us
from benchmarks.stack import CACHED_GET_ENV, Stack, running_stack
from tests.support.bulk import prepare_job

__all__ = ["cached_get_10k", "cached_get_100", "p99_one_client"]

# "The same as from a 100-item job": CPU per request within this factor counts as the same.
SAME_CPU_FACTOR = 1.2
MIN_RATE = 2_000
MAX_CPU_VS_LIVEZ = 3.0
MAX_P99_VS_P50 = 5.0
_PRIME_TIMEOUT_SECONDS = 600.0


@dataclass
class CachedJob:
    """A stack whose one company has one job, already loaded into the proxy's cache."""

    stack: Stack
    company: dict[str, Any]
    items: int
    prime_seconds: float
    prime_cpu: float
    rss_before: int
    rss_after: int

    def page_url(self, ctx: Context) -> str:
        return f"{self.stack.proxy.url}/v1/expenses?status=QUEUED&pageSize={ctx.config.page_size}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.company['legacyToken']}"}

    def page_target(self, ctx: Context, label: str) -> Target:
        proxy = self.stack.proxy
        return Target(label, self.page_url(ctx), self.auth, proxy.pid, proxy.gc_log)


def _cached_job(ctx: Context, name: str, items: int, owner: contextlib.ExitStack) -> CachedJob:
    """Start a stack (closed with ``owner``), create the job, GET its first page (the load)."""
    stack = owner.enter_context(
        running_stack(ctx.rowdir(name), companies=1, proxy_env=CACHED_GET_ENV, cores=ctx.cores)
    )
    company = stack.sandbox.companies[0]
    prepare_job(stack.sandbox, company["companyId"], items)
    proxy = stack.proxy
    rss_before, cpu_before, started = (
        rss_bytes(proxy.pid),
        cpu_seconds(proxy.pid),
        time.perf_counter(),
    )
    response = httpx.get(
        f"{proxy.url}/v1/expenses",
        params={"status": "QUEUED", "pageSize": ctx.config.page_size},
        headers={"Authorization": f"Bearer {company['legacyToken']}"},
        timeout=_PRIME_TIMEOUT_SECONDS,
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or len(response.json()["expenses"]) != min(
        items, ctx.config.page_size
    ):
        msg = f"priming GET answered {response.status_code}: {response.text[:300]}"
        raise RuntimeError(msg)
    return CachedJob(
        stack,
        company,
        items,
        prime_seconds=elapsed,
        prime_cpu=cpu_seconds(proxy.pid) - cpu_before,
        rss_before=rss_before,
        rss_after=rss_bytes(proxy.pid),
    )


def _small_job(ctx: Context) -> CachedJob:
    return ctx.remember(
        "small_job",
        lambda: _cached_job(ctx, "small_job", ctx.config.small_items, ctx.exit_stack),
    )


def _small_page(ctx: Context) -> Measured:
    """The 100-item page alone, when ``cached_get_100`` did not measure it in this run."""
    job = _small_job(ctx)
    target = job.page_target(ctx, "page")
    return measure_windows(ctx, [target], connections=ctx.config.clients)["page"]


def _per_req(measured: Measured) -> str:
    return f"{fmt_us(measured.cpu_per_request)}/req"


def cached_get_100(ctx: Context) -> RowResult:
    config = ctx.config
    row = RowResult(
        "cached_get_100",
        f"cached GET status=QUEUED&pageSize={config.page_size} of a {config.small_items}-item "
        f"job, {config.clients} clients; reference /livez and the sandbox's own legacy GET",
        target=f">= {MIN_RATE:,} req/s; CPU <= {MAX_CPU_VS_LIVEZ:g}x /livez",
    )
    job = _small_job(ctx)
    proxy, sandbox = job.stack.proxy, job.stack.sandbox
    direct_url = f"{sandbox.url}/v1/expenses?status=QUEUED&pageSize={config.page_size}"
    targets = [
        Target("livez", f"{proxy.url}/livez", {}, proxy.pid, proxy.gc_log),
        job.page_target(ctx, "page"),
        Target(
            "sandbox",
            direct_url,
            job.auth,
            sandbox.process.pid,
            cores=ctx.cores.server or None,
            home=ctx.cores.load or None,
        ),
    ]
    measured = measure_windows(ctx, targets, connections=config.clients)
    page, livez, direct = measured["page"], measured["livez"], measured["sandbox"]
    ctx.memo["small_page"] = page
    ratio = page.cpu_per_request / livez.cpu_per_request
    row.figure = f"{fmt_int(page.load.rate)} req/s"
    row.cpu = _per_req(page)
    row.reference = f"/livez {fmt_int(livez.load.rate)} req/s, {_per_req(livez)}"
    row.ratio = f"{fmt_ratio(ratio)} /livez CPU"
    row.met = page.load.rate >= MIN_RATE and ratio <= MAX_CPU_VS_LIVEZ
    row.details = [
        f"proxy page:   {page.summary()}",
        f"proxy /livez: {livez.summary()}",
        f"sandbox legacy GET of the same page, direct: {direct.summary()}",
        f"proxy CPU per page = {page.cpu_per_request / direct.cpu_per_request:.2f}x the "
        "sandbox's for the same page",
    ]
    row.values = {
        "page": _values(page),
        "livez": _values(livez),
        "sandbox_direct": _values(direct),
        "cpu_ratio_vs_livez": ratio,
    }
    return row


def cached_get_10k(ctx: Context) -> RowResult:
    config = ctx.config
    row = RowResult(
        "cached_get_10k",
        f"the same page from a {config.items:,}-item job, {config.clients} clients; "
        f"reference the page of the {config.small_items}-item job",
        target=f"same as the {config.small_items}-item job (CPU <= {SAME_CPU_FACTOR:g}x)",
    )
    # Its own stack, closed at once: a proxy holding a 10k-item job is big.
    with contextlib.ExitStack() as owner:
        job = _cached_job(ctx, "large_job", config.items, owner)
        target = job.page_target(ctx, "page")
        large = measure_windows(ctx, [target], connections=config.clients)["page"]
    small = ctx.remember("small_page", lambda: _small_page(ctx))
    ratio = large.cpu_per_request / small.cpu_per_request
    row.figure = f"{fmt_int(large.load.rate)} req/s"
    row.cpu = _per_req(large)
    row.reference = f"{fmt_int(small.load.rate)} req/s, {_per_req(small)}"
    row.ratio = f"{fmt_ratio(ratio)} CPU"
    row.met = ratio <= SAME_CPU_FACTOR
    growth = job.rss_after - job.rss_before
    row.details = [
        f"{config.items:,}-item page: {large.summary()}",
        f"{config.small_items}-item page: {small.summary()}",
        f"first GET (loads the job): {job.prime_seconds:.2f} s wall, {job.prime_cpu:.2f} s CPU "
        f"({fmt_us(job.prime_cpu / config.items)}/item); RSS {fmt_bytes(job.rss_before)} -> "
        f"{fmt_bytes(job.rss_after)} (+{fmt_bytes(growth / config.items)} per item)",
    ]
    row.values = {
        "page": _values(large),
        "reference_page": _values(small),
        "cpu_ratio": ratio,
        "prime_seconds": job.prime_seconds,
        "prime_cpu_seconds": job.prime_cpu,
        "rss_growth_bytes_per_item": growth / config.items,
    }
    return row


def p99_one_client(ctx: Context) -> RowResult:
    config = ctx.config
    row = RowResult(
        "p99_one_client",
        f"cached {config.small_items}-item page at one client; reference p50 of the same window",
        target=f"p99 <= {MAX_P99_VS_P50:g}x p50",
    )
    job = _small_job(ctx)
    measured = measure_windows(ctx, [job.page_target(ctx, "page")], connections=1)["page"]
    p50, p99 = measured.load.percentile_ms(50), measured.load.percentile_ms(99)
    row.figure = f"p99 {fmt_ms(p99)}"
    row.cpu = _per_req(measured)
    row.reference = f"p50 {fmt_ms(p50)}"
    row.ratio = fmt_ratio(p99 / p50)
    row.met = p99 <= MAX_P99_VS_P50 * p50
    row.details = [f"one client: {measured.summary()}"]
    row.values = {"page": _values(measured), "p99_over_p50": p99 / p50}
    return row


def _values(measured: Measured) -> dict[str, Any]:
    load = measured.load
    values: dict[str, Any] = {
        "requests": load.requests,
        "seconds": load.seconds,
        "rate": load.rate,
        "p50_ms": load.percentile_ms(50),
        "p90_ms": load.percentile_ms(90),
        "p99_ms": load.percentile_ms(99),
        "max_ms": load.percentile_ms(100),
        "non_2xx": load.non_2xx,
        "errors": load.errors,
        "cpu_seconds": measured.cpu,
        "cpu_per_request_us": measured.cpu_per_request * 1e6,
    }
    if measured.gc is not None:
        values |= {
            "full_gcs": measured.gc.count,
            "longest_full_gc_ms": measured.gc.longest_ms,
            "full_gc_total_ms": measured.gc.total_ms,
        }
    return values
