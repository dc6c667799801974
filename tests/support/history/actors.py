"""The processes of a run: legacy clients (each with its own retries) and the nemesis.

A :class:`LegacyActor` is a legacy integration on its own thread with its own credential: it
reads ``GET /v1/expenses`` page by page, claims what it saw ``QUEUED`` with ``EXPORTING``,
finishes what it claimed with ``EXPORTED`` or ``NOT_EXPORTED``, and now and then asks for
something the item's state forbids. It retries 5xx answers, timeouts and broken connections
a bounded number of times (Retry-After honoured, up to two seconds), never a 4xx. Every call
goes to the :class:`~.recorder.History`.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from tests.support.history.recorder import History, Op
from tests.support.history.schedule import RELAY_READS, RELAY_WRITES, SANDBOX_PATHS, Fault
from tests.support.relay import Rule
from tests.support.stack import Stack, rotated_token

__all__ = ["LegacyActor", "Nemesis", "authorization_for"]

ATTEMPTS = 8
CLIENT_TIMEOUT_SECONDS = 20.0
MAX_PAGES = 200
_BACKOFF_CAP = 1.0
_RETRY_AFTER_CAP = 2.0


def authorization_for(company: dict[str, Any], client: int, auth_mode: str) -> str:
    """Client 0 and client 1 of a company hold different credentials of it (a rotation)."""
    if auth_mode == "credentials":
        token = company["legacyToken"] if client == 0 else rotated_token(company)
        return f"Bearer {token}"
    if client == 0:
        return "Basic " + base64.b64encode(f"{company['apiKey']}:".encode()).decode()
    return f"Bearer {company['bearerToken']}"


class LegacyActor:
    """One legacy integration of one company."""

    def __init__(
        self,
        name: str,
        company_id: str,
        url: str,
        authorization: str,
        history: History,
        rng: random.Random,
    ) -> None:
        self.name = name
        self.company_id = company_id
        self.history = history
        self.rng = rng
        self.http = httpx.Client(
            base_url=url,
            headers={"Authorization": authorization},
            timeout=CLIENT_TIMEOUT_SECONDS,
        )
        # What this integration believes, from the answers it got: id -> legacy status.
        self.known: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    def _with(self, status: str) -> list[str]:
        return [i for i, s in self.known.items() if s == status]

    def _sample(self, ids: list[str], most: int) -> list[str]:
        return self.rng.sample(ids, self.rng.randint(1, min(len(ids), most)))

    # --- the plan --------------------------------------------------------------------------

    def run(self, plan: Iterable[str]) -> None:
        try:
            for kind in plan:
                self.step(kind)
        finally:
            self.history.client_done()

    def step(self, kind: str) -> None:
        queued, exporting = self._with("QUEUED"), self._with("EXPORTING")
        final = self._with("EXPORTED") + self._with("NOT_EXPORTED")
        if kind == "claim" and queued:
            self.put(self._sample(queued, 150), "EXPORTING")
        elif kind == "finish" and exporting:
            status = "EXPORTED" if self.rng.random() < 0.8 else "NOT_EXPORTED"
            self.put(self._sample(exporting, 150), status)
        elif kind == "contradict" and final:
            self.put(self._sample(final, 3), "EXPORTING")  # the item's state forbids it
        elif kind == "get_one" and self.known:
            self.get_one(self.rng.choice(sorted(self.known)))
        else:
            self.read(self.rng.choice(("QUEUED", "QUEUED", "QUEUED", "EXPORTING", None)))

    # --- calls -----------------------------------------------------------------------------

    def read(self, status: str | None, page_size: int | None = None) -> Op:
        size = page_size or self.rng.choice((5, 20, 100, 1000))

        def attempt(op: Op) -> tuple[str, dict[str, Any]]:
            offset: int | None = 0
            seen: dict[str, str] = {}
            stale = False
            for _ in range(MAX_PAGES):
                if offset is None:
                    break
                params: dict[str, Any] = {"pageOffset": offset, "pageSize": size}
                if status is not None:
                    params["status"] = status
                response = self.http.get("/v1/expenses", params=params)
                if response.status_code != 200:
                    return _failed(response)
                stale = stale or "Warning" in response.headers
                body = response.json()
                seen.update({e["id"]: e["status"] for e in body["expenses"]})
                offset = body["metadata"]["pageInfo"].get("nextPageOffset")
            return "ok", {"http_status": 200, "seen": seen, "stale": stale}

        return self._call("read", status, [], attempt)

    def get_one(self, expense_id: str) -> Op:
        def attempt(op: Op) -> tuple[str, dict[str, Any]]:
            response = self.http.get(f"/v1/expenses/{expense_id}")
            if response.status_code != 200:
                return _failed(response)
            expense = response.json()
            return "ok", {"http_status": 200, "seen": {expense["id"]: expense["status"]}}

        return self._call("get_one", None, [expense_id], attempt)

    def put(self, ids: list[str], status: str) -> Op:
        def attempt(op: Op) -> tuple[str, dict[str, Any]]:
            response = self.http.put("/v1/expenses", json={"expenseIds": ids, "status": status})
            if response.status_code != 200:
                return _failed(response)
            body = response.json()
            return "ok", {
                "http_status": 200,
                "seen": {e["id"]: e["status"] for e in body["expenses"]},
                "refused": [e["id"] for e in body.get("errors", [])],
            }

        return self._call("put", status, ids, attempt)

    def _call(
        self,
        kind: str,
        status: str | None,
        ids: list[str],
        attempt: Callable[[Op], tuple[str, dict[str, Any]]],
    ) -> Op:
        """Run ``attempt`` until it is not indeterminate, at most ATTEMPTS times."""
        op = self.history.invoke(self.name, self.company_id, kind, status, ids)
        for tries in range(1, ATTEMPTS + 1):
            try:
                outcome, details = attempt(op)
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                outcome, details = "info", {"error": type(exc).__name__}
            after = details.pop("retry_after", None)
            self.history.complete(op, outcome, **details)
            if outcome == "ok":
                self._learn(op)
            if outcome != "info" or tries == ATTEMPTS:
                return op
            wait = min(_BACKOFF_CAP, 0.05 * 2**tries) * self.rng.uniform(0.5, 1.0)
            if isinstance(after, str) and after.isdigit():
                wait = min(float(after), _RETRY_AFTER_CAP)
            time.sleep(wait)  # the integration's own backoff between retries
            op = self.history.invoke(self.name, self.company_id, kind, status, ids)
        return op

    def _learn(self, op: Op) -> None:
        self.known.update(op.seen)
        if op.kind == "read" and op.status is not None:
            # Listed under another status now, or gone: what this client knew is out of date.
            for expense_id, known in list(self.known.items()):
                if known == op.status and expense_id not in op.seen:
                    del self.known[expense_id]


def _failed(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    error = None
    try:
        error = response.json().get("message")
    except ValueError:
        error = response.text[:200]
    details: dict[str, Any] = {"http_status": response.status_code, "error": error}
    if response.status_code >= 500:
        details["retry_after"] = response.headers.get("Retry-After")
        return "info", details
    return "fail", details


class Nemesis:
    """Applies a schedule's faults, each once enough client calls have completed."""

    def __init__(
        self, stack: Stack, history: History, clients: int, restart: Callable[[], object]
    ) -> None:
        self.stack = stack
        self.history = history
        self.clients = clients
        self.restart = restart
        self.applied: list[Fault] = []

    def run(self, faults: Iterable[Fault]) -> None:
        for fault in faults:
            if not self.history.wait(fault.after_ops, self.clients, timeout=300):
                return
            self.apply(fault)
            self.applied.append(fault)

    def apply(self, fault: Fault) -> None:
        if fault.kind == "kill":
            self.restart()
        elif fault.kind == "status":
            method, path = SANDBOX_PATHS[fault.target]
            headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
            self.stack.sandbox.add_fault(
                status=fault.status, path=path, method=method, count=fault.count, headers=headers
            )
        elif fault.kind == "lose_answer":
            method, path, body = RELAY_WRITES[fault.target]
            self.stack.relay.add(Rule("lose_answer", path, method, fault.count, body=body))
        else:  # reset
            if fault.target in RELAY_READS:
                method, path = RELAY_READS[fault.target]
                body = None
            else:
                method, path, body = RELAY_WRITES[fault.target]
            self.stack.relay.add(Rule("reset", path, method, fault.count, body=body))
