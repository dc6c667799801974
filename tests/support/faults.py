"""A fault-injecting httpx transport: Toxiproxy's toxics, in process (reliability.md §1.7).

:class:`FaultTransport` wraps a real transport (the sandbox over ASGI) or a handler (a fake
Pleo) and, request by request, applies the next fault of a plan: a list (one entry per request,
``None`` to pass through; past its end everything passes) or a function of the request. Every
request is recorded with the fault applied and the timeouts it was sent with.

Time never really passes: latency is handed to an injected ``sleep`` (a virtual clock in
tests), and a latency longer than the request's read timeout becomes ``httpx.ReadTimeout``
after exactly that timeout, as a real socket would. Concurrency can be held at a gate, so a
test can see how many requests are in flight at once without timing anything.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

__all__ = [
    "ConnectRefused",
    "ConnectTimeout",
    "Fault",
    "FaultTransport",
    "InvalidJson",
    "Latency",
    "ReadTimeout",
    "Redirect",
    "ResetMidBody",
    "Status",
    "rate_limited",
    "seeded_plan",
    "until",
]

_REFUSED = "[Errno 111] Connection refused"
_TIMED_OUT = "timed out"

Forward = Callable[[httpx.Request], Awaitable[httpx.Response]]
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass(frozen=True)
class Context:
    """What a fault may use besides the request: the way upstream, time, and the clock."""

    forward: Forward
    sleep: Callable[[float], Awaitable[None]]
    now: Callable[[], datetime]


class Fault:
    """One misbehaviour applied to one request."""

    name = "fault"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        raise NotImplementedError


@dataclass(frozen=True)
class ConnectRefused(Fault):
    """Nothing listens (Toxiproxy ``down``): nothing reaches upstream."""

    name = "connect_refused"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        raise httpx.ConnectError(_REFUSED, request=request)


@dataclass(frozen=True)
class ConnectTimeout(Fault):
    """The connection is never established: nothing reaches upstream."""

    name = "connect_timeout"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        timeout = _timeout(request, "connect")
        if timeout is not None:
            await context.sleep(timeout)
        raise httpx.ConnectTimeout(_TIMED_OUT, request=request)


@dataclass(frozen=True)
class ReadTimeout(Fault):
    """No answer in time (Toxiproxy ``timeout``). ``landed``: upstream got and applied the
    request before the answer was lost, the ambiguous case of a write."""

    landed: bool = True
    name = "read_timeout"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        if self.landed:
            await context.forward(request)
        timeout = _timeout(request, "read")
        if timeout is not None:
            await context.sleep(timeout)
        raise httpx.ReadTimeout(_TIMED_OUT, request=request)


@dataclass(frozen=True)
class Latency(Fault):
    """Upstream answers ``seconds`` late (Toxiproxy ``latency``); past the request's read
    timeout the answer is lost, after exactly that timeout."""

    seconds: float
    name = "latency"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        response = await context.forward(request)
        timeout = _timeout(request, "read")
        if timeout is not None and self.seconds > timeout:
            await context.sleep(timeout)
            raise httpx.ReadTimeout(_TIMED_OUT, request=request)
        await context.sleep(self.seconds)
        return response


@dataclass(frozen=True)
class ResetMidBody(Fault):
    """The connection drops after ``after_bytes`` of the body (``limit_data``, ``reset_peer``)."""

    after_bytes: int = 10
    name = "reset_mid_body"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        response = await context.forward(request)
        body = await response.aread()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_BrokenStream(body[: self.after_bytes], request),
            request=request,
        )


@dataclass(frozen=True)
class Status(Fault):
    """An answer with this status (5xx, 429 ...) and no effect upstream; ``Retry-After`` as
    given (``retry_after``) or as an HTTP-date ``retry_after_date_in`` seconds from now."""

    status: int
    retry_after: str | None = None
    retry_after_date_in: float | None = None
    name = "status"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        if self.retry_after_date_in is not None:
            when = context.now() + timedelta(seconds=self.retry_after_date_in)
            headers["Retry-After"] = format_datetime(when.astimezone(UTC), usegmt=True)
        body = b'{"type": "internal_error", "message": "secret upstream detail"}'
        return httpx.Response(self.status, headers=headers, content=body, request=request)


def rate_limited(seconds: float | None = None, *, date_in: float | None = None) -> Status:
    """429 with ``Retry-After`` in seconds, as an HTTP-date, or without one."""
    return Status(
        429, retry_after=None if seconds is None else f"{seconds:g}", retry_after_date_in=date_in
    )


@dataclass(frozen=True)
class InvalidJson(Fault):
    """A 200 whose body is cut JSON with consistent framing: a contract breach, not a reset."""

    name = "invalid_json"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        body = b'{"data": {"id": "0b0b0b0b-0000-4000-8000-0000'
        return httpx.Response(
            200, headers={"Content-Type": "application/json"}, content=body, request=request
        )


@dataclass(frozen=True)
class Redirect(Fault):
    """A redirect to another host, which must never be followed."""

    location: str = "https://evil.example/steal"
    status: int = 302
    name = "redirect"

    async def apply(self, request: httpx.Request, context: Context) -> httpx.Response:
        return httpx.Response(self.status, headers={"Location": self.location}, request=request)


def seeded_plan(
    seed: int, length: int, faults: Sequence[Fault], *, rate: float = 0.5
) -> list[Fault | None]:
    """A reproducible plan: each request gets one of ``faults`` with probability ``rate``."""
    rng = random.Random(seed)
    return [rng.choice(faults) if rng.random() < rate else None for _ in range(length)]


@dataclass
class Sent:
    """One request as the transport saw it."""

    request: httpx.Request
    fault: str
    timeout: dict[str, float | None]


@dataclass
class FaultTransport(httpx.AsyncBaseTransport):
    """Applies ``plan`` to the requests it passes to ``inner``; records each of them."""

    inner: httpx.AsyncBaseTransport | Handler
    plan: Sequence[Fault | None] | Callable[[httpx.Request], Fault | None] = ()
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    gate: asyncio.Event | None = None
    """If given, every request waits here until the test sets it."""
    sent: list[Sent] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.inner, httpx.AsyncBaseTransport):
            self.inner = httpx.MockTransport(self.inner)

    @property
    def requests(self) -> list[httpx.Request]:
        return [sent.request for sent in self.sent]

    @property
    def applied(self) -> list[str]:
        return [sent.fault for sent in self.sent]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        fault = self._next(request)
        self.sent.append(Sent(request, fault.name if fault else "pass", _timeouts(request)))
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if fault is None:
                return await self._forward(request)
            return await fault.apply(request, Context(self._forward, self.sleep, self.now))
        finally:
            self.in_flight -= 1

    def _next(self, request: httpx.Request) -> Fault | None:
        if callable(self.plan):
            return self.plan(request)
        index = len(self.sent)
        return self.plan[index] if index < len(self.plan) else None

    async def _forward(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(self.inner, httpx.AsyncBaseTransport)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        assert isinstance(self.inner, httpx.AsyncBaseTransport)
        await self.inner.aclose()


class _BrokenStream(httpx.AsyncByteStream):
    def __init__(self, head: bytes, request: httpx.Request) -> None:
        self._head = head
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._head:
            yield self._head
        msg = "peer closed connection without sending complete message body"
        raise httpx.RemoteProtocolError(msg, request=self._request)


def _timeouts(request: httpx.Request) -> dict[str, float | None]:
    return dict(request.extensions.get("timeout", {}))


def _timeout(request: httpx.Request, phase: str) -> float | None:
    value = _timeouts(request).get(phase)
    return None if value is None else float(value)


async def until(condition: Callable[[], bool], *, rounds: int = 1000) -> None:
    """Let other tasks run until ``condition`` holds; fail after ``rounds`` turns of the loop
    (a count, not a duration, so a slow machine cannot fail it and a bug cannot hang it)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    msg = f"condition still false after {rounds} turns of the event loop"
    raise AssertionError(msg)
