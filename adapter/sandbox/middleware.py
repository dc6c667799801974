"""Pure ASGI middleware: lazy expiry, added round-trip time, injected faults and statistics.

Admin requests (``/sandbox/...``) are neither delayed, faulted nor counted.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.sandbox.http import json_response
from adapter.sandbox.legacy_http import legacy_json
from adapter.sandbox.operations import classify, is_legacy_path
from adapter.sandbox.runtime import SandboxRuntime

__all__ = ["TrafficMiddleware"]


class TrafficMiddleware:
    """Applies the runtime's RTT and faults to non-admin requests and counts them."""

    def __init__(self, app: ASGIApp, runtime: SandboxRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        operation = classify(method, path)
        runtime = self.runtime
        runtime.state.expire_due()
        if operation == "admin":
            await self.app(scope, receive, send)
            return

        rule = runtime.faults.take(method, path)
        delay_ms = runtime.rtt_ms + (rule.latency_ms if rule is not None else 0.0)
        if delay_ms > 0:
            await runtime.sleep(delay_ms / 1000)

        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if rule is not None and rule.status is not None:
                if is_legacy_path(path):
                    response = legacy_json(rule.legacy_error_body(), rule.status, rule.headers)
                else:
                    response = json_response(rule.error_body(), rule.status, rule.headers)
                await response(scope, receive, send_counting)
            else:
                await self.app(scope, receive, send_counting)
        finally:
            runtime.stats.count(operation, status)
