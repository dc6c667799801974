"""How fast ExportClient issues GETs for each in-flight cap: pick ``max_in_flight`` from this.

The sandbox (``adapter.sandbox``) is served by uvicorn in a child process on a free loopback
port, so server and client do not share an event loop. For each cap, ``--callers`` concurrent
tasks share ``--requests`` calls of ``get_job`` through one ``ExportClient`` (pool of 64
connections, so the semaphore is the only limit); the table gives req/s and per-call latency.
A second pass with ``--rtt-ms`` shows the cap's cost when Pleo is far away.

    python -m benchmarks.bench_export_client                      # defaults below
    python -m benchmarks.bench_export_client --caps 2 4 8 --requests 1000 --rtt-ms 0

Bounded: a fixed number of requests per cap, a time limit per run, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from adapter.export.client import ExportClient, build_http_client
from adapter.export.models import ExportJobStatus
from adapter.tenancy import UpstreamCredential

HOST = "127.0.0.1"
POOL = 64


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def serve(port: int, rtt_ms: float) -> None:
    """Child process: the sandbox on loopback, quiet."""
    import uvicorn

    from adapter.sandbox import SandboxConfig, create_sandbox_app

    app = create_sandbox_app(SandboxConfig(companies=1, jobs_per_company=1, rtt_ms=rtt_ms))
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def sandbox_process(rtt_ms: float) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, __file__, "--serve", str(port), "--rtt-ms", str(rtt_ms)]
    child = subprocess.Popen(command)  # noqa: S603 -- our own interpreter and script, fixed args
    base_url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base_url}/sandbox/companies", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or child.poll() is not None:
                msg = "the sandbox did not start"
                raise RuntimeError(msg)
            time.sleep(0.1)
        yield base_url
    finally:
        child.terminate()
        child.wait(timeout=10)


async def run_cap(
    base_url: str,
    credential: UpstreamCredential,
    job_id: str,
    *,
    cap: int,
    callers: int,
    requests: int,
    time_limit: float,
) -> tuple[float, float, float, int]:
    """(req/s, p50 ms, p99 ms, peak in flight) for one cap."""
    async with build_http_client(timeout_seconds=10, max_connections=POOL) as http:
        client = ExportClient(http, base_url=base_url, max_in_flight=cap, retries=0)
        for _ in range(min(cap, 8) * 4):  # warm the connections
            await client.get_job(credential, job_id)
        remaining = requests
        latencies: list[float] = []

        async def caller() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                await client.get_job(credential, job_id)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        async with asyncio.timeout(time_limit):
            await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - started
        quantiles = statistics.quantiles(latencies, n=100)
        peak = client.metrics_snapshot().peak_in_flight
        return len(latencies) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, peak


async def bench(base_url: str, args: argparse.Namespace, requests: int) -> None:
    async with httpx.AsyncClient(base_url=base_url) as admin:
        company = (await admin.get("/sandbox/companies")).json()[0]
    credential = UpstreamCredential.api_key(company["apiKey"])
    async with build_http_client(timeout_seconds=10, max_connections=1) as http:
        [job, *_] = await ExportClient(http, base_url=base_url).list_jobs(
            credential, statuses=[ExportJobStatus.PENDING]
        )
    print(f"{'cap':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'peak':>5}")
    for cap in args.caps:
        rate, p50, p99, peak = await run_cap(
            base_url,
            credential,
            job.id,
            cap=cap,
            callers=args.callers,
            requests=requests,
            time_limit=args.time_limit,
        )
        print(f"{cap:>4} {rate:>8.0f} {p50:>8.2f} {p99:>8.2f} {peak:>5}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--caps", type=int, nargs="+", default=[1, 2, 4, 8, 16, 64])
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="second pass; 0 skips it")
    parser.add_argument("--rtt-requests", type=int, default=400)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per cap")
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.rtt_ms)
        return
    print(f"ExportClient.get_job, {args.callers} callers, pool {POOL}, sandbox on loopback")
    print(f"\nRTT 0 ms, {args.requests} requests per cap")
    with sandbox_process(0.0) as base_url:
        asyncio.run(bench(base_url, args, args.requests))
    if args.rtt_ms > 0:
        print(f"\nRTT {args.rtt_ms:g} ms (sandbox delay), {args.rtt_requests} requests per cap")
        with sandbox_process(args.rtt_ms) as base_url:
            asyncio.run(bench(base_url, args, args.rtt_requests))


if __name__ == "__main__":
    main()
