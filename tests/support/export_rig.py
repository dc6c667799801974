"""A small fake Export API and the rig the fault tests drive: an ExportClient in front of it,
behind the fault transport, on virtual time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from adapter.export.client import ExportClient
from adapter.observability.metrics import Metrics
from tests.support.clocks import VirtualTime
from tests.support.faults import FaultTransport
from tests.support.pleo_payloads import job_item_json, job_json, page_json

__all__ = ["FakePleo", "Rig"]


@dataclass
class FakePleo:
    """A small Export API for the fault tests: jobs, paged jobs and items, item PUTs and
    events, with a ledger of the writes it applied."""

    pages: int = 1
    events: list[dict[str, Any]] = field(default_factory=list)
    item_statuses: dict[str, str] = field(default_factory=dict)
    puts: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/v3/export-job-events":
            self.events.append(orjson.loads(request.content))
            return httpx.Response(202)
        if request.method == "PUT" and path.endswith("/items"):
            self.puts += 1
            sent = orjson.loads(request.content)
            for item in sent:
                self.item_statuses[item["accountingEntryId"]] = item["status"]
            data = [
                {
                    **job_item_json(0),
                    "accountingEntryId": i["accountingEntryId"],
                    "status": i["status"],
                }
                for i in sent
            ]
            return httpx.Response(200, json={"data": data, "errors": []})
        if path == "/v3/export-jobs":
            # Pleo's cursors are base32-like ("^[A-Z2-7=~]+$"): page n is "PAGE" + n letters B.
            page = len(request.url.params.get("after", "PAGE")) - len("PAGE")
            after = "PAGE" + "B" * (page + 1) if page + 1 < self.pages else None
            return httpx.Response(200, json=page_json([job_json()], after))
        if path.startswith("/v3/export-jobs/"):
            return httpx.Response(200, json={"data": job_json(path.split("/")[3])})
        return httpx.Response(404, json={"type": "NOT_FOUND"})


@dataclass
class Rig:
    """An export client whose Pleo is a fault transport, on virtual time."""

    client: ExportClient
    transport: FaultTransport
    pleo: FakePleo
    time: VirtualTime
    metrics: Metrics

    def sample(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value
