"""Request statistics, injected faults and the added round-trip time.

Statistics count every non-admin request by operation (Pleo's v3 operationIds, e.g.
``getExportJobsListV3``, and ``legacy:<operationId>`` for the legacy API, e.g.
``legacy:getExpenses``; see :mod:`adapter.sandbox.operations`), by status code, and by both.

A fault rule matches non-admin requests by path regex (``re.search``) and optional method. It
applies to the next ``count`` matching requests (default 1): it adds ``latencyMs`` and, when
``status`` is set, answers that status with an ``ExceptionInfo`` body (under ``/v1`` the legacy
error body) and the given headers instead of running the request. Rules are checked in the order
they were added; the first match with uses left wins.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from adapter.sandbox.errors import bad_request
from adapter.sandbox.legacy_http import legacy_error_body

__all__ = ["FaultBook", "FaultRule", "RequestStats"]


class RequestStats:
    """Counters of non-admin requests."""

    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.by_operation_status: Counter[tuple[str, int]] = Counter()

    def count(self, operation: str, status: int) -> None:
        """Count one answered request."""
        self.by_operation[operation] += 1
        self.by_status[status] += 1
        self.by_operation_status[(operation, status)] += 1

    def reset(self) -> None:
        """Start counting from zero."""
        self.by_operation.clear()
        self.by_status.clear()
        self.by_operation_status.clear()

    def to_json(self) -> dict[str, Any]:
        """``{"total", "byOperation", "byStatus", "byOperationAndStatus"}``."""
        by_pair: dict[str, dict[str, int]] = {}
        for (operation, status), number in sorted(self.by_operation_status.items()):
            by_pair.setdefault(operation, {})[str(status)] = number
        return {
            "total": sum(self.by_operation.values()),
            "byOperation": dict(sorted(self.by_operation.items())),
            "byStatus": {str(status): n for status, n in sorted(self.by_status.items())},
            "byOperationAndStatus": by_pair,
        }


@dataclass(slots=True)
class FaultRule:
    """One injected fault (see the module docstring)."""

    path: re.Pattern[str]
    remaining: int
    status: int | None = None
    method: str | None = None
    latency_ms: float = 0.0
    headers: dict[str, str] | None = None

    @classmethod
    def from_json(cls, body: object) -> FaultRule:
        """Validate ``POST /sandbox/faults`` input."""
        if not isinstance(body, dict):
            msg = "A fault is a JSON object."
            raise bad_request(msg)
        status = body.get("status")
        if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
            msg = "'status' must be an HTTP status code."
            raise bad_request(msg)
        count = body.get("count", 1)
        if not isinstance(count, int) or count < 1:
            msg = "'count' must be a positive integer."
            raise bad_request(msg)
        path = body.get("path", ".*")
        if not isinstance(path, str):
            msg = "'path' must be a regular expression."
            raise bad_request(msg)
        try:
            pattern = re.compile(path)
        except re.error as exc:
            msg = "'path' is not a valid regular expression."
            raise bad_request(msg) from exc
        method = body.get("method")
        if method is not None and not isinstance(method, str):
            msg = "'method' must be a string."
            raise bad_request(msg)
        latency = body.get("latencyMs", 0)
        if not isinstance(latency, int | float) or latency < 0:
            msg = "'latencyMs' must be a non-negative number."
            raise bad_request(msg)
        headers = body.get("headers")
        if headers is not None and (
            not isinstance(headers, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        ):
            msg = "'headers' must map names to string values."
            raise bad_request(msg)
        if status is None and not latency:
            msg = "A fault needs a 'status' or a 'latencyMs'."
            raise bad_request(msg)
        return cls(
            path=pattern,
            remaining=count,
            status=status,
            method=method.upper() if method else None,
            latency_ms=float(latency),
            headers=headers,
        )

    def to_json(self) -> dict[str, Any]:
        """The admin view of the rule."""
        return {
            "path": self.path.pattern,
            "remaining": self.remaining,
            "status": self.status,
            "method": self.method,
            "latencyMs": self.latency_ms,
            "headers": self.headers,
        }

    def _phrase(self) -> str:
        try:
            return HTTPStatus(self.status or 500).phrase
        except ValueError:
            return "Injected fault"

    def error_body(self) -> dict[str, str]:
        """The ``ExceptionInfo`` a faulted v3 request gets."""
        phrase = self._phrase()
        return {"type": phrase.upper().replace(" ", "_").replace("-", "_"), "message": phrase}

    def legacy_error_body(self) -> dict[str, Any]:
        """The legacy error body a faulted ``/v1`` request gets."""
        return legacy_error_body(self.status or 500, self._phrase())


class FaultBook:
    """The active fault rules."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> None:
        """Add a rule after the existing ones."""
        self.rules.append(rule)

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first rule matching this request, with one use consumed."""
        for rule in self.rules:
            if (rule.method is None or rule.method == method) and rule.path.search(path):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                return rule
        return None
