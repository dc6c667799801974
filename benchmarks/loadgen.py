"""A bounded asyncio HTTP/1.1 keep-alive load generator, used when ``wrk`` is not installed.

``N`` connections each send one GET, wait for the whole answer, and send the next until the
fixed duration is over; latencies are recorded per request (microseconds) into a histogram.
Bounded on purpose: loopback hosts only, at most 256 connections, at most 600 s, and every
request has a timeout. Answers are read by ``Content-Length`` or chunked encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Mapping
from urllib.parse import urlsplit

from benchmarks.load_result import LoadResult

__all__ = ["MAX_CONNECTIONS", "MAX_SECONDS", "run_asyncio_load"]

MAX_CONNECTIONS = 256
MAX_SECONDS = 600.0
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_REQUEST_TIMEOUT_SECONDS = 30.0


class _Tally:
    def __init__(self) -> None:
        self.histogram: Counter[int] = Counter()
        self.non_2xx = 0
        self.errors = 0


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the server will close the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") == "close"


async def _connection(host: str, port: int, request: bytes, deadline: float, tally: _Tally) -> None:
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            tally.errors += 1
            await asyncio.sleep(0.01)  # a refused connect must not spin
            continue
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter_ns()
                writer.write(request)
                async with asyncio.timeout(_REQUEST_TIMEOUT_SECONDS):
                    status, closing = await _read_answer(reader)
                tally.histogram[(time.perf_counter_ns() - started) // 1000] += 1
                if not 200 <= status < 300:
                    tally.non_2xx += 1
                if closing:
                    break
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            tally.errors += 1
        finally:
            writer.close()
            with contextlib.suppress(OSError):  # the peer went away first: nothing to do
                await writer.wait_closed()


async def _run(
    url: str, headers: Mapping[str, str], connections: int, seconds: float
) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if host not in _LOOPBACK:
        msg = f"the load generator only targets loopback, not {host!r}"
        raise ValueError(msg)
    if not 1 <= connections <= MAX_CONNECTIONS or not 0 < seconds <= MAX_SECONDS:
        msg = f"connections must be 1..{MAX_CONNECTIONS} and seconds 0..{MAX_SECONDS}"
        raise ValueError(msg)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    tally = _Tally()
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    async with asyncio.timeout(seconds + _REQUEST_TIMEOUT_SECONDS + 5):
        await asyncio.gather(
            *(_connection(host, port, request, deadline, tally) for _ in range(connections))
        )
    return LoadResult(
        requests=sum(tally.histogram.values()),
        seconds=time.perf_counter() - started,
        non_2xx=tally.non_2xx,
        errors=tally.errors,
        histogram=tally.histogram,
    )


def run_asyncio_load(
    url: str, headers: Mapping[str, str], *, connections: int, seconds: float
) -> LoadResult:
    """GET ``url`` over ``connections`` keep-alive connections for ``seconds``."""
    return asyncio.run(_run(url, headers, connections, seconds))
