"""The history of one run: every legacy call a client made, from invocation to completion.

Times are ``time.monotonic()`` of this process, the same clock the relay stamps the requests it
forwards to Pleo with, so the checker can order a write Pleo received against the calls that
could have caused it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

__all__ = ["History", "Op"]


@dataclass
class Op:
    """One HTTP call of a legacy client (each retry is an op of its own).

    ``outcome`` is ``ok`` (200), ``fail`` (a refusal: nothing was done), or ``info`` (5xx,
    timeout, broken connection: it may or may not have happened).
    """

    index: int
    process: str
    company: str
    kind: str
    """``read`` (GET /v1/expenses, every page), ``get_one``, or ``put``."""
    status: str | None
    """The status filter of a read, or the status a PUT asks for."""
    ids: list[str]
    invoked: float
    completed: float | None = None
    outcome: str = "pending"
    http_status: int | None = None
    error: str | None = None
    seen: dict[str, str] = field(default_factory=dict)
    """Every expense in the answer, by id, with the legacy status it was shown with."""
    refused: list[str] = field(default_factory=list)
    """Ids a 200 answer to a PUT listed under ``errors``."""
    stale: bool = False

    def acknowledged(self) -> list[str]:
        """Ids this op definitely set to ``status``: a PUT answered 200, minus its errors."""
        if self.kind != "put" or self.outcome != "ok":
            return []
        refused = set(self.refused)
        return [i for i in self.ids if i not in refused]


class History:
    """Thread-safe list of :class:`Op`, with a count of completed calls to wait on."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self._changed = threading.Condition()
        self.completed = 0
        self.finished_clients = 0

    def invoke(
        self, process: str, company: str, kind: str, status: str | None, ids: list[str]
    ) -> Op:
        with self._changed:
            op = Op(len(self.ops), process, company, kind, status, list(ids), time.monotonic())
            self.ops.append(op)
            return op

    def complete(self, op: Op, outcome: str, **details: object) -> None:
        with self._changed:
            op.completed = time.monotonic()
            op.outcome = outcome
            for name, value in details.items():
                setattr(op, name, value)
            self.completed += 1
            self._changed.notify_all()

    def client_done(self) -> None:
        with self._changed:
            self.finished_clients += 1
            self._changed.notify_all()

    def wait(self, completed: int, clients: int, timeout: float) -> bool:
        """Wait until ``completed`` calls have completed (True) or all ``clients`` are done
        or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.completed < completed:
                left = deadline - time.monotonic()
                if self.finished_clients >= clients or left <= 0:
                    return False
                self._changed.wait(left)
            return True
