"""A transport that records what one upstream was asked and what it answered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

__all__ = ["Recorder", "RecordingTransport"]


@dataclass
class Recorder:
    """Every request one upstream received and the body of each answer it gave, in order."""

    requests: list[httpx.Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def methods(self) -> set[str]:
        return {request.method for request in self.requests}


class RecordingTransport(httpx.AsyncBaseTransport):
    """Records each request, optionally holds it until ``gate`` opens, forwards it, and
    records the answer's body (what the proxy received, to compare with what it passed on)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        recorder: Recorder,
        gate: asyncio.Event | None = None,
    ) -> None:
        self.inner = inner
        self.recorder = recorder
        self.gate = gate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.recorder.requests.append(request)
        if self.gate is not None:
            await self.gate.wait()
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.recorder.bodies.append(body)
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )
